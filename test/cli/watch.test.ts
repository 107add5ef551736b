/**
 * `dcos-patch watch` as an operator sees it: line by line when piped, redrawn in place in a real
 * terminal (tmux), detached by Ctrl-C without touching the patch, attached again later, and
 * carrying on through a dropped connection to Temporal.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { cleanFixtures } from '../plan/fixture';
import { BIN, type CliEnv, cli, closed, planFixture, spawnCli, waitFor } from './helpers';
import { StubCluster, startStubWorker } from './stub-cluster';

let env: TestWorkflowEnvironment;
const stops: (() => Promise<void>)[] = [];
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await Promise.all(stops.map((s) => s()));
  await env?.teardown();
  cleanFixtures();
});

async function withWorker(cluster: StubCluster): Promise<CliEnv> {
  const taskQueue = uniqueTaskQueue('watch');
  const w = await startStubWorker(env.nativeConnection, taskQueue, cluster);
  stops.push(w.stop);
  return { address: env.address, taskQueue };
}

/** Strip the plain view's `HH:MM:SS ` prefix. */
function plainLines(out: string): string[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
}

// CI installs tmux (.ci/run): there a missing tmux fails the test instead of skipping it.
const hasTmux = spawnSync('tmux', ['-V']).status === 0 || Boolean(process.env.CI);

describe('dcos-patch watch', { concurrency: true }, () => {
  test('piped (not a terminal): one line per change, detach with SIGINT leaves the patch running, a second watch follows it to the end', async () => {
    const cluster = new StubCluster();
    const hold = cluster.hold('master-10.0.0.12:exhibitor-converged');
    const e = await withWorker(cluster);
    const plan = planFixture();
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);

    const first = spawnCli(['watch', plan.id], e);
    let seen = '';
    first.child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
    });
    await waitFor(
      () => /master-10\.0\.0\.12 verifying · gates together: exhibitor/.test(seen),
      'the first watch to show master 2 in its gate'
    );
    first.child.kill('SIGINT');
    const detached = await first.done;
    assert.equal(detached.code, 130, detached.stderr);
    assert.match(detached.stderr, new RegExp(`detached from ${plan.id}; the patch goes on`));
    assert.match(detached.stdout, /^watching /);
    const lines = plainLines(detached.stdout);
    assert.ok(!detached.stdout.includes('\x1b['), 'no terminal escapes when piped');
    assert.equal(lines.filter((l) => l === 'phase: masters').length, 1, 'an unchanged fact is printed once');
    assert.ok(lines.includes('masters 1/3 done · 1 in flight'), lines.join('\n'));
    assert.equal((await env.client.workflow.getHandle(plan.id).describe()).status.name, 'RUNNING');
    assert.equal(
      (await env.client.workflow.getHandle(plan.id).fetchHistory()).events?.some(
        (ev) => ev.workflowExecutionSignaledEventAttributes
      ),
      false,
      'watch never signals'
    );

    const second = spawnCli(['watch', plan.id, '--interval', '300'], e);
    let secondSeen = '';
    second.child.stdout!.on('data', (d: Buffer) => {
      secondSeen += d.toString();
    });
    await waitFor(() => hold.reached(), 'master 2 held');
    // The second watch attaches while master 2 is still held (its start-up is slow on a loaded machine).
    await waitFor(() => secondSeen.includes('phase: masters'), 'the second watch to attach during the masters');
    hold.release();
    const end = await second.done;
    assert.equal(end.code, 0, end.stderr);
    const out = plainLines(end.stdout);
    for (const want of ['phase: masters', 'phase: agents', 'phase: done', 'masters 3/3 done', 'agents 2/2 done']) {
      assert.ok(out.includes(want), `missing "${want}" in:\n${out.join('\n')}`);
    }
    assert.ok(out.some((l) => l.startsWith('RESULT succeeded: patched 5 node(s) to 2.1.5')));
    assert.match(out.at(-1)!, new RegExp(`patch ${plan.id} closed COMPLETED: succeeded \\(exit 0\\)`));
  });

  test('a dropped connection to Temporal shows in the view and is retried; watch exits 1 for a patch with a failed node', async () => {
    const cluster = new StubCluster();
    cluster.failGate.set('agent-10.0.1.1', 'agent-registered');
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    const e = await withWorker(cluster);
    const plan = planFixture({ failureBudget: 1 });
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);
    const proxy = await tcpProxy(env.address);
    try {
      const w = spawnCli(['watch', plan.id, '--interval', '300'], { ...e, address: proxy.address });
      let seen = '';
      w.child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
      });
      await waitFor(() => seen.includes('phase: masters'), 'the watch to be under way');
      await proxy.down();
      await waitFor(
        () => seen.includes('lost the connection to Temporal'),
        'the view to say the connection is lost',
        30_000
      );
      hold.release();
      await new Promise((r) => setTimeout(r, 1_000));
      await proxy.up();
      // The agent failed within the budget: before closing the patch asks once (retry them / finish).
      const h = env.client.workflow.getHandle(plan.id);
      await waitFor(
        async () => (await h.query(statusQuery)).pending.some((p) => p.kind === 'agents-failed'),
        'the closing question about the failed agent',
        60_000
      );
      await answer(h, 'agents', 'finish');
      const end = await w.done;
      if (process.env.DCOS_PATCH_TEST_SHOW) console.log(`--- piped watch ---\n${end.stdout}`);
      assert.equal(end.code, 1, end.stderr);
      const out = plainLines(end.stdout);
      assert.ok(out.includes('the view is up to date again'), out.join('\n'));
      assert.ok(
        out.some((l) => l.startsWith('RESULT completed-with-failures')),
        out.join('\n')
      );
      assert.match(out.at(-1)!, /closed FAILED: completed-with-failures \(exit 1\)/);
    } finally {
      await proxy.close();
    }
  });

  test('in a terminal (tmux): redrawn in place, Ctrl-C detaches, watch attaches again and exits 0 when the patch succeeds', {
    skip: hasTmux ? false : 'tmux is not installed (apt-get install tmux)',
  }, async () => {
    const cluster = new StubCluster();
    const masterHold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    const agentHold = cluster.hold('agent-10.0.1.1:agent-registered');
    const e = await withWorker(cluster);
    const plan = planFixture();
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);

    const sock = `dcos-patch-test-${randomUUID().slice(0, 8)}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-t', 'w');
    const everything = () => tmux('capture-pane', '-p', '-S', '-', '-t', 'w');
    const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'gm')) ?? []).length;
    const watchCmd = `TEMPORAL_ADDRESS=${e.address} DCOS_PATCH_TASK_QUEUE=${e.taskQueue} ${process.execPath} ${BIN} watch ${plan.id}; echo EXIT=$?`;
    tmux('new-session', '-d', '-s', 'w', '-x', '150', '-y', '45', 'bash --norc --noprofile');
    try {
      tmux('send-keys', '-t', 'w', watchCmd, 'Enter');
      await waitFor(() => /phase: masters/.test(screen()), 'the view in phase masters');
      await waitFor(
        () => /master-10\.0\.0\.11\s+verifying .*gates together: exhibitor.* · gives up in/.test(screen()),
        'master 1 in its gate'
      );
      masterHold.release();
      await waitFor(() => /phase: agents/.test(screen()), 'the view to move on to phase agents', 30_000);
      await new Promise((r) => setTimeout(r, 1_500));
      const all = everything();
      if (process.env.DCOS_PATCH_TEST_SHOW) console.log(`--- tmux screen ---\n${screen()}`);
      assert.equal(count(all, /^PATCH /), 1, `one header, redrawn in place:\n${all}`);
      assert.equal(count(all, /^phase: /), 1, `the phase line was updated in place:\n${all}`);
      assert.equal(count(all, /^phase: masters/), 0, 'the old phase is gone, not scrolled up');
      assert.match(screen(), /^masters +\[█+\] 3\/3 done/m);
      assert.match(screen(), /Ctrl-C detaches \(the patch goes on\)/);

      tmux('send-keys', '-t', 'w', 'C-c');
      await waitFor(() => /EXIT=130/.test(screen()), 'Ctrl-C to detach with exit 130');
      assert.match(screen(), /detached from .*; the patch goes on/);
      assert.equal((await env.client.workflow.getHandle(plan.id).describe()).status.name, 'RUNNING');

      tmux('send-keys', '-t', 'w', 'clear; tmux clear-history 2>/dev/null; ' + watchCmd, 'Enter');
      await waitFor(() => /phase: agents/.test(screen()) && !/EXIT=130/.test(screen()), 'the second watch to attach');
      assert.equal(count(screen(), /^PATCH /), 1);
      agentHold.release();
      await waitFor(() => /EXIT=0/.test(screen()), 'the watch to exit 0 when the patch succeeds', 30_000);
      const final = screen();
      if (process.env.DCOS_PATCH_TEST_SHOW) console.log(`--- tmux screen ---\n${final}`);
      assert.match(final, /RESULT succeeded/);
      assert.match(final, /phase: done/);
      assert.equal(count(final, /^PATCH /), 1, final);
      assert.equal(await closed(env.client, plan.id), 'COMPLETED');
    } finally {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
    }
  });
});

/** A TCP proxy in front of Temporal that can drop every connection and refuse new ones for a while. */
async function tcpProxy(target: string): Promise<{
  address: string;
  down: () => Promise<void>;
  up: () => Promise<void>;
  close: () => Promise<void>;
}> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((c) => {
        const u = tcpConnect(port, host);
        sockets.add(c).add(u);
        c.pipe(u).pipe(c);
        for (const s of [c, u]) {
          s.on('error', () => undefined);
          s.on('close', () => {
            sockets.delete(s);
            c.destroy();
            u.destroy();
          });
        }
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const myPort = await listen(0);
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return { address: `127.0.0.1:${myPort}`, down: stop, up: async () => void (await listen(myPort)), close: stop };
}
