// probes: ssh — every health probe runs on the node through SSH, as the runbook does: a worker
// that can reach nothing of the cluster but its SSH ports still patches it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SimCluster, SimOptions } from '../../src/sim';
import { patchToEnd, simWithPlan } from '../helpers/sim-patch';
import { sshOnlyNetwork } from '../helpers/ssh-only-network';
import { testEnvironmentPerFile } from '../helpers/temporal';

const files = testEnvironmentPerFile();

function clusterHosts(cluster: SimCluster) {
  const nodes = [...cluster.masters, ...cluster.agents, ...cluster.publicAgents];
  return { nodes, all: [cluster.bootstrap, ...nodes] };
}

async function patchWithOnlySsh(opts: Pick<SimOptions, 'masters' | 'agents'> & Partial<SimOptions>) {
  const { cluster, plan } = await simWithPlan(opts, { agentConcurrency: 2 });
  const { nodes, all } = clusterHosts(cluster);
  const network = sshOnlyNetwork(
    all.map((h) => h.address),
    all.map((h) => h.sshPort)
  );
  try {
    const report = await patchToEnd(files.env, plan, 'ssh-probes');
    const truth = cluster.truth();
    return { report, truth, nodes, refused: [...network.refused], bootstrap: cluster.bootstrap };
  } finally {
    network.restore();
    await cluster.stop();
  }
}

describe('probes: ssh (the default): the worker needs nothing but SSH', { timeout: 120_000 }, () => {
  test('open DC/OS: a worker refused every HTTP port of the cluster patches it', async () => {
    const r = await patchWithOnlySsh({ masters: 3, agents: 2 });
    assert.equal(r.report.outcome, 'succeeded', r.report.message);
    for (const n of r.nodes) {
      assert.equal(r.truth.hosts[n.id]!.version, '2.1.5', `${n.id} patched`);
      assert.equal(r.truth.hosts[n.id]!.scriptRuns, 1, `${n.id} ran its script once`);
    }
    assert.ok(r.truth.maxMastersDownAtOnce <= 1, `masters down at once: ${r.truth.maxMastersDownAtOnce}`);
    const nodeAddresses = new Set(r.nodes.map((n) => n.address));
    const toNodes = r.refused.filter((c) => nodeAddresses.has(c.host));
    assert.deepEqual(toNodes, [], 'no probe tried a master or agent port from the worker');
  });

  test('Enterprise strict: Exhibitor TLS with the masters own files, Mesos HTTPS and the token, over SSH only', async () => {
    const r = await patchWithOnlySsh({ masters: 1, agents: 1, variant: 'enterprise', security: 'strict' });
    assert.equal(r.report.outcome, 'succeeded', r.report.message);
    for (const n of r.nodes) assert.equal(r.truth.hosts[n.id]!.scriptRuns, 1);
    const nodeAddresses = new Set(r.nodes.map((n) => n.address));
    assert.deepEqual(
      r.refused.filter((c) => nodeAddresses.has(c.host)),
      []
    );
  });

  test('probes: http still asks from the worker, with its copies of the Exhibitor files', async () => {
    const { cluster, plan } = await simWithPlan(
      { masters: 1, agents: 1, variant: 'enterprise', security: 'strict', probes: 'http' },
      { agentConcurrency: 1 }
    );
    try {
      assert.equal(plan.http.probes, 'http');
      assert.ok(plan.http.exhibitorTls, 'the worker has its copies');
      const report = await patchToEnd(files.env, plan, 'http-probes');
      assert.equal(report.outcome, 'succeeded', report.message);
      for (const n of [...cluster.masters, ...cluster.agents]) assert.equal(cluster.truth().hosts[n.id]!.scriptRuns, 1);
    } finally {
      await cluster.stop();
    }
  });
});
