import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { SimCluster, SimHost } from '../../src/sim';
import { type ExhibitorEntry, generateScript, openssh, sshExec, waitFor, withCluster } from './helpers';

/** Runbook step 3's gates, checked from the master itself over SSH. */
async function masterHealthy(c: SimCluster, m: SimHost): Promise<boolean> {
  const ex = await sshExec(c, m, 'curl -sf http://localhost:8181/exhibitor/v1/cluster/status');
  if (ex.code !== 0) return false;
  if (!(JSON.parse(ex.stdout) as ExhibitorEntry[]).every((e) => e.description === 'serving')) return false;
  const unit = await sshExec(c, m, 'systemctl is-active dcos-mesos-master');
  if (unit.code !== 0) return false;
  const metrics = await sshExec(c, m, `curl -sf http://${m.address}:5050/metrics/snapshot`);
  return metrics.code === 0 && (JSON.parse(metrics.stdout) as Record<string, number>)['registrar/log/recovered'] === 1;
}

describe('patching by hand, exactly as the runbook says', { timeout: 300_000 }, () => {
  test('one master and one agent: versions change, each script ran once, no task lost, and a second run on a patched host exits 1', async () => {
    await withCluster({ masters: 3, agents: 2 }, async (c) => {
      const master = c.masters[1]!;
      const agent = c.agents[0]!;
      const { url, output } = await generateScript(c);
      assert.match(url, /^http:\/\/127\.\d+\.\d+\.2:8080\/upgrade\/[0-9a-f]{32}\/dcos_node_upgrade\.sh$/);
      assert.match(output, /EXECUTING UPGRADE SCRIPT GENERATION/);
      c.resetTruth();

      // Masters, one at a time: curl -O <url>; sudo bash dcos_node_upgrade.sh; then the gates.
      const m = await sshExec(c, master, `curl -O ${url} && sudo bash dcos_node_upgrade.sh`);
      assert.equal(m.code, 0, m.stderr);
      await waitFor(() => masterHealthy(c, master), 'Exhibitor converged and the registrar recovered');
      const version = await openssh(c, master, '/opt/mesosphere/bin/mesos-master --version');
      assert.equal(version.stdout, 'mesos 1.10.1\n');

      // Agents: delete libltdl.so.7, then the same script.
      const refused = await sshExec(c, agent, `curl -sO ${url} && sudo bash dcos_node_upgrade.sh`);
      assert.equal(refused.code, 1, 'the script refuses while libltdl.so.7 is there');
      assert.match(refused.stderr, /libltdl\.so\.7/);
      const a = await sshExec(
        c,
        agent,
        `cd /opt/mesosphere/lib && sudo rm -f libltdl.so.7 && cd && sudo bash dcos_node_upgrade.sh`
      );
      assert.equal(a.code, 0, a.stderr);
      await waitFor(async () => {
        const r = await sshExec(c, agent, 'curl -sf http://localhost:5051/metrics/snapshot');
        return r.code === 0 && (JSON.parse(r.stdout) as Record<string, number>)['slave/registered'] === 1;
      }, 'the agent to register');

      const again = await sshExec(c, master, 'sudo bash dcos_node_upgrade.sh');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /installed version is '2\.1\.5'/);

      const t = c.truth();
      assert.equal(t.hosts[master.id]!.version, '2.1.5');
      assert.equal(t.hosts[agent.id]!.version, '2.1.5');
      assert.equal(t.hosts[c.masters[0]!.id]!.version, '2.1.4', 'untouched hosts keep their version');
      assert.equal(t.hosts[master.id]!.scriptRuns, 1);
      assert.equal(t.hosts[master.id]!.scriptInvocations, 2);
      assert.equal(t.hosts[agent.id]!.scriptRuns, 1);
      assert.deepEqual(t.tasksLost, []);
      assert.equal(t.maxMastersDownAtOnce, 1);
      assert.deepEqual(
        t.scriptRuns.map((r) => [r.node, r.exitCode]),
        [
          [master.id, 0],
          [agent.id, 0],
        ]
      );
      assert.equal(
        readFileSync(`${master.root}/opt/mesosphere/etc/user.config.yaml`, 'utf8'),
        readFileSync(`${c.dir}/genconf/config.yaml`, 'utf8'),
        'the node now has the config the script was generated from'
      );
    });
  });

  test('Enterprise: license required, ZooKeeper and IAM backups, and CockroachDB catching up after the master returns', async () => {
    await withCluster(
      { masters: 3, agents: 1, variant: 'enterprise', timings: { cockroachRecoveryMs: 500 } },
      async (c) => {
        const master = c.masters[0]!;
        const zk = await sshExec(
          c,
          master,
          'sudo /opt/mesosphere/bin/dcos-shell dcos-zk backup /home/core/zk-backup.tar.gz -v'
        );
        assert.equal(zk.code, 0, zk.stderr);
        const iam = await sshExec(
          c,
          master,
          'sudo /opt/mesosphere/bin/dcos-shell iam-database-backup > /home/core/iam-backup.sql'
        );
        assert.equal(iam.code, 0, iam.stderr);
        const { url, output } = await generateScript(c);
        assert.match(
          output.split('\n').filter(Boolean).at(-1)!,
          /^====> /,
          'on Enterprise 2.x more lines follow the URL line'
        );
        assert.equal((await sshExec(c, master, `curl -fsSO ${url} && sudo bash dcos_node_upgrade.sh`)).code, 0);
        const cmd =
          'sudo /opt/mesosphere/bin/cockroach node status --ranges --certs-dir=/run/dcos/pki/bouncer --host=$(/opt/mesosphere/bin/detect_ip) --format=tsv';
        const caughtUp = async (): Promise<boolean> => {
          const r = await sshExec(c, master, cmd);
          if (r.code !== 0) return false;
          const lines = r.stdout.trim().split('\n').slice(1);
          const col = lines[0]!.split('\t').indexOf('ranges_underreplicated');
          return lines.slice(1).every((l) => l.split('\t')[col] === '0');
        };
        assert.equal(await caughtUp(), false);
        await waitFor(caughtUp, 'ranges to be replicated again');
        const t = c.truth();
        assert.equal(t.backups.zookeeper.length, 1);
        assert.equal(t.backups.iam.length, 1);
        assert.equal(t.hosts[master.id]!.version, '2.1.5');
      }
    );
  });
});

describe('the bootstrap node', { timeout: 300_000 }, () => {
  test('the generator fails like the real one without config.yaml, without a license, or for a version it cannot patch', async () => {
    await withCluster({ masters: 1, agents: 0, variant: 'enterprise' }, async (c) => {
      const b = c.bootstrap;
      const dir = '/home/core/dcos-2.1.5';
      const gen = (v: string): Promise<{ code: number | null; stdout: string }> =>
        sshExec(c, b, `cd ${dir} && bash dcos_generate_config.ee.sh --generate-node-upgrade-script ${v}`);
      let r = await gen('2.1.4');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /genconf\/config\.yaml not found/);
      await sshExec(
        c,
        b,
        `cp /dev/null ${dir}/genconf/ip-detect && echo 'bootstrap_url: http://${b.address}:8080' > ${dir}/genconf/config.yaml`
      );
      r = await gen('2.1.4');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /license/);
      await sshExec(c, b, `echo lic > ${dir}/genconf/license.txt`);
      r = await gen('2.0.9');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /cannot be patched to 2\.1\.5/);
      r = await gen('2.1.4');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Node upgrade script URL: http:\/\/\S+\/upgrade\/[0-9a-f]{32}\/dcos_node_upgrade\.sh$/m);
      assert.deepEqual(
        c.truth().generatorRuns.map((g) => g.exitCode),
        [1, 1, 1, 0]
      );
      const ls = await sshExec(c, b, `ls ${dir}/genconf/serve/upgrade/*/`);
      assert.match(ls.stdout, /dcos_node_upgrade\.sh/);
      assert.match(ls.stdout, /package_list\.json/);
    });
  });

  test('a node script whose bootstrap server does not answer fails in its fetch phase, units untouched', async () => {
    await withCluster({ masters: 1, agents: 1 }, async (c) => {
      const { url } = await generateScript(c);
      const a = c.agents[0]!;
      assert.equal((await sshExec(c, a, `sudo rm /opt/mesosphere/lib/libltdl.so.7; curl -fsSO ${url}`)).code, 0);
      c.inject(c.bootstrap.id, { kind: 'endpoint', port: 'bootstrap', mode: 'refuse' });
      await waitFor(async () => (await sshExec(c, a, `curl -s ${url}`)).code !== 0, 'the bootstrap server to refuse');
      const r = await sshExec(c, a, 'sudo bash dcos_node_upgrade.sh');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /failed to download the package list/);
      assert.deepEqual(c.truth().hosts[a.id]!.unitDownIntervals, []);
    });
  });
});
