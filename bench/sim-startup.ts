/**
 * Simulator scale: start-up time and memory of one large simulated cluster (default 3 masters +
 * 1,000 agents), plus the cost of a few typical requests against it. Prints numbers; asserts nothing.
 *
 *   tsx bench/sim-startup.ts [agents] [masters] [eager]   (eager: every host root laid out at start-up)
 */
import { spawn } from 'node:child_process';
import { startCluster } from '../src/sim';

function ssh(dir: string, h: { address: string; sshPort: number }, cmd: string): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(
      'ssh',
      [
        '-i',
        `${dir}/id_ed25519`,
        '-o',
        `UserKnownHostsFile=${dir}/known_hosts`,
        '-o',
        'BatchMode=yes',
        '-p',
        String(h.sshPort),
        `core@${h.address}`,
        cmd,
      ],
      { stdio: 'ignore' }
    );
    p.on('close', resolve);
  });
}

async function main(): Promise<void> {
  const agents = Number(process.argv[2] ?? 1000);
  const masters = Number(process.argv[3] ?? 3) as 1 | 3 | 5;
  const eager = process.argv[4] === 'eager';
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const c = await startCluster({ masters, agents, version: '2.1.4', lazyRoots: !eager });
  const startMs = performance.now() - t0;
  global.gc?.();
  const mem = process.memoryUsage();
  try {
    const t1 = performance.now();
    const state = await (await fetch(`http://${c.masters[0]!.address}:5050/state`)).text();
    const stateMs = performance.now() - t1;
    const t2 = performance.now();
    await Promise.all(
      c.agents.slice(0, 200).map((a) => fetch(`http://${a.address}:5051/metrics/snapshot`).then((r) => r.json()))
    );
    const metricsMs = performance.now() - t2;
    const last = c.agents.at(-1)!;
    const t3 = performance.now();
    const code = await ssh(
      c.dir,
      last,
      '/opt/mesosphere/bin/mesos-master --version >/dev/null 2>&1; systemctl is-active dcos-mesos-slave'
    );
    const sshMs = performance.now() - t3;
    const t4 = performance.now();
    const truth = c.truth();
    const truthMs = performance.now() - t4;
    const rows: [string, string][] = [
      [
        'hosts',
        `${1 + masters + agents} (${masters} masters, ${agents} agents, bootstrap), roots ${eager ? 'eager' : 'lazy'}`,
      ],
      ['start-up', `${startMs.toFixed(0)} ms`],
      [
        'RSS after start-up',
        `${(mem.rss / 1048576).toFixed(0)} MiB (process baseline ${(rss0 / 1048576).toFixed(0)} MiB)`,
      ],
      ['heap used', `${(mem.heapUsed / 1048576).toFixed(0)} MiB`],
      ['leader /state', `${(state.length / 1024).toFixed(0)} KiB in ${stateMs.toFixed(0)} ms`],
      ['200 agent /metrics/snapshot in parallel', `${metricsMs.toFixed(0)} ms`],
      ['OpenSSH to the last agent (first use), 2 shims', `${sshMs.toFixed(0)} ms (exit ${code})`],
      ['truth()', `${truthMs.toFixed(0)} ms, ${Object.keys(truth.hosts).length} hosts`],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(44)} ${v}`);
  } finally {
    const t5 = performance.now();
    await c.stop();
    console.log(`${'stop()'.padEnd(44)} ${(performance.now() - t5).toFixed(0)} ms`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
