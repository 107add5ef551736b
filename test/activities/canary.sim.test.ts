// The workload canary's activities against the simulator's Marathon and Mesos-DNS, from the worker
// (probes: http) and on the masters over SSH with curl (probes: ssh).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deployCanary, removeCanary, watchCanary } from '../../src/activities';
import { canaryApp } from '../../src/activities/canary';
import type { CanaryCarry, CanaryTarget } from '../../src/shared/activity-types';
import { DEFAULT_CANARY, type ProbeRoute } from '../../src/shared/plan';
import { mockEnv, runIn, type Sim, startSim } from './helpers';

for (const probes of ['http', 'ssh'] as ProbeRoute[]) {
  describe(`canary activities (probes: ${probes})`, { timeout: 120_000 }, () => {
    let sim: Sim;
    let t: CanaryTarget;
    before(async () => {
      sim = await startSim({ masters: 3, agents: 3 });
      t = {
        spec: { ...DEFAULT_CANARY, appId: '/canary-act', instances: 2, pollIntervalMs: 200, deployTimeoutMs: 10_000 },
        masters: sim.plan.masters,
        ssh: sim.plan.ssh,
        http: { ...sim.plan.http, probes },
        workflowId: `wf-canary-${probes}`,
      };
    });
    after(() => sim.stop());

    const watch = (carry: CanaryCarry, returnAfterMs = 1_000) =>
      runIn(mockEnv().env, watchCanary, { ...t, carry, returnAfterMs, quiet: false });

    test('deploy, watch quietly, see a restart and a DNS failure, remove', async () => {
      const d = await runIn(mockEnv().env, deployCanary, t);
      assert.equal(d.taskIds.length, 2);
      assert.equal(d.dnsName, 'canary-act.marathon.mesos');
      assert.equal(d.replacedLeftover, false);
      let carry: CanaryCarry = { knownTaskIds: d.taskIds, unhealthy: false, dnsFailing: false };
      const calm = await watch(carry);
      assert.deepEqual(calm.incidents, []);
      assert.ok(calm.figures.polls >= 2);
      assert.match(calm.observation, /2\/2 task\(s\) running, 2 healthy; canary-act\.marathon\.mesos → 2 address/);
      carry = calm.carry;

      // The masters one after another: Mesos-DNS and Marathon of the first are down, the others answer.
      sim.cluster.stopUnits(sim.plan.masters[0]!.id);
      const oneDown = await watch(carry, 600);
      assert.deepEqual(oneDown.incidents, [], oneDown.observation);
      sim.cluster.startUnits(sim.plan.masters[0]!.id);

      const killed = sim.cluster.killTask('/canary-act');
      const restarted = await watch(carry);
      assert.deepEqual(
        restarted.incidents.map((i) => i.kind),
        ['task-restarted']
      );
      assert.equal(restarted.figures.restarts, 1);
      assert.ok(!restarted.carry.knownTaskIds.includes(killed.killed));

      sim.cluster.setDnsOutage(true);
      const dns = await watch(restarted.carry);
      assert.deepEqual(
        dns.incidents.map((i) => i.kind),
        ['dns-failed']
      );
      assert.ok(dns.carry.outageSinceMs !== undefined, 'an outage under way');
      const still = await watch(dns.carry, 500);
      assert.deepEqual(still.incidents, [], 'a failure already reported is not reported again');
      assert.ok(still.figures.dnsFailures >= 1);
      sim.cluster.setDnsOutage(false);
      const healed = await watch(still.carry, 500);
      assert.equal(healed.carry.outageSinceMs, undefined);
      assert.ok(healed.figures.longestOutageMs > 0);

      const again = await runIn(mockEnv().env, deployCanary, t);
      assert.equal(again.replacedLeftover, true, 'a canary left by a patch is replaced');
      const r = await runIn(mockEnv().env, removeCanary, t);
      assert.equal(r.removed, true, r.text);
      assert.ok(!sim.cluster.truth().marathonApps.some((a) => a.id === '/canary-act'));
    });

    test('an app of that id that dcos-patch did not deploy is left alone', async () => {
      const theirs = { ...canaryApp(t), labels: {} };
      const m = sim.plan.masters[0]!;
      await fetch(`http://${m.address}:${m.ports.marathon}/v2/apps/canary-act`, {
        method: 'PUT',
        body: JSON.stringify(theirs),
      });
      await assert.rejects(runIn(mockEnv().env, deployCanary, t), /did not deploy: it is left alone/);
      const r = await runIn(mockEnv().env, removeCanary, t);
      assert.equal(r.removed, false);
      assert.ok(sim.cluster.truth().marathonApps.some((a) => a.id === '/canary-act'));
    });
  });
}
