import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startCluster } from '../../src/sim';
import { run, sshExec, waitFor } from './helpers';

const MAIN = path.join(__dirname, '../../src/sim/main.ts');

describe('the simulator CLI', { timeout: 180_000 }, () => {
  test('up writes the plan and runs until down; fault injects through the control API', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dcos-sim-cli-'));
    const up = spawn(process.execPath, [
      '--import',
      'tsx',
      MAIN,
      'up',
      '--dir',
      dir,
      '--masters',
      '1',
      '--agents',
      '1',
      '--script-ms',
      '500',
    ]);
    let out = '';
    up.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    up.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => up.on('exit', resolve));
    try {
      await waitFor(() => out.includes('Up in'), 'the cluster to come up', 20_000);
      assert.match(out, /--- plan\.yaml ---/);
      assert.match(out, /ssh -i \S+\/id_ed25519 -o UserKnownHostsFile=\S+\/known_hosts -p 2222 core@127\./);
      assert.ok(existsSync(path.join(dir, 'plan.yaml')));
      assert.equal(readFileSync(path.join(dir, 'sim.pid'), 'utf8').trim(), String(up.pid));
      const master = /masters: +(\S+)/.exec(out)![1]!;
      const f = await run(process.execPath, [
        '--import',
        'tsx',
        MAIN,
        'fault',
        '--dir',
        dir,
        master,
        'script-exit',
        '{"code": 3}',
      ]);
      assert.equal(f.code, 0, f.stderr);
      const truth = await run(process.execPath, ['--import', 'tsx', MAIN, 'truth', '--dir', dir]);
      const t = JSON.parse(truth.stdout) as { hosts: Record<string, { faults: unknown[] }> };
      assert.deepEqual(t.hosts[master]!.faults, [{ code: 3, kind: 'script-exit' }]);
      const bad = await run(process.execPath, ['--import', 'tsx', MAIN, 'fault', '--dir', dir, master, 'no-such']);
      assert.equal(bad.code, 1);
      const down = await run(process.execPath, ['--import', 'tsx', MAIN, 'down', '--dir', dir]);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(await exited, 0);
      assert.ok(!existsSync(path.join(dir, 'sim.pid')));
    } finally {
      up.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('single-ip networking', { timeout: 120_000 }, () => {
  test('every host on one address with its own ports, written into the plan as per-host overrides', async () => {
    const c = await startCluster({ masters: 1, agents: 2, version: '2.1.4', network: { mode: 'single-ip' } });
    try {
      const hosts = [c.bootstrap, ...c.masters, ...c.agents];
      assert.ok(hosts.every((h) => h.address === '127.0.0.1'));
      assert.equal(new Set(hosts.map((h) => h.sshPort)).size, hosts.length);
      assert.equal(c.agents[0]!.id, `agent-127.0.0.1:${c.agents[0]!.sshPort}`);
      const plan = readFileSync(c.planPath, 'utf8');
      assert.match(
        plan,
        new RegExp(
          `host: 127\\.0\\.0\\.1, sshPort: ${c.agents[1]!.sshPort}, ports: \\{ mesosAgent: ${c.agents[1]!.ports.mesosAgent} \\}`
        )
      );
      const m = c.masters[0]!;
      const status = await (await fetch(`http://127.0.0.1:${m.ports.exhibitor}/exhibitor/v1/cluster/status`)).json();
      assert.equal((status as { description: string }[])[0]!.description, 'serving');
      assert.match(c.bootstrapUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await c.stop();
    }
  });
});

describe('large clusters', { timeout: 300_000 }, () => {
  test('with lazy roots an agent gets its files on first SSH contact, and everything works as before', async () => {
    const c = await startCluster({ masters: 1, agents: 3, version: '2.1.4', lazyRoots: true });
    try {
      const a = c.agents[2]!;
      assert.ok(!existsSync(a.root), 'not laid out yet');
      assert.equal(c.truth().hosts[a.id]!.version, '2.1.4');
      const r = await sshExec(c, a, 'cat /opt/mesosphere/etc/dcos-version.json; ls /opt/mesosphere/lib');
      assert.match(r.stdout, /"version": "2\.1\.4"/);
      assert.match(r.stdout, /libltdl\.so\.7/);
      const b = c.agents[1]!;
      c.setFacts(b.id, { libltdlPresent: false });
      assert.ok(
        !existsSync(`${c.host(b.id).root}/opt/mesosphere/lib/libltdl.so.7`),
        'facts apply when the root is made'
      );
    } finally {
      await c.stop();
    }
  });
});
