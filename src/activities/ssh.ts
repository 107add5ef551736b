/**
 * SSH to DC/OS hosts with the `ssh2` client: one command → `{ exitCode, stdout, stderr }`.
 *
 * - Host keys are always verified against `ssh.knownHostsPath` (see known-hosts.ts); a mismatch
 *   is `HostKeyMismatch`, an unknown host `HostKeyUnknown`, a refused login `SshAuthFailed`,
 *   all non-retryable. Connect failures, dropped connections and command time-outs are
 *   retryable (`SshUnreachable`, `SshDropped`, `SshCommandTimeout`).
 * - The private key and known_hosts are read on the worker for every new connection; nothing
 *   secret leaves this process.
 * - Connections are cached per `user@address:port` (a cache only: a dropped or stale connection
 *   is replaced transparently before a command starts; idle ones close after a minute, and past
 *   128 idle the longest idle closes first).
 * - Cancelling (the signal) closes the channel, as Ctrl-C on `ssh host cmd` would.
 */
import { readFileSync } from 'node:fs';
import { Client, type ClientChannel } from 'ssh2';
import { FailureTypes } from '../shared/failure-types';
import type { NodeSpec, SshSettings } from '../shared/plan';
import { describeHostKeyVerdict, type HostKeyVerdict, preferredHostKeyAlgorithms, verifyHostKey } from './known-hosts';
import { abortReason, errorText, nonRetryable, retryable } from './util';

/** What runCommand needs of a target: a NodeTarget fits, and so does the bootstrap node. */
export interface SshEndpoint {
  node: Pick<NodeSpec, 'id' | 'address' | 'sshPort'>;
  ssh: SshSettings;
}

export interface RunOptions {
  /** The command must finish within this; the channel is then closed (SIGHUP on the host). */
  timeoutMs: number;
  /** Data written to the command's stdin (then EOF). Never logged. */
  stdin?: string | Buffer;
  signal?: AbortSignal;
  /** Short name of the step for messages (default: the command's first 60 characters). */
  label?: string;
  /** Keep at most this many bytes of each stream (the tail). Default 4 MiB. */
  maxOutputBytes?: number;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when the command was ended by a signal (exitCode is then -1). */
  signal?: string;
}

const IDLE_CLOSE_MS = 60_000;
/** OpenSSH's MaxSessions is 10 by default; stay under it on one connection. */
const MAX_CHANNELS = 8;
/**
 * At most this many idle connections stay open (memory and sshd sessions at thousands of hosts);
 * past it the longest idle closes, never the one just released: its host is the one in use (an
 * agent's next step comes within seconds), and reconnecting costs a handshake on both sides.
 */
const MAX_IDLE_KEPT = 128;
const KEEPALIVE_MS = 5_000;

function where(ep: SshEndpoint): string {
  return `${ep.ssh.user}@${ep.node.address}:${ep.node.sshPort}`;
}

function labelOf(command: string, label?: string): string {
  if (label) return label;
  const one = command.replace(/\s+/g, ' ').trim();
  return `"${one.length > 60 ? `${one.slice(0, 59)}…` : one}"`;
}

/** The exec channel could not be opened: the command did not start, so it is safe to retry on a new connection. */
class ChannelOpenError extends Error {}

class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;
  constructor(private readonly max: number) {}
  push(d: Buffer): void {
    this.chunks.push(d);
    this.size += d.length;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.dropped = true;
    }
  }
  text(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.max) {
      buf = buf.subarray(buf.length - this.max);
      this.dropped = true;
    }
    return (this.dropped ? '[…earlier output dropped…]\n' : '') + buf.toString('utf8');
  }
}

class Connection {
  readonly client = new Client();
  ready!: Promise<void>;
  closed = false;
  closeReason = '';
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly onClose = new Set<(why: string) => void>();
  private idle?: NodeJS.Timeout;

  constructor(readonly key: string) {}

  markClosed(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = why;
    if (this.idle) clearTimeout(this.idle);
    idleConnections.delete(this);
    if (cache.get(this.key) === this) cache.delete(this.key);
    for (const fn of [...this.onClose]) fn(why);
    this.onClose.clear();
  }

  whenClosed(fn: (why: string) => void): () => void {
    this.onClose.add(fn);
    return () => this.onClose.delete(fn);
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.idle) {
      clearTimeout(this.idle);
      this.idle = undefined;
    }
    idleConnections.delete(this);
    if (this.active < MAX_CHANNELS) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(go);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal!));
      };
      this.waiters.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    const next = this.waiters.shift();
    if (next) {
      next();
      return;
    }
    if (this.active === 0 && !this.closed) {
      this.idle = setTimeout(() => this.end(), IDLE_CLOSE_MS);
      this.idle.unref();
      idleConnections.add(this);
      // A survey of thousands of hosts must not leave thousands of idle connections open.
      for (const oldest of idleConnections) {
        if (idleConnections.size <= MAX_IDLE_KEPT) break;
        oldest.end();
      }
    }
  }

  end(): void {
    this.markClosed('closed by dcos-patch');
    this.client.end();
  }
}

const cache = new Map<string, Connection>();
/** The idle connections, the longest idle first (a Set iterates in insertion order). */
const idleConnections = new Set<Connection>();

function readWorkerFile(ep: SshEndpoint, path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw nonRetryable(
      `SSH ${where(ep)}: cannot read ${what} ${path} on the worker (${errorText(err)}). ` +
        `Make it readable where the worker runs (the plan's ssh settings point to it), then retry.`,
      FailureTypes.InvalidPlan,
      { host: ep.node.id, step: 'ssh connect', path }
    );
  }
}

function hostKeyFailure(ep: SshEndpoint, verdict: Exclude<HostKeyVerdict, { ok: true }>): Error {
  const message = describeHostKeyVerdict(verdict, ep.node.address, ep.node.sshPort, ep.ssh.knownHostsPath);
  const details = {
    host: ep.node.id,
    step: 'ssh host key',
    expected: verdict.expected,
    seen: `${verdict.seenType} ${verdict.seenFingerprint}`,
    knownHosts: ep.ssh.knownHostsPath,
  };
  return verdict.reason === 'unknown'
    ? nonRetryable(message, FailureTypes.HostKeyUnknown, details)
    : nonRetryable(message, FailureTypes.HostKeyMismatch, details);
}

function connectFailure(ep: SshEndpoint, err: Error & { level?: string }, verdict?: HostKeyVerdict): Error {
  if (verdict && !verdict.ok) return hostKeyFailure(ep, verdict);
  if (err.level === 'client-authentication') {
    return nonRetryable(
      `SSH ${where(ep)}: login refused for the key ${ep.ssh.privateKeyPath}. ` +
        `Install its public key in ~${ep.ssh.user}/.ssh/authorized_keys on ${ep.node.address}, or fix ssh.user / ssh.privateKey in the plan.`,
      FailureTypes.SshAuthFailed,
      { host: ep.node.id, step: 'ssh login', user: ep.ssh.user }
    );
  }
  const why =
    err.level === 'client-timeout'
      ? `no SSH handshake within ${Math.round(ep.ssh.connectTimeoutMs / 1000)} s`
      : `cannot connect (${errorText(err)})`;
  return retryable(
    `SSH ${where(ep)}: ${why}. Check that the host is up and sshd listens on port ${ep.node.sshPort}; dcos-patch retries.`,
    FailureTypes.SshUnreachable,
    { host: ep.node.id, step: 'ssh connect' }
  );
}

function openConnection(ep: SshEndpoint, key: string): Connection {
  const privateKey = readWorkerFile(ep, ep.ssh.privateKeyPath, 'the SSH private key');
  const knownHosts = readWorkerFile(ep, ep.ssh.knownHostsPath, 'known_hosts').toString('utf8');
  const conn = new Connection(key);
  let verdict: HostKeyVerdict | undefined;
  let isReady = false;
  conn.ready = new Promise<void>((resolve, reject) => {
    conn.client.once('ready', () => {
      isReady = true;
      conn.client.setNoDelay(true);
      resolve();
    });
    conn.client.on('error', (err: Error & { level?: string }) => {
      if (!isReady) {
        conn.markClosed(errorText(err));
        reject(connectFailure(ep, err, verdict));
        conn.client.end();
      } else conn.markClosed(errorText(err));
    });
    conn.client.on('close', () => {
      conn.markClosed(conn.closed ? conn.closeReason : 'connection closed');
      if (!isReady) reject(connectFailure(ep, new Error('connection closed during the SSH handshake'), verdict));
    });
  });
  // A rejection nobody awaited yet must not crash the worker; callers await `ready` themselves.
  conn.ready.catch(() => undefined);
  conn.client.connect({
    host: ep.node.address,
    port: ep.node.sshPort,
    username: ep.ssh.user,
    privateKey,
    readyTimeout: ep.ssh.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_MS,
    keepaliveCountMax: 3,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownHosts, ep.node.address, ep.node.sshPort) },
    hostVerifier: (blob: Buffer): boolean => {
      verdict = verifyHostKey(knownHosts, ep.node.address, ep.node.sshPort, blob);
      return verdict.ok;
    },
  });
  return conn;
}

async function getConnection(ep: SshEndpoint, signal?: AbortSignal): Promise<Connection> {
  const key = where(ep);
  let conn = cache.get(key);
  if (!conn || conn.closed) {
    conn = openConnection(ep, key);
    cache.set(key, conn);
  }
  await raceAbort(conn.ready, signal);
  return conn;
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      }
    );
  });
}

function execOn(conn: Connection, ep: SshEndpoint, command: string, opts: RunOptions): Promise<CommandResult> {
  const label = labelOf(command, opts.label);
  const max = opts.maxOutputBytes ?? 4 * 1024 * 1024;
  const { signal } = opts;
  return new Promise<CommandResult>((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let settled = false;
    let exitCode: number | undefined;
    let exitSignal: string | undefined;
    const out = new OutputBuffer(max);
    const err = new OutputBuffer(max);
    const finish = (e: Error | undefined, r?: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stopWatching();
      if (e) reject(e);
      else resolve(r!);
    };
    const dropped = (why: string) =>
      retryable(
        `SSH ${where(ep)}: the connection dropped while running ${label} (${why}); the command may still be running on the host. dcos-patch retries.`,
        FailureTypes.SshDropped,
        { host: ep.node.id, step: label }
      );
    const onAbort = () => {
      channel?.close();
      finish(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // Dropped before the session was open: the command never started, so a fresh connection may run it.
    const stopWatching = conn.whenClosed((why) =>
      finish(channel ? dropped(why) : new ChannelOpenError(`connection closed before the session opened (${why})`))
    );
    const timer = setTimeout(() => {
      channel?.close();
      finish(
        retryable(
          `SSH ${where(ep)}: ${label} did not finish within ${Math.round(opts.timeoutMs / 1000)} s (closed it).`,
          FailureTypes.SshCommandTimeout,
          { host: ep.node.id, step: label, timeoutMs: opts.timeoutMs }
        )
      );
    }, opts.timeoutMs);
    try {
      conn.client.exec(command, (e: Error | undefined, ch: ClientChannel) => {
        if (e) return finish(new ChannelOpenError(e.message));
        if (settled) {
          ch.close();
          return;
        }
        channel = ch;
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => err.push(d));
        ch.on('exit', (code: number | null, sig?: string) => {
          if (typeof code === 'number') exitCode = code;
          if (sig) exitSignal = sig;
        });
        ch.on('error', () => undefined);
        ch.on('close', () => {
          // No exit status at all: the session ended without the command reporting one (a drop).
          if (exitCode === undefined && exitSignal === undefined) {
            finish(dropped(conn.closed ? conn.closeReason : 'channel closed without an exit status'));
            return;
          }
          finish(undefined, {
            exitCode: exitCode ?? -1,
            stdout: out.text(),
            stderr: err.text(),
            ...(exitSignal ? { signal: exitSignal } : {}),
          });
        });
        if (opts.stdin !== undefined) ch.end(opts.stdin);
        else ch.end();
      });
    } catch (e) {
      // ssh2 throws synchronously when the connection is no longer usable ("Not connected").
      finish(new ChannelOpenError(errorText(e)));
    }
  });
}

/**
 * Run one command on a host over SSH and return its exit code and output (whatever the exit
 * code; callers decide). Rejects with the failures described at the top of this file, or with
 * the signal's reason when cancelled.
 */
export async function runCommand(ep: SshEndpoint, command: string, opts: RunOptions): Promise<CommandResult> {
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  for (let attempt = 1; ; attempt++) {
    const conn = await getConnection(ep, opts.signal);
    await conn.acquire(opts.signal);
    try {
      return await execOn(conn, ep, command, opts);
    } catch (err) {
      if (!(err instanceof ChannelOpenError)) throw err;
      // The command never started: the cached connection went stale. Replace it once.
      conn.end();
      if (attempt >= 2) {
        throw retryable(
          `SSH ${where(ep)}: could not open a session for ${labelOf(command, opts.label)} (${err.message}).`,
          FailureTypes.SshUnreachable,
          { host: ep.node.id, step: labelOf(command, opts.label) }
        );
      }
    } finally {
      conn.release();
    }
  }
}

/** Close every cached SSH connection (worker shutdown, tests). */
export function closeAllSsh(): void {
  for (const conn of [...cache.values()]) conn.end();
  cache.clear();
}

/** How many SSH connections are cached now (tests). */
export function sshConnectionCount(): number {
  return cache.size;
}
