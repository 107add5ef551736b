import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { utils } from 'ssh2';
import { type SimCluster, startCluster } from '../../src/sim';
import { connect, FAST, openssh, sleep, sshExec, waitFor } from './helpers';

describe('SSH to a simulated host', { timeout: 300_000 }, () => {
  let c: SimCluster;
  before(async () => {
    c = await startCluster({ masters: 1, agents: 1, version: '2.1.4', timings: FAST });
  });
  after(() => c?.stop());

  test('plain OpenSSH with the simulator key and known_hosts runs mesos-master --version', async () => {
    const r = await openssh(c, c.masters[0]!, '/opt/mesosphere/bin/mesos-master --version');
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'mesos 1.10.1\n');
  });

  test('a key the simulator did not issue is refused', async () => {
    const stranger = utils.generateKeyPairSync('ed25519').private;
    await assert.rejects(connect(c, c.masters[0]!, { privateKey: stranger }), /authentication methods failed/);
    await assert.rejects(connect(c, c.masters[0]!, { username: 'root' }), /authentication methods failed/);
  });

  test('commands run in real bash with the host root standing in for /: files, stdin, stderr, exit status', async () => {
    const m = c.masters[0]!;
    const w = await sshExec(c, m, 'mkdir -p /var/lib/dcos-patch/t && cat > /var/lib/dcos-patch/t/in.txt', {
      stdin: 'from stdin\n',
    });
    assert.equal(w.code, 0, w.stderr);
    const r = await sshExec(c, m, 'cat /var/lib/dcos-patch/t/in.txt; ls /etc/mesosphere/roles/; echo oops >&2; exit 7');
    assert.equal(r.stdout, 'from stdin\nmaster\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.code, 7);
    const a = await sshExec(
      c,
      c.agents[0]!,
      'ls /opt/mesosphere/lib/ /etc/mesosphere/roles/; echo "$PWD" | grep -c "/home/core$"'
    );
    assert.match(a.stdout, /libltdl\.so\.7/);
    assert.match(a.stdout, /^slave$/m);
  });

  test('closing the channel hangs up the foreground command, while a setsid nohup child survives', async () => {
    const m = c.masters[0]!;
    const client = await connect(c, m);
    try {
      await new Promise<void>((resolve, reject) => {
        client.exec(
          "setsid nohup bash -c 'sleep 0.5; touch /tmp/bg-survived' >/dev/null 2>&1 </dev/null & sleep 0.1; echo started; sleep 0.5; touch /tmp/fg-survived",
          (err, stream) => {
            if (err) return reject(err);
            stream.on('data', (d: Buffer) => {
              if (d.toString().includes('started')) stream.close();
            });
            stream.on('close', () => resolve());
          }
        );
      });
      await sleep(900);
      const r = await sshExec(c, m, 'ls /tmp/bg-survived /tmp/fg-survived 2>&1; true', { client });
      assert.match(r.stdout, /^\S*\/tmp\/bg-survived$/m);
      assert.match(r.stdout, /fg-survived'?: No such file/);
    } finally {
      client.end();
    }
  });

  test('sftp uploads land in the host root', async () => {
    const m = c.masters[0]!;
    const client = await connect(c, m);
    try {
      await new Promise<void>((resolve, reject) =>
        client.sftp((err, sftp) => {
          if (err) return reject(err);
          sftp.writeFile('/tmp/sftp-upload.txt', 'via sftp\n', (e) => (e ? reject(e) : resolve()));
        })
      );
      const r = await sshExec(c, m, 'cat /tmp/sftp-upload.txt', { client });
      assert.equal(r.stdout, 'via sftp\n');
    } finally {
      client.end();
    }
  });

  test('every command is recorded in the ground truth exactly as received', async () => {
    c.resetTruth();
    const a = c.agents[0]!;
    await sshExec(c, a, 'cat /opt/mesosphere/etc/dcos-version.json');
    const cmds = c.truth().hosts[a.id]!.commands.map((x) => x.command);
    assert.deepEqual(cmds, ['cat /opt/mesosphere/etc/dcos-version.json']);
  });

  test('sudo -n fails like the real one when the host wants a password', async () => {
    const a = c.agents[0]!;
    assert.equal((await sshExec(c, a, 'sudo -n true')).code, 0);
    c.setFacts(a.id, { sudoNeedsPassword: true });
    try {
      const r = await sshExec(c, a, 'sudo -n true');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'sudo: a password is required\n');
    } finally {
      c.setFacts(a.id, { sudoNeedsPassword: false });
    }
  });
});

describe('SSH faults', { timeout: 300_000 }, () => {
  let c: SimCluster;
  before(async () => {
    c = await startCluster({ masters: 1, agents: 1, version: '2.1.4', timings: FAST });
  });
  after(() => c?.stop());

  test('ssh-drop cuts the TCP connection mid-command; the remote command still runs to completion', async () => {
    const a = c.agents[0]!;
    c.inject(a.id, { kind: 'ssh-drop', afterMs: 150, match: 'long-job' });
    const quick = await sshExec(c, a, 'echo quick');
    assert.equal(quick.code, 0, 'commands that do not match are not dropped');
    const t0 = Date.now();
    const r = await sshExec(c, a, 'echo long-job >/dev/null; sleep 0.6; touch /tmp/long-job-done; echo finished');
    assert.equal(r.code, null, 'no exit status: the connection dropped');
    assert.ok(Date.now() - t0 < 550, 'dropped before the command finished');
    assert.deepEqual(c.truth().hosts[a.id]!.faults, [], 'the one drop was used up');
    await waitFor(
      async () => (await sshExec(c, a, 'test -f /tmp/long-job-done')).code === 0,
      'the command to finish on the host',
      3000
    );
  });

  test('ssh-refuse refuses connections for a while, then accepts them again', async () => {
    const a = c.agents[0]!;
    c.inject(a.id, { kind: 'ssh-refuse', forMs: 400 });
    await assert.rejects(connect(c, a), /ECONNREFUSED/);
    await sleep(500);
    assert.equal((await sshExec(c, a, 'true')).code, 0);
  });

  test('host-key-change: the host presents a key known_hosts does not list, until the fault is cleared', async () => {
    const a = c.agents[0]!;
    c.inject(a.id, { kind: 'host-key-change' });
    await assert.rejects(connect(c, a), /verification failed/);
    const o = await openssh(c, a, 'true');
    assert.notEqual(o.code, 0);
    assert.match(o.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    c.clearFaults(a.id);
    assert.equal((await sshExec(c, a, 'true')).code, 0);
  });

  test('an unreachable host refuses SSH until it is reachable again', async () => {
    const a = c.agents[0]!;
    c.setFacts(a.id, { reachable: false });
    await assert.rejects(connect(c, a), /ECONNREFUSED/);
    c.setFacts(a.id, { reachable: true });
    await waitFor(async () => (await sshExec(c, a, 'true')).code === 0, 'SSH to accept again', 2000);
  });
});
