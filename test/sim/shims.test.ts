import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SimCluster, startCluster } from '../../src/sim';
import { FAST, sshExec } from './helpers';

describe('host commands of an open cluster', { timeout: 120_000 }, () => {
  let c: SimCluster;
  before(async () => {
    c = await startCluster({
      masters: 1,
      agents: 1,
      version: '2.1.4',
      timings: FAST,
      marathon: { eventSubscriber: true },
    });
  });
  after(() => c?.stop());

  test("systemctl speaks systemd's formats: list-units for grep, is-active exit codes, status, cat, --version", async () => {
    const m = c.masters[0]!;
    const list = await sshExec(c, m, 'systemctl | grep dcos');
    assert.match(
      list.stdout,
      /^ {2}dcos-mesos-master\.service +loaded active running Mesos Master: distributed systems kernel$/m
    );
    assert.match(list.stdout, /^ {2}dcos-exhibitor\.service +loaded active running/m);
    assert.doesNotMatch(list.stdout, /docker/);
    const active = await sshExec(c, m, 'systemctl is-active dcos-mesos-master');
    assert.deepEqual([active.code, active.stdout], [0, 'active\n']);
    const missing = await sshExec(c, m, 'systemctl status dcos-nope');
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /Unit dcos-nope\.service could not be found/);
    const cat = await sshExec(c, m, 'systemctl cat dcos-marathon');
    assert.match(cat.stdout, /ExecStart=\/opt\/mesosphere\/bin\/marathon\.sh$/m, 'the unit only calls marathon.sh');
    const script = await sshExec(c, m, 'grep -- --event_subscriber /opt/mesosphere/bin/marathon.sh');
    assert.match(script.stdout, /--event_subscriber http_callback/);
    assert.equal((await sshExec(c, m, 'systemctl --version | head -1')).stdout, 'systemd 219\n');
    c.setFacts(m.id, { systemdVersion: 217 });
    assert.equal((await sshExec(c, m, 'systemctl --version | head -1')).stdout, 'systemd 217\n');
  });

  test('a stopped unit is inactive (exit 3), listed only with --all, and its stop/start is in journalctl', async () => {
    const a = c.agents[0]!;
    assert.equal((await sshExec(c, a, 'systemctl stop dcos-mesos-slave')).code, 1, 'needs root');
    c.stopUnits(a.id);
    const r = await sshExec(c, a, 'systemctl is-active dcos-mesos-slave');
    assert.deepEqual([r.code, r.stdout], [3, 'inactive\n']);
    assert.doesNotMatch((await sshExec(c, a, 'systemctl list-units')).stdout, /dcos-mesos-slave/);
    assert.match(
      (await sshExec(c, a, 'systemctl list-units --all')).stdout,
      /dcos-mesos-slave\.service +loaded inactive dead/
    );
    const checks = await sshExec(c, a, 'dcos-check-runner check node-poststart');
    assert.equal(checks.code, 2, 'worst status: failure');
    const parsed = JSON.parse(checks.stdout) as { status: number; checks: Record<string, { status: number }> };
    assert.equal(parsed.checks.components_agent?.status, 2);
    c.startUnits(a.id);
    const log = await sshExec(c, a, 'journalctl -u dcos-mesos-slave --no-pager -n 20');
    assert.match(log.stdout, /systemd\[1\]: Stopping Mesos Agent: distributed systems kernel agent\.\.\./);
    assert.match(log.stdout, /systemd\[1\]: Started Mesos Agent: distributed systems kernel agent\./);
    const cluster = await sshExec(c, a, 'dcos-check-runner check cluster');
    assert.equal(cluster.code, 0);
    assert.deepEqual(JSON.parse(cluster.stdout), { status: 0, checks: {} });
  });

  test('the ZooKeeper backup writes the file and is recorded; open DC/OS 2.1 runs the IAM database too', async () => {
    const m = c.masters[0]!;
    c.resetTruth();
    assert.equal((await sshExec(c, m, 'dcos-shell dcos-zk backup /tmp/zk.tar.gz -v')).code, 1, 'needs root');
    const r = await sshExec(
      c,
      m,
      'sudo /opt/mesosphere/bin/dcos-shell dcos-zk backup /var/lib/dcos-patch/zk-backup.tar.gz -v && gzip -t /var/lib/dcos-patch/zk-backup.tar.gz'
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ZooKeeper backup taken successfully/);
    const z = c.truth().backups.zookeeper;
    assert.equal(z.length, 1);
    assert.deepEqual(
      [z[0]!.node, z[0]!.path, z[0]!.exhibitorStoppedOnAllMasters],
      [m.id, '/var/lib/dcos-patch/zk-backup.tar.gz', false]
    );
    const iam = await sshExec(c, m, 'sudo /opt/mesosphere/bin/dcos-shell iam-database-backup');
    assert.equal(iam.code, 0, iam.stderr);
    assert.match(iam.stdout, /CREATE TABLE users/);
    assert.equal(c.truth().backups.iam.length, 1);
  });

  test('host facts: IPv6 switch, ipset, os-release, libltdl, detect_ip', async () => {
    const a = c.agents[0]!;
    const q =
      'sysctl -n net.ipv6.conf.all.disable_ipv6; command -v ipset >/dev/null && echo ipset; . /etc/os-release; echo $ID; ls /opt/mesosphere/lib; /opt/mesosphere/bin/detect_ip';
    assert.equal((await sshExec(c, a, q)).stdout, `0\nipset\ncentos\nlibltdl.so.7\n${a.address}\n`);
    c.setFacts(a.id, { ipv6Disabled: true, ipsetInstalled: false, os: 'coreos', libltdlPresent: false });
    assert.equal((await sshExec(c, a, q)).stdout, `1\ncoreos\n${a.address}\n`);
  });
});

describe('host commands of an Enterprise cluster', { timeout: 120_000 }, () => {
  let c: SimCluster;
  before(async () => {
    c = await startCluster({ masters: 3, agents: 0, version: '2.1.4', variant: 'enterprise', timings: FAST });
  });
  after(() => c?.stop());

  test('cockroach node status --ranges prints a pipe table with one row per master, and needs the certs directory', async () => {
    const m = c.masters[1]!;
    const r = await sshExec(
      c,
      m,
      'sudo /opt/mesosphere/bin/cockroach node status --ranges --certs-dir=/run/dcos/pki/bouncer --host=$(/opt/mesosphere/bin/detect_ip)'
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('|'));
    const head = rows[0]!
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean);
    assert.deepEqual(head, [
      'id',
      'address',
      'build',
      'updated_at',
      'started_at',
      'replicas_leaders',
      'replicas_leaseholders',
      'ranges',
      'ranges_unavailable',
      'ranges_underreplicated',
    ]);
    assert.equal(rows.length, 4);
    assert.match(r.stdout, /\(3 rows\)\n$/);
    const insecure = await sshExec(c, m, 'sudo /opt/mesosphere/bin/cockroach node status --ranges --insecure');
    assert.equal(insecure.code, 1);
    const nocerts = await sshExec(c, m, 'sudo /opt/mesosphere/bin/cockroach node status --ranges --certs-dir=/nowhere');
    assert.match(nocerts.stderr, /cannot load certificates/);
  });

  test('the IAM database backup prints SQL and is recorded', async () => {
    const m = c.masters[0]!;
    const r = await sshExec(
      c,
      m,
      'sudo /opt/mesosphere/bin/dcos-shell /opt/mesosphere/active/bouncer/bouncer/bin/iam-database-backup > /home/core/iam.sql && head -c 2 /home/core/iam.sql'
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '--');
    assert.equal(c.truth().backups.iam[0]?.node, m.id);
  });
});
