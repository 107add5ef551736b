#!/usr/bin/env node
// The dcos-patch CLI. Installed from the package, it runs the compiled code in dist/. In a
// checkout it runs dist/ when it is at least as new as src/ (after `npm run build`), and
// otherwise the sources through tsx, so an edit is never shadowed by an old build.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const args = process.argv.slice(2);

// The version needs none of the code: answered at once.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require(join(root, 'package.json')).version}\n`);
  process.exit(0);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function useBuild() {
  const stamp = join(root, 'dist', 'BUILD_INFO.json');
  if (process.env.DCOS_PATCH_FROM_SOURCE === '1' || !existsSync(stamp)) return false;
  const src = join(root, 'src');
  return !existsSync(src) || newestMtime(src) <= statSync(stamp).mtimeMs;
}

if (useBuild()) {
  require('../dist/client.js').run(process.argv);
} else {
  require('tsx/cjs');
  require('../src/client.ts').run(process.argv);
}
