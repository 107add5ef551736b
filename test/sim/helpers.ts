/**
 * Test plumbing for the simulator suites: start a cluster that is always stopped, run commands on
 * a simulated host over real SSH (the ssh2 client, host keys verified against known_hosts) or
 * plain OpenSSH, and poll.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { type SimCluster, type SimHost, type SimOptions, startCluster } from '../../src/sim';

/** Small timings: every dynamic completes within about a second. */
export const FAST: SimOptions['timings'] = {
  scriptMs: 800,
  exhibitorRecoveryMs: 450,
  registrarRecoveryMs: 300,
  cockroachRecoveryMs: 400,
  agentReregisterMs: 200,
  taskReconcileMs: 200,
  agentPingTimeoutMs: 60_000,
  leaderElectionMs: 150,
  generatorMs: 50,
};

/** Start a cluster, run `fn`, and stop the cluster whatever happens. */
export async function withCluster<T>(
  opts: Partial<SimOptions> & Pick<SimOptions, 'masters' | 'agents'>,
  fn: (c: SimCluster) => Promise<T>
): Promise<T> {
  const cluster = await startCluster({ version: '2.1.4', ...opts, timings: { ...FAST, ...opts.timings } });
  try {
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** The host key known_hosts lists for a host (the raw public key blob). */
export function knownHostKey(c: SimCluster, h: SimHost): Buffer {
  const name = h.sshPort === 22 ? h.address : `[${h.address}]:${h.sshPort}`;
  const line = readFileSync(`${c.dir}/known_hosts`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in known_hosts`);
  return Buffer.from(line.split(' ')[2]!, 'base64');
}

export function connect(
  c: SimCluster,
  h: SimHost,
  o: { privateKey?: string; username?: string } = {}
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const expected = knownHostKey(c, h);
    client
      .on('ready', () => resolve(client.setNoDelay(true)))
      .on('error', reject)
      .connect({
        host: h.address,
        port: h.sshPort,
        username: o.username ?? 'core',
        privateKey: o.privateKey ?? readFileSync(`${c.dir}/id_ed25519`),
        hostVerifier: (key: Buffer) => key.equals(expected),
        readyTimeout: 5000,
      });
  });
}

/** Run one command over SSH (a fresh connection) and collect its output and exit status. */
export async function sshExec(
  c: SimCluster,
  h: SimHost,
  command: string,
  o: { stdin?: string; client?: Client } = {}
): Promise<ExecResult> {
  const client = o.client ?? (await connect(c, h));
  try {
    return await new Promise<ExecResult>((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        let signal: string | undefined;
        stream.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        stream.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        stream.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s;
        });
        stream.on('close', () => resolve({ code, signal, stdout, stderr }));
        client.once('close', () => resolve({ code, signal, stdout, stderr }));
        stream.end(o.stdin ?? '');
      });
    });
  } finally {
    if (!o.client) client.end();
  }
}

/** Run a local program (OpenSSH, curl) without blocking the simulator's event loop. */
export function run(cmd: string, args: string[], input = ''): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

export function openssh(c: SimCluster, h: SimHost, command: string): Promise<ExecResult> {
  return run('ssh', [
    '-i',
    `${c.dir}/id_ed25519`,
    '-o',
    `UserKnownHostsFile=${c.dir}/known_hosts`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(h.sshPort),
    `core@${h.address}`,
    command,
  ]);
}

export async function getJson<T = unknown>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function waitFor(fn: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (
      await Promise.resolve()
        .then(fn)
        .catch(() => false)
    )
      return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type ExhibitorEntry = { code: number; description: string; hostname: string; isLeader: boolean };

export function exhibitorUrl(h: SimHost): string {
  return `http://${h.address}:${h.ports.exhibitor}/exhibitor/v1/cluster/status`;
}

/** Is a TCP port refusing connections? */
export async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code === 'ECONNREFUSED';
  }
}

/**
 * Generate the node patch script on the bootstrap node as the runbook does and return its URL:
 * genconf/config.yaml and ip-detect (and the license on Enterprise) copied up, then the generator.
 */
export async function generateScript(c: SimCluster, installed = '2.1.4'): Promise<{ url: string; output: string }> {
  const plan = readFileSync(c.planPath, 'utf8');
  const installerDir = /installerDir: (\S+)/.exec(plan)![1]!;
  const installer = /installer: (\S+)/.exec(plan)![1]!;
  const up = async (file: string): Promise<void> => {
    const r = await sshExec(c, c.bootstrap, `cat > ${installerDir}/genconf/${file}`, {
      stdin: readFileSync(`${c.dir}/genconf/${file}`, 'utf8'),
    });
    if (r.code !== 0) throw new Error(`upload ${file}: ${r.stderr}`);
  };
  await up('config.yaml');
  await up('ip-detect');
  if (installer.includes('.ee.')) await up('license.txt');
  const r = await sshExec(
    c,
    c.bootstrap,
    `cd ${installerDir} && sudo bash ${installer} --generate-node-upgrade-script ${installed}`
  );
  const m = /^Node (?:upgrade|patch) script URL: (\S+)$/m.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`generator failed (${r.code}): ${r.stdout}${r.stderr}`);
  return { url: m[1]!, output: r.stdout };
}

/** `curl -O` the script and run it with sudo in the user's home, as the runbook does. */
export function runScript(c: SimCluster, h: SimHost, url: string): Promise<ExecResult> {
  const prep = h.role === 'master' ? '' : 'sudo rm -f /opt/mesosphere/lib/libltdl.so.7 && ';
  return sshExec(c, h, `${prep}curl -fsSO ${url} && sudo bash dcos_node_upgrade.sh`);
}

/** Processes still running that belong to a (stopped) simulated cluster in `dir`. */
export function leftoverProcesses(dir: string): number[] {
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(`SIM_ROOT=${dir}/`)) found.push(Number(e));
    } catch {
      // gone
    }
  }
  return found;
}
