/**
 * Starts a simulated DC/OS cluster: lays out the network and the host roots, generates keys and
 * TLS material, starts every host's SSH server and HTTP endpoints and the control API, writes the
 * plan, and returns the handle tests and the demo use (faults, facts, ground truth, stop).
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AuthMaterial, createAuthMaterial, issueToken } from './auth';
import { COMMANDS } from './commands';
import type { CmdResult, SimEnv } from './commands/context';
import { createControlServer } from './control-api';
import { hostProcesses, killClusterProcesses } from './exec';
import { applyFacts, FileStore, installerDir, installerName, layoutHost, writeBootId } from './host-fs';
import type { HostProcess } from './host-process';
import {
  applyPortStates,
  createHostRuntime,
  type HostRuntime,
  type HostRuntimeDeps,
  listenersOf,
} from './host-runtime';
import { generateEd25519 } from './keys';
import { canBind, type Layout, type LayoutRequest, perHostIpLayout, randomBlock, singleIpLayout } from './layout';
import { MarathonApps } from './marathon-apps';
import { ClusterModel } from './model';
import { clusterConfigYaml, writePlanFiles } from './plan-writer';
import { parseKeyOrThrow } from './ssh-server';
import { createTls, type TlsMaterial } from './tls';
import { snapshotTruth } from './truth-snapshot';
import type { Fault, GroundTruth, HostFacts, MarathonApp, SimCluster, SimHost, SimOptions, SimTimings } from './types';

export const DEFAULT_TIMINGS: SimTimings = {
  scriptMs: 4000,
  exhibitorRecoveryMs: 3000,
  registrarRecoveryMs: 2000,
  cockroachRecoveryMs: 3000,
  agentReregisterMs: 1500,
  taskReconcileMs: 1000,
  agentPingTimeoutMs: 300_000,
  leaderElectionMs: 1000,
  generatorMs: 1000,
};

const MARATHON_BY_MINOR: Record<string, string> = {
  '1.10': '1.5.12',
  '1.11': '1.6.567',
  '1.12': '1.7.216',
  '1.13': '1.8.244',
  '2.0': '1.9.136',
  '2.1': '1.10.36',
  '2.2': '1.11.24',
};

export function nextPatch(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`version ${version}: expected major.minor.patch, e.g. 2.1.4`);
  return `${m[1]}.${m[2]}.${Number(m[3]) + 1}`;
}

function defaultFacts(role: SimHost['role']): HostFacts {
  return {
    systemdVersion: 219,
    os: 'centos',
    ipsetInstalled: true,
    ipv6Disabled: false,
    sudoNeedsPassword: false,
    libltdlPresent: role === 'agent' || role === 'public-agent',
    reachable: true,
  };
}

/** Start a simulated cluster. Always `await cluster.stop()` (tests: in a finally / after hook). */
export async function startCluster(opts: SimOptions): Promise<SimCluster> {
  const ownDir = opts.dir === undefined;
  const dir = path.resolve(opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'dcos-sim-'))));
  try {
    return await build(opts, dir, ownDir);
  } catch (err) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function build(opts: SimOptions, dir: string, ownDir: boolean): Promise<SimCluster> {
  if (![1, 3, 5].includes(opts.masters)) throw new Error('masters must be 1, 3 or 5');
  if (!Number.isInteger(opts.agents) || opts.agents < 0) throw new Error('agents must be a whole number ≥ 0');
  const variant = opts.variant ?? 'open';
  const security = opts.security ?? (variant === 'enterprise' ? 'permissive' : 'disabled');
  const user = opts.user ?? 'core';
  const version = opts.version;
  const targetVersion = opts.targetVersion ?? nextPatch(version);
  const timings: SimTimings = { ...DEFAULT_TIMINGS, ...opts.timings };
  const publicAgents = opts.publicAgents ?? 0;
  const network = opts.network ?? { mode: 'per-host-ip' };
  const sshPort = opts.sshPort ?? 2222;
  const strict = variant === 'enterprise' && security === 'strict';
  const mesosHttps = opts.mesosHttps ?? strict;
  const lazyRoots = opts.lazyRoots ?? opts.agents + (opts.publicAgents ?? 0) > 200;
  const created = new Set<string>();
  /** Lay out a host's root on first use (set once the file store exists). */
  let layoutRoot: (spec: SimHost) => void = () => {};
  await mkdir(dir, { recursive: true });
  await rm(path.join(dir, 'hosts'), { recursive: true, force: true });
  const clusterId = randomBytes(8).toString('hex');

  // ---- network layout (retry on a busy block) --------------------------------------------------
  const req: LayoutRequest = { masters: opts.masters, agents: opts.agents, publicAgents, network, sshPort };
  let layout: Layout | undefined;
  if (network.mode === 'single-ip') {
    layout = await singleIpLayout(req, network.ip ?? '127.0.0.1');
  } else if (network.base) {
    const m = /^127\.(\d+)\.(\d+)\.\d+$/.exec(network.base);
    if (!m) throw new Error(`network.base ${network.base}: expected 127.a.b.0`);
    layout = perHostIpLayout(req, Number(m[1]), Number(m[2]));
  } else {
    for (let attempt = 0; attempt < 20 && !layout; attempt++) {
      const [a, b] = randomBlock(opts.agents + publicAgents);
      const candidate = perHostIpLayout(req, a, b);
      const probe = candidate.hosts.slice(0, 2);
      const free = await Promise.all(probe.map((h) => canBind(h.address, h.sshPort)));
      if (free.every(Boolean)) layout = candidate;
    }
    if (!layout) {
      throw new Error(
        'cannot bind any 127.a.b.c address: per-host-ip needs all of 127.0.0.0/8 on loopback (Linux); use network: { mode: "single-ip" }'
      );
    }
  }
  const name = opts.name ?? `sim-${layout.label.replace(/\./g, '-')}`;
  const specs: SimHost[] = layout.hosts.map((h) => ({ ...h, root: path.join(dir, 'hosts', h.id) }));
  const byRole = (r: SimHost['role']): SimHost[] => specs.filter((s) => s.role === r);
  const bootstrapSpec = byRole('bootstrap')[0]!;
  const masterSpecs = byRole('master');
  const bootstrapUrl = `http://${bootstrapSpec.address}:${layout.bootstrapHttpPort}`;

  // ---- keys, TLS, auth -------------------------------------------------------------------------
  const clientKeyPair = generateEd25519(`dcos-patch-sim@${name}`);
  const clientKey = parseKeyOrThrow(clientKeyPair.public, 'client key');
  await writeFile(path.join(dir, 'id_ed25519'), clientKeyPair.private, { mode: 0o600 });
  await writeFile(path.join(dir, 'id_ed25519.pub'), `${clientKeyPair.public}\n`);
  const tls: TlsMaterial | undefined =
    variant === 'enterprise' || mesosHttps
      ? await createTls(
          dir,
          specs.map((s) => s.address)
        )
      : undefined;
  const auth: AuthMaterial | undefined = strict ? createAuthMaterial() : undefined;
  let tokenPath: string | undefined;
  if (auth) {
    tokenPath = path.join(dir, 'dcos-token');
    await writeFile(tokenPath, `${issueToken(auth, auth.serviceAccountUid)}\n`, { mode: 0o600 });
    await writeFile(path.join(dir, 'service-account-key.pem'), auth.serviceAccountPrivateKey, { mode: 0o600 });
    await writeFile(path.join(dir, 'superuser-password'), `${auth.superuserPassword}\n`, { mode: 0o600 });
  }

  // ---- model -----------------------------------------------------------------------------------
  const defaultApps: MarathonApp[] = [
    {
      id: '/sim/app-1',
      constraints: [['hostname', 'UNIQUE']],
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 300 }],
    },
    { id: '/sim/app-2', constraints: [['hostname', 'GROUP_BY']] },
    { id: '/sim/app-3' },
  ];
  const marathonApps = opts.marathon?.apps ?? defaultApps;
  const model = new ClusterModel({
    variant,
    version,
    timings,
    hosts: specs,
    facts: (h) => ({ ...defaultFacts(h.role), ...opts.facts?.[h.id] }),
    tasksPerAgent: opts.tasksPerAgent ?? 3,
    marathon: { eventSubscriber: opts.marathon?.eventSubscriber ?? false, apps: marathonApps },
  });
  if (!opts.marathon?.apps) {
    for (const app of marathonApps) {
      app.instances = model.agents.reduce((n, a) => n + a.tasks.filter((t) => t.appId === app.id).length, 0);
    }
  }
  const marathonState = new MarathonApps(model, marathonApps);
  const env: SimEnv = {
    variant,
    security,
    version,
    targetVersion,
    user,
    clusterName: name,
    timings,
    marathonEventSubscriber: opts.marathon?.eventSubscriber ?? false,
  };

  // ---- control API -----------------------------------------------------------------------------
  const runtimes = new Map<string, HostRuntime>();
  const children = new Set<HostProcess>();
  let stopping: Promise<void> | undefined;
  let onShutdown: () => void = () => {};
  let markStopped: () => void = () => {};
  const whenStopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  const rt = (node: string): HostRuntime => {
    const r = runtimes.get(node);
    if (!r) throw new Error(`no simulated host ${node}; hosts: ${[...runtimes.keys()].join(', ')}`);
    return r;
  };

  const syncPorts = (r: HostRuntime): void =>
    applyPortStates(r, model, (err) => {
      if (!stopping) process.stderr.write(`dcos-sim: ${err.message}\n`);
    });
  model.onPortsChanged = (h) => {
    const r = runtimes.get(h.spec.id);
    if (r) syncPorts(r);
  };

  const truth = (): GroundTruth => snapshotTruth(model, marathonState, (id) => created.has(id));
  const killTask = (appId: string, taskId?: string) => {
    const k = marathonState.killTask(appId, taskId);
    if (!k) throw new Error(`no running task of ${appId}${taskId ? ` with id ${taskId}` : ''}`);
    return k;
  };
  const setCockroachUnderreplicated = (ranges: number): void => {
    model.cockroachStuckRanges = ranges;
    model.changed();
  };
  const setDnsOutage = (on = true): void => {
    marathonState.dnsOutage = on;
    model.changed();
  };

  const inject = (node: string, fault: Fault): void => {
    const r = rt(node);
    const f: Fault = fault.kind === 'ssh-drop' ? { ...fault, times: fault.times ?? 1 } : { ...fault };
    r.state.faults.add(f);
    if (f.kind === 'ssh-refuse') {
      r.refuseSshUntil = Math.max(r.refuseSshUntil, Date.now() + f.forMs);
      r.ssh.dropAll();
      model.after(f.forMs, () => {
        r.state.faults.remove(r.state.faults.find('ssh-refuse') ?? f);
        syncPorts(r);
      });
    } else if (f.kind === 'host-key-change') {
      r.ssh.setHostKey(generateEd25519().private);
    }
    syncPorts(r);
  };

  const clearFaults = (node: string): void => {
    const r = rt(node);
    const old = r.state.faults.clear();
    if (old.some((f) => f.kind === 'host-key-change')) r.ssh.setHostKey(r.hostKey);
    r.refuseSshUntil = 0;
    model.faultsCleared(r.state);
    syncPorts(r);
  };

  const setFacts = (node: string, facts: Partial<HostFacts>): void => {
    const r = rt(node);
    Object.assign(r.state.facts, facts);
    if (created.has(node)) applyFacts(r.spec, r.state.facts, facts);
    if (facts.reachable === false) r.ssh.dropAll();
    syncPorts(r);
  };

  const runCommand = async (
    node: string,
    name: string,
    args: string[],
    cwd: string,
    euid: number
  ): Promise<CmdResult> => {
    const handler = COMMANDS[name];
    if (!handler) return { code: 127, stderr: `${name}: command not found\n` };
    const r = rt(node);
    return handler({ model, host: r.state, env, args, cwd, euid });
  };

  const control = createControlServer({
    truth,
    hosts: () => specs,
    inject,
    clearFaults,
    setFacts,
    stopUnits: (n) => model.stopUnits(rt(n).state),
    startUnits: (n) => model.startUnits(rt(n).state),
    makeAgentUnregistered: (n, on = true) => model.setForceUnregistered(rt(n).state, on),
    makeMasterNotServing: (n, on = true) => model.setForceNotServing(rt(n).state, on),
    makeAppUnhealthy: (app, on = true) => model.setAppUnhealthy(app, on),
    killTask,
    setDnsOutage,
    setCockroachUnderreplicated,
    runCommand,
    shutdown: () => onShutdown(),
  });
  control.keepAliveTimeout = 1000;
  const controlUrl = await new Promise<string>((resolve, reject) => {
    control.once('error', reject);
    control.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = control.address();
      resolve(`http://127.0.0.1:${a && typeof a === 'object' ? a.port : 0}`);
    });
  });

  // ---- hosts: SSH and HTTP ---------------------------------------------------------------------
  const closeAll = async (): Promise<void> => {
    model.stop();
    await Promise.all([...runtimes.values()].flatMap(listenersOf).map((l) => l.set(false).catch(() => {})));
    for (const c of children) c.signal('SIGKILL');
    killClusterProcesses(clusterId);
    control.closeAllConnections();
    await new Promise<void>((r) => control.close(() => r()));
  };

  try {
    const bootstrapServeDir = path.join(bootstrapSpec.root, installerDir(user, targetVersion), 'genconf', 'serve');
    const deps: HostRuntimeDeps = {
      model,
      controlUrl,
      user,
      clusterId,
      clientKey,
      bootstrapHttpPort: layout.bootstrapHttpPort,
      bootstrapServeDir,
      tls,
      enterprise: variant === 'enterprise',
      mesosHttps,
      auth,
      marathon: { eventSubscriber: env.marathonEventSubscriber, apps: marathonApps },
      marathonVersion: MARATHON_BY_MINOR[version.split('.').slice(0, 2).join('.')] ?? '1.10.36',
      marathonApps: marathonState,
      beforeUse: (spec) => layoutRoot(spec),
      track: (child) => {
        children.add(child);
        child.once('exit', () => children.delete(child));
      },
    };
    for (const spec of specs) runtimes.set(spec.id, createHostRuntime(spec, deps));

    // host roots first (commands may arrive as soon as a port opens), then every listener at once
    const configYaml = clusterConfigYaml({
      clusterName: name,
      bootstrapUrl,
      masters: masterSpecs.map((m) => m.address),
      variant,
      security,
    });
    const exhibitorTls = tls
      ? { 'root-cert.pem': tls.caCert, 'client-cert.pem': tls.clientCert, 'client-key.pem': tls.clientKey }
      : undefined;
    mkdirSync(path.join(dir, 'hosts'), { recursive: true });
    const store = new FileStore(path.join(dir, 'hosts', '.store'));
    layoutRoot = (spec: SimHost): void => {
      if (created.has(spec.id)) return;
      created.add(spec.id);
      layoutHost({
        host: spec,
        variant,
        version,
        targetVersion,
        user,
        facts: model.host(spec.id).facts,
        userConfig: configYaml,
        exhibitorTls: spec.role === 'master' && variant === 'enterprise' ? exhibitorTls : undefined,
        ...(tls ? { caBundle: tls.caCert } : {}),
        marathonEventSubscriber: spec.role === 'master' && (opts.marathon?.eventSubscriber ?? false),
        store,
      });
    };
    for (const spec of specs) if (!lazyRoots || spec.role === 'bootstrap' || spec.role === 'master') layoutRoot(spec);
    await Promise.all([...runtimes.values()].map((r) => Promise.all(listenersOf(r).map((l) => l.set(true)))));
    for (const r of runtimes.values()) syncPorts(r);
    await writeFile(
      path.join(dir, 'known_hosts'),
      specs
        .map((s) => {
          const key = rt(s.id).hostKeyPublic.split(' ').slice(0, 2).join(' ');
          return `${s.sshPort === 22 ? s.address : `[${s.address}]:${s.sshPort}`} ${key}`;
        })
        .join('\n') + '\n'
    );
    const planPath = await writePlanFiles({
      dir,
      clusterName: name,
      variant,
      fromVersion: version,
      toVersion: targetVersion,
      security,
      user,
      sshPort: network.mode === 'single-ip' ? bootstrapSpec.sshPort : sshPort,
      singleIp: network.mode === 'single-ip',
      bootstrap: bootstrapSpec,
      installerDir: installerDir(user, targetVersion),
      installerName: installerName(variant),
      masters: masterSpecs,
      agents: byRole('agent'),
      publicAgents: byRole('public-agent'),
      configYaml,
      timings,
      exhibitorTls:
        tls && variant === 'enterprise'
          ? { ca: tls.paths.caCert, cert: tls.paths.clientCert, key: tls.paths.clientKey }
          : undefined,
      mesosHttps,
      mesosCa: tls?.paths.dcosCa,
      tokenPath,
      ...(opts.probes ? { probes: opts.probes } : {}),
    });
    await writeFile(path.join(dir, 'control-url'), `${controlUrl}\n`);
    for (const [node, faults] of Object.entries(opts.faults ?? {})) for (const f of faults) inject(node, f);

    const cluster: SimCluster = {
      dir,
      planPath,
      controlUrl,
      bootstrapUrl,
      bootstrap: bootstrapSpec,
      masters: masterSpecs,
      agents: byRole('agent'),
      publicAgents: byRole('public-agent'),
      whenStopped,
      host: (node) => {
        const spec = rt(node).spec;
        layoutRoot(spec);
        return spec;
      },
      inject,
      clearFaults,
      setFacts,
      truth,
      resetTruth: () => model.truth.reset(model.mastersDownNow().length, model.agentsDownNow().length),
      stopUnits: (n) => model.stopUnits(rt(n).state),
      startUnits: (n) => model.startUnits(rt(n).state),
      reboot: (n) => {
        const r = rt(n);
        layoutRoot(r.spec);
        for (const pid of hostProcesses(clusterId, r.spec.id)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        writeBootId(r.spec.root);
        model.stopUnits(r.state);
        model.startUnits(r.state);
      },
      makeAgentUnregistered: (n, on = true) => model.setForceUnregistered(rt(n).state, on),
      makeMasterNotServing: (n, on = true) => model.setForceNotServing(rt(n).state, on),
      makeAppUnhealthy: (app, on = true) => model.setAppUnhealthy(app, on),
      killTask,
      setDnsOutage,
      setCockroachUnderreplicated,
      stop: () => {
        stopping ??= closeAll().then(() => {
          if (ownDir) rmSync(dir, { recursive: true, force: true });
          markStopped();
        });
        return stopping;
      },
    };
    onShutdown = () => void cluster.stop();
    return cluster;
  } catch (err) {
    stopping = closeAll();
    await stopping.catch(() => {});
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
