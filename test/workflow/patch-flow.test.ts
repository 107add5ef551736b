import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { PatchReport, PatchStatus } from '../../src/shared/status';
import { abortSignal, pauseSignal, resumeSignal, setPolicyUpdate, statusQuery } from '../../src/workflows/messages';
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

async function withWorker<T>(cluster: FakeCluster, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('flow');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(require.resolve('../../src/workflows')),
    activities: cluster.activities(),
  });
  return worker.runUntil(fn(taskQueue));
}

function ids(plan: ReturnType<typeof fakePlan>): string[] {
  return [...plan.masters, ...plan.agents, ...plan.publicAgents].map((n) => n.id);
}

async function waitFor(fn: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An update the workflow's validator rejected: the reason is the failure's cause. */
async function rejected(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.match(String((err.cause as Error | undefined)?.message ?? err.message), re);
    return true;
  });
}

function reportOf(err: unknown): PatchReport {
  assert.ok(err instanceof WorkflowFailedError, `expected a failed workflow, got ${err}`);
  assert.ok(err.cause instanceof ApplicationFailure);
  return asReport(err.cause.details?.[0]);
}

describe('patchCluster with stand-in hosts', () => {
  test('masters go one at a time, then agents in a window no wider than the concurrency', async () => {
    const plan = fakePlan({ masters: 3, agents: 6, policy: { agentConcurrency: 2 } });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    // Long enough that two agents' scripts overlap however the steps before them are scheduled.
    c.scriptMs = 500;
    const report = await withWorker(c, (taskQueue) =>
      env.client.workflow.execute('patchCluster', { taskQueue, workflowId: `flow-ok-${taskQueue}`, args: [{ plan }] })
    );
    assert.equal(asReport(report).outcome, 'succeeded');
    assert.equal(c.maxMastersAtOnce, 1);
    assert.equal(c.maxAgentsAtOnce, 2);
    assert.deepEqual(
      c.started.slice(0, 3).map((s) => s.node),
      plan.masters.map((m) => m.id)
    );
    for (const [id, h] of c.hosts) assert.equal(h.scriptRuns, 1, `${id} patched once`);
  });

  test('a failed master stops the patch until the operator decides; retry patches it and the rest follows', async () => {
    const plan = fakePlan({ masters: 3, agents: 1 });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.host(plan.masters[1]!.id).failScript = 3;
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-retry-${taskQueue}`,
        args: [{ plan }],
      });
      await waitFor(async () => (await h.query(statusQuery)).pending.length > 0, 'a pending decision');
      const st: PatchStatus = await h.query(statusQuery);
      assert.equal(st.pending[0]?.subject, plan.masters[1]!.id);
      assert.deepEqual(st.pending[0]?.allowed, ['retry', 'abort']);
      assert.equal(c.host(plan.masters[2]!.id).scriptRuns, 0, 'the next master did not start');
      await rejected(answer(h, plan.masters[1]!.id, 'skip'), /not allowed/);
      await answer(h, plan.masters[1]!.id, 'retry');
      const report = asReport(await h.result());
      assert.equal(report.outcome, 'succeeded');
      assert.equal(c.host(plan.masters[1]!.id).scriptRuns, 2);
      const m1 = report.nodes.find((n) => n.id === plan.masters[1]!.id)!;
      assert.equal(m1.attempts, 2);
      assert.deepEqual(m1.decisions, ['retry']);
    });
  });

  test('an agent failure beyond the budget asks; skip finishes the patch as incomplete with a non-zero outcome', async () => {
    const plan = fakePlan({ masters: 1, agents: 3, policy: { agentFailureBudget: 0 } });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.host(plan.agents[0]!.id).failGate = 'agent-registered';
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-skip-${taskQueue}`,
        args: [{ plan }],
      });
      await waitFor(async () => (await h.query(statusQuery)).pending.length > 0, 'a pending decision');
      await answer(h, plan.agents[0]!.id, 'skip');
      const report = reportOf(await h.result().catch((e) => e));
      assert.equal(report.outcome, 'completed-with-failures');
      assert.equal(report.nodes.filter((n) => n.state === 'patched').length, 3);
    });
  });

  test('setPolicy refuses values without bounds: concurrency 1e20, a failure budget above the number of agents', async () => {
    const plan = fakePlan({ masters: 1, agents: 3, policy: { agentConcurrency: 1 } });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.scriptMs = 400;
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-policy-${taskQueue}`,
        args: [{ plan }],
      });
      await h.signal(pauseSignal, {});
      for (const change of [{ agentConcurrency: 1e20 }, { agentFailureBudget: 4 }, { agentConcurrency: 0.5 }]) {
        await assert.rejects(
          h.executeUpdate(setPolicyUpdate, { args: [change] }),
          (e: unknown) =>
            e instanceof WorkflowUpdateFailedError && /must be a whole number from/.test(String(e.cause?.message)),
          JSON.stringify(change)
        );
      }
      const policy = await h.executeUpdate(setPolicyUpdate, { args: [{ agentConcurrency: 3, agentFailureBudget: 3 }] });
      assert.equal(policy.agentConcurrency, 3);
      await h.terminate('test over');
    });
  });

  test('pause lets the node in flight finish and starts no new one until resume', async () => {
    const plan = fakePlan({ masters: 1, agents: 4, policy: { agentConcurrency: 1 } });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.scriptMs = 400;
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-pause-${taskQueue}`,
        args: [{ plan }],
      });
      await waitFor(async () => c.started.some((s) => s.node.startsWith('agent-')), 'an agent to start');
      await h.signal(pauseSignal, { reason: 'test' });
      await waitFor(
        async () => (await h.query(statusQuery)).nodes.filter((n) => n.state === 'patching').length === 0,
        'the agent in flight to finish'
      );
      const startedWhilePaused = c.started.length;
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(c.started.length, startedWhilePaused, 'no node started while paused');
      assert.equal((await h.query(statusQuery)).paused, true);
      await h.signal(resumeSignal);
      const report = asReport(await h.result());
      assert.equal(report.outcome, 'succeeded');
    });
  });

  test('abort stops cleanly and says where each in-flight node was left', async () => {
    const plan = fakePlan({ masters: 3, agents: 2 });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.scriptMs = 3_000;
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-abort-${taskQueue}`,
        args: [{ plan }],
      });
      await waitFor(async () => c.started.length > 0, 'the first master to start');
      await h.signal(abortSignal, { reason: 'test' });
      const report = reportOf(await h.result().catch((e) => e));
      assert.equal(report.outcome, 'aborted');
      assert.match(report.message, /aborted in phase masters/);
      assert.match(report.message, /STILL RUNNING/);
      assert.equal(c.host(plan.masters[1]!.id).scriptRuns, 0);
    });
  });

  test('a cluster already at the target version is left alone and the report says nothing was to do', async () => {
    const plan = fakePlan({ masters: 1, agents: 2 });
    const c = new FakeCluster(ids(plan), '2.1.5', '2.1.5');
    const report = asReport(
      await withWorker(c, (taskQueue) =>
        env.client.workflow.execute('patchCluster', {
          taskQueue,
          workflowId: `flow-noop-${taskQueue}`,
          args: [{ plan }],
        })
      )
    );
    assert.equal(report.outcome, 'nothing-to-do');
    assert.ok([...c.hosts.values()].every((h) => h.scriptRuns === 0));
  });

  test('the agent phase rolls its history over with continue-as-new and keeps every node state', async () => {
    const plan = fakePlan({ masters: 1, agents: 7, policy: { agentConcurrency: 2 } });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    await withWorker(c, async (taskQueue) => {
      const workflowId = `flow-can-${taskQueue}`;
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId,
        args: [{ plan, rolloverAfterNodes: 3 }],
      });
      const report = asReport(await h.result());
      assert.equal(report.outcome, 'succeeded');
      assert.equal(report.nodes.filter((n) => n.state === 'patched').length, 8);
      for (const [id, host] of c.hosts) assert.equal(host.scriptRuns, 1, `${id} patched once across runs`);
      const desc = await h.describe();
      assert.notEqual(desc.runId, h.firstExecutionRunId, 'the workflow continued as new');
    });
  });

  test('the preflight checks run beside the survey, the generator beside the backups (each phase still in order)', async () => {
    const plan = fakePlan({ masters: 1, agents: 1 });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-ahead-${taskQueue}`,
        args: [{ plan }],
      });
      assert.equal(asReport(await h.result()).outcome, 'succeeded');
      const events = (await h.fetchHistory()).events ?? [];
      const at = (name: string, what: 'scheduled' | 'completed') => {
        const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
        if (what === 'scheduled') return Number(scheduled?.eventId);
        return Number(
          events.find(
            (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId)
          )?.eventId
        );
      };
      assert.ok(
        at('runPreflight', 'scheduled') < at('surveyNodes', 'completed'),
        'preflight scheduled before the survey ended'
      );
      assert.ok(
        at('prepareBootstrap', 'scheduled') < at('takeBackups', 'completed'),
        'the generator beside the backups'
      );
      assert.ok(at('takeBackups', 'scheduled') > at('runPreflight', 'completed'), 'backups only after the preflight');
    });
  });

  test('a failing preflight check blocks the patch until overridden by name', async () => {
    const plan = fakePlan({ masters: 1, agents: 1 });
    const c = new FakeCluster(ids(plan), '2.1.4', '2.1.5');
    c.preflight = [{ check: 'marathon-constraints', status: 'fail', message: 'app /x has an invalid constraint' }];
    await withWorker(c, async (taskQueue) => {
      const h = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `flow-pre-${taskQueue}`,
        args: [{ plan }],
      });
      await waitFor(
        async () => (await h.query(statusQuery)).pending.some((p) => p.subject === 'preflight'),
        'the preflight decision'
      );
      assert.equal(c.started.length, 0, 'no node touched');
      await rejected(answer(h, 'preflight', 'override', { checks: [] }), /marathon-constraints/);
      await answer(h, 'preflight', 'override', { checks: ['marathon-constraints'] });
      const report = asReport(await h.result());
      assert.equal(report.outcome, 'succeeded');
      assert.equal(report.preflight[0]?.overridden, true);
    });
  });
});
