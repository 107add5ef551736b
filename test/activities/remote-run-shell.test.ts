// The detached-run shell logic, run in local bash (no SSH): claim once, launch detached, read state.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  describeSnapshot,
  parseSnapshot,
  phaseOf,
  pollCommand,
  runPaths,
  sanitizeWorkflowId,
  startCommand,
} from '../../src/activities/remote-run';

const root = mkdtempSync(path.join(tmpdir(), 'dcos-patch-run-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bin = path.join(root, 'bin');
mkdirSync(bin);
writeFileSync(path.join(bin, 'sudo'), '#!/bin/bash\n[ "$1" = -n ] && shift\nexec "$@"\n');
chmodSync(path.join(bin, 'sudo'), 0o755);
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
const sh = (cmd: string) => execFileSync('bash', ['-c', cmd], { env, encoding: 'utf8' });
const URL = 'http://127.0.0.1:1/upgrade/abc/dcos_node_upgrade.sh';

function stage(workDir: string, workflowId: string, attempt: number, script: string): void {
  const p = runPaths(workDir, { workflowId, attempt });
  mkdirSync(p.staged, { recursive: true });
  writeFileSync(path.join(p.staged, 'dcos_node_upgrade.sh'), script);
  writeFileSync(path.join(p.staged, 'url'), `${URL}\n`);
}

async function until<T>(fn: () => T | undefined, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('run directory names', () => {
  test('a readable workflow id is kept, anything else is made safe and kept unique', () => {
    assert.equal(sanitizeWorkflowId('patch-c1-master-10.0.0.11'), 'patch-c1-master-10.0.0.11');
    const a = sanitizeWorkflowId('patch c1/agent:10.0.1.5');
    const b = sanitizeWorkflowId('patch c1/agent_10.0.1.5');
    assert.match(a, /^patch_c1_agent_10\.0\.1\.5-[0-9a-f]{10}$/);
    assert.notEqual(a, b);
    const p = runPaths('/var/lib/dcos-patch/', { workflowId: 'wf', attempt: 2 });
    assert.equal(p.dir, '/var/lib/dcos-patch/runs/wf/attempt-2');
    assert.equal(p.staged, '/var/lib/dcos-patch/runs/wf/attempt-2.staged');
  });
});

describe('claim, launch and poll in bash', () => {
  test('the first start claims and launches; a second start finds the claim and launches nothing', async () => {
    const workDir = path.join(root, 'w1');
    stage(workDir, 'wf-1', 1, '#!/bin/bash\necho "patching $(id -u)"\nsleep 0.4\necho done\n');
    const paths = runPaths(workDir, { workflowId: 'wf-1', attempt: 1 });
    const first = sh(startCommand(paths, URL, 'nonce-A'));
    assert.match(first, /^claimed pid=\d+$/m);
    const second = sh(startCommand(paths, URL, 'nonce-B'));
    assert.equal(second.trim(), 'exists claim=nonce-A');

    const running = parseSnapshot(sh(pollCommand(paths)));
    assert.ok(['fetching', 'running'].includes(phaseOf(running)), phaseOf(running));
    assert.equal(running.alive, true);

    const done = await until(() => {
      const s = parseSnapshot(sh(pollCommand(paths)));
      return phaseOf(s) === 'finished' ? s : undefined;
    });
    assert.equal(done.exitCode, 0);
    assert.match(done.outputTail, /using the script staged[\s\S]*patching[\s\S]*done/);
    assert.ok(done.startedAtMs! <= done.finishedAtMs!);
    assert.ok(done.outputBytes > 0);
    assert.equal(describeSnapshot(done).state, 'finished');
  });

  test('a runner killed before it wrote an exit code is reported as killed (255)', async () => {
    const workDir = path.join(root, 'w2');
    stage(workDir, 'wf-2', 1, '#!/bin/bash\necho started\nsleep 30\n');
    const paths = runPaths(workDir, { workflowId: 'wf-2', attempt: 1 });
    const pid = Number(/pid=(\d+)/.exec(sh(startCommand(paths, URL, 'n')))![1]);
    await until(() => (phaseOf(parseSnapshot(sh(pollCommand(paths)))) === 'running' ? true : undefined));
    process.kill(-pid, 'SIGKILL'); // the runner's whole session, as a reboot would
    const s = await until(() => {
      const snap = parseSnapshot(sh(pollCommand(paths)));
      return phaseOf(snap) === 'killed' ? snap : undefined;
    });
    const d = describeSnapshot(s);
    assert.equal(d.state, 'finished');
    assert.equal(d.exitCode, 255);
    assert.match(d.outputTail!, /died without writing an exit code/);
  });

  test('no run directory is not-started; a claim without a runner for over a minute is never-launched', () => {
    const paths = runPaths(path.join(root, 'w3'), { workflowId: 'wf-3', attempt: 1 });
    const s = parseSnapshot(sh(pollCommand(paths)));
    assert.equal(phaseOf(s), 'not-started');
    assert.deepEqual(describeSnapshot(s), { state: 'not-started' });
    const stale = { exists: true, hostNowMs: 200_000, claimedAtMs: 100_000, outputBytes: 0, outputTail: '' };
    assert.equal(phaseOf(stale), 'never-launched');
    assert.equal(phaseOf({ ...stale, hostNowMs: 110_000 }), 'claimed');
  });
});
