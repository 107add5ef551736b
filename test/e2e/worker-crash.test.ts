import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asReport } from '../helpers/report';
import { type Env, simWithPlan, waitFor } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { startWorkerProcess } from '../helpers/worker-process';

let env: Env;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await env?.teardown();
});

test('a worker SIGKILLed while a master runs its script: a new worker attaches to the run and the patch completes, that script ran once', async () => {
  const { cluster, plan } = await simWithPlan({ masters: 3, agents: 2, timings: { scriptMs: 5_000 } });
  const taskQueue = uniqueTaskQueue('crash');
  let worker = await startWorkerProcess(env.address, taskQueue);
  try {
    const h = await env.client.workflow.start('patchCluster', {
      taskQueue,
      workflowId: `crash-${taskQueue}`,
      args: [{ plan }],
    });
    const victim = cluster.masters[1]!.id;
    await waitFor(
      () => (cluster.truth().hosts[victim]?.scriptRuns ?? 0) > 0,
      'the second master script to start',
      120_000
    );
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    await new Promise((r) => setTimeout(r, 1_000));
    worker = await startWorkerProcess(env.address, taskQueue);
    const report = asReport(await h.result());
    assert.equal(report.outcome, 'succeeded', report.message);
    const truth = cluster.truth();
    assert.equal(truth.hosts[victim]?.scriptRuns, 1, 'the interrupted master ran its script once');
    for (const m of cluster.masters) assert.equal(truth.hosts[m.id]?.version, '2.1.5');
    assert.equal(truth.maxMastersDownAtOnce, 1);
  } finally {
    worker.kill('SIGKILL');
    await cluster.stop();
  }
});
