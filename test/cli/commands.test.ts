/**
 * The operator's CLI, driven as a subprocess against the real dev server, with the real workflows
 * on a worker in this process and stand-in hosts (test/cli/stub-cluster.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PatchStatus } from '../../src/shared/status';
import { statusQuery } from '../../src/workflows/messages';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { cleanFixtures } from '../plan/fixture';
import { type CliEnv, cli, closed, planFixture, spawnCli, waitFor } from './helpers';
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

/** A task queue with a worker running the real workflows against `cluster`. */
async function withWorker(cluster: StubCluster): Promise<CliEnv> {
  const taskQueue = uniqueTaskQueue('cli');
  const w = await startStubWorker(env.nativeConnection, taskQueue, cluster);
  stops.push(w.stop);
  return { address: env.address, taskQueue };
}

async function statusJson(e: CliEnv, id: string): Promise<{ execution: string; status: PatchStatus | null }> {
  const r = await cli(['status', id, '--json'], e);
  assert.ok(r.code === 0 || r.code === 1, `status exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The status query straight from the SDK (for waiting; the CLI's own output is asserted separately). */
function statusOf(id: string): Promise<PatchStatus> {
  return env.client.workflow.getHandle(id).query(statusQuery);
}

describe('dcos-patch CLI against a real Temporal dev server', { concurrency: true }, () => {
  test('check is a dry run: a valid plan exits 0 with its summary, an invalid one exits 2, --json parses', async () => {
    const good = planFixture();
    const ok = await cli(['check', good.planPath], { address: '127.0.0.1:1' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /masters\s+one at a time: master-10\.0\.0\.11/);
    assert.match(ok.stdout, /the plan is valid/);
    const json = await cli(['check', good.planPath, '--json'], { address: '127.0.0.1:1' });
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).ok, true);

    const bad = planFixture();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad.planPath, 'cluster:\n  name: x y\n');
    const no = await cli(['check', bad.planPath], { address: '127.0.0.1:1' });
    assert.equal(no.code, 2);
    assert.match(no.stdout, /ERROR/);
    assert.match(no.stdout, /nothing was started/);
    const startBad = await cli(['start', bad.planPath], { address: '127.0.0.1:1' });
    assert.equal(startBad.code, 2, 'start refuses an invalid plan before contacting Temporal');
    assert.match(startBad.stderr, /Nothing was started/);
  });

  test('usage errors exit 2; an unknown patch id and an unreachable server exit 3', async () => {
    const e: CliEnv = { address: env.address };
    assert.equal((await cli(['decide', 'x', 'master-1', 'maybe'], e)).code, 2);
    assert.equal((await cli(['set', 'x', '--concurrency', 'zero'], e)).code, 2);
    assert.equal((await cli(['frobnicate'], e)).code, 2);
    assert.equal((await cli(['--help'], e)).code, 0);
    const missing = await cli(['status', 'patch-no-such-thing'], e);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no patch with id patch-no-such-thing/);
    const devServer = await cli(['dev-server', 'status'], {
      ...e,
      extra: { DCOS_PATCH_STATE_DIR: `/tmp/dcos-patch-none-${process.pid}` },
    });
    assert.equal(devServer.code, 3, 'dev-server status: not running');
    assert.match(devServer.stdout, /not running/);
    const down = await cli(['status', 'x'], { address: '127.0.0.1:9' });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /cannot reach Temporal at 127\.0\.0\.1:9/);
  });

  test('a server that answers gRPC but is not Temporal: exit 3 saying so, not "the patch failed"', async () => {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p)
      )
    );
    try {
      for (const args of [['status', 'x'], ['list']]) {
        const r = await cli(args, { address: `127.0.0.1:${port}` });
        assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /answers but is not a Temporal frontend/);
      }
    } finally {
      server.forceShutdown();
    }
  });

  test('sim up / fault / truth / down delegate to the simulator, and its plan checks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcos-patch-cli-sim-'));
    const e: CliEnv = { address: '127.0.0.1:1' };
    const up = spawnCli(['sim', 'up', '--masters', '1', '--agents', '1', '--dir', dir], e);
    try {
      let out = '';
      up.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitFor(() => /Up in \d+ ms/.test(out), 'the simulated cluster to come up');
      const master = /masters:\s+(master-\S+)/.exec(out)![1]!;
      const check = await cli(['check', join(dir, 'plan.yaml')], e);
      assert.equal(check.code, 0, check.stdout);
      const fault = await cli(['sim', 'fault', '--dir', dir, master, 'script-exit', '{"code": 3}'], e);
      assert.equal(fault.code, 0, fault.stderr);
      assert.match(fault.stdout, new RegExp(`injected .*script-exit.* into ${master}`));
      const truth = await cli(['sim', 'truth', '--dir', dir], e);
      assert.equal(truth.code, 0, truth.stderr);
      assert.ok(JSON.parse(truth.stdout).hosts[master]);
      const down = await cli(['sim', 'down', '--dir', dir], e);
      assert.equal(down.code, 0, down.stderr);
      assert.equal((await up.done).code, 0);
    } finally {
      up.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('start runs a patch once: a second start attaches; after it closed, start refuses until --rerun', async () => {
    const cluster = new StubCluster();
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    const e = await withWorker(cluster);
    const plan = planFixture();

    const first = await cli(['start', plan.planPath], e);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`started ${plan.id}`));
    assert.match(first.stdout, new RegExp(`/namespaces/default/workflows/${plan.id}`));
    await waitFor(() => hold.reached(), 'the first master to reach its exhibitor gate');

    const second = await cli(['start', plan.planPath, '--json'], e);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(
      { id: JSON.parse(second.stdout).workflowId, attached: JSON.parse(second.stdout).attached },
      { id: plan.id, attached: true }
    );

    const other = await cli(['start', plan.planPath, '--id', `${plan.id}-other`], e);
    assert.equal(other.code, 4, 'a second patch of a cluster while one runs is refused');
    assert.match(other.stderr, new RegExp(`another patch of cluster ${plan.cluster} is running: ${plan.id}`));

    const desc = await env.client.workflow.getHandle(plan.id).describe();
    assert.equal(desc.memo?.planFile, plan.planPath);
    const attrs = Object.fromEntries(desc.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    assert.equal(attrs.DcosCluster, plan.cluster);
    assert.equal(attrs.DcosFromVersion, '2.1.4');
    assert.equal(attrs.DcosToVersion, '2.1.5');

    hold.release();
    assert.equal(await closed(env.client, plan.id), 'COMPLETED');
    const again = await cli(['start', plan.planPath], e);
    assert.equal(again.code, 4);
    assert.match(again.stderr, /already ran and closed COMPLETED/);
    assert.match(again.stderr, /--rerun/);

    const rerun = await cli(['start', plan.planPath, '--rerun'], e);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`started ${plan.id}-rerun-1`));
    assert.equal(await closed(env.client, `${plan.id}-rerun-1`), 'COMPLETED');
    const report = await cli(['report', `${plan.id}-rerun-1`, '--format', 'json'], e);
    assert.equal(report.code, 0, report.stderr);
    assert.equal(JSON.parse(report.stdout).report.outcome, 'nothing-to-do', 'the rerun found every host patched');
  });

  test('list finds patches by cluster and running state (visibility on the search attributes)', async () => {
    const cluster = new StubCluster();
    const e = await withWorker(cluster);
    const runningPlan = planFixture();
    const donePlan = planFixture();
    assert.equal((await cli(['start', donePlan.planPath], e)).code, 0);
    assert.equal(await closed(env.client, donePlan.id), 'COMPLETED');
    cluster.versions.clear();
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    assert.equal((await cli(['start', runningPlan.planPath], e)).code, 0);
    await waitFor(() => hold.reached(), 'the running patch to be under way');

    const ids = async (...args: string[]) => {
      const r = await cli(['list', '--json', ...args], e);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { workflowId: string; status: string }[]).map(
        (x) => `${x.workflowId}:${x.status}`
      );
    };
    await waitFor(async () => {
      const n = await env.client.workflow.count(
        `DcosCluster = '${runningPlan.cluster}' AND ExecutionStatus = 'Running'`
      );
      return n.count === 1;
    }, 'visibility to index the running patch');
    assert.deepEqual(await ids('--cluster', runningPlan.cluster), [`${runningPlan.id}:RUNNING`]);
    assert.deepEqual(await ids('--cluster', donePlan.cluster), [`${donePlan.id}:COMPLETED`]);
    assert.deepEqual(await ids('--cluster', donePlan.cluster, '--running'), []);
    const running = await ids('--running');
    assert.ok(running.includes(`${runningPlan.id}:RUNNING`));
    assert.ok(!running.some((x) => x.startsWith(donePlan.id)));
    const table = await cli(['list', '--cluster', runningPlan.cluster], e);
    assert.match(table.stdout, /ID\s+STATUS\s+PHASE\s+CLUSTER/);
    assert.match(table.stdout, new RegExp(`${runningPlan.id}\\s+RUNNING\\s+masters\\s+${runningPlan.cluster}`));
    assert.equal((await cli(['list', '--cluster', 'bad name'], e)).code, 2);
    hold.release();
    await closed(env.client, runningPlan.id);
  });

  test('pause finishes the node in flight and starts no new one; status shows it; resume carries on', async () => {
    const cluster = new StubCluster();
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    const e = await withWorker(cluster);
    const plan = planFixture();
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);
    await waitFor(() => hold.reached(), 'master 1 in its exhibitor gate');

    const paused = await cli(['pause', plan.id, '--reason', 'change freeze'], e);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /resume: dcos-patch resume/);
    await waitFor(async () => (await statusOf(plan.id)).paused, 'the workflow to be paused');
    assert.equal((await statusJson(e, plan.id)).status?.paused, true);
    const text = await cli(['status', plan.id], e);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /PAUSED: nodes in flight finish/);
    assert.match(text.stdout, /phase: masters/);
    assert.match(text.stdout, /master-10\.0\.0\.11\s+verifying/);
    assert.match(text.stdout, /gates together: exhibitor.* · gives up in/);
    assert.match(
      text.stdout,
      /last: exhibitor-converged: \d\/3 good/,
      'the gate heartbeat shows as its last observation'
    );

    hold.release();
    await waitFor(
      async () => (await statusOf(plan.id)).nodes[0]?.state === 'patched',
      'master 1 to finish while paused'
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await statusOf(plan.id)).nodes[1]!.state, 'pending', 'no new node starts while paused');
    assert.equal((await cli(['report', plan.id], e)).code, 4, 'no report while it runs');

    assert.equal((await cli(['resume', plan.id], e)).code, 0);
    assert.equal(await closed(env.client, plan.id), 'COMPLETED');
    assert.equal((await cli(['status', plan.id], e)).code, 0);
  });

  test('decide: exit 4 with the reason when nothing is pending; a failed master retried by decision', async () => {
    const cluster = new StubCluster();
    cluster.failScriptOnce.add('master-10.0.0.12');
    const e = await withWorker(cluster);
    const plan = planFixture();
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);
    await waitFor(() => hold.reached(), 'the patch to be under way');

    const early = await cli(['decide', plan.id, 'master-10.0.0.12', 'retry'], e);
    assert.equal(early.code, 4);
    assert.match(early.stderr, /rejected: no decision is pending for master-10\.0\.0\.12; waiting on: nothing/);
    hold.release();

    await waitFor(
      async () => (await statusOf(plan.id)).pending.some((p) => p.subject === 'master-10.0.0.12'),
      'the failed master to ask for a decision'
    );
    const q = (await statusOf(plan.id)).pending.find((p) => p.subject === 'master-10.0.0.12')!.id;
    const blocked = await cli(['status', plan.id], e);
    assert.equal(blocked.code, 1, 'a failed node makes status exit 1');
    assert.match(blocked.stdout, /NEEDS YOU/);
    assert.match(
      blocked.stdout,
      new RegExp(`dcos-patch decide ${plan.id} master-10\\.0\\.0\\.12 retry --question ${q}`)
    );
    const unnamed = await cli(['decide', plan.id, 'master-10.0.0.12', 'retry'], e);
    assert.equal(unnamed.code, 4, 'an answer must name its question');
    assert.match(unnamed.stderr, new RegExp(`name the question you answer: ${q} \\(master-10\\.0\\.0\\.12`));
    const wrong = await cli(['decide', plan.id, 'master-10.0.0.12', 'skip', '--question', q], e);
    assert.equal(wrong.code, 4, 'skip is not allowed for a master');
    assert.match(wrong.stderr, /skip is not allowed here; choose one of retry, abort/);

    // Keep the patch running (at the third master) while the same answer is sent again.
    const third = cluster.hold('master-10.0.0.13:exhibitor-converged');
    const ok = await cli(['decide', plan.id, '10.0.0.12', 'retry', '--question', q, '--reason', 'flaky disk'], e);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`retry accepted for master-10\\.0\\.0\\.12 \\(${q}\\)`));
    const again = await cli(['decide', plan.id, '10.0.0.12', 'retry', '--question', q], e);
    assert.equal(again.code, 4, 'the same answer sent twice is refused');
    assert.match(again.stderr, new RegExp(`question ${q} was already answered \\(retry for master-10\\.0\\.0\\.12\\)`));
    third.release();
    assert.equal(await closed(env.client, plan.id), 'COMPLETED');

    const md = await cli(['report', plan.id], e);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /\*\*succeeded\*\*/);
    assert.match(md.stdout, /\| master-10\.0\.0\.12 \| master \| patched \| 2\.1\.4 → 2\.1\.5 \| \S+ \| 2 \| retry \|/);
    assert.match(md.stdout, /master-10\.0\.0\.12\*\*: retry/);
    assert.match(md.stdout, /### master-10\.0\.0\.12 \(attempt 1\): failed at patching/);
    assert.match(md.stdout, /journalctl -u dcos-exhibitor/);
  });

  test('set changes the policy of a running patch; a value the CLI cannot accept exits 2', async () => {
    const cluster = new StubCluster();
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    const e = await withWorker(cluster);
    const plan = planFixture();
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);
    await waitFor(() => hold.reached(), 'the patch to be under way');
    const r = await cli(
      ['set', plan.id, '--concurrency', '3', '--failure-budget', '1', '--approve-each-master', 'false'],
      e
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /agent concurrency 3, agent failure budget 1/);
    const st = (await statusJson(e, plan.id)).status!;
    assert.equal(st.policy.agentConcurrency, 3);
    assert.equal(st.policy.agentFailureBudget, 1);
    const timed = await cli(
      ['set', plan.id, '--poll-interval', '2s', '--stable-polls', '2', '--script-timeout', '20m'],
      e
    );
    assert.equal(timed.code, 0, timed.stderr);
    assert.match(timed.stdout, /gates: poll 2s × 2 stable, .* script 20m/);
    assert.equal((await statusJson(e, plan.id)).status!.policy.gates.pollIntervalMs, 2_000);
    const windowsFile = join(plan.dir, 'nights.yaml');
    writeFileSync(windowsFile, '- { days: [sat, sun], start: "01:00", end: "05:00", timeZone: Europe/Berlin }\n');
    const windowed = await cli(['set', plan.id, '--windows', windowsFile, '--window-min-node-time', '10m'], e);
    assert.equal(windowed.code, 0, windowed.stderr);
    assert.match(windowed.stdout, /windows: .*01:00.*Europe\/Berlin.* \(at least 10m left to start a node\)/);
    assert.equal((await statusJson(e, plan.id)).status!.policy.windows?.length, 1);
    writeFileSync(windowsFile, '- { days: [sat], start: "25:00", end: "05:00", timeZone: UTC }\n');
    const badWindows = await cli(['set', plan.id, '--windows', windowsFile], e);
    assert.equal(badWindows.code, 2, 'a window the plan check refuses is refused here too');
    assert.match(badWindows.stderr, /nights\.yaml: policy\.windows\[0\]/);
    assert.equal((await cli(['set', plan.id, '--windows', 'none'], e)).code, 0);
    assert.equal((await statusJson(e, plan.id)).status!.policy.windows?.length ?? 0, 0, 'none: any time');
    const tooShort = await cli(['set', plan.id, '--poll-interval', '10ms'], e);
    assert.equal(tooShort.code, 4, 'the workflow refuses a timing out of bounds');
    assert.match(tooShort.stderr, /gates\.pollIntervalMs must be a whole number of milliseconds from 50/);
    assert.equal((await cli(['set', plan.id, '--poll-interval', '5 minutes'], e)).code, 2, 'not a duration');
    assert.equal((await cli(['set', plan.id], e)).code, 2, 'nothing to set');
    assert.equal((await cli(['set', plan.id, '--approve-each-master', 'perhaps'], e)).code, 2);
    hold.release();
    await closed(env.client, plan.id);
  });

  test('abort: the patch closes aborted (report exit 1); signals to a closed patch are rejected (exit 4)', async () => {
    const cluster = new StubCluster();
    const hold = cluster.hold('master-10.0.0.11:exhibitor-converged');
    const e = await withWorker(cluster);
    const plan = planFixture();
    assert.equal((await cli(['start', plan.planPath], e)).code, 0);
    await waitFor(() => hold.reached(), 'the patch to be under way');
    const r = await cli(['abort', plan.id, '--reason', 'registrar alarms'], e);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /abort sent/);
    assert.equal(await closed(env.client, plan.id), 'FAILED');

    const json = await cli(['report', plan.id, '--format', 'json'], e);
    assert.equal(json.code, 1);
    const full = JSON.parse(json.stdout);
    assert.equal(full.report.outcome, 'aborted');
    assert.equal(full.report.nodes[0].state, 'aborted');
    assert.match(full.nodeResults['master-10.0.0.11'][0].summary, /STILL RUNNING/);
    const md = await cli(['report', plan.id], e);
    assert.equal(md.code, 1);
    assert.match(md.stdout, /\*\*aborted\*\*/);
    assert.match(md.stdout, /Script state after abort: running/);

    const st = await cli(['status', plan.id], e);
    assert.equal(st.code, 1);
    assert.match(st.stdout, /RESULT aborted/);
    for (const args of [
      ['pause', plan.id],
      ['resume', plan.id],
      ['abort', plan.id],
      ['decide', plan.id, 'agents', 'approve'],
    ]) {
      const x = await cli(args, e);
      assert.equal(x.code, 4, `${args.join(' ')} → ${x.code} ${x.stderr}`);
      assert.match(x.stderr, /is not running \(it closed FAILED/);
    }
  });

  test('report of a patch that completed with a failed agent: markdown and JSON with its diagnostics', async () => {
    const cluster = new StubCluster();
    cluster.failGate.set('agent-10.0.1.1', 'agent-registered');
    const e = await withWorker(cluster);
    const plan = planFixture({ failureBudget: 1 });
    const started = await cli(['start', plan.planPath], e);
    assert.equal(started.code, 0, started.stderr);
    // Within the budget the agents go on; before the patch closes it asks once: retry them / finish.
    await waitFor(
      async () => (await statusOf(plan.id)).pending.some((p) => p.kind === 'agents-failed'),
      'the question about the agent that failed within the budget',
      90_000
    );
    const q = (await statusOf(plan.id)).pending.find((p) => p.kind === 'agents-failed')!;
    assert.match(q.reason, /1 agents failed within the budget \(agent-10\.0\.1\.1\)/);
    const finish = await cli(['decide', plan.id, 'agents', 'finish', '--question', q.id], e);
    assert.equal(finish.code, 0, finish.stderr);
    assert.equal(await closed(env.client, plan.id), 'FAILED');

    const md = await cli(['report', plan.id], e);
    assert.equal(md.code, 1);
    assert.match(md.stdout, /\*\*completed-with-failures\*\*/);
    assert.match(md.stdout, /\| agent-10\.0\.1\.1 \| agent \| failed \|/);
    assert.match(md.stdout, /\| agent-10\.0\.1\.2 \| agent \| patched \| 2\.1\.4 → 2\.1\.5 \|/);
    assert.match(md.stdout, /### agent-10\.0\.1\.1 \(attempt 1\): failed at agent-registered/);
    assert.match(md.stdout, /Failure type: `GateTimeout`/);
    assert.match(md.stdout, /#### `journalctl -u dcos-exhibitor -n 100` \(exit 0\)/);

    const json = await cli(['report', plan.id, '--format', 'json'], e);
    assert.equal(json.code, 1);
    const full = JSON.parse(json.stdout);
    assert.equal(full.report.outcome, 'completed-with-failures');
    assert.equal(full.nodeResults['agent-10.0.1.1'][0].diagnostics.sections.length, 1);
    assert.equal(full.nodeResults['agent-10.0.1.2'], undefined, 'patched-first-time nodes are not fetched');
  });
});
