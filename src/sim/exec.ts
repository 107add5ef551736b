/**
 * Runs a command received over SSH as real bash, with a per-host directory standing in for `/`.
 *
 * Absolute paths under the host-local trees (/opt, /etc, /var, /run, /home, /root, /tmp) in the
 * command text are rewritten to `<root>/...`; /usr, /bin, /dev and /proc stay the machine's own.
 * Scripts the host runs (shims, the node patch script) use `$SIM_ROOT` themselves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type HostProcess, spawnViaSpawner } from './host-process';

const HOST_TREES = '(?:opt|etc|var|run|home|tmp|root)';
/** A path starts at the start of the text or after whitespace, a quote, `=`, `:`, `;`, `(`, `|`, `&`, `<`, `>`, a backtick, `{` or `,`. */
const PATH_START = /(^|[\s"'=:;(|&<>`{,])(\/(?:opt|etc|var|run|home|tmp|root))(?=\/|$|[\s"';|&)<>`},])/g;

/** Each host has its own boot id (a new one at every reboot): `.sim/boot_id` in its root. */
const BOOT_ID = /\/proc\/sys\/kernel\/random\/boot_id\b/g;
export const BOOT_ID_FILE = '.sim/boot_id';

/** Rewrite host-local absolute paths in a command to live under `root`. */
export function rewritePaths(command: string, root: string): string {
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  // The boot id last: the root itself may live under /tmp, which must not be rewritten again.
  return command
    .replace(PATH_START, (_m, lead: string, p: string) => `${lead}${base}${p}`)
    .replace(BOOT_ID, `${base}/${BOOT_ID_FILE}`);
}

const LOCAL_DCOS_PORT = /\b(?:localhost|127\.0\.0\.1):(8181|5050|5051|8080|8123)\b/g;

/**
 * `localhost:<DC/OS port>` on a simulated host means that host's own endpoint: rewrite it to the
 * host's address and actual port (the runbook's `curl http://localhost:8181/...` on a master).
 */
export function rewriteLocalPorts(command: string, address: string, ports: Record<number, number>): string {
  return command.replace(LOCAL_DCOS_PORT, (m, p: string) => {
    const actual = ports[Number(p)];
    return actual === undefined ? m : `${address}:${actual}`;
  });
}

/** The inverse for display: strip the host root from a path. */
export function hostPath(realPath: string, root: string): string {
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  if (realPath === base) return '/';
  return realPath.startsWith(`${base}/`) ? realPath.slice(base.length) : realPath;
}

/** Resolve a path a command gave (already rewritten, or relative to `cwd`) and require it inside `root`. */
export function pathInsideRoot(given: string, cwd: string, root: string): string | undefined {
  let p = path.resolve(cwd, given);
  if (!p.startsWith(`${path.resolve(root)}/`) && new RegExp(`^/${HOST_TREES}(/|$)`).test(given)) {
    p = path.join(root, given);
  }
  return p.startsWith(`${path.resolve(root)}/`) ? p : undefined;
}

export interface HostExecContext {
  root: string;
  nodeId: string;
  address: string;
  controlUrl: string;
  user: string;
  /** Marks every process of one simulated cluster, so stop() can find and end them. */
  clusterId: string;
  /** DC/OS default port → this host's actual port, for `localhost:<port>` in commands. */
  localPorts?: Record<number, number>;
}

export function homeDir(ctx: Pick<HostExecContext, 'root' | 'user'>): string {
  return ctx.user === 'root' ? path.join(ctx.root, 'root') : path.join(ctx.root, 'home', ctx.user);
}

/** The environment of a command on the simulated host. Nothing is inherited from the simulator's own environment. */
export function hostEnv(ctx: HostExecContext): NodeJS.ProcessEnv {
  const home = homeDir(ctx);
  return {
    SIM_ROOT: ctx.root,
    SIM_HOST: ctx.nodeId,
    SIM_ADDR: ctx.address,
    SIM_CTL: ctx.controlUrl,
    SIM_CLUSTER: ctx.clusterId,
    SIM_EUID: ctx.user === 'root' ? '0' : '1000',
    HOME: home,
    USER: ctx.user,
    LOGNAME: ctx.user,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TMPDIR: path.join(ctx.root, 'tmp'),
    PATH: [
      path.join(ctx.root, 'sim-bin'),
      path.join(ctx.root, 'opt/mesosphere/bin'),
      '/usr/local/bin',
      '/usr/bin',
      '/bin',
    ].join(':'),
  };
}

/** Start `bash -c <rewritten command>` in its own process group, cwd the user's home (via the spawner). */
export function spawnOnHost(ctx: HostExecContext, command: string): HostProcess {
  const local = ctx.localPorts ? rewriteLocalPorts(command, ctx.address, ctx.localPorts) : command;
  return spawnViaSpawner({
    file: 'bash',
    args: ['-c', rewritePaths(local, ctx.root)],
    cwd: homeDir(ctx),
    env: hostEnv(ctx),
  });
}

/** Pids of every live process started for this simulated cluster (found by SIM_CLUSTER in /proc/<pid>/environ). */
export function clusterProcesses(clusterId: string): number[] {
  const marker = `SIM_CLUSTER=${clusterId}\0`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(marker)) found.push(pid);
    } catch {
      // exited or not ours
    }
  }
  return found;
}

/** Pids of every live process started on one simulated host (SIM_HOST in its environment). */
export function hostProcesses(clusterId: string, nodeId: string): number[] {
  const marker = `SIM_HOST=${nodeId}\0`;
  return clusterProcesses(clusterId).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker);
    } catch {
      return false;
    }
  });
}

/** SIGKILL every process of the cluster, including `setsid nohup` ones that left our process groups. */
export function killClusterProcesses(clusterId: string): number {
  const pids = clusterProcesses(clusterId);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return pids.length;
}
