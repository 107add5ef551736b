/**
 * One simulated host's SSH server (the `ssh2` package's server on a real TCP port): ed25519 host key,
 * public-key auth against the simulator's client key, `exec` run by real bash (see exec.ts), stdin,
 * exit status, stderr, client signals, a minimal shell and the sftp subsystem.
 *
 * sshd semantics kept: a normal channel close sends SIGHUP to the command's process group (so
 * `setsid nohup … &` children survive, foreground commands don't); a dropped TCP connection (the
 * ssh-drop / ssh-refuse faults) leaves the remote process running.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import {
  type AuthContext,
  type Connection,
  type ParsedKey,
  type ServerChannel,
  type Session,
  Server as Ssh2Server,
  utils as sshUtils,
} from 'ssh2';
import { type HostExecContext, rewritePaths, spawnOnHost } from './exec';
import type { FaultSet } from './faults';
import type { HostProcess } from './host-process';
import { SwitchableListener } from './listener';
import { serveSftp } from './sftp';

export interface SshHostOptions {
  exec: HostExecContext;
  address: string;
  port: number;
  hostKey: string;
  clientKey: ParsedKey;
  faults: FaultSet;
  record(command: string): void;
  /** A login was accepted (a new SSH connection). */
  loggedIn(): void;
  /** Called before a session uses the host's files (host roots may be created lazily). */
  beforeUse(): void;
  /** Every child spawned, so the cluster can end foreground ones on stop. */
  track(child: HostProcess): void;
}

interface ConnState {
  socket: Socket;
  /** Set when the simulator cut the TCP connection: running commands keep running. */
  dropped: boolean;
  running: Set<HostProcess>;
}

export function parseKeyOrThrow(key: string | Buffer, what: string): ParsedKey {
  const parsed = sshUtils.parseKey(key);
  if (parsed instanceof Error) throw new Error(`${what}: ${parsed.message}`);
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first) throw new Error(`${what}: no key`);
  return first;
}

export class HostSshServer {
  readonly listener: SwitchableListener;
  private ssh: Ssh2Server;
  private readonly tcp: NetServer;
  private readonly pending = new Map<number, Socket>();
  private readonly conns = new Set<ConnState>();

  constructor(private readonly o: SshHostOptions) {
    this.ssh = this.makeSsh2(o.hostKey);
    this.tcp = createServer((socket) => this.accept(socket));
    this.listener = new SwitchableListener(this.tcp, o.address, o.port, `ssh ${o.exec.nodeId}`);
  }

  /** Present a different host key to new connections (the host-key-change fault, and its undoing). */
  setHostKey(privateKey: string): void {
    this.ssh = this.makeSsh2(privateKey);
  }

  /** Cut every connection as a network failure would: remote commands keep running. */
  dropAll(): void {
    for (const c of this.conns) {
      c.dropped = true;
      c.socket.destroy();
    }
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {});
    socket.setNoDelay(true);
    const port = socket.remotePort;
    if (port === undefined) {
      socket.destroy();
      return;
    }
    this.pending.set(port, socket);
    socket.once('close', () => this.pending.delete(port));
    this.ssh.injectSocket(socket);
  }

  private makeSsh2(hostKey: string): Ssh2Server {
    const server = new Ssh2Server({ hostKeys: [hostKey], ident: 'OpenSSH_7.4' }, (client, info) => {
      const socket = this.pending.get(info.port);
      if (!socket) {
        client.end();
        return;
      }
      this.pending.delete(info.port);
      const conn: ConnState = { socket, dropped: false, running: new Set() };
      this.conns.add(conn);
      socket.once('close', () => this.conns.delete(conn));
      this.handleClient(client, conn);
    });
    server.on('error', () => {});
    return server;
  }

  private handleClient(client: Connection, conn: ConnState): void {
    client.on('error', () => {});
    client.on('authentication', (ctx) => this.authenticate(ctx));
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        this.handleSession(session, conn);
      });
    });
  }

  private authenticate(ctx: AuthContext): void {
    if (ctx.method !== 'publickey' || ctx.username !== this.o.exec.user) {
      ctx.reject(['publickey']);
      return;
    }
    const key = this.o.clientKey;
    if (ctx.key.algo !== key.type || !ctx.key.data.equals(key.getPublicSSH())) {
      ctx.reject(['publickey']);
      return;
    }
    if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
      ctx.reject(['publickey']);
      return;
    }
    // Without a signature this is only the client asking whether the key would do.
    if (ctx.signature) this.o.loggedIn();
    ctx.accept();
  }

  private handleSession(session: Session, conn: ConnState): void {
    let child: HostProcess | undefined;
    let pty = false;
    session.on('error', () => {});
    session.on('env', (accept) => accept?.());
    session.on('pty', (accept) => {
      pty = true;
      accept?.();
    });
    session.on('window-change', (accept) => accept?.());
    session.on('signal', (accept, _reject, info) => {
      accept?.();
      child?.signal(`SIG${info.name}` as NodeJS.Signals);
    });
    session.on('exec', (accept, _reject, info) => {
      this.o.beforeUse();
      const channel = accept();
      this.o.record(info.command);
      child = this.runExec(channel, info.command, conn);
    });
    session.on('shell', (accept) => {
      this.o.beforeUse();
      const channel = accept();
      this.o.record('<interactive shell>');
      child = this.runShell(channel, pty, conn);
    });
    session.on('sftp', (accept) => {
      this.o.beforeUse();
      this.o.record('<sftp>');
      serveSftp(accept(), this.o.exec, (op, p) => this.o.record(`sftp ${op} ${p}`));
    });
  }

  private runExec(channel: ServerChannel, command: string, conn: ConnState): HostProcess {
    const child = spawnOnHost(this.o.exec, command);
    this.o.track(child);
    conn.running.add(child);
    let closed = false;
    let exited = false;
    channel.on('error', () => {});
    child.stdin?.on('error', () => {});
    channel.on('data', (d: Buffer) => child.stdin?.write(d));
    channel.on('end', () => child.stdin?.end());
    child.stdout?.on('data', (d: Buffer) => {
      if (!closed) channel.write(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (!closed) channel.stderr.write(d);
    });
    child.on('error', (err) => {
      if (!closed) channel.stderr.write(`bash: ${err.message}\n`);
    });
    child.on('exit', () => {
      exited = true;
      conn.running.delete(child);
    });
    child.on('close', (code, signal) => {
      if (closed) return;
      closed = true;
      if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
      else channel.exit(code ?? 255);
      channel.end();
    });
    channel.on('close', () => {
      if (closed && exited) return;
      closed = true;
      // sshd: the session ends → SIGHUP to the command's process group, unless the network dropped.
      if (!conn.dropped) child.signal('SIGHUP');
    });
    this.armDrop(command, child, conn);
    return child;
  }

  /** The ssh-drop fault: cut the TCP connection `afterMs` into a command, if it is still running. */
  private armDrop(command: string, child: HostProcess, conn: ConnState): void {
    const fault = this.o.faults.find('ssh-drop', (f) => f.match === undefined || command.includes(f.match));
    if (!fault) return;
    setTimeout(() => {
      if (!conn.running.has(child) || conn.socket.destroyed) return;
      if (!this.o.faults.all().some((f) => f.kind === 'ssh-drop')) return;
      this.o.faults.consume(fault);
      conn.dropped = true;
      conn.socket.destroy();
    }, fault.afterMs).unref();
  }

  /** A minimal interactive shell: each line is path-rewritten and fed to one bash process. */
  private runShell(channel: ServerChannel, pty: boolean, conn: ConnState): HostProcess {
    const child = spawnOnHost(this.o.exec, 'exec bash -s');
    this.o.track(child);
    conn.running.add(child);
    let closed = false;
    let line = '';
    const out = (d: Buffer | string): void => {
      if (closed) return;
      const s = d.toString();
      channel.write(pty ? s.replace(/\r?\n/g, '\r\n') : s);
    };
    const prompt = (): void => out(`[${this.o.exec.user}@${this.o.exec.nodeId} ~]$ `);
    channel.on('error', () => {});
    child.stdin?.on('error', () => {});
    out(
      `Simulated DC/OS host ${this.o.exec.nodeId} (dcos-patch simulator).\n` +
        'Each line runs in one bash; paths under /opt /etc /var /run /home /root /tmp are this host’s.\n'
    );
    prompt();
    const submit = (text: string): void => {
      child.stdin?.write(`${text.length > 0 ? rewritePaths(text, this.o.exec.root) : ''}\n`);
      setTimeout(prompt, 150);
    };
    channel.on('data', (d: Buffer) => {
      if (!pty) {
        for (const l of d.toString().split('\n')) if (l.length > 0) submit(l);
        return;
      }
      for (const ch of d.toString()) {
        if (ch === '\r' || ch === '\n') {
          out('\n');
          submit(line);
          line = '';
        } else if (ch === '\x7f' || ch === '\b') {
          if (line.length > 0) {
            line = line.slice(0, -1);
            out('\b \b');
          }
        } else if (ch === '\x03') {
          line = '';
          out('^C\n');
          prompt();
        } else if (ch === '\x04') {
          if (line.length === 0) child.stdin?.end();
        } else if (ch >= ' ') {
          line += ch;
          out(ch);
        }
      }
    });
    channel.on('end', () => child.stdin?.end());
    child.stdout?.on('data', out);
    child.stderr?.on('data', (d: Buffer) => {
      if (!closed) channel.stderr.write(pty ? d.toString().replace(/\r?\n/g, '\r\n') : d);
    });
    child.on('exit', () => conn.running.delete(child));
    child.on('close', (code) => {
      if (closed) return;
      closed = true;
      channel.exit(code ?? 0);
      channel.end();
    });
    channel.on('close', () => {
      if (closed) return;
      closed = true;
      if (!conn.dropped) child.signal('SIGHUP');
    });
    return child;
  }
}
