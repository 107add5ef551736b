import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rewriteLocalPorts, rewritePaths } from '../../src/sim/exec';
import { blocksNeeded, perHostIpLayout, workerAddress } from '../../src/sim/layout';

const R = '/sim/hosts/master-1';

describe('path rewriting of commands received over SSH', { timeout: 10_000 }, () => {
  test('host-local trees at a word start move under the host root', () => {
    assert.equal(
      rewritePaths('cat /opt/mesosphere/etc/dcos-version.json', R),
      `cat ${R}/opt/mesosphere/etc/dcos-version.json`
    );
    assert.equal(rewritePaths('/etc/os-release', R), `${R}/etc/os-release`);
    assert.equal(
      rewritePaths(`mkdir -p "/var/lib/dcos-patch/x" && echo 1 >/tmp/a 2>'/run/b';ls /root`, R),
      `mkdir -p "${R}/var/lib/dcos-patch/x" && echo 1 >${R}/tmp/a 2>'${R}/run/b';ls ${R}/root`
    );
    assert.equal(
      rewritePaths(
        'cockroach node status --certs-dir=/run/dcos/pki/bouncer --host=$(/opt/mesosphere/bin/detect_ip)',
        R
      ),
      `cockroach node status --certs-dir=${R}/run/dcos/pki/bouncer --host=$(${R}/opt/mesosphere/bin/detect_ip)`
    );
    assert.equal(
      rewritePaths('PATH=/opt/a:/opt/b `ls /home/core`|wc', R),
      `PATH=${R}/opt/a:${R}/opt/b \`ls ${R}/home/core\`|wc`
    );
    assert.equal(rewritePaths('cd /tmp && ls /etc', R), `cd ${R}/tmp && ls ${R}/etc`);
  });

  test('/usr, /bin, /dev, /proc, URLs and look-alikes stay as they are', () => {
    for (const cmd of [
      'ls /usr/bin /bin/sh /dev/null /proc/sys/net',
      'curl -fsSO http://127.0.0.2:8080/upgrade/abc/dcos_node_upgrade.sh',
      'curl http://example.com/opt/x',
      'echo /optional /etcetera /homer a/opt/b',
    ]) {
      assert.equal(rewritePaths(cmd, R), cmd);
    }
  });

  test("the boot id file is the host root's own, also when that root lives under /tmp", () => {
    for (const root of [R, '/tmp/dcos-sim-x/hosts/agent-1']) {
      assert.equal(
        rewritePaths('cat /proc/sys/kernel/random/boot_id > boot 2>/dev/null', root),
        `cat ${root}/.sim/boot_id > boot 2>/dev/null`
      );
    }
  });

  test("localhost:<DC/OS port> means the simulated host's own endpoint", () => {
    const ports = { 8181: 18181, 5050: 15050 };
    assert.equal(
      rewriteLocalPorts(
        'curl -s http://localhost:8181/exhibitor/v1/cluster/status; curl 127.0.0.1:5050/x; curl localhost:9999',
        '127.1.2.11',
        ports
      ),
      'curl -s http://127.1.2.11:18181/exhibitor/v1/cluster/status; curl 127.1.2.11:15050/x; curl localhost:9999'
    );
  });
});

describe('address layout', { timeout: 10_000 }, () => {
  test('bootstrap .2, masters .11-.15, agents from .21, spilling into the next /24s', () => {
    const l = perHostIpLayout(
      { masters: 3, agents: 500, publicAgents: 2, network: { mode: 'per-host-ip' }, sshPort: 2222 },
      50,
      7
    );
    const ids = l.hosts.map((h) => h.id);
    assert.equal(ids[0], 'bootstrap-127.50.7.2');
    assert.deepEqual(ids.slice(1, 4), ['master-127.50.7.11', 'master-127.50.7.12', 'master-127.50.7.13']);
    assert.equal(ids[4], 'agent-127.50.7.21');
    assert.equal(workerAddress(50, 7, 233), '127.50.7.254');
    assert.equal(workerAddress(50, 7, 234), '127.50.8.1');
    assert.equal(workerAddress(50, 7, 234 + 254), '127.50.9.1');
    assert.equal(ids.at(-1), `public-agent-${workerAddress(50, 7, 501)}`);
    assert.equal(new Set(l.hosts.map((h) => h.address)).size, l.hosts.length);
    assert.equal(blocksNeeded(1000), 5);
  });
});
