/**
 * The workload canary's place in the workflow, with stand-in hosts: a deployment that fails asks
 * (retry / skip / abort), the watch goes on across continue-as-new, and the canary is removed once,
 * at the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DEFAULT_CANARY } from '../../src/shared/plan';
import { statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import { fakePlan } from '../helpers/fake-plan';
import { asReport } from '../helpers/report';
import { startTestEnvironment, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { FakeCluster } from './fake-activities';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await env?.teardown();
});

function planWithCanary(agents: number) {
  const plan = fakePlan({ masters: 1, agents, policy: { agentConcurrency: 2 } });
  plan.canary = { ...DEFAULT_CANARY, instances: 1, pollIntervalMs: 500 };
  return plan;
}

async function run(
  c: FakeCluster,
  plan: ReturnType<typeof planWithCanary>,
  during: (h: never) => Promise<void>,
  rolloverAfterNodes?: number
) {
  const taskQueue = uniqueTaskQueue('canary');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(require.resolve('../../src/workflows')),
    activities: c.activities(),
  });
  return worker.runUntil(async () => {
    const h = await env.client.workflow.start('patchCluster', {
      taskQueue,
      workflowId: `canary-${taskQueue}`,
      args: [{ plan, ...(rolloverAfterNodes ? { rolloverAfterNodes } : {}) }],
    });
    await during(h as never);
    return { report: asReport(await h.result()), h };
  });
}

const ids = (p: ReturnType<typeof planWithCanary>) => [...p.masters, ...p.agents].map((n) => n.id);

async function canaryQuestion(h: Parameters<typeof answer>[0]): Promise<string> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const q = (await h.query(statusQuery)).pending.find((p) => p.subject === 'canary');
    if (q) return q.reason;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no canary question');
}

describe('the workload canary in the workflow', { timeout: 120_000 }, () => {
  test('a failed deployment asks before any node; retry deploys it; it is watched across continue-as-new and removed once', async () => {
    const plan = planWithCanary(7);
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.canary.failDeploy = 1;
    const { report, h } = await run(
      c,
      plan,
      async (handle) => {
        assert.match(await canaryQuestion(handle), /could not be deployed: the canary was not healthy/);
        assert.equal(c.started.length, 0, 'no node started before the canary runs');
        await answer(handle, 'canary', 'retry');
      },
      3
    );
    assert.equal(report.outcome, 'succeeded', report.message);
    assert.equal(c.canary.deployed, 1);
    assert.equal(c.canary.removed, 1, 'removed once, at the end of the last run');
    assert.equal(report.canary?.state, 'removed');
    assert.ok((report.canary?.figures.polls ?? 0) >= 2, 'the figures of every run add up');
    assert.notEqual((await h.describe()).runId, h.firstExecutionRunId, 'it continued as new');
    assert.match(report.message, /workload canary \/dcos-patch-canary: restarts 0/);
  });

  test('skip goes on without it (what was deployed is removed at once)', async () => {
    const plan = planWithCanary(2);
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.canary.failDeploy = 1;
    const { report } = await run(c, plan, async (handle) => {
      await canaryQuestion(handle);
      await answer(handle, 'canary', 'skip');
    });
    assert.equal(report.outcome, 'succeeded', report.message);
    assert.equal(c.canary.deployed, 0);
    assert.equal(c.canary.watches, 0);
    assert.equal(c.canary.removed, 1);
    assert.equal(report.canary?.state, 'skipped');
    assert.match(report.message, /not deployed \(the operator went on without it\)/);
  });
});
