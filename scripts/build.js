#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ (tsc) and prebuilds the workflow bundle, so the worker
// polls within seconds of starting and the CLI runs without transpiling anything.
// Plain JavaScript on purpose: it runs before anything is compiled.
const { execFileSync } = require('node:child_process');
const { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');

/** What tsc does not emit (the simulator's host shims): copied beside the compiled code. */
function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) copyAssets(src, dest);
    else if (!entry.name.endsWith('.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(src, dest);
    }
  }
}

async function main() {
  const started = Date.now();
  rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  copyAssets(join(root, 'src'), dist);
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(dist, 'workflows', 'index.js'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  writeFileSync(join(dist, 'workflow-bundle.js'), code);
  const version = require(join(root, 'package.json')).version;
  writeFileSync(join(dist, 'BUILD_INFO.json'), `${JSON.stringify({ version, builtAt: new Date().toISOString() })}\n`);
  console.error(
    `build: dist/ and dist/workflow-bundle.js (${(code.length / 1024).toFixed(0)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`
  );
}

main().catch((err) => {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
