// Every health gate against the simulator: passes on a healthy node, times out readably under its fault.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  gateAgentRegistered,
  gateAgentTasksReconciled,
  gateCockroachReplicated,
  gateExhibitorConverged,
  gateMesosMasterUnitActive,
  gateMesosVersion,
  gateRegistrarRecovered,
} from '../../src/activities';
import type { GateProgress } from '../../src/activities/gates';
import type { GateInput, GateResult } from '../../src/shared/activity-types';

import { mockEnv, runIn, type Sim, startSim } from './helpers';

type Gate = (input: GateInput) => Promise<GateResult>;

async function passes(gate: Gate, input: GateInput, observation: RegExp): Promise<void> {
  const { env, beats } = mockEnv();
  const r = await runIn(env, gate, input);
  assert.equal(r.passed, true);
  assert.ok(r.polls >= input.stablePolls);
  assert.match(r.observation, observation);
  const last = beats.at(-1) as GateProgress;
  assert.equal(last.good, input.stablePolls);
  assert.equal(last.host, input.target.node.id);
}

async function timesOut(gate: Gate, input: GateInput, observation: RegExp): Promise<void> {
  await assert.rejects(runIn(mockEnv().env, gate, input), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, 'GateTimeout', err.message);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, new RegExp(`on ${input.target.node.id} did not hold by .*: last seen `));
    assert.match(err.message, observation);
    return true;
  });
}

const soon = () => Date.now() + 1_200;

describe('probes: http — the same gates asked from the worker, with its copies of the TLS files', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({ masters: 3, agents: 1, variant: 'enterprise', security: 'strict', probes: 'http' });
  });
  after(() => sim.stop());

  test('every master and agent gate passes from the worker', async () => {
    const h = sim.plan.http;
    assert.ok(h.probes === 'http' && h.exhibitorTls && h.mesosCaCertPath && h.tokenPath);
    const m = sim.plan.masters[0]!.id;
    const a = sim.plan.agents[0]!.id;
    await passes(gateExhibitorConverged, sim.gateInput(m), /^3\/3 serving \(leader \S+\)$/);
    await passes(gateRegistrarRecovered, sim.gateInput(m), /^registrar\/log\/recovered=1$/);
    await passes(gateAgentRegistered, sim.gateInput(a), /^slave\/registered=1$/);
    await passes(gateAgentTasksReconciled, sim.gateInput(a), /^agent active, (\d+)\/\1 tasks TASK_RUNNING$/);
  });
});

describe('gates on a healthy Enterprise cluster in strict mode (HTTPS, client certificates, token)', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({ masters: 3, agents: 1, variant: 'enterprise', security: 'strict' });
  });
  after(() => sim.stop());

  test('the plan asks for TLS (the masters own files) and a token, and every master gate passes over SSH', async () => {
    const h = sim.plan.http;
    assert.ok(h.probes === 'ssh' && h.exhibitorTlsOnNode && !h.exhibitorTls && h.mesosHttps && h.tokenPath);
    const m = sim.plan.masters[1]!.id;
    await passes(gateExhibitorConverged, sim.gateInput(m), /^3\/3 serving \(leader \S+\)$/);
    await passes(gateMesosMasterUnitActive, sim.gateInput(m), /^dcos-mesos-master active$/);
    await passes(gateRegistrarRecovered, sim.gateInput(m), /^registrar\/log\/recovered=1$/);
    await passes(gateMesosVersion, sim.gateInput(m, { expect: '1.10.1' }), /^mesos 1\.10\.1$/);
    await passes(gateCockroachReplicated, sim.gateInput(m), /^ranges_underreplicated 0 on 3 nodes$/);
  });

  test('every agent gate passes', async () => {
    const a = sim.plan.agents[0]!.id;
    await passes(gateAgentRegistered, sim.gateInput(a), /^slave\/registered=1$/);
    await passes(gateAgentTasksReconciled, sim.gateInput(a), /^agent active, (\d+)\/\1 tasks TASK_RUNNING$/);
  });

  test('CockroachDB that never catches up after a restart times out naming the under-replicated nodes', async () => {
    const m = sim.plan.masters[2]!.id;
    sim.cluster.inject(m, { kind: 'cockroach-never-catches-up' });
    sim.cluster.stopUnits(m);
    sim.cluster.startUnits(m);
    try {
      await timesOut(
        gateCockroachReplicated,
        sim.gateInput(m, { deadlineMs: soon() }),
        /ranges_underreplicated \d+ \(node \d: \d+.*\) on 3 nodes/
      );
    } finally {
      sim.cluster.clearFaults(m);
    }
  });
});

describe('gates under faults (open DC/OS)', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({ masters: 3, agents: 2 });
  });
  after(() => sim.stop());
  const master = (i: number) => sim.plan.masters[i]!.id;
  const agent = (i: number) => sim.plan.agents[i]!.id;

  test('Exhibitor with a master not serving times out naming it', async () => {
    const bad = sim.plan.masters[2]!;
    sim.cluster.makeMasterNotServing(bad.id, true);
    try {
      await timesOut(
        gateExhibitorConverged,
        sim.gateInput(master(0), { deadlineMs: soon() }),
        new RegExp(`2/3 serving; ${bad.address.replace(/\./g, '\\.')} not serving`)
      );
    } finally {
      sim.cluster.makeMasterNotServing(bad.id, false);
    }
  });

  test('dcos-mesos-master that never comes back times out as "failed"', async () => {
    const m = master(1);
    sim.cluster.inject(m, { kind: 'unit-never-returns', unit: 'dcos-mesos-master' });
    sim.cluster.stopUnits(m);
    sim.cluster.startUnits(m);
    try {
      await timesOut(gateMesosMasterUnitActive, sim.gateInput(m, { deadlineMs: soon() }), /dcos-mesos-master failed/);
    } finally {
      sim.cluster.clearFaults(m);
      sim.cluster.startUnits(m);
    }
  });

  test('a metrics endpoint answering HTTP 500 keeps the registrar gate closed, saying so', async () => {
    const m = master(0);
    sim.cluster.inject(m, { kind: 'endpoint', port: 'mesosMaster', path: '/metrics/snapshot', mode: '500' });
    try {
      await timesOut(
        gateRegistrarRecovered,
        sim.gateInput(m, { deadlineMs: soon() }),
        /probe failed: .*GET http:\/\/\S+:5050\/metrics\/snapshot: HTTP 500/
      );
    } finally {
      sim.cluster.clearFaults(m);
    }
  });

  test('a wrong Mesos version after the patch is a bad observation until the deadline', async () => {
    await timesOut(
      gateMesosVersion,
      sim.gateInput(master(0), { expect: '1.11.0', deadlineMs: soon() }),
      /mesos 1\.10\.1, expected 1\.11\.0/
    );
  });

  test('an agent endpoint answering garbage keeps the agent-registered gate closed', async () => {
    const a = agent(0);
    sim.cluster.inject(a, { kind: 'endpoint', port: 'mesosAgent', mode: 'garbage' });
    try {
      await timesOut(gateAgentRegistered, sim.gateInput(a, { deadlineMs: soon() }), /the answer is not JSON/);
    } finally {
      sim.cluster.clearFaults(a);
    }
  });

  test('an agent the leading master does not show as active times out', async () => {
    const a = agent(1);
    sim.cluster.makeAgentUnregistered(a, true);
    try {
      await timesOut(
        gateAgentTasksReconciled,
        sim.gateInput(a, { deadlineMs: soon() }),
        /agent \S+ (not registered with the leading master|registered but not active)/
      );
    } finally {
      sim.cluster.makeAgentUnregistered(a, false);
    }
  });

  test('the tasks gate finds the leader through a follower, and through a master that is down', async () => {
    const a = agent(1);
    const leader = sim.cluster.truth().mesosLeader;
    const others = sim.plan.masters.filter((m) => m.id !== leader && m.address !== leader);
    const down = { ...others[0]!, ports: { ...others[0]!.ports, mesosMaster: 1 } };
    await passes(
      gateAgentTasksReconciled,
      sim.gateInput(a, { masters: [down, ...others.slice(1), ...sim.plan.masters.filter((m) => !others.includes(m))] }),
      /^agent active, (\d+)\/\1 tasks TASK_RUNNING$/
    );
  });
});
