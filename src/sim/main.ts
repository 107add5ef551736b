/**
 * The simulator's CLI:
 *
 *   tsx src/sim/main.ts up --masters 3 --agents 5 [--public-agents N] [--version 2.1.4] [--variant open|enterprise]
 *                          [--dir D] [--script-ms N] …     start a cluster, write D/plan.yaml, run until SIGINT/SIGTERM
 *   tsx src/sim/main.ts down --dir D                       stop it
 *   tsx src/sim/main.ts fault --dir D <node> <kind> [json] inject a fault (json: the fault's other fields)
 *   tsx src/sim/main.ts clear --dir D <node>               clear a host's faults
 *   tsx src/sim/main.ts truth --dir D                      print the ground truth
 *
 * The product CLI (`dcos-patch sim up|down|fault`) calls simUp/simDown/simFault with the arguments
 * after the subcommand.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { startCluster } from './cluster';
import { parseFault } from './faults';
import type { SimCluster, SimOptions, SimTimings } from './types';

const DEFAULT_DIR = '.sim/default';

function whole(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${v}`);
    return n;
  };
}

const TIMING_FLAGS: [keyof SimTimings, string][] = [
  ['scriptMs', 'script-ms'],
  ['exhibitorRecoveryMs', 'exhibitor-recovery-ms'],
  ['registrarRecoveryMs', 'registrar-recovery-ms'],
  ['cockroachRecoveryMs', 'cockroach-recovery-ms'],
  ['agentReregisterMs', 'agent-reregister-ms'],
  ['taskReconcileMs', 'task-reconcile-ms'],
  ['agentPingTimeoutMs', 'agent-ping-timeout-ms'],
  ['leaderElectionMs', 'leader-election-ms'],
  ['generatorMs', 'generator-ms'],
];

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(dir: string): number | undefined {
  const f = path.join(dir, 'sim.pid');
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function controlUrl(dir: string): string {
  const f = path.join(dir, 'control-url');
  if (!existsSync(f))
    throw new Error(`no simulated cluster in ${dir} (no control-url file); start one with: up --dir ${dir}`);
  return readFileSync(f, 'utf8').trim();
}

async function control(dir: string, method: string, p: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${controlUrl(dir)}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((err: Error) => {
    throw new Error(`the simulated cluster in ${dir} does not answer (${err.message}); is it running?`);
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw new Error(`control API ${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** What `up` prints: the plan, and commands to poke at the cluster by hand. */
export function describeCluster(c: SimCluster): string {
  const m = c.masters[0]!;
  const a = c.agents[0] ?? c.publicAgents[0];
  const ssh = (h: { address: string; sshPort: number }): string =>
    `ssh -i ${c.dir}/id_ed25519 -o UserKnownHostsFile=${c.dir}/known_hosts -p ${h.sshPort} core@${h.address}`;
  const scheme =
    existsSync(path.join(c.dir, 'tls', 'client-cert.pem')) && existsSync(path.join(c.dir, 'genconf', 'license.txt'));
  const exhibitor = scheme
    ? `curl --cacert ${c.dir}/tls/root-cert.pem --cert ${c.dir}/tls/client-cert.pem --key ${c.dir}/tls/client-key.pem https://${m.address}:${m.ports.exhibitor}/exhibitor/v1/cluster/status`
    : `curl http://${m.address}:${m.ports.exhibitor}/exhibitor/v1/cluster/status`;
  const lines = [
    `Simulated DC/OS cluster in ${c.dir}`,
    `  plan:       ${c.planPath}`,
    `  control:    ${c.controlUrl}  (GET /truth, POST /faults {node, fault}, DELETE /faults/<node>)`,
    `  bootstrap:  ${c.bootstrap.id}  serving ${c.bootstrapUrl}`,
    `  masters:    ${c.masters.map((h) => h.id).join(' ')}`,
    `  agents:     ${c.agents.length} private, ${c.publicAgents.length} public`,
    '',
    '--- plan.yaml ---',
    readFileSync(c.planPath, 'utf8').trimEnd(),
    '--- end of plan.yaml ---',
    '',
    'Try:',
    `  ${ssh(m)} '/opt/mesosphere/bin/mesos-master --version'`,
    `  ${ssh(m)} 'systemctl | grep dcos'`,
    `  ${exhibitor}`,
    `  curl http://${m.address}:${m.ports.mesosMaster}/metrics/snapshot`,
  ];
  if (a) lines.push(`  curl http://${a.address}:${a.ports.mesosAgent}/metrics/snapshot`);
  lines.push(
    `  tsx src/sim/main.ts fault --dir ${c.dir} ${m.id} script-exit '{"code": 3}'`,
    `  tsx src/sim/main.ts down --dir ${c.dir}`
  );
  return lines.join('\n');
}

function upCommand(done: (code: number) => void): Command {
  const cmd = new Command('up')
    .description('start a simulated DC/OS cluster and run until SIGINT/SIGTERM (or `down`)')
    .option('--masters <n>', 'masters: 1, 3 or 5', whole('masters'), 3)
    .option('--agents <n>', 'private agents', whole('agents'), 5)
    .option('--public-agents <n>', 'public agents', whole('public-agents'), 0)
    .option('--version <v>', 'installed DC/OS version', '2.1.4')
    .option('--target-version <v>', "the bootstrap installer's version (default: next patch)")
    .addOption(new Option('--variant <v>', 'DC/OS variant').choices(['open', 'enterprise']).default('open'))
    .addOption(
      new Option('--security <mode>', 'Enterprise security mode').choices(['disabled', 'permissive', 'strict'])
    )
    .option('--dir <dir>', 'output directory', DEFAULT_DIR)
    .addOption(
      new Option('--network <mode>', 'address layout').choices(['per-host-ip', 'single-ip']).default('per-host-ip')
    )
    .option('--base <addr>', 'per-host-ip: the 127.a.b.0 block to use')
    .option('--ip <addr>', 'single-ip: the address (default 127.0.0.1)')
    .option('--ssh-port <n>', 'SSH port (per-host-ip)', whole('ssh-port'), 2222)
    .option('--tasks-per-agent <n>', 'Marathon tasks per agent', whole('tasks-per-agent'), 3)
    .option('--event-subscriber', 'Marathon runs with --event_subscriber http_callback (a preflight failure)')
    .option('--mesos-https', 'serve Mesos over HTTPS')
    .option('--user <name>', 'SSH user', 'core');
  for (const [, flag] of TIMING_FLAGS) cmd.option(`--${flag} <ms>`, `timing: ${flag}`, whole(flag));
  cmd.action(async (o: Record<string, unknown>) => {
    const dir = path.resolve(String(o.dir));
    const running = readPid(dir);
    if (running !== undefined && running !== process.pid && pidAlive(running)) {
      throw new Error(`a simulated cluster already runs in ${dir} (pid ${running}); stop it with: down --dir ${dir}`);
    }
    const timings: Partial<SimTimings> = {};
    for (const [key, flag] of TIMING_FLAGS) {
      const v = o[flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())];
      if (typeof v === 'number') timings[key] = v;
    }
    const network: SimOptions['network'] =
      o.network === 'single-ip'
        ? { mode: 'single-ip', ip: o.ip as string | undefined }
        : { mode: 'per-host-ip', base: o.base as string | undefined };
    const masters = o.masters as number;
    if (![1, 3, 5].includes(masters)) throw new Error('--masters must be 1, 3 or 5');
    const t0 = Date.now();
    const cluster = await startCluster({
      masters: masters as 1 | 3 | 5,
      agents: o.agents as number,
      publicAgents: o.publicAgents as number,
      version: String(o.version),
      targetVersion: o.targetVersion as string | undefined,
      variant: o.variant as 'open' | 'enterprise',
      security: o.security as SimOptions['security'],
      dir,
      network,
      sshPort: o.sshPort as number,
      tasksPerAgent: o.tasksPerAgent as number,
      marathon: { eventSubscriber: o.eventSubscriber === true },
      mesosHttps: o.mesosHttps === true,
      user: String(o.user),
      timings,
    });
    const pidFile = path.join(dir, 'sim.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    process.stdout.write(
      `${describeCluster(cluster)}\n\nUp in ${Date.now() - t0} ms (pid ${process.pid}). Ctrl-C or \`down --dir ${dir}\` stops it.\n`
    );
    const stop = (): void => void cluster.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await cluster.whenStopped;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    rmSync(pidFile, { force: true });
    rmSync(path.join(dir, 'control-url'), { force: true });
    process.stdout.write('Simulated cluster stopped.\n');
    done(0);
  });
  return cmd;
}

function downCommand(done: (code: number) => void): Command {
  return new Command('down')
    .description('stop the simulated cluster running in --dir')
    .option('--dir <dir>', 'output directory of `up`', DEFAULT_DIR)
    .action(async (o: { dir: string }) => {
      const dir = path.resolve(o.dir);
      const pid = readPid(dir);
      if (pid !== undefined && pidAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        const end = Date.now() + 15_000;
        while (pidAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
        if (pidAlive(pid)) throw new Error(`pid ${pid} did not stop within 15 s`);
      } else if (existsSync(path.join(dir, 'control-url'))) {
        await control(dir, 'POST', '/shutdown').catch(() => undefined);
      } else {
        process.stdout.write(`no simulated cluster runs in ${dir}\n`);
        done(0);
        return;
      }
      rmSync(path.join(dir, 'sim.pid'), { force: true });
      rmSync(path.join(dir, 'control-url'), { force: true });
      process.stdout.write(`stopped the simulated cluster in ${dir}\n`);
      done(0);
    });
}

function faultCommand(done: (code: number) => void): Command {
  return new Command('fault')
    .description('inject a fault into a host of the running cluster')
    .option('--dir <dir>', 'output directory of `up`', DEFAULT_DIR)
    .argument('<node>', 'node id, e.g. master-127.42.7.11')
    .argument(
      '<kind>',
      'script-exit | script-hang | script-slow | ssh-drop | ssh-refuse | host-key-change | unit-never-returns | exhibitor-never-converges | cockroach-never-catches-up | wrong-version-after-patch | endpoint'
    )
    .argument('[json]', "the fault's other fields, e.g. '{\"code\": 3}'")
    .action(async (node: string, kind: string, json: string | undefined, o: { dir: string }) => {
      const extra = json ? (JSON.parse(json) as Record<string, unknown>) : {};
      const fault = parseFault({ ...extra, kind });
      await control(path.resolve(o.dir), 'POST', '/faults', { node, fault });
      process.stdout.write(`injected ${JSON.stringify(fault)} into ${node}\n`);
      done(0);
    });
}

function clearCommand(done: (code: number) => void): Command {
  return new Command('clear')
    .description("clear a host's faults")
    .option('--dir <dir>', 'output directory of `up`', DEFAULT_DIR)
    .argument('<node>')
    .action(async (node: string, o: { dir: string }) => {
      await control(path.resolve(o.dir), 'DELETE', `/faults/${encodeURIComponent(node)}`);
      process.stdout.write(`cleared the faults of ${node}\n`);
      done(0);
    });
}

function truthCommand(done: (code: number) => void): Command {
  return new Command('truth')
    .description('print the ground truth (JSON)')
    .option('--dir <dir>', 'output directory of `up`', DEFAULT_DIR)
    .action(async (o: { dir: string }) => {
      process.stdout.write(`${JSON.stringify(await control(path.resolve(o.dir), 'GET', '/truth'), null, 2)}\n`);
      done(0);
    });
}

/** The `sim` command tree (commander), for embedding. `done` receives each subcommand's exit code. */
export function buildSimProgram(done: (code: number) => void = () => {}): Command {
  return new Command('dcos-sim')
    .description('The DC/OS cluster simulator (real SSH, HTTP and bash against simulated hosts).')
    .exitOverride()
    .addCommand(upCommand(done).exitOverride())
    .addCommand(downCommand(done).exitOverride())
    .addCommand(faultCommand(done).exitOverride())
    .addCommand(clearCommand(done).exitOverride())
    .addCommand(truthCommand(done).exitOverride());
}

async function runSub(sub: string, argv: string[]): Promise<number> {
  let code = 0;
  const program = buildSimProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([sub, ...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`dcos-sim ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
}

/** `up` with the arguments after it; resolves (0) once the cluster has stopped. */
export function simUp(argv: string[]): Promise<number> {
  return runSub('up', argv);
}

export function simDown(argv: string[]): Promise<number> {
  return runSub('down', argv);
}

export function simFault(argv: string[]): Promise<number> {
  return runSub('fault', argv);
}

export function simClear(argv: string[]): Promise<number> {
  return runSub('clear', argv);
}

export function simTruth(argv: string[]): Promise<number> {
  return runSub('truth', argv);
}

if (require.main === module) {
  const [sub, ...rest] = process.argv.slice(2);
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    buildSimProgram().outputHelp();
    process.exit(sub ? 0 : 2);
  }
  runSub(sub, rest).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
  );
}
