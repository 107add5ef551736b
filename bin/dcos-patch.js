#!/usr/bin/env node
// Launcher for the dcos-patch CLI: runs src/client.ts through tsx, so `npx dcos-patch …` works
// from the repo without a build step.

require('tsx/cjs');
require('../src/client.ts').run(process.argv);
