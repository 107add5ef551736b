/**
 * A host command started by the spawner process (spawner.cjs) instead of by the simulator itself:
 * a fork from the simulator costs in proportion to its memory and blocks every host's SSH and HTTP
 * answers meanwhile (~8 ms per command at 100 hosts under load, ~18 commands per agent patched).
 * It looks like a ChildProcess to its users: pid (once known), stdin, stdout, stderr, and the
 * 'error', 'exit' and 'close' events with the same arguments.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

type FromSpawner =
  | { t: 'pid'; id: number; pid: number }
  | { t: 'out' | 'err'; id: number; data: Uint8Array }
  | { t: 'error'; id: number; message: string; code?: string }
  | { t: 'exit' | 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export class HostProcess extends EventEmitter {
  pid?: number;
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  readonly stdin: Writable;
  private pendingSignals: NodeJS.Signals[] = [];
  private closed = false;

  constructor(
    readonly id: number,
    private readonly toSpawner: (m: object) => void
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.toSpawner({ t: 'in', id, data: chunk });
        done();
      },
      final: (done) => {
        this.toSpawner({ t: 'end', id });
        done();
      },
    });
  }

  /** Signal the command's process group (it leads one); sent once its pid is known. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) {
      if (!this.closed) this.pendingSignals.push(signal);
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** One message from the spawner about this command. */
  receive(m: FromSpawner): void {
    switch (m.t) {
      case 'pid':
        this.pid = m.pid;
        for (const s of this.pendingSignals.splice(0)) this.signal(s);
        return;
      case 'out':
        this.stdout.push(Buffer.from(m.data));
        return;
      case 'err':
        this.stderr.push(Buffer.from(m.data));
        return;
      case 'error':
        this.fail(Object.assign(new Error(m.message), { code: m.code }));
        return;
      case 'exit':
        this.emit('exit', m.code, m.signal);
        return;
      case 'close':
        this.end(m.code, m.signal);
    }
  }

  /** 'error' for whoever listens (an unheard one must not throw in the simulator). */
  fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** Both output streams end, then 'close' (as a ChildProcess: after the last data). */
  end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    this.pendingSignals = [];
    this.stdout.push(null);
    this.stderr.push(null);
    setImmediate(() => this.emit('close', code, signal));
  }
}

/** The spawner of this simulator process, started at the first command, restarted if it dies. */
class Spawner {
  private proc?: ChildProcess;
  private readonly running = new Map<number, HostProcess>();
  private nextId = 1;

  spawn(req: SpawnRequest): HostProcess {
    const proc = this.proc ?? this.start();
    const child = new HostProcess(this.nextId++, (m) => {
      if (proc.connected) proc.send(m);
    });
    this.running.set(child.id, child);
    child.once('close', () => {
      this.running.delete(child.id);
      if (this.running.size === 0) proc.channel?.unref();
    });
    proc.channel?.ref();
    proc.send({ t: 'spawn', id: child.id, ...req });
    return child;
  }

  private start(): ChildProcess {
    // No loader flags: the spawner is plain JavaScript and should stay small.
    const proc = fork(path.join(__dirname, 'spawner.cjs'), [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    proc.unref();
    proc.channel?.unref();
    proc.on('message', (m: FromSpawner) => this.running.get(m.id)?.receive(m));
    // 'disconnect' first: with the channel gone nothing may keep this loop alive until 'exit'.
    proc.on('disconnect', () => this.lost(proc));
    proc.on('exit', () => this.lost(proc));
    proc.on('error', () => this.lost(proc));
    this.proc = proc;
    return proc;
  }

  /** The spawner died: its commands' outcome is unknown, as if their sshd had gone. */
  private lost(proc: ChildProcess): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    for (const child of [...this.running.values()]) {
      child.fail(new Error('the simulator spawner exited'));
      child.emit('exit', 255, null);
      child.end(255, null);
    }
  }
}

const spawner = new Spawner();

/** Start a command through this process's spawner (detached: it leads its own process group). */
export function spawnViaSpawner(req: SpawnRequest): HostProcess {
  return spawner.spawn(req);
}
