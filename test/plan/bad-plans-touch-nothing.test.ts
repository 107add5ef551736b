/**
 * A bad plan touches nothing. Every error case of bad-cases.ts is pointed at a live simulated
 * cluster (the fixture's addresses, key and known_hosts replaced by the simulator's) and started
 * with `dcos-patch start` as an operator would: each is refused with exit 2 and the simulator's
 * ground truth shows no command on any host. A control run of the unbroken plan does reach the
 * hosts, so the silence means something.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeAllSsh } from '../../src/activities/ssh';
import { type SimCluster, startCluster } from '../../src/sim';
import { cli } from '../cli/helpers';
import { type Env, patchWorker, waitFor } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { cases } from './bad-cases';
import { cleanFixtures, type Fixture, fixtureKey, makeFixture } from './fixture';
import { mutations } from './mutations';

let env: Env;
let sim: SimCluster;
before(async () => {
  env = await startTestEnvironment();
  // The fixture's shape: 3 masters, 3 private agents, 1 public agent.
  sim = await startCluster({ masters: 3, agents: 3, publicAgents: 1, version: '2.1.4', user: 'centos' });
});
after(async () => {
  cleanFixtures();
  closeAllSsh();
  await sim?.stop();
  await env?.teardown();
});

/** Rewrite the fixture so its hosts are the simulator's (what the case broke stays broken). */
function pointAtSim(f: Fixture): void {
  const map: [string, string][] = [
    ['10.0.0.5', sim.bootstrap.address],
    ...sim.masters.map((m, i): [string, string] => [`10.0.0.${11 + i}`, m.address]),
    ...sim.agents.map((a, i): [string, string] => [`10.0.1.${1 + i}`, a.address]),
    ['10.0.2.1', sim.publicAgents[0]!.address],
  ];
  const rewrite = (path: string) => {
    let text = readFileSync(path, 'utf8');
    for (const [from, to] of map) text = text.replace(new RegExp(`\\b${from.replaceAll('.', '\\.')}\\b`, 'g'), to);
    writeFileSync(path, text);
  };
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(path);
      else if (st?.isFile() && (name.endsWith('.yaml') || name === 'ip-detect')) rewrite(path);
    }
  };
  walk(f.dir);
  // The simulator's key and host keys, unless the case broke those files on purpose.
  const key = join(f.dir, 'keys/dcos_patch');
  if (readIf(key) === fixtureKey()) copyFileSync(join(sim.dir, 'id_ed25519'), key);
  const knownHosts = join(f.dir, 'keys/known_hosts');
  if (readIf(knownHosts) === '') copyFileSync(join(sim.dir, 'known_hosts'), knownHosts);
}

function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function commandsRun(): number {
  return Object.values(sim.truth().hosts).reduce((n, h) => n + h.commands.length, 0);
}

describe('a bad plan is refused before any host is touched', () => {
  const errorCases = cases.filter((c) => (c.expect.severity ?? 'error') === 'error');

  test(`there are at least 40 bad plans (${errorCases.length})`, () => {
    assert.ok(errorCases.length >= 40);
  });

  test('dcos-patch start refuses each one with exit 2 and its finding; no command ran on any host', async () => {
    const address = process.env.TEMPORAL_TEST_ADDRESS ?? env.address;
    const taskQueue = uniqueTaskQueue('bad-plans');
    sim.resetTruth();
    for (const c of errorCases) {
      const fixture = makeFixture(c);
      pointAtSim(fixture);
      const r = await cli(['start', fixture.planPath], { address, taskQueue });
      assert.equal(r.code, 2, `${c.name}: exit 2\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`\\b${c.expect.code}\\b|Nothing was started`), c.name);
      assert.match(r.stderr, /Nothing was started/, c.name);
      assert.equal(commandsRun(), 0, `${c.name}: no command on any host`);
    }
    const truth = sim.truth();
    for (const h of Object.values(truth.hosts)) {
      assert.equal(h.commands.length, 0, `${h.id}: no command`);
      if (h.role !== 'bootstrap') assert.equal(h.version, '2.1.4', `${h.id}: still at 2.1.4`);
    }
    assert.equal(truth.generatorRuns.length, 0, 'the bootstrap generator never ran');
    assert.equal(truth.scriptRuns.length, 0, 'no patch script ran');
    const started = [];
    for await (const w of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) started.push(w);
    assert.deepEqual(started, [], 'no workflow was started');
  });

  test('each generated mutation the check refuses: dcos-patch start exits 2; no command on any host, no workflow', {
    timeout: 900_000,
  }, async () => {
    const address = process.env.TEMPORAL_TEST_ADDRESS ?? env.address;
    const taskQueue = uniqueTaskQueue('mutations');
    sim.resetTruth();
    // Three CLI processes at a time: each is an operator's `dcos-patch start`; the ground truth
    // (no command on any host) is checked after each, whichever finished.
    const refused = mutations().flatMap((m) => {
      const fixture = makeFixture(m.opts);
      pointAtSim(fixture);
      return fixture.check().plan ? [] : [{ name: m.name, planPath: fixture.planPath }]; // valid once pointed at the simulator: nothing to refuse
    });
    let next = 0;
    let started = 0;
    const lane = async () => {
      while (next < refused.length) {
        const m = refused[next++]!;
        const r = await cli(['start', m.planPath], { address, taskQueue });
        assert.equal(r.code, 2, `${m.name}: exit 2\n${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /Nothing was started/, m.name);
        assert.equal(commandsRun(), 0, `${m.name}: no command on any host`);
        started++;
      }
    };
    await Promise.all([lane(), lane(), lane()]);
    assert.ok(started >= 300, `${started} refused mutations started`);
    const workflows = [];
    for await (const w of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) workflows.push(w);
    assert.deepEqual(workflows, [], 'no workflow was started');
    assert.equal(sim.truth().generatorRuns.length, 0);
  });

  test('control: the same plan unbroken does reach the simulated hosts', async () => {
    const address = process.env.TEMPORAL_TEST_ADDRESS ?? env.address;
    const taskQueue = uniqueTaskQueue('bad-plans-control');
    const fixture = makeFixture();
    pointAtSim(fixture);
    sim.resetTruth();
    const worker = await patchWorker(env.nativeConnection, taskQueue);
    const id = `bad-plans-control-${taskQueue}`;
    await worker.runUntil(async () => {
      const r = await cli(['start', fixture.planPath, '--id', id], { address, taskQueue });
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      await waitFor(() => commandsRun() > 0, 'the survey to run a command on a host', 30_000);
      await env.client.workflow.getHandle(id).terminate('control run: only reaching the hosts was to be shown');
    });
  });
});
