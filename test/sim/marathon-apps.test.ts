import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SimCluster, startCluster } from '../../src/sim';
import { FAST, refused, sleep } from './helpers';

interface AppTask {
  id: string;
  host: string;
  state: string;
  healthCheckResults?: { alive: boolean }[];
}

const CANARY = {
  id: '/canary',
  instances: 2,
  cmd: 'sleep 3600',
  constraints: [['hostname', 'UNIQUE']],
  healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0 }],
};

describe('Marathon apps and Mesos-DNS in the simulator', { timeout: 120_000 }, () => {
  let c: SimCluster;
  let marathon: string;
  let dns: (m: number) => string;
  before(async () => {
    c = await startCluster({ masters: 3, agents: 3, publicAgents: 1, version: '2.1.4', timings: FAST });
    marathon = `http://${c.masters[1]!.address}:${c.masters[1]!.ports.marathon}`;
    dns = (m) => `http://${c.masters[m]!.address}:${c.masters[m]!.ports.mesosDns}`;
  });
  after(() => c?.stop());

  const app = async (): Promise<{ status: number; tasks: AppTask[]; body: Record<string, unknown> }> => {
    const res = await fetch(`${marathon}/v2/apps/canary`);
    const body = (await res.json()) as { app?: { tasks: AppTask[] } };
    return { status: res.status, tasks: body.app?.tasks ?? [], body: body as Record<string, unknown> };
  };
  const hosts = async (m = 0): Promise<{ host: string; ip: string }[]> =>
    (await (await fetch(`${dns(m)}/v1/hosts/canary.marathon.mesos`)).json()) as { host: string; ip: string }[];

  test('PUT creates an app on distinct private agents; GET shows its tasks; Mesos-DNS resolves it', async () => {
    assert.equal((await app()).status, 404);
    assert.deepEqual(await hosts(), [{ host: '', ip: '' }], 'no record before the app exists');
    const put = await fetch(`${marathon}/v2/apps/canary`, { method: 'PUT', body: JSON.stringify(CANARY) });
    assert.equal(put.status, 201);
    const { tasks } = await app();
    assert.equal(tasks.length, 2);
    assert.ok(tasks.every((t) => t.state === 'TASK_RUNNING' && t.healthCheckResults?.[0]?.alive === true));
    const agents = new Set(c.agents.map((a) => a.address));
    assert.ok(
      tasks.every((t) => agents.has(t.host)),
      'on private agents only'
    );
    assert.equal(new Set(tasks.map((t) => t.host)).size, 2, 'hostname:UNIQUE');
    const answer = await hosts(2);
    assert.deepEqual(answer.map((a) => a.ip).sort(), tasks.map((t) => t.host).sort());
    assert.ok(answer.every((a) => a.host === 'canary.marathon.mesos.'));
    const bad = await fetch(`${marathon}/v2/apps/canary`, {
      method: 'PUT',
      body: JSON.stringify({ ...CANARY, instances: -1 }),
    });
    assert.equal(bad.status, 422);
    const list = (await (await fetch(`${marathon}/v2/apps`)).json()) as {
      apps: { id: string; tasksHealthy: number }[];
    };
    assert.equal(list.apps.find((a) => a.id === '/canary')?.tasksHealthy, 2);
  });

  test('a killed task is replaced under a new id; an outage empties every answer; a stopped Mesos-DNS closes its port', async () => {
    const before = (await app()).tasks.map((t) => t.id);
    const killed = c.killTask('/canary');
    const afterKill = (await app()).tasks.map((t) => t.id);
    assert.ok(before.includes(killed.killed) && !afterKill.includes(killed.killed));
    assert.equal(afterKill.length, 2);
    assert.ok(killed.replacement && afterKill.includes(killed.replacement));
    c.setDnsOutage(true);
    assert.deepEqual(await hosts(0), [{ host: '', ip: '' }]);
    c.setDnsOutage(false);
    assert.equal((await hosts(0)).length, 2);
    c.stopUnits(c.masters[0]!.id);
    await sleep(100);
    assert.ok(await refused(`${dns(0)}/v1/version`), 'Mesos-DNS down with its unit');
    assert.equal((await hosts(1)).length, 2, 'the other masters still answer');
    c.startUnits(c.masters[0]!.id);
  });

  test('DELETE removes the app and its tasks', async () => {
    const del = await fetch(`${marathon}/v2/apps/canary`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await app()).status, 404);
    assert.ok(!c.truth().marathonApps.some((a) => a.id === '/canary'));
    assert.equal((await fetch(`${marathon}/v2/apps/canary`, { method: 'DELETE' })).status, 404);
  });
});
