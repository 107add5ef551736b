/**
 * Every fault the simulator can inject, through a whole patch: the real workflows and activities
 * on the real dev server against a simulated cluster. Each either heals on its own (retries,
 * attaching to the script run) or stops at that node with a decision asked and diagnostics in
 * the node's result; then retry, skip or abort, sent through the `decide` update, does what it
 * says. The simulator's ground truth checks what really happened on the hosts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { SimCluster } from '../../src/sim';
import { answer } from '../helpers/decide';
import {
  diagnosticCommands,
  failedReport,
  nodeResult,
  pendingFor,
  progressTo,
  scriptRuns,
  withPatch,
} from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { waitFor } from '../helpers/sim-patch';

const sim = useSimEnvironment();

describe('each fault the simulator injects leads to the documented behaviour', () => {
  test('script exits non-zero on an agent: decision asked with the exit code and script output; skip leaves it unpatched and the patch completes with it listed', async () => {
    await withPatch(sim.env, {}, async (r) => {
      const agent = r.cluster.agents[0]!;
      r.cluster.inject(agent.id, { kind: 'script-exit', code: 3 });
      const p = await pendingFor(r.h, agent.id);
      assert.deepEqual([...p.allowed].sort(), ['abort', 'retry', 'skip']);
      const n = await nodeResult(sim.env, r, agent.id);
      assert.equal(n.failureType, 'ScriptFailed');
      assert.match(n.summary, /exit(ed)? (code )?3|code 3/);
      assert.match(diagnosticCommands(n), /journalctl -u dcos-mesos-slave/);
      assert.equal(scriptRuns(r.cluster, r.cluster.agents[1]!.id), 0, 'no other agent started while asking');
      await answer(r.h, agent.id, 'skip');
      const report = await failedReport(r.h);
      assert.equal(report.outcome, 'completed-with-failures');
      assert.match(report.message, new RegExp(agent.id));
      const truth = r.cluster.truth();
      assert.equal(truth.hosts[agent.id]?.version, '2.1.4', 'the skipped agent is not patched');
      assert.equal(truth.hosts[r.cluster.agents[1]!.id]?.version, '2.1.5', 'the rest is');
    });
  });

  test('script hangs on an agent: ScriptTimeout asks; the script is left running, not started again; abort ends the patch aborted', async () => {
    await withPatch(sim.env, {}, async (r) => {
      const agent = r.cluster.agents[0]!;
      r.cluster.inject(agent.id, { kind: 'script-hang' });
      await pendingFor(r.h, agent.id);
      const n = await nodeResult(sim.env, r, agent.id);
      assert.equal(n.failureType, 'ScriptTimeout');
      assert.match(diagnosticCommands(n), /journalctl/);
      await answer(r.h, agent.id, 'abort');
      const report = await failedReport(r.h);
      assert.equal(report.outcome, 'aborted');
      assert.equal(r.cluster.truth().hosts[agent.id]?.scriptInvocations, 1, 'the hung script was started once');
      assert.equal(scriptRuns(r.cluster, r.cluster.agents[1]!.id), 0, 'nothing after the abort');
    });
  });

  test('a master unit that never comes back: the gate gives up, skip is refused for a master, abort ends it', async () => {
    await withPatch(sim.env, { masters: 3, agents: 1 }, async (r) => {
      const m = r.cluster.masters[0]!;
      r.cluster.inject(m.id, { kind: 'unit-never-returns', unit: 'dcos-mesos-master' });
      const p = await pendingFor(r.h, m.id);
      assert.deepEqual([...p.allowed].sort(), ['abort', 'retry']);
      const n = await nodeResult(sim.env, r, m.id);
      assert.equal(n.failedStep, 'mesos-master-unit-active');
      assert.match(diagnosticCommands(n), /journalctl -u dcos-mesos-master/);
      assert.match(diagnosticCommands(n), /systemctl/);
      await assert.rejects(
        answer(r.h, m.id, 'skip'),
        (e) => e instanceof WorkflowUpdateFailedError && /not allowed/.test(String(e.cause?.message))
      );
      assert.equal(scriptRuns(r.cluster, r.cluster.masters[1]!.id), 0, 'the next master never started');
      await answer(r.h, m.id, 'abort');
      const report = await failedReport(r.h);
      assert.equal(report.outcome, 'aborted');
      assert.equal(r.cluster.truth().maxMastersDownAtOnce, 1);
    });
  });

  test('Exhibitor never converges before the first master: the backups step asks instead of failing the patch; retry after it heals goes on', async () => {
    await withPatch(sim.env, { masters: 3, agents: 1 }, async (r) => {
      const m = r.cluster.masters[0]!;
      r.cluster.inject(m.id, { kind: 'exhibitor-never-converges' });
      const p = await pendingFor(r.h, 'backups');
      assert.deepEqual([...p.allowed].sort(), ['abort', 'retry']);
      assert.match(p.reason, /exhibitor/i);
      assert.equal(scriptRuns(r.cluster, m.id), 0, 'no master touched');
      r.cluster.clearFaults(m.id);
      await answer(r.h, 'backups', 'retry');
      const report = asReport(await r.h.result());
      assert.equal(report.outcome, 'succeeded', report.message);
      assert.ok(r.cluster.truth().backups.zookeeper.length >= 1, 'a ZooKeeper snapshot was taken');
    });
  });

  test('Exhibitor never converges after a master script: decision asked; after the fault clears, retry verifies the master again without re-running its script', async () => {
    await withPatch(sim.env, { masters: 3, agents: 1 }, async (r) => {
      const m = r.cluster.masters[0]!;
      await waitFor(() => scriptRuns(r.cluster, m.id) > 0, 'the first master script to start');
      r.cluster.inject(m.id, { kind: 'exhibitor-never-converges' });
      await pendingFor(r.h, m.id);
      const n = await nodeResult(sim.env, r, m.id);
      assert.equal(n.failedStep, 'exhibitor-converged');
      assert.match(diagnosticCommands(n), /journalctl -u dcos-exhibitor/);
      assert.equal(scriptRuns(r.cluster, r.cluster.masters[1]!.id), 0, 'the next master waits');
      r.cluster.clearFaults(m.id);
      await answer(r.h, m.id, 'retry');
      const report = asReport(await r.h.result());
      assert.equal(report.outcome, 'succeeded', report.message);
      const again = await nodeResult(sim.env, r, m.id, 2);
      assert.equal(again.outcome, 'skipped');
      assert.ok(
        again.gates.some((g) => g.gate === 'exhibitor-converged'),
        'the retry checked the gates before moving on'
      );
      assert.equal(scriptRuns(r.cluster, m.id), 1, 'the master script ran once');
    });
  });

  test('the wrong Mesos version after the script: the version gate names both versions and asks', async () => {
    await withPatch(sim.env, { masters: 1, agents: 1 }, async (r) => {
      const m = r.cluster.masters[0]!;
      r.cluster.inject(m.id, { kind: 'wrong-version-after-patch', version: '1.9.0' });
      await pendingFor(r.h, m.id);
      const n = await nodeResult(sim.env, r, m.id);
      assert.equal(n.failedStep, 'mesos-version');
      assert.match(n.summary, /1\.9\.0/);
      assert.ok(n.diagnostics, 'diagnostics collected');
      await answer(r.h, m.id, 'abort');
      assert.equal((await failedReport(r.h)).outcome, 'aborted');
      assert.equal(scriptRuns(r.cluster, r.cluster.agents[0]!.id), 0, 'no agent touched');
    });
  });

  test('Enterprise: CockroachDB never catches up: the replication gate asks; retry after it heals completes', async () => {
    await withPatch(sim.env, { masters: 1, agents: 1, variant: 'enterprise' }, async (r) => {
      const m = r.cluster.masters[0]!;
      r.cluster.inject(m.id, { kind: 'cockroach-never-catches-up' });
      await pendingFor(r.h, m.id);
      const n = await nodeResult(sim.env, r, m.id);
      assert.equal(n.failedStep, 'cockroach-replicated');
      assert.match(n.summary, /underreplicated|under-replicated/i);
      r.cluster.clearFaults(m.id);
      await answer(r.h, m.id, 'retry');
      assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      assert.equal(scriptRuns(r.cluster, m.id), 1);
    });
  });

  test('an agent endpoint answering 500: registration cannot be seen, decision asked; retry after it heals completes', async () => {
    await withPatch(sim.env, {}, async (r) => {
      const agent = r.cluster.agents[1]!;
      r.cluster.inject(agent.id, { kind: 'endpoint', port: 'mesosAgent', mode: '500' });
      // Preflight reads the agents through the leading master, not :5051: it passes.
      await pendingFor(r.h, agent.id);
      const n = await nodeResult(sim.env, r, agent.id);
      assert.equal(n.failedStep, 'agent-registered');
      assert.match(n.summary, /500/);
      r.cluster.clearFaults(agent.id);
      await answer(r.h, agent.id, 'retry');
      assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      assert.equal(scriptRuns(r.cluster, agent.id), 1);
      assert.deepEqual(r.cluster.truth().tasksLost, []);
    });
  });

  test('a changed host key: preflight fails that host by name and nothing is touched; abort ends it', async () => {
    await withPatch(sim.env, {}, async (r) => {
      const agent = r.cluster.agents[1]!;
      r.cluster.inject(agent.id, { kind: 'host-key-change' });
      const p = await pendingFor(r.h, 'preflight');
      assert.match(p.reason, new RegExp(`ssh-reachable@${agent.id}: .*host key`, 'i'));
      assert.deepEqual([...p.allowed].sort(), ['abort', 'override', 'retry']);
      const truth = r.cluster.truth();
      assert.equal(truth.hosts[agent.id]?.commands.length, 0, 'nothing ran on the host with the new key');
      assert.equal(truth.scriptRuns.length, 0, 'no host patched');
      assert.equal(truth.generatorRuns.length, 0, 'the bootstrap node untouched');
      await answer(r.h, 'preflight', 'abort');
      assert.equal((await failedReport(r.h)).outcome, 'aborted');
    });
  });

  test('transient faults heal without asking: SSH drops and refusals mid-script, garbage and timeouts from endpoints', async () => {
    await withPatch(
      sim.env,
      { masters: 3, agents: 2 },
      async (r) => {
        const [m1, m2, m3] = r.cluster.masters as [
          SimCluster['masters'][0],
          SimCluster['masters'][0],
          SimCluster['masters'][0],
        ];
        r.cluster.inject(m1.id, { kind: 'ssh-drop', afterMs: 5, match: 'output tail', times: 2 });
        await waitFor(() => scriptRuns(r.cluster, m1.id) > 0, 'the first master script to start');
        r.cluster.inject(m1.id, { kind: 'endpoint', port: 'exhibitor', mode: 'garbage', times: 2 });
        await progressTo(r, () => scriptRuns(r.cluster, m2.id) > 0, 'the second master script to start');
        r.cluster.inject(m2.id, { kind: 'ssh-refuse', forMs: 2_000 });
        r.cluster.inject(m2.id, { kind: 'endpoint', port: 'mesosMaster', mode: 'timeout', times: 1 });
        await progressTo(r, () => scriptRuns(r.cluster, m3.id) > 0, 'the third master script to start');
        r.cluster.inject(r.cluster.agents[0]!.id, { kind: 'endpoint', port: 'mesosAgent', mode: '500', times: 2 });
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded', report.message);
        assert.deepEqual(report.decisions, [], 'no decision was needed');
        const truth = r.cluster.truth();
        for (const h of [...r.cluster.masters, ...r.cluster.agents]) {
          assert.equal(truth.hosts[h.id]?.scriptRuns, 1, `${h.id} script ran once`);
          assert.equal(truth.hosts[h.id]?.version, '2.1.5');
        }
        assert.equal(truth.maxMastersDownAtOnce, 1);
      },
      {} // the helper's default gate deadlines (20 s): room for an endpoint timing out once
    );
  });
});
