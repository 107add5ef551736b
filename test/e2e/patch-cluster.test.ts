import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { NodeResult, PatchReport, PatchStatus } from '../../src/shared/status';
import { abortSignal, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { patchWorker, simWithPlan, waitFor } from '../helpers/sim-patch';
import { uniqueTaskQueue } from '../helpers/temporal';

const sim = useSimEnvironment();

async function runWorker<T>(taskQueue: string, fn: () => Promise<T>): Promise<T> {
  const worker = await patchWorker(sim.env.nativeConnection, taskQueue);
  return worker.runUntil(fn());
}

function failureReport(err: unknown): PatchReport {
  assert.ok(err instanceof WorkflowFailedError, `expected the workflow to fail, got ${String(err)}`);
  assert.ok(err.cause instanceof ApplicationFailure, 'an ApplicationFailure carries the report');
  return asReport(err.cause.details?.[0]);
}

describe('patching a simulated DC/OS cluster end to end', () => {
  test('3 masters and 10 agents: every host at the target, each script ran once, never two masters down, no task lost; a re-run patches nothing', async () => {
    const { cluster, plan } = await simWithPlan({ masters: 3, agents: 8, publicAgents: 2 }, { agentConcurrency: 3 });
    try {
      const taskQueue = uniqueTaskQueue('e2e');
      const report = await runWorker(taskQueue, () =>
        sim.env.client.workflow.execute('patchCluster', {
          taskQueue,
          workflowId: `e2e-full-${taskQueue}`,
          args: [{ plan }],
        })
      );
      assert.equal(asReport(report).outcome, 'succeeded', asReport(report).message);
      const truth = cluster.truth();
      for (const h of [...cluster.masters, ...cluster.agents, ...cluster.publicAgents]) {
        assert.equal(truth.hosts[h.id]?.version, '2.1.5', `${h.id} at the target`);
        assert.equal(truth.hosts[h.id]?.scriptRuns, 1, `${h.id} script ran once`);
      }
      assert.equal(truth.maxMastersDownAtOnce, 1, 'never two masters down at once');
      assert.deepEqual(truth.tasksLost, [], 'no task lost');
      assert.ok(truth.agentDowntimeMaxMs < plan.policy.gates.agentWindowMs, 'no agent down past its window');

      const again = await runWorker(taskQueue, () =>
        sim.env.client.workflow.execute('patchCluster', {
          taskQueue,
          workflowId: `e2e-rerun-${taskQueue}`,
          args: [{ plan }],
        })
      );
      assert.equal(asReport(again).outcome, 'nothing-to-do');
      assert.match(asReport(again).message, /nothing to do/);
      const after = cluster.truth();
      for (const h of cluster.masters) assert.equal(after.hosts[h.id]?.scriptRuns, 1, `${h.id} not patched again`);
    } finally {
      await cluster.stop();
    }
  });

  test('pause mid-agents starts no new agent until resume; the simulator proves it', async () => {
    const { cluster, plan } = await simWithPlan({ masters: 1, agents: 5 }, { agentConcurrency: 1 });
    try {
      const taskQueue = uniqueTaskQueue('e2e');
      await runWorker(taskQueue, async () => {
        const h = await sim.env.client.workflow.start('patchCluster', {
          taskQueue,
          workflowId: `e2e-pause-${taskQueue}`,
          args: [{ plan }],
        });
        const agentStarts = () =>
          cluster.agents.filter((a) => (cluster.truth().hosts[a.id]?.scriptRuns ?? 0) > 0).length;
        await waitFor(() => agentStarts() >= 1, 'the first agent to start');
        await h.signal(pauseSignal, { reason: 'e2e' });
        await waitFor(
          async () => (await h.query(statusQuery)).nodes.every((n) => n.state !== 'patching'),
          'the agent in flight to finish'
        );
        const startedAtPause = agentStarts();
        await new Promise((r) => setTimeout(r, 3_000));
        assert.equal(agentStarts(), startedAtPause, 'no agent script started while paused');
        const st: PatchStatus = await h.query(statusQuery);
        assert.equal(st.paused, true);
        assert.match(st.activity, /paused/);
        await h.signal(resumeSignal);
        const report = asReport(await h.result());
        assert.equal(report.outcome, 'succeeded');
        assert.equal(agentStarts(), 5);
      });
    } finally {
      await cluster.stop();
    }
  });

  test('abort while a master runs its script stops cleanly and says the script was left running', async () => {
    // A script long enough that the abort (seen by the activity within the 5 s heartbeat) lands mid-run.
    const { cluster, plan } = await simWithPlan({ masters: 3, agents: 1, timings: { scriptMs: 15_000 } });
    try {
      const taskQueue = uniqueTaskQueue('e2e');
      await runWorker(taskQueue, async () => {
        const h = await sim.env.client.workflow.start('patchCluster', {
          taskQueue,
          workflowId: `e2e-abort-${taskQueue}`,
          args: [{ plan }],
        });
        const first = cluster.masters[0]!.id;
        await waitFor(() => (cluster.truth().hosts[first]?.scriptRuns ?? 0) > 0, 'the first master script to start');
        await h.signal(abortSignal, { reason: 'e2e abort' });
        const report = failureReport(await h.result().catch((e) => e));
        assert.equal(report.outcome, 'aborted');
        assert.match(report.message, /aborted in phase masters/);
        assert.match(report.message, new RegExp(`${first}: aborted during patching`));
        assert.equal(cluster.truth().hosts[cluster.masters[1]!.id]?.scriptRuns, 0, 'no other master touched');
      });
    } finally {
      await cluster.stop();
    }
  });

  test('a master whose script exits non-zero stops the patch with diagnostics; retry after the fault is cleared completes it', async () => {
    const { cluster, plan } = await simWithPlan({ masters: 3, agents: 1 });
    const bad = cluster.masters[1]!;
    cluster.inject(bad.id, { kind: 'script-exit', code: 3 });
    try {
      const taskQueue = uniqueTaskQueue('e2e');
      await runWorker(taskQueue, async () => {
        const workflowId = `e2e-exit-${taskQueue}`;
        const h = await sim.env.client.workflow.start('patchCluster', { taskQueue, workflowId, args: [{ plan }] });
        await waitFor(async () => (await h.query(statusQuery)).pending.length > 0, 'a decision to be asked', 90_000);
        const st = await h.query(statusQuery);
        assert.equal(st.pending[0]?.subject, bad.id);
        assert.match(st.pending[0]?.reason ?? '', /exit/i);
        assert.equal(cluster.truth().hosts[cluster.masters[2]!.id]?.scriptRuns, 0, 'the next master waits');
        const child = sim.env.client.workflow.getHandle(`${workflowId}/${bad.id}/attempt-1`);
        const nodeResult = (await child.result()) as NodeResult;
        assert.equal(nodeResult.outcome, 'failed');
        assert.equal(nodeResult.failureType, 'ScriptFailed');
        const commands = nodeResult.diagnostics?.sections.map((s) => s.command).join('\n') ?? '';
        assert.match(commands, /journalctl -u dcos-mesos-master/);
        assert.match(commands, /dcos-check-runner check node-poststart/);
        cluster.clearFaults(bad.id);
        await answer(h, bad.id, 'retry');
        const report = asReport(await h.result());
        assert.equal(report.outcome, 'succeeded');
      });
    } finally {
      await cluster.stop();
    }
  });
});
