// Pre-staging the node script on agents against the simulator's real SSH, bash and bootstrap server.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { prepareBootstrap, prestageScript, stageScript } from '../../src/activities';
import { prestagedDir } from '../../src/activities/prestage';
import { mockEnv, runIn, type Sim, startSim } from './helpers';

let sim: Sim;
let url: string;
let sha: string | undefined;
before(async () => {
  sim = await startSim({ masters: 1, agents: 3 });
  ({ scriptUrl: url, scriptSha256: sha } = await runIn(mockEnv().env, prepareBootstrap, { plan: sim.plan }));
});
after(() => sim.stop());

const onHost = (id: string, p: string) => `${sim.cluster.host(id).root}${p}`;

test('the bootstrap names the checksum of the script it serves; each agent gets a copy with it, and its turn uses the copy', {
  timeout: 120_000,
}, async () => {
  assert.match(sha ?? '', /^[0-9a-f]{64}$/);
  const agents = sim.plan.agents.map((a) => sim.target(a.id));
  const entries = await runIn(mockEnv().env, prestageScript, agents, url, sha);
  assert.deepEqual(
    entries.map((e) => [e.node, e.sha256, e.error]),
    agents.map((a) => [a.node.id, sha, undefined])
  );
  const id = agents[0]!.node.id;
  const dir = prestagedDir(agents[0]!.remoteWorkDir, url);
  assert.ok(readFileSync(onHost(id, `${dir}/dcos_node_upgrade.sh`), 'utf8').startsWith('#!'));
  const before = sim.cluster.truth().bootstrapRequests.length;
  const staged = await runIn(mockEnv().env, stageScript, agents[0]!, url, { workflowId: 'wf-prestaged', attempt: 1 });
  assert.ok(staged.bytes > 0);
  assert.equal(
    sim.cluster.truth().bootstrapRequests.length,
    before,
    'the turn copied the pre-staged script, no download'
  );
});

test('a copy whose checksum is not the served one is removed and named; an unreachable bootstrap is named per agent', {
  timeout: 120_000,
}, async () => {
  const t = sim.target(sim.plan.agents[1]!.id);
  const [wrong] = await runIn(mockEnv().env, prestageScript, [t], url, 'f'.repeat(64));
  assert.match(wrong!.error ?? '', /^checksum [0-9a-f]{12}… is not the bootstrap's ffffffffffff…$/);
  assert.equal(existsSync(onHost(t.node.id, prestagedDir(t.remoteWorkDir, url))), false);

  sim.cluster.inject(sim.cluster.bootstrap.id, { kind: 'endpoint', port: 'bootstrap', mode: '500' });
  try {
    // The copy was just removed: this one must download, and the bootstrap answers 500.
    const [down] = await runIn(mockEnv().env, prestageScript, [t], url, sha);
    assert.match(down!.error ?? '', /^curl exit 22 fetching http/);
  } finally {
    sim.cluster.clearFaults(sim.cluster.bootstrap.id);
  }
});
