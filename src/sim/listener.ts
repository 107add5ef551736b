/**
 * A TCP listener that can be switched off and on: a stopped unit or a refused SSH port closes it, so
 * clients see a real "connection refused", and every open connection is cut.
 */
import type { Server, Socket } from 'node:net';

export class SwitchableListener {
  private open = false;
  private want = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly sockets = new Set<Socket>();
  /** Actual port once listening (resolves port 0 to a free port on first listen). */
  port: number;

  constructor(
    readonly server: Server,
    readonly address: string,
    port: number,
    readonly label: string
  ) {
    this.port = port;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Destroy every open connection (the listener stays as it is). */
  cutConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Open or close; transitions are serialised, the last request wins. Rejects when listen fails. */
  set(want: boolean): Promise<void> {
    this.want = want;
    this.queue = this.queue.then(
      () => this.apply(),
      () => this.apply()
    );
    return this.queue;
  }

  private async apply(): Promise<void> {
    const want = this.want;
    if (want === this.open) return;
    if (want) {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          reject(new Error(`${this.label}: cannot listen on ${this.address}:${this.port}: ${err.message}`));
        };
        this.server.once('error', onError);
        this.server.listen({ host: this.address, port: this.port, backlog: 128 }, () => {
          this.server.off('error', onError);
          const addr = this.server.address();
          if (addr && typeof addr === 'object') this.port = addr.port;
          resolve();
        });
      });
      this.open = true;
    } else {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.cutConnections();
      await closed;
      this.open = false;
    }
  }
}
