// The node script is on every agent before the agents' turns: fetched while the masters are patched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { patchToEnd, simWithPlan } from '../helpers/sim-patch';
import { testEnvironmentPerFile } from '../helpers/temporal';

const files = testEnvironmentPerFile();

describe('pre-staging the node script', { timeout: 300_000 }, () => {
  test("every agent fetches the script while the masters are patched; no agent's turn downloads it", async () => {
    const { cluster, plan } = await simWithPlan({ masters: 1, agents: 3 }, { agentConcurrency: 1 });
    try {
      const report = await patchToEnd(files.env, plan, 'prestage');
      assert.equal(report.outcome, 'succeeded', report.message);
      const truth = cluster.truth();
      const agents = new Set(cluster.agents.map((a) => a.id));
      const firstAgentScript = Math.min(...truth.scriptRuns.filter((r) => agents.has(r.node)).map((r) => r.startedAt));
      const scriptGets = truth.bootstrapRequests.filter(
        (r) => r.method === 'GET' && r.path.endsWith('/dcos_node_upgrade.sh') && r.status === 200
      );
      const late = scriptGets.filter((r) => r.at >= firstAgentScript);
      assert.deepEqual(late, [], 'no download of the script once the first agent began its script');
      assert.ok(
        scriptGets.filter((r) => r.at < firstAgentScript).length >= agents.size + 1,
        `the master and each of the ${agents.size} agents fetched it before: ${scriptGets.length} downloads`
      );
      for (const id of [...agents, cluster.masters[0]!.id]) {
        assert.equal(truth.hosts[id]!.version, '2.1.5');
        assert.equal(truth.hosts[id]!.scriptRuns, 1);
      }
    } finally {
      await cluster.stop();
    }
  });
});
