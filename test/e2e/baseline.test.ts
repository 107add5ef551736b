/**
 * Baseline-relative health on the simulator: what preflight found already broken (an inactive
 * agent, an unhealthy Marathon app) lets the patch pass and is named; a workload that breaks
 * during the patch stops it at the node in flight whatever the failure budget; policy.health
 * strict keeps the absolute checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Plan } from '../../src/shared/plan';
import type { SimCluster } from '../../src/sim';
import { statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import { pendingFor, SHORT_GATES, scriptRuns, scriptStarted, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';

const sim = useSimEnvironment();

describe('baseline-relative health', { timeout: 300_000 }, () => {
  test('an agent inactive and an app unhealthy before the patch: the patch passes, both named; the rest is patched', async () => {
    let inactive = '';
    await withPatch(
      sim.env,
      { masters: 1, agents: 3 },
      async (r) => {
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded', report.message);
        assert.deepEqual(report.baseline?.agentsInactive, [inactive]);
        assert.deepEqual(report.baseline?.appsUnhealthy, ['/sim/app-1']);
        assert.match(
          report.message,
          /left as found \(broken before the patch\): .*\(inactive\); Marathon apps \/sim\/app-1/
        );
        const truth = r.cluster.truth();
        assert.equal(truth.hosts[inactive]?.scriptRuns, 0, 'the inactive agent is left as found');
        for (const h of [...r.cluster.masters, ...r.cluster.agents].filter((h) => h.id !== inactive)) {
          assert.equal(truth.hosts[h.id]?.version, '2.1.5', `${h.id} patched`);
        }
        assert.ok(report.nodes.find((n) => n.id === r.cluster.agents[0]!.id)!.state === 'patched');
      },
      SHORT_GATES,
      (c: SimCluster) => {
        inactive = c.agents[2]!.id;
        c.makeAgentUnregistered(inactive);
        c.makeAppUnhealthy('/sim/app-1');
      }
    );
  });

  test('an app healthy before the patch that breaks while an agent is patched stops the patch at that agent, whatever the budget', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 3 },
      async (r) => {
        const first = r.cluster.agents[0]!;
        await scriptStarted(r.cluster, first.id, 'the first agent to start');
        r.cluster.makeAppUnhealthy('/sim/app-1');
        const q = await pendingFor(r.h, first.id);
        assert.match(q.reason, /workloads-healthy|Marathon apps healthy again/);
        assert.match(q.reason, /\/sim\/app-1/);
        assert.match(q.reason, /a workload healthy before the patch is not/);
        for (const a of r.cluster.agents.slice(1))
          assert.equal(scriptRuns(r.cluster, a.id), 0, `${a.id} did not start`);
        r.cluster.makeAppUnhealthy('/sim/app-1', false);
        await answer(r.h, first.id, 'retry');
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      },
      SHORT_GATES,
      (_c, plan: Plan) => {
        plan.policy.agentFailureBudget = 3;
      }
    );
  });

  test('CockroachDB ranges under-replicated before the patch are the baseline: that many never block, and are named', async () => {
    await withPatch(
      sim.env,
      { masters: 3, agents: 1 },
      async (r) => {
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded', report.message);
        assert.equal(report.baseline?.cockroachUnderreplicated, 2);
        assert.match(report.message, /CockroachDB 2 range\(s\) under-replicated/);
        for (const m of r.cluster.masters) assert.equal(r.cluster.truth().hosts[m.id]?.version, '2.1.5');
      },
      SHORT_GATES,
      (c: SimCluster) => c.setCockroachUnderreplicated(2)
    );
  });

  test('policy.health strict: CockroachDB ranges under-replicated fail the preflight', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 1 },
      async (r) => {
        const q = await pendingFor(r.h, 'preflight');
        assert.match(q.reason, /cockroach-replicated/);
        assert.equal(scriptRuns(r.cluster, r.cluster.masters[0]!.id), 0);
        await answer(r.h, 'preflight', 'abort');
      },
      SHORT_GATES,
      (c: SimCluster, plan: Plan) => {
        c.setCockroachUnderreplicated(1);
        plan.policy.health = 'strict';
      }
    );
  });

  test('policy.health strict: an inactive agent fails the preflight, as before baselines', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 2 },
      async (r) => {
        const q = await pendingFor(r.h, 'preflight');
        assert.match(q.reason, new RegExp(`agents-registered@${r.cluster.agents[1]!.id}`));
        assert.equal((await r.h.query(statusQuery)).baseline, undefined);
        await answer(r.h, 'preflight', 'abort');
      },
      SHORT_GATES,
      (c: SimCluster, plan: Plan) => {
        c.makeAgentUnregistered(c.agents[1]!.id);
        plan.policy.health = 'strict';
      }
    );
  });
});
