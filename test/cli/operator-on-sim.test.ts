/**
 * An operator's session on a simulated cluster, every step a `dcos-patch` subprocess: the real
 * worker (workflows + activities over SSH/HTTP) patches the simulator while the CLI starts,
 * lists, watches and detaches, pauses, re-tunes, resumes, injects a fault (`sim fault`), decides,
 * and reports; a second patch is aborted. The simulator's ground truth checks the hosts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SimCluster } from '../../src/sim';
import { type Env, patchWorker, simWithPlan } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { cli, spawnCli, waitFor } from './helpers';

let env: Env;
let cluster: SimCluster;
before(async () => {
  env = await startTestEnvironment();
  ({ cluster } = await simWithPlan({ masters: 3, agents: 5, timings: { scriptMs: 1_500 } }));
});
after(async () => {
  await cluster?.stop();
  await env?.teardown();
});

test('start, list, watch/detach, pause, set, resume, sim fault, decide skip, report; then abort a second patch', async () => {
  const address = process.env.TEMPORAL_TEST_ADDRESS ?? env.address;
  const taskQueue = uniqueTaskQueue('operator');
  const e = { address, taskQueue };
  const id = `patch-op-${taskQueue}`;
  const worker = await patchWorker(env.nativeConnection, taskQueue);
  const agent = cluster.agents[3]!;
  const scriptRuns = (node: string) => cluster.truth().hosts[node]?.scriptRuns ?? 0;
  const statusText = async () => (await cli(['status', id], e)).stdout;

  await worker.runUntil(async () => {
    // A fault for later: the fourth agent's script exits 3 (injected as an operator would).
    const fault = await cli(['sim', 'fault', '--dir', cluster.dir, agent.id, 'script-exit', '{"code":3}'], e);
    assert.equal(fault.code, 0, fault.stderr);

    const started = await cli(['start', cluster.planPath, '--id', id], e);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, new RegExp(`started ${id}`));
    const again = await cli(['start', cluster.planPath, '--id', id], e);
    assert.match(again.stdout, /already running/, 'a second start attaches instead of running twice');

    const listed = await cli(['list', '--running', '--json'], e);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.includes(id), 'list --running shows it');

    // watch, piped, detached with SIGINT while the masters are patched: the patch goes on.
    const w = spawnCli(['watch', id], e);
    let seen = '';
    w.child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
    });
    await waitFor(() => /phase: masters/.test(seen), 'watch to show the masters phase', 60_000);
    w.child.kill('SIGINT');
    assert.equal((await w.done).code, 130, 'Ctrl-C detaches with 130');

    await waitFor(() => scriptRuns(cluster.agents[0]!.id) > 0, 'the agents phase', 90_000);
    assert.equal((await cli(['pause', id, '--reason', 'change window'], e)).code, 0);
    await waitFor(async () => /PAUSED/.test(await statusText()), 'status to show PAUSED');
    const set = await cli(['set', id, '--concurrency', '2'], e);
    assert.equal(set.code, 0, set.stderr);
    const startedWhilePaused = cluster.truth().scriptRuns.length;
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(cluster.truth().scriptRuns.length, startedWhilePaused, 'no script starts while paused');
    assert.equal((await cli(['resume', id], e)).code, 0);

    await waitFor(
      async () => new RegExp(`decide ${id} ${agent.id}`).test(await statusText()),
      'a decision asked',
      90_000
    );
    const status = await cli(['status', id, '--json'], e);
    assert.equal(status.code, 1, 'status of a patch waiting on a failed node exits 1');
    const question = /--question (q\d+)/.exec(await statusText())![1]!;
    const decided = await cli(
      ['decide', id, agent.address, 'skip', '--question', question, '--reason', 'will reimage it'],
      e
    );
    assert.equal(decided.code, 0, decided.stderr);
    const late = await cli(['decide', id, agent.id, 'retry', '--question', question], e);
    assert.equal(late.code, 4, 'a late answer to the question already answered is refused');
    assert.match(late.stderr, /already answered \(skip/);

    const watched = await cli(['watch', id], e, 120_000);
    assert.equal(watched.code, 1, 'the patch completed with a skipped agent: exit 1');
    const report = await cli(['report', id], e);
    assert.equal(report.code, 1, report.stderr);
    assert.match(report.stdout, new RegExp(agent.id));
    assert.match(report.stdout, /skip/);
    assert.match(report.stdout, /journalctl -u dcos-mesos-slave/, 'the failed agent carries its diagnostics');
    const json = JSON.parse((await cli(['report', id, '--format', 'json'], e)).stdout);
    assert.ok(JSON.stringify(json).includes('ScriptFailed'));

    const truth = cluster.truth();
    assert.equal(truth.hosts[agent.id]?.version, '2.1.4', 'the skipped agent is left as it was');
    for (const h of [...cluster.masters, ...cluster.agents].filter((h) => h.id !== agent.id)) {
      assert.equal(truth.hosts[h.id]?.version, '2.1.5', `${h.id} patched`);
      assert.equal(truth.hosts[h.id]?.scriptRuns, 1, `${h.id} script ran once`);
    }
    assert.equal(truth.maxMastersDownAtOnce, 1);

    // A second patch of the same plan (the skipped agent is all that is left), aborted.
    assert.equal((await cli(['sim', 'clear', '--dir', cluster.dir, agent.id], e)).code, 0);
    const rerun = await cli(['start', cluster.planPath, '--id', id, '--rerun'], e);
    assert.equal(rerun.code, 0, rerun.stderr);
    const rerunId = `${id}-rerun-1`;
    assert.match(rerun.stdout, new RegExp(rerunId));
    assert.equal((await cli(['abort', rerunId, '--reason', 'test'], e)).code, 0);
    const aborted = await cli(['watch', rerunId], e, 60_000);
    assert.equal(aborted.code, 1, 'an aborted patch exits 1');
    assert.match(aborted.stdout, /abort/i);
  });
});
