// A node's workflow in few round trips: its gates together under one shared stability hold, its
// short host steps as local activities.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeResult } from '../../src/shared/status';
import { asReport } from '../helpers/report';
import { patchWorker, simWithPlan } from '../helpers/sim-patch';
import { testEnvironmentPerFile, uniqueTaskQueue } from '../helpers/temporal';

const files = testEnvironmentPerFile();

/** What a node's child workflow did: the activity types it scheduled, in order, and its local activities. */
async function stepsOf(workflowId: string): Promise<{ activities: string[]; localSteps: number }> {
  const events = (await files.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return {
    activities: events.flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    }),
    localSteps: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
  };
}

describe("a node's workflow in few round trips", { timeout: 300_000 }, () => {
  test('one verification per node checks every gate of the runbook at once; the short host steps are local activities, no round trips', async () => {
    const { cluster, plan } = await simWithPlan({ masters: 1, agents: 1 }, { agentConcurrency: 1 });
    try {
      const taskQueue = uniqueTaskQueue('gates');
      const worker = await patchWorker(files.env.nativeConnection, taskQueue);
      const workflowId = `gates-together-${taskQueue}`;
      const report = asReport(
        await worker.runUntil(
          files.env.client.workflow.execute('patchCluster', { taskQueue, workflowId, args: [{ plan }] })
        )
      );
      assert.equal(report.outcome, 'succeeded', report.message);
      const master = cluster.masters[0]!.id;
      const agent = cluster.agents[0]!.id;
      const masterSteps = await stepsOf(`${workflowId}/${master}/attempt-1`);
      const agentSteps = await stepsOf(`${workflowId}/${agent}/attempt-1`);
      const masterActs = masterSteps.activities;
      const agentActs = agentSteps.activities;
      const oneByOne = (acts: string[]) => acts.filter((a) => a.startsWith('gate') && a !== 'gateMastersHealthy');
      assert.deepEqual(oneByOne(masterActs), ['gateNodeHealthy'], `master: ${masterActs.join(', ')}`);
      assert.deepEqual(oneByOne(agentActs), ['gateNodeHealthy'], `agent: ${agentActs.join(', ')}`);

      // Read state, stage, (agents) remove libltdl and record tasks, re-read, window start: local, no round trips.
      assert.deepEqual(masterActs, ['gateMastersHealthy', 'runPatchScript', 'gateNodeHealthy']);
      assert.deepEqual(agentActs, ['runPatchScript', 'gateNodeHealthy']);
      assert.equal(masterSteps.localSteps, 3);
      assert.equal(agentSteps.localSteps, 6);

      const gatesOf = async (id: string) =>
        ((await files.env.client.workflow.getHandle(`${workflowId}/${id}/attempt-1`).result()) as NodeResult).gates.map(
          (g) => g.gate
        );
      assert.deepEqual(
        (await gatesOf(master)).filter((g) => g !== 'masters-healthy'),
        [
          'exhibitor-converged',
          'mesos-master-unit-active',
          'registrar-recovered',
          'mesos-version',
          // policy.health baseline (the default): every Marathon app healthy before is healthy again.
          'workloads-healthy',
          'cockroach-replicated',
        ]
      );
      assert.deepEqual(await gatesOf(agent), ['agent-registered', 'agent-tasks-reconciled', 'workloads-healthy']);
      const truth = cluster.truth();
      assert.equal(truth.hosts[master]!.version, '2.1.5');
      assert.equal(truth.hosts[agent]!.version, '2.1.5');
      assert.deepEqual(truth.tasksLost, []);
    } finally {
      await cluster.stop();
    }
  });
});
