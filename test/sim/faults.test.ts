import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SimHost } from '../../src/sim';
import {
  type ExhibitorEntry,
  exhibitorUrl,
  generateScript,
  getJson,
  leftoverProcesses,
  refused,
  runScript,
  sleep,
  sshExec,
  waitFor,
  withCluster,
} from './helpers';

describe('faults of the node patch script', { timeout: 300_000 }, () => {
  test('script-exit: the script fails with the code before touching the units, again and again until cleared', async () => {
    await withCluster({ masters: 1, agents: 1 }, async (c) => {
      const { url } = await generateScript(c);
      const a = c.agents[0]!;
      c.inject(a.id, { kind: 'script-exit', code: 3 });
      const r = await runScript(c, a, url);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /upgrade failed during the fetch phase/);
      let h = c.truth().hosts[a.id]!;
      assert.equal(h.version, '2.1.4');
      assert.deepEqual(h.unitDownIntervals, []);
      assert.equal((await runScript(c, a, url)).code, 3, 'the fault stays until cleared');
      c.clearFaults(a.id);
      assert.equal((await runScript(c, a, url)).code, 0);
      h = c.truth().hosts[a.id]!;
      assert.equal(h.version, '2.1.5');
      assert.equal(h.scriptRuns, 3);
      assert.deepEqual(
        c.truth().scriptRuns.map((s) => s.exitCode),
        [3, 3, 0]
      );
    });
  });

  test('script-exit during the swap leaves the units stopped; script-hang never returns and is ended by stop()', async () => {
    let dir = '';
    await withCluster({ masters: 1, agents: 2 }, async (c) => {
      dir = c.dir;
      const { url } = await generateScript(c);
      const [a1, a2] = c.agents as [SimHost, SimHost];
      c.inject(a1.id, { kind: 'script-exit', code: 5, at: 'swap', times: 1 });
      const r = await runScript(c, a1, url);
      assert.equal(r.code, 5);
      assert.equal((await sshExec(c, a1, 'systemctl is-active dcos-mesos-slave')).stdout, 'inactive\n');
      assert.equal(c.truth().hosts[a1.id]!.version, '2.1.4');
      assert.deepEqual(c.truth().hosts[a1.id]!.faults, [], 'times: 1 used up');

      c.inject(a2.id, { kind: 'script-hang', at: 'swap' });
      const detached = await sshExec(
        c,
        a2,
        `sudo rm -f /opt/mesosphere/lib/libltdl.so.7; curl -fsSO ${url} && { setsid nohup sudo bash dcos_node_upgrade.sh > /tmp/patch.log 2>&1 < /dev/null & }`
      );
      assert.equal(detached.code, 0);
      await sleep(1500);
      const run = c.truth().scriptRuns.find((s) => s.node === a2.id)!;
      assert.equal(run.endedAt, undefined, 'still running long after scriptMs');
      assert.equal((await sshExec(c, a2, 'systemctl is-active dcos-mesos-slave')).stdout, 'inactive\n');
    });
    assert.deepEqual(leftoverProcesses(dir), [], 'stop() ended the hung script');
  });

  test('unit-never-returns, exhibitor-never-converges and wrong-version-after-patch show after the patch, and clear', async () => {
    await withCluster({ masters: 3, agents: 0, timings: { exhibitorRecoveryMs: 300 } }, async (c) => {
      const { url } = await generateScript(c);
      const [m1, m2, m3] = c.masters as [SimHost, SimHost, SimHost];

      c.inject(m1.id, { kind: 'unit-never-returns', unit: 'dcos-mesos-master' });
      assert.equal((await runScript(c, m1, url)).code, 0, 'the script itself succeeds');
      const st = await sshExec(
        c,
        m1,
        'systemctl is-active dcos-mesos-master; systemctl status dcos-mesos-master; journalctl -u dcos-mesos-master -n 3'
      );
      assert.match(st.stdout, /^failed\n/);
      assert.match(st.stdout, /Active: failed \(Result: exit-code\)/);
      assert.match(st.stdout, /Failed to start Mesos Master/);
      assert.ok(await refused(`http://${m1.address}:5050/metrics/snapshot`));
      assert.deepEqual(c.truth().mastersDownNow, [m1.id]);
      c.clearFaults(m1.id);
      await waitFor(() => c.truth().mastersDownNow.length === 0, 'the master to recover once the fault is cleared');

      c.inject(m2.id, { kind: 'exhibitor-never-converges' });
      assert.equal((await runScript(c, m2, url)).code, 0);
      await sleep(600);
      let s = await getJson<ExhibitorEntry[]>(exhibitorUrl(m3));
      assert.equal(s[1]!.description, 'not serving');
      c.clearFaults(m2.id);
      s = await getJson<ExhibitorEntry[]>(exhibitorUrl(m3));
      assert.equal(s[1]!.description, 'serving');

      c.inject(m3.id, { kind: 'wrong-version-after-patch', version: '1.9.0' });
      assert.equal((await sshExec(c, m3, '/opt/mesosphere/bin/mesos-master --version')).stdout, 'mesos 1.10.1\n');
      assert.equal((await runScript(c, m3, url)).code, 0);
      assert.equal((await sshExec(c, m3, '/opt/mesosphere/bin/mesos-master --version')).stdout, 'mesos 1.9.0\n');
      await waitFor(
        async () => (await getJson<{ version: string }>(`http://${m3.address}:5050/version`)).version === '1.9.0',
        '/version'
      );
      assert.equal(c.truth().hosts[m3.id]!.version, '2.1.5');
      assert.equal(c.truth().maxMastersDownAtOnce, 1);
    });
  });

  test('cockroach-never-catches-up keeps ranges under-replicated after the patch until cleared', async () => {
    await withCluster(
      { masters: 1, agents: 0, variant: 'enterprise', timings: { cockroachRecoveryMs: 200 } },
      async (c) => {
        const { url } = await generateScript(c);
        const m = c.masters[0]!;
        c.inject(m.id, { kind: 'cockroach-never-catches-up' });
        assert.equal((await runScript(c, m, url)).code, 0);
        await sleep(400);
        const cmd =
          'sudo /opt/mesosphere/bin/cockroach node status --ranges --certs-dir=/run/dcos/pki/bouncer --host=$(/opt/mesosphere/bin/detect_ip) --format=csv';
        const under = async (): Promise<string> => {
          const lines = (await sshExec(c, m, cmd)).stdout.trim().split('\n').slice(1);
          const col = lines[0]!.split(',').indexOf('ranges_underreplicated');
          return lines[1]!.split(',')[col]!;
        };
        assert.notEqual(await under(), '0');
        c.clearFaults(m.id);
        assert.equal(await under(), '0');
      }
    );
  });

  test('faults injected through the control API, and bad ones refused', async () => {
    await withCluster({ masters: 1, agents: 1 }, async (c) => {
      const a = c.agents[0]!;
      const post = (body: unknown): Promise<Response> =>
        fetch(`${c.controlUrl}/faults`, { method: 'POST', body: JSON.stringify(body) });
      assert.equal((await post({ node: a.id, fault: { kind: 'script-exit', code: 4 } })).status, 200);
      assert.deepEqual(c.truth().hosts[a.id]!.faults, [{ kind: 'script-exit', code: 4 }]);
      assert.equal((await post({ node: a.id, fault: { kind: 'no-such-fault' } })).status, 400);
      assert.equal((await post({ node: 'agent-nowhere', fault: { kind: 'script-hang' } })).status, 400);
      const truth = (await (await fetch(`${c.controlUrl}/truth`)).json()) as {
        hosts: Record<string, { faults: unknown[] }>;
      };
      assert.equal(truth.hosts[a.id]!.faults.length, 1);
      assert.equal((await fetch(`${c.controlUrl}/faults/${a.id}`, { method: 'DELETE' })).status, 200);
      assert.deepEqual(c.truth().hosts[a.id]!.faults, []);
    });
  });
});
