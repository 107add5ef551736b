/**
 * The package an operator installs: `npm pack`, `npm install -g` of the tarball into a prefix of
 * its own, then, from a directory outside the checkout, `dcos-patch --version`, `check` of a
 * simulator plan, `worker` against the test server, and a whole patch with that worker.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Env } from '../helpers/sim-patch';
import { simWithPlan } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'dcos-patch-pkg-'));
const prefix = join(work, 'prefix');
const bin = join(prefix, 'bin', 'dcos-patch');
const installed = join(prefix, 'lib', 'node_modules', 'dcos-patch');
let env: Env;

before(async () => {
  env = await startTestEnvironment();
  // The tarball, as `npm pack` makes it (its prepack builds dist/), installed like an operator would.
  const packed = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], {
    cwd: root,
    timeout: 240_000,
  });
  const tarball = join(work, packed.stdout.trim().split('\n').at(-1)!);
  await run(
    'npm',
    ['install', '-g', '--prefix', prefix, tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    {
      cwd: work,
      timeout: 300_000,
    }
  );
});

after(async () => {
  await env?.teardown();
  rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], extra: Record<string, string> = {}) {
  return run(bin, args, { cwd: work, timeout: 120_000, env: { ...process.env, ...extra } });
}

test('the installed package has compiled code and runtime dependencies only', () => {
  assert.ok(existsSync(join(installed, 'dist', 'client.js')));
  assert.ok(existsSync(join(installed, 'dist', 'workflow-bundle.js')), 'the prebuilt workflow bundle');
  assert.ok(!existsSync(join(installed, 'src')), 'no sources');
  const deps = readdirSync(join(installed, 'node_modules'));
  for (const dev of ['tsx', 'typescript', '@biomejs', 'playwright-core'])
    assert.ok(!deps.includes(dev), `${dev} not installed`);
  assert.ok(
    !existsSync(join(installed, 'node_modules', '@temporalio', 'testing')),
    '@temporalio/testing not installed'
  );
});

test('dcos-patch --version answers from the installed package', async () => {
  const t0 = process.hrtime.bigint();
  const { stdout } = await cli(['--version']);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(stdout.trim(), require('../../package.json').version);
  console.log(`dcos-patch --version: ${ms.toFixed(0)} ms (installed package)`);
});

test('outside the checkout: check a simulator plan, run a worker, and patch the cluster with it', async () => {
  const { cluster } = await simWithPlan({ masters: 1, agents: 1 });
  const taskQueue = uniqueTaskQueue('pkg');
  const temporal = { TEMPORAL_ADDRESS: env.address, DCOS_PATCH_TASK_QUEUE: taskQueue };
  let worker: ChildProcess | undefined;
  try {
    const checked = await cli(['check', cluster.planPath]);
    assert.match(checked.stdout, /the plan is valid/);
    const t0 = Date.now();
    worker = spawn(bin, ['worker'], {
      cwd: work,
      env: { ...process.env, ...temporal },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      worker!.stderr!.on('data', (d) => {
        err += String(d);
        if (err.includes('dcos-patch worker polling')) resolve();
      });
      worker!.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
    });
    console.log(`installed worker polling after ${Date.now() - t0} ms`);
    const id = `pkg-${taskQueue}`;
    await cli(['start', cluster.planPath, '--id', id], temporal);
    await cli(['watch', id, '--plain'], temporal).catch((e: { stdout?: string }) => {
      throw new Error(`watch failed: ${e.stdout ?? e}`);
    });
    const truth = cluster.truth();
    for (const n of [...cluster.masters, ...cluster.agents]) {
      assert.equal(truth.hosts[n.id]?.version, '2.1.5', `${n.id} patched by the installed worker`);
      assert.equal(truth.hosts[n.id]?.scriptRuns, 1);
    }
  } finally {
    worker?.kill('SIGTERM');
    await cluster.stop();
  }
});
