/**
 * Guarantees that hinge on what a real host does — a reboot, a worker away for longer than the
 * masters' agent window, the file the runbook reads — through the real workflows on the real dev
 * server against the simulator, judged by its ground truth.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runPaths } from '../../src/activities/remote-run';
import { pendingFor, SHORT_GATES, scriptRuns, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { FAST_GATES, simWithPlan, waitFor } from '../helpers/sim-patch';
import { uniqueTaskQueue } from '../helpers/temporal';
import { killWorker, startWorkerProcess } from '../helpers/worker-process';

const sim = useSimEnvironment();

describe('a reboot mid-script', () => {
  test('a master rebooted mid-script, its runner pid now held by another live process: the run is known dead at once, not after the script timeout', {
    timeout: 180_000,
  }, async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 0, timings: { scriptMs: 8_000 } },
      async (r) => {
        const m = r.cluster.masters[0]!;
        await waitFor(() => scriptRuns(r.cluster, m.id) === 1, 'the master script to start');
        r.cluster.reboot(m.id);
        const key = { workflowId: `${r.workflowId}/${m.id}/attempt-1`, attempt: 1 };
        const runDir = path.join(r.cluster.host(m.id).root, runPaths(r.plan.remoteWorkDir, key).dir.slice(1));
        assert.ok(existsSync(runDir));
        // After the reboot another process got the runner's pid (and even sits in its directory).
        const squatter = spawn('sleep', ['120'], { cwd: runDir, stdio: 'ignore' });
        try {
          writeFileSync(path.join(runDir, 'pid'), `${squatter.pid}\n`);
          const rebootedAt = Date.now();
          const p = await pendingFor(r.h, m.id);
          assert.match(p.reason, /was killed/);
          assert.ok(Date.now() - rebootedAt < 30_000, 'told within seconds, not after the 60 s script timeout');
          assert.equal(r.cluster.truth().hosts[m.id]!.maxConcurrentScriptRuns, 1);
        } finally {
          squatter.kill('SIGKILL');
        }
      },
      { ...SHORT_GATES, scriptTimeoutMs: 60_000 }
    );
  });
});

describe("the masters' agent window", () => {
  test('a worker away for longer than the agent window does not fail an agent the masters kept', {
    timeout: 240_000,
  }, async () => {
    const { cluster, plan } = await simWithPlan(
      { masters: 1, agents: 1, timings: { scriptMs: 2_000 } },
      { agentConcurrency: 1, gates: { ...FAST_GATES, ...SHORT_GATES, agentWindowMs: 6_000 } }
    );
    const taskQueue = uniqueTaskQueue('away');
    let worker = await startWorkerProcess(sim.env.address, taskQueue);
    try {
      const h = await sim.env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `away-${taskQueue}`,
        args: [{ plan }],
      });
      const agent = cluster.agents[0]!.id;
      await waitFor(() => scriptRuns(cluster, agent) === 1, 'the agent script to start', 120_000);
      await killWorker(worker);
      // Away past the window: the agent re-registers meanwhile (the masters keep it).
      await waitFor(() => cluster.truth().hosts[agent]!.version === '2.1.5', 'the agent script to finish', 60_000);
      await new Promise((res) => setTimeout(res, 8_000));
      assert.equal(cluster.truth().hosts[agent]!.registered, true);
      worker = await startWorkerProcess(sim.env.address, taskQueue);
      const report = asReport(await h.result());
      assert.equal(report.outcome, 'succeeded', report.message);
      const truth = cluster.truth();
      assert.deepEqual(truth.tasksLost, []);
      assert.equal(truth.hosts[agent]!.scriptRuns, 1);
    } finally {
      await killWorker(worker);
      await cluster.stop();
    }
  });
});

describe('Marathon event subscribers, where the runbook looks', () => {
  test('--event_subscriber http_callback in /opt/mesosphere/bin/marathon.sh stops the patch at preflight, before any backup or script', {
    timeout: 120_000,
  }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 1, marathon: { eventSubscriber: true } }, async (r) => {
      const p = await pendingFor(r.h, 'preflight');
      assert.match(p.reason, /marathon-event-subscribers.*marathon\.sh passes --event_subscriber http_callback/);
      const truth = r.cluster.truth();
      assert.equal(truth.backups.zookeeper.length, 0);
      assert.equal(truth.scriptRuns.length, 0);
    });
  });
});
