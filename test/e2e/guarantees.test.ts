/**
 * The guarantees, each through a path that went around it: the real workflows and activities on
 * the real dev server against a simulated cluster, judged by the simulator's ground truth
 * (script runs and concurrent runs per host, masters down at once, what each host runs).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { NodeResult } from '../../src/shared/status';
import type { SimCluster } from '../../src/sim';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import type { patchCluster } from '../../src/workflows/patch-cluster';
import { answer } from '../helpers/decide';
import { failedReport, nodeResult, pendingFor, SHORT_GATES, scriptRuns, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { waitFor } from '../helpers/sim-patch';

const sim = useSimEnvironment();

/** Make a host look already patched (as after an earlier patch): its dcos-version.json says `version`. */
function installVersion(c: SimCluster, nodeId: string, version: string): void {
  const file = path.join(c.host(nodeId).root, 'opt/mesosphere/etc/dcos-version.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/"version": "[^"]*"/, `"version": "${version}"`));
}

describe('a node script never runs twice on a host', () => {
  test("the operator's retry after ScriptTimeout waits for attempt 1's script instead of starting a second beside it", {
    timeout: 180_000,
  }, async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 0, timings: { scriptMs: 6_000 } },
      async (r) => {
        const m = r.cluster.masters[0]!;
        const p = await pendingFor(r.h, m.id);
        assert.match(p.reason, /STILL RUNNING/);
        await answer(r.h, m.id, 'retry');
        const again = await nodeResult(sim.env, r, m.id, 2);
        assert.equal(again.outcome, 'patched', again.summary);
        assert.match(again.script?.waitedFor ?? '', /attempt-1$/, 'attempt 2 waited for the run of attempt 1');
        const truth = r.cluster.truth().hosts[m.id]!;
        assert.equal(truth.scriptRuns, 1, 'the script ran once on the master');
        assert.equal(truth.maxConcurrentScriptRuns, 1);
        await r.h.result();
        const st = await r.h.query(statusQuery);
        const node = st.nodes.find((n) => n.id === m.id)!;
        assert.equal(node.state, 'patched', 'reported as patched by this patch, not "already there"');
        assert.deepEqual(
          node.attemptLog?.map((a) => [a.attempt, a.outcome]),
          [
            [1, 'failed'],
            [2, 'patched'],
          ]
        );
      },
      { ...SHORT_GATES, scriptTimeoutMs: 3_500 }
    );
  });
});

describe('never moving on from an unhealthy node', () => {
  test('a master found at the target is verified through its gates: an unhealthy one stops the patch before the next master goes down', {
    timeout: 180_000,
  }, async () => {
    await withPatch(
      sim.env,
      {
        masters: 3,
        agents: 1,
      },
      async (r) => {
        // The survey finds master 1 patched; it falls sick after the preflight checked the cluster.
        const [m1, m2] = r.cluster.masters;
        await waitFor(async () => (await r.h.query(statusQuery)).phase === 'bootstrap', 'the bootstrap phase', 60_000);
        r.cluster.makeMasterNotServing(m1!.id);
        const p = await pendingFor(r.h, m1!.id);
        assert.match(p.reason, /exhibitor/i);
        assert.equal(scriptRuns(r.cluster, m2!.id), 0, 'the next master never went down');
        assert.equal(scriptRuns(r.cluster, m1!.id), 0, 'the patched master is not patched again');
        r.cluster.makeMasterNotServing(m1!.id, false);
        await answer(r.h, m1!.id, 'retry');
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded');
        assert.equal(r.cluster.truth().maxMastersDownAtOnce, 1);
      },
      SHORT_GATES,
      (c) => installVersion(c, c.masters[0]!.id, '2.1.5')
    );
  });

  test('right before a master goes down, every master is checked healthy: a sick other master holds it, and its script never starts', {
    timeout: 180_000,
  }, async () => {
    await withPatch(
      sim.env,
      { masters: 3, agents: 1 },
      async (r) => {
        const [, m2, m3] = r.cluster.masters;
        await pendingFor(r.h, m2!.id); // approve master 2: master 1 is patched by now
        r.cluster.makeMasterNotServing(m3!.id);
        await answer(r.h, m2!.id, 'approve');
        const p = await pendingFor(r.h, m2!.id);
        assert.match(p.reason, /every master healthy/);
        assert.match(p.reason, new RegExp(`${m3!.address.replace(/\./g, '\\.')}`));
        assert.equal(scriptRuns(r.cluster, m2!.id), 0, 'master 2 never went down');
        r.cluster.makeMasterNotServing(m3!.id, false);
        await answer(r.h, m2!.id, 'retry');
        await pendingFor(r.h, m3!.id); // approve master 3
        await answer(r.h, m3!.id, 'approve');
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        assert.equal(r.cluster.truth().maxMastersDownAtOnce, 1);
      },
      SHORT_GATES,
      (_c, plan) => {
        plan.policy.approveEachMaster = true;
      }
    );
  });

  test('a script that exits 0 without changing the installed version is not "patched"', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 1 }, async (r) => {
      const a = r.cluster.agents[0]!;
      r.cluster.inject(a.id, { kind: 'wrong-version-after-patch', version: '1.10.1', dcosVersion: '2.1.4' });
      const p = await pendingFor(r.h, a.id);
      assert.match(p.reason, /says 2\.1\.4, not 2\.1\.5/);
      const n = await nodeResult(sim.env, r, a.id);
      assert.equal(n.failureType, 'NotAtTarget');
      assert.equal(n.versionAfter, '2.1.4');
      assert.equal(r.cluster.truth().hosts[a.id]!.version, '2.1.4');
    });
  });
});

describe('the installer is the planned release', () => {
  test('an installer of another release is refused at the bootstrap step, before any master', {
    timeout: 180_000,
  }, async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 1, targetVersion: '2.1.6' },
      async (r) => {
        const p = await pendingFor(r.h, 'bootstrap');
        assert.match(p.reason, /is DC\/OS 2\.1\.6 \(open\), but the plan patches to 2\.1\.5/);
        const truth = r.cluster.truth();
        assert.deepEqual(truth.generatorRuns, [], 'the generator never ran');
        assert.equal(truth.scriptRuns.length, 0, 'no node script ran');
        for (const h of Object.values(truth.hosts)) if (h.role !== 'bootstrap') assert.equal(h.version, '2.1.4');
      },
      SHORT_GATES,
      (_c, plan) => {
        plan.toVersion = '2.1.5';
      }
    );
  });
});

describe('CockroachDB and the IAM database on open DC/OS (since 1.13)', () => {
  test('open DC/OS: the IAM database is backed up, and a master whose CockroachDB does not catch up stops the patch', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 3, agents: 1, variant: 'open' }, async (r) => {
      const [m1, m2] = r.cluster.masters;
      r.cluster.inject(m1!.id, { kind: 'cockroach-never-catches-up' });
      const p = await pendingFor(r.h, m1!.id);
      assert.match(p.reason, /cockroach/i);
      assert.equal(scriptRuns(r.cluster, m2!.id), 0, 'the next master never went down');
      assert.equal(r.cluster.truth().backups.iam.length, 1, 'the IAM database was backed up');
      const n = await nodeResult(sim.env, r, m1!.id);
      assert.equal(n.failedStep, 'cockroach-replicated');
    });
  });
});

describe('one patch per cluster', () => {
  test('a second patch of the same cluster under another id is refused before it touches anything; once the first closes, a new one may run', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 3, agents: 1 }, async (r) => {
      await waitFor(() => scriptRuns(r.cluster, r.cluster.masters[0]!.id) === 1, 'the first master script to run');
      // The way `temporal workflow start` would: another id, the same plan.
      const second = await sim.env.client.workflow.start<typeof patchCluster>('patchCluster', {
        taskQueue: r.taskQueue,
        workflowId: `${r.workflowId}-again`,
        args: [{ plan: r.plan }],
      });
      const err = await second.result().then(
        () => undefined,
        (e) => e
      );
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'ClusterLocked');
      assert.match(err.cause.message, new RegExp(`being patched by ${r.workflowId}`));
      const history = await second.fetchHistory();
      const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
      assert.deepEqual(
        scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name),
        ['inspectClusterLock'],
        'the refused patch ran no host activity'
      );
      assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      const truth = r.cluster.truth();
      assert.equal(truth.maxMastersDownAtOnce, 1);
      for (const h of Object.values(truth.hosts)) assert.ok(h.scriptRuns <= 1, `${h.id} ran ${h.scriptRuns} scripts`);
      // The lock was released at the close: a re-run is allowed (and finds nothing to patch).
      const rerun = await sim.env.client.workflow.start<typeof patchCluster>('patchCluster', {
        taskQueue: r.taskQueue,
        workflowId: `${r.workflowId}-rerun`,
        args: [{ plan: r.plan }],
      });
      assert.equal(asReport(await rerun.result()).outcome, 'nothing-to-do');
    });
  });

  test('a lock whose holder was terminated (e.g. from the Web UI) does not block the next patch', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 1 }, async (r) => {
      await waitFor(() => scriptRuns(r.cluster, r.cluster.masters[0]!.id) === 1, 'the master script to run');
      await r.h.terminate('operator terminated it from the Web UI');
      // The script goes on without its patch; the operator's next patch would find the master down
      // in its preflight (and be asked) while it runs: start it once the master is back, as the
      // preflight checks it (units up is not enough: Exhibitor serves again a moment later).
      const m = r.cluster.masters[0]!.id;
      await waitFor(() => {
        const t = r.cluster.truth();
        const h = t.hosts[m]!;
        return (
          t.scriptRuns.some((s) => s.node === m && s.endedAt !== undefined) &&
          h.unitsActive &&
          h.exhibitor === 'serving' &&
          h.downIntervals.every((i) => i.to !== undefined)
        );
      }, 'the orphaned master script to end and the master to be back, Exhibitor serving');
      const next = await sim.env.client.workflow.start<typeof patchCluster>('patchCluster', {
        taskQueue: r.taskQueue,
        workflowId: `${r.workflowId}-next`,
        args: [{ plan: r.plan }],
      });
      const report = await next.result();
      assert.equal(report.outcome, 'succeeded');
      assert.equal(r.cluster.truth().hosts[r.cluster.masters[0]!.id]!.maxConcurrentScriptRuns, 1);
    });
  });
});

describe('a terminated patch starts no script', () => {
  test('an agent whose node workflow outlives its terminated patch (agents are abandoned, not cancelled, for continue-as-new) does not start its script', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 1 }, async (r) => {
      const m = r.cluster.masters[0]!.id;
      const a = r.cluster.agents[0]!.id;
      await waitFor(
        () => r.cluster.truth().scriptRuns.some((s) => s.node === m && s.endedAt !== undefined),
        'the master script to end'
      );
      // Hold the agent before its script: its host steps retry through the refused connections.
      r.cluster.inject(a, { kind: 'ssh-refuse', forMs: 10_000 });
      const child = sim.env.client.workflow.getHandle(`${r.workflowId}/${a}/attempt-1`);
      await waitFor(
        async () =>
          (await child.describe().then(
            (d) => d.status.name,
            () => 'none'
          )) === 'RUNNING',
        "the agent's node workflow to start"
      );
      assert.equal(scriptRuns(r.cluster, a), 0, 'the agent is still before its script');
      await r.h.terminate('operator terminated it from the Web UI');
      const result = (await child.result()) as NodeResult;
      assert.equal(scriptRuns(r.cluster, a), 0, 'no script started on the agent after its patch was terminated');
      assert.notEqual(result.outcome, 'patched', result.summary);
    });
  });
});

describe('an agent keeps its tasks', () => {
  test('an agent that comes back under a new agent id, its tasks lost and replaced, is not "reconciled": the node fails naming the lost tasks', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 2 }, async (r) => {
      const a = r.cluster.agents[0]!;
      r.cluster.inject(a.id, { kind: 'agent-new-id' });
      const p = await pendingFor(r.h, a.id);
      assert.match(p.reason, /re-registered under a new agent id/);
      const n = await nodeResult(sim.env, r, a.id);
      assert.equal(n.failureType, 'TasksLost');
      assert.ok((n.baseline?.tasks ?? 0) > 0, 'the baseline recorded its tasks');
      const lost = r.cluster.truth().tasksLost.filter((t) => t.agent === a.id);
      assert.ok(lost.length > 0);
      for (const t of lost.slice(0, 3)) assert.match(p.reason, new RegExp(t.taskId.replace(/\./g, '\\.')));
      assert.equal(scriptRuns(r.cluster, r.cluster.agents[1]!.id), 0, 'no other agent started while asking');
    });
  });
});

describe('pause holds everything', () => {
  test('a pause during the survey holds the backups and the generator until resume', { timeout: 180_000 }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 1 }, async (r) => {
      await r.h.signal(pauseSignal, { reason: 'change freeze' });
      // Long enough for survey, preflight, backups and the generator (~1 s each here) had they gone on.
      await new Promise((res) => setTimeout(res, 4_000));
      const truth = r.cluster.truth();
      assert.equal(truth.backups.zookeeper.length, 0, 'no backup while paused');
      assert.equal(truth.generatorRuns.length, 0, 'no generator run while paused');
      const st = await r.h.query(statusQuery);
      assert.match(st.activity, /paused before/);
      await r.h.signal(resumeSignal);
      assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      assert.equal(r.cluster.truth().backups.zookeeper.length, 1);
    });
  });
});

describe('the report says what happened', () => {
  test('nodes patched after a retry are counted as patched: the patch never closes as "nothing-to-do"', {
    timeout: 180_000,
  }, async () => {
    await withPatch(sim.env, { masters: 1, agents: 1 }, async (r) => {
      const m = r.cluster.masters[0]!;
      // After the backups (which restart Exhibitor too), before the master's script.
      await waitFor(async () => (await r.h.query(statusQuery)).phase === 'bootstrap', 'the bootstrap phase', 60_000);
      r.cluster.inject(m.id, { kind: 'exhibitor-never-converges' });
      await pendingFor(r.h, m.id);
      r.cluster.clearFaults(m.id);
      await answer(r.h, m.id, 'retry');
      const report = asReport(await r.h.result());
      assert.equal(report.outcome, 'succeeded');
      const node = report.nodes.find((n) => n.id === m.id)!;
      assert.equal(node.state, 'patched');
      assert.match(node.note ?? '', /by an earlier attempt/);
      assert.equal(node.attemptLog?.[0]?.outcome, 'failed');
      assert.match(node.attemptLog?.[0]?.reason ?? '', /exhibitor/i);
    });
  });

  test('an abort names the script still running on a host', { timeout: 180_000 }, async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 1, timings: { scriptMs: 9_000 } },
      async (r) => {
        const m = r.cluster.masters[0]!;
        await waitFor(() => scriptRuns(r.cluster, m.id) === 1, 'the master script to run');
        await r.h.signal('abort', { reason: 'test' });
        const report = await failedReport(r.h);
        assert.equal(report.outcome, 'aborted');
        assert.match(report.message, /STILL RUNNING/);
      },
      SHORT_GATES
    );
  });
});
