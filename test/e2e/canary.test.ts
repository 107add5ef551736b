/**
 * The workload canary on the simulator: deployed through Marathon before the first master's
 * script, watched through the patch, removed at the end (and after an abort); a task killed while
 * an agent is patched, or Mesos-DNS losing its name while a master is, stops the patch there and
 * names that node; no other node starts until the operator decides. Ground truth: the simulator's
 * Marathon changes and script runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CANARY, type Plan } from '../../src/shared/plan';
import type { SimCluster } from '../../src/sim';
import { statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import { failedReport, pendingFor, SHORT_GATES, scriptRuns, scriptStarted, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';

const sim = useSimEnvironment();
const APP = '/canary-e2e';

function withCanary(instances: number) {
  return (_c: SimCluster, plan: Plan) => {
    plan.canary = { ...DEFAULT_CANARY, appId: APP, instances, pollIntervalMs: 500, deployTimeoutMs: 30_000 };
  };
}

const canaryApps = (c: SimCluster) => c.truth().marathonApps.filter((a) => a.id === APP);

describe('the workload canary', { timeout: 400_000 }, () => {
  test('a healthy patch: deployed before the first master, watched, removed at the end, its figures reported', async () => {
    await withPatch(
      sim.env,
      { masters: 3, agents: 4 },
      async (r) => {
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded', report.message);
        const truth = r.cluster.truth();
        const changes = truth.marathonChanges.filter((x) => x.appId === APP);
        assert.deepEqual(
          changes.map((x) => x.action),
          ['created', 'removed']
        );
        const firstScript = Math.min(...truth.scriptRuns.map((s) => s.startedAt));
        assert.ok(changes[0]!.at < firstScript, 'deployed before the first node script');
        assert.ok(changes[1]!.at > Math.max(...truth.scriptRuns.map((s) => s.endedAt ?? 0)), 'removed after the last');
        assert.deepEqual(canaryApps(r.cluster), [], 'gone from Marathon');
        const c = report.canary!;
        assert.equal(c.state, 'removed');
        assert.equal(c.figures.restarts, 0);
        assert.equal(c.figures.lost, 0);
        assert.equal(c.figures.dnsFailures, 0, 'the other masters kept resolving the name while one was patched');
        assert.ok(c.figures.polls > 5, `watched (${c.figures.polls} looks)`);
        assert.match(report.message, /workload canary \/canary-e2e: restarts 0, lost 0, .*removed from Marathon/);
      },
      SHORT_GATES,
      withCanary(2)
    );
  });

  test('a canary task killed while an agent is patched stops the patch there and names the agent; approve goes on', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 3 },
      async (r) => {
        const first = r.cluster.agents[0]!;
        await scriptStarted(r.cluster, first.id, 'the first agent to start');
        const killed = r.cluster.killTask(APP);
        const q = await pendingFor(r.h, 'canary');
        assert.equal(q.kind, 'canary-incident');
        assert.match(q.reason, new RegExp(`${killed.killed.slice(0, 30).replace(/[.]/g, '\\.')}.* replaced`));
        assert.match(q.reason, new RegExp(`while ${first.id} was being patched`));
        const runsBefore = r.cluster.agents.slice(1).map((a) => scriptRuns(r.cluster, a.id));
        await new Promise((res) => setTimeout(res, 2_000));
        assert.deepEqual(
          r.cluster.agents.slice(1).map((a) => scriptRuns(r.cluster, a.id)),
          runsBefore,
          'no other agent started while the question was open'
        );
        assert.deepEqual(runsBefore, [0, 0]);
        await answer(r.h, 'canary', 'approve');
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded', report.message);
        assert.equal(report.canary?.figures.restarts, 1);
        assert.deepEqual(
          report.canary?.incidents.map((i) => [i.kind, i.nodes]),
          [['task-restarted', [first.id]]]
        );
        assert.deepEqual(canaryApps(r.cluster), []);
      },
      SHORT_GATES,
      withCanary(2)
    );
  });

  test('Mesos-DNS losing the name while a master is patched stops before the next master; abort removes the canary', async () => {
    await withPatch(
      sim.env,
      { masters: 3, agents: 2 },
      async (r) => {
        const second = r.cluster.masters[1]!;
        await scriptStarted(r.cluster, second.id, 'the second master to start');
        r.cluster.setDnsOutage(true);
        const q = await pendingFor(r.h, 'canary');
        assert.match(q.reason, /canary-e2e\.marathon\.mesos does not resolve/);
        assert.match(q.reason, new RegExp(`while ${second.id} was being patched`));
        const st = await r.h.query(statusQuery);
        assert.equal(st.canary?.state, 'watching');
        await answer(r.h, 'canary', 'abort');
        const report = await failedReport(r.h);
        assert.equal(report.outcome, 'aborted');
        assert.equal(scriptRuns(r.cluster, r.cluster.masters[2]!.id), 0, 'the third master never started');
        assert.equal(report.canary?.state, 'removed');
        assert.ok((report.canary?.figures.dnsFailures ?? 0) >= 1);
        assert.deepEqual(canaryApps(r.cluster), [], 'removed after the abort');
        assert.match(report.message, /DNS failures [1-9]/);
      },
      SHORT_GATES,
      withCanary(2)
    );
  });
});
