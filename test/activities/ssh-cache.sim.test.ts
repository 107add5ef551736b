// The SSH connection cache at more hosts than it keeps idle: whose connection closes, counted by
// the simulated hosts' own sshd logins (ground truth), not by the cache.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeAllSsh, runCommand } from '../../src/activities/ssh';
import { type Sim, startSim } from './helpers';

/** More agents than the 128 idle connections the worker keeps. */
const AGENTS = 131;

let sim: Sim;
before(async () => {
  sim = await startSim({ masters: 1, agents: AGENTS });
});
after(() => {
  closeAllSsh();
  return sim?.stop();
});

const logins = (id: string) => sim.cluster.truth().hosts[id]!.sshLogins;

describe('SSH connections past the idle cap', { timeout: 300_000 }, () => {
  test('a host in use keeps its connection; the longest idle ones close instead', async () => {
    closeAllSsh();
    const agents = sim.plan.agents.map((a) => a.id);
    for (const id of agents) await runCommand(sim.target(id), 'true', { timeoutMs: 20_000 });
    for (const id of agents) assert.equal(logins(id), 1, `${id}: one login for its first command`);
    // The last host touched is the one in use: its next commands (an agent's next steps) reuse
    // its connection, however many other hosts were touched before.
    const last = agents[agents.length - 1]!;
    for (let i = 0; i < 3; i++) await runCommand(sim.target(last), 'true', { timeoutMs: 20_000 });
    assert.equal(logins(last), 1, 'no new login on the host in use');
    // The first host touched waited longest: its connection is the one that closed.
    await runCommand(sim.target(agents[0]!), 'true', { timeoutMs: 20_000 });
    assert.equal(logins(agents[0]!), 2, 'the longest idle connection was closed');
  });
});
