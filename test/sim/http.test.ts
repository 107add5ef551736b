import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { type SimCluster, startCluster } from '../../src/sim';
import { type ExhibitorEntry, exhibitorUrl, FAST, getJson, refused, run, sleep } from './helpers';

interface MesosState {
  leader?: string;
  version: string;
  slaves: { id: string; hostname: string; active: boolean }[];
  frameworks: {
    name: string;
    tasks: { id: string; slave_id: string; state: string; executor_id: string }[];
    executors: { executor_id: string; slave_id: string; type: string }[];
  }[];
}

describe('HTTP endpoints of an open cluster', () => {
  let c: SimCluster;
  before(async () => {
    c = await startCluster({
      masters: 3,
      agents: 3,
      publicAgents: 1,
      version: '2.1.4',
      timings: FAST,
      marathon: { eventSubscriber: true, apps: [{ id: '/web', instances: 2, constraints: [['hostname', 'UNIQUE']] }] },
    });
  });
  after(() => c?.stop());

  test('Exhibitor lists every master, all serving, one leader', async () => {
    const status = await getJson<ExhibitorEntry[]>(exhibitorUrl(c.masters[1]!));
    assert.deepEqual(
      status.map((s) => [s.code, s.description, s.hostname]),
      c.masters.map((m) => [3, 'serving', m.address])
    );
    assert.equal(status.filter((s) => s.isLeader).length, 1);
    const viaCurl = await run('curl', ['-sf', exhibitorUrl(c.masters[0]!)]);
    assert.deepEqual(JSON.parse(viaCurl.stdout), status);
  });

  test('Mesos metrics are one flat object of floats, written the way Mesos writes them', async () => {
    const leader = c.masters[0]!;
    const raw = await (await fetch(`http://${leader.address}:5050/metrics/snapshot`)).text();
    assert.match(raw, /"registrar\/log\/recovered":1\.0/);
    const m = JSON.parse(raw) as Record<string, number>;
    assert.equal(m['master/elected'], 1);
    assert.equal(m['master/slaves_active'], 4);
    const other = await getJson<Record<string, number>>(`http://${c.masters[1]!.address}:5050/metrics/snapshot`);
    assert.equal(other['master/elected'], 0);
    assert.equal(other['registrar/log/recovered'], 1);
    const agent = await getJson<Record<string, number>>(`http://${c.agents[0]!.address}:5051/metrics/snapshot`);
    assert.equal(agent['slave/registered'], 1);
  });

  test('/version and /state in the Mesos shape: leader, agents, tasks with their agent, a pod under a DEFAULT executor', async () => {
    const v = await getJson<{ version: string }>(`http://${c.masters[2]!.address}:5050/version`);
    assert.equal(v.version, '1.10.1');
    const leader = c.masters[0]!;
    const s = await getJson<MesosState>(`http://${leader.address}:5050/state`);
    assert.equal(s.leader, `master@${leader.address}:5050`);
    assert.deepEqual(
      s.slaves.map((a) => [a.hostname, a.active]).sort(),
      [...c.agents, ...c.publicAgents].map((a) => [a.address, true]).sort()
    );
    const fw = s.frameworks.find((f) => f.name === 'marathon')!;
    const agentIds = new Set(s.slaves.map((a) => a.id));
    assert.ok(fw.tasks.length >= 4 * 3);
    assert.ok(fw.tasks.every((t) => agentIds.has(t.slave_id) && t.state === 'TASK_RUNNING'));
    const pod = fw.executors.find((e) => e.type === 'DEFAULT');
    assert.ok(pod, 'a pod runs under a DEFAULT executor');
    assert.ok(fw.tasks.some((t) => t.executor_id === pod.executor_id));
    const follower = await getJson<MesosState>(`http://${c.masters[1]!.address}:5050/state`);
    assert.equal(follower.leader, s.leader, 'a follower names the leader');
    assert.deepEqual(follower.slaves, [], 'only the leader knows agents');
    const redirect = await fetch(`http://${c.masters[1]!.address}:5050/master/redirect`, { redirect: 'manual' });
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get('location'), `//${leader.address}:5050`);
  });

  test('Marathon /v2/info shows the event subscriber and /v2/apps the configured apps', async () => {
    const info = await getJson<{ event_subscriber: { type: string } | null }>(
      `http://${c.masters[0]!.address}:8080/v2/info`
    );
    assert.equal(info.event_subscriber?.type, 'http_callback');
    const apps = await getJson<{ apps: { id: string; instances: number; constraints: string[][] }[] }>(
      `http://${c.masters[0]!.address}:8080/v2/apps`
    );
    assert.deepEqual(
      apps.apps.map((a) => [a.id, a.instances, a.constraints]),
      [['/web', 2, [['hostname', 'UNIQUE']]]]
    );
  });

  test('endpoint faults: garbage, HTTP 500, no answer, refused — each for its budget of requests', async () => {
    const m = c.masters[1]!;
    const url = `http://${m.address}:5050/metrics/snapshot`;
    c.inject(m.id, { kind: 'endpoint', port: 'mesosMaster', path: '/metrics', mode: 'garbage', times: 1 });
    const garbage = await fetch(url);
    assert.equal(garbage.status, 200);
    await assert.rejects(garbage.json());
    assert.equal((await fetch(url)).status, 200, 'budget used up');
    c.inject(m.id, { kind: 'endpoint', port: 'mesosMaster', mode: '500', times: 2 });
    assert.equal((await fetch(url)).status, 500);
    assert.equal((await fetch(`http://${m.address}:5050/state`)).status, 500);
    assert.equal((await fetch(url)).status, 200);
    c.inject(m.id, { kind: 'endpoint', port: 'exhibitor', mode: 'timeout', times: 1 });
    await assert.rejects(fetch(exhibitorUrl(m), { signal: AbortSignal.timeout(300) }), /timeout|aborted/i);
    c.inject(m.id, { kind: 'endpoint', port: 'marathon', mode: 'refuse' });
    await sleep(20);
    assert.ok(await refused(`http://${m.address}:8080/v2/info`));
    c.clearFaults(m.id);
    await sleep(20);
    assert.equal((await fetch(`http://${m.address}:8080/v2/info`)).status, 200);
  });
});

describe('HTTP endpoints of an Enterprise cluster in strict mode', () => {
  let c: SimCluster;
  before(async () => {
    c = await startCluster({
      masters: 1,
      agents: 1,
      version: '2.1.4',
      variant: 'enterprise',
      security: 'strict',
      timings: FAST,
    });
  });
  after(() => c?.stop());

  test('Exhibitor is HTTPS and verifies the client certificate from exhibitor-tls-artifacts', async () => {
    const m = c.masters[0]!;
    const art = `${m.root}/var/lib/dcos/exhibitor-tls-artifacts`;
    const url = `https://${m.address}:8181/exhibitor/v1/cluster/status`;
    const ok = await run('curl', [
      '-sf',
      '--cacert',
      `${art}/root-cert.pem`,
      '--cert',
      `${art}/client-cert.pem`,
      '--key',
      `${art}/client-key.pem`,
      url,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as ExhibitorEntry[])[0]?.description, 'serving');
    const noCert = await run('curl', ['-sf', '--cacert', `${art}/root-cert.pem`, url]);
    assert.notEqual(noCert.code, 0, 'no client certificate, no answer');
    assert.equal(readFileSync(`${c.dir}/tls/client-cert.pem`, 'utf8'), readFileSync(`${art}/client-cert.pem`, 'utf8'));
  });

  test('Mesos answers 401 without a token, and serves with the token from <dir>/dcos-token or from the login endpoint', async () => {
    const m = c.masters[0]!;
    const dispatcher = new Agent({ connect: { ca: readFileSync(`${c.dir}/tls/dcos-ca.crt`) } });
    const url = `https://${m.address}:5050/metrics/snapshot`;
    assert.equal((await undiciFetch(url, { dispatcher })).status, 401);
    const token = readFileSync(`${c.dir}/dcos-token`, 'utf8').trim();
    const res = await undiciFetch(url, { dispatcher, headers: { Authorization: `token=${token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Record<string, number>)['registrar/log/recovered'], 1);
    const login = await undiciFetch(`https://${m.address}:5050/acs/api/v1/auth/login`, {
      dispatcher,
      method: 'POST',
      body: JSON.stringify({
        uid: 'bootstrapuser',
        password: readFileSync(`${c.dir}/superuser-password`, 'utf8').trim(),
      }),
    });
    const fresh = ((await login.json()) as { token: string }).token;
    const a = c.agents[0]!;
    const agent = await undiciFetch(`https://${a.address}:5051/metrics/snapshot`, {
      dispatcher,
      headers: { Authorization: `token=${fresh}` },
    });
    assert.equal(agent.status, 200);
    const bad = await undiciFetch(`https://${m.address}:5050/acs/api/v1/auth/login`, {
      dispatcher,
      method: 'POST',
      body: JSON.stringify({ uid: 'bootstrapuser', password: 'wrong' }),
    });
    assert.equal(bad.status, 401);
    await dispatcher.close();
  });
});
