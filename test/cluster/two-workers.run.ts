/**
 * Run by `npm run test:cluster` (scripts/test-cluster.sh) against a Temporal server on PostgreSQL:
 * a patch of the simulator with two worker processes on one task queue, the one running the
 * second master's script SIGKILLed while it runs. The simulator's ground truth judges it: every
 * host patched, each script run once, never two masters down, no task lost. Figures are printed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { PatchStatus } from '../../src/shared/status';
import { asReport } from '../helpers/report';
import { type Env, simWithPlan, waitFor } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { killWorker, startWorkerProcess } from '../helpers/worker-process';

let env: Env;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await env?.teardown();
});

/** The worker process whose identity (pid@host) last took one of these pending activities. */
async function workerRunning(workflowId: string, workers: ChildProcess[]): Promise<ChildProcess | undefined> {
  const d = await env.client.workflow.getHandle(workflowId).describe();
  const raw = d.raw.pendingActivities ?? [];
  const identities = raw.map((a) => a.lastWorkerIdentity ?? '');
  return workers.find((w) => identities.some((id) => id.startsWith(`${w.pid}@`)));
}

test('on PostgreSQL, two workers, the one running a master script SIGKILLed: every host patched once, never two masters down', async () => {
  const started = Date.now();
  const { cluster, plan } = await simWithPlan(
    { masters: 3, agents: 4, timings: { scriptMs: 4_000 } },
    { agentConcurrency: 2 }
  );
  const taskQueue = uniqueTaskQueue('cluster');
  const workers = [await startWorkerProcess(env.address, taskQueue), await startWorkerProcess(env.address, taskQueue)];
  try {
    const workflowId = `cluster-${taskQueue}`;
    const h = await env.client.workflow.start('patchCluster', { taskQueue, workflowId, args: [{ plan }] });
    const victim = cluster.masters[1]!;
    await waitFor(
      () => (cluster.truth().hosts[victim.id]?.scriptRuns ?? 0) > 0,
      'the second master script',
      180_000
    ).catch(async (err) => {
      const st = (await h.query('status').catch((e) => String(e))) as PatchStatus | string;
      console.log(
        'status at the timeout:',
        typeof st === 'string' ? st : { phase: st.phase, activity: st.activity, log: st.log.slice(-8) }
      );
      throw err;
    });
    const childId = `${workflowId}/${victim.id}/attempt-1`;
    let running: ChildProcess | undefined;
    await waitFor(
      async () => {
        running = await workerRunning(childId, workers);
        return running !== undefined;
      },
      'the worker watching the master script',
      30_000
    );
    const killedAt = Date.now();
    await killWorker(running!);
    const before = ((await h.query('status')) as PatchStatus).log.length;
    let progressAfterMs = 0;
    await waitFor(
      async () => {
        const st = (await h.query('status')) as PatchStatus;
        progressAfterMs = Date.now() - killedAt;
        return st.log.length > before;
      },
      'progress after the kill',
      180_000
    );
    const report = asReport(await h.result());
    assert.equal(report.outcome, 'succeeded', report.message);
    const truth = cluster.truth();
    for (const n of [...cluster.masters, ...cluster.agents]) {
      assert.equal(truth.hosts[n.id]?.version, '2.1.5', `${n.id} runs the target`);
      assert.equal(truth.hosts[n.id]?.scriptRuns, 1, `${n.id} ran its script once`);
      assert.equal(truth.hosts[n.id]?.maxConcurrentScriptRuns, 1, `${n.id}: never two runs at once`);
    }
    assert.equal(truth.maxMastersDownAtOnce, 1, 'never two masters down');
    assert.deepEqual(truth.tasksLost, []);
    const history = await h.fetchHistory();
    console.log(
      [
        'test:cluster figures',
        `  patch of 3 masters + 4 agents: ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  SIGKILL of the worker running ${victim.id}'s script → next progress: ${(progressAfterMs / 1000).toFixed(1)} s`,
        `  parent history: ${history.events?.length ?? 0} events; max masters down at once: ${truth.maxMastersDownAtOnce}`,
        `  script runs per host: ${Object.values(truth.hosts)
          .filter((x) => x.role !== 'bootstrap')
          .map((x) => `${x.id}=${x.scriptRuns}`)
          .join(' ')}`,
      ].join('\n')
    );
  } finally {
    for (const w of workers) await killWorker(w);
    await cluster.stop();
  }
});
