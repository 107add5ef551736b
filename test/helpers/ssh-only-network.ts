/**
 * A worker network that allows only SSH to the cluster (many sites): every TCP connection this
 * process opens to a cluster host on any other port is refused, as a firewall would, and
 * recorded. The Temporal connection (native, not Node's net) and the SSH ports are untouched.
 */
import net from 'node:net';

export interface RefusedConnection {
  host: string;
  port: number;
}

export interface SshOnlyNetwork {
  refused: RefusedConnection[];
  restore(): void;
}

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;

function destinationOf(args: unknown[]): { host: string; port: number } | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first && typeof first === 'object') {
    const o = first as { host?: string; port?: number | string; path?: string };
    if (o.path) return undefined;
    return { host: o.host ?? 'localhost', port: Number(o.port) };
  }
  if (typeof first === 'number' || typeof first === 'string') {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    return { host, port: Number(first) };
  }
  return undefined;
}

export function sshOnlyNetwork(clusterAddresses: string[], sshPorts: number[]): SshOnlyNetwork {
  const addresses = new Set(clusterAddresses);
  const allowed = new Set(sshPorts);
  const refused: RefusedConnection[] = [];
  const original = net.Socket.prototype.connect as unknown as Connect;
  const guarded: Connect = function (this: net.Socket, ...args: unknown[]) {
    const to = destinationOf(args);
    if (to && addresses.has(to.host) && !allowed.has(to.port)) {
      refused.push(to);
      const err = Object.assign(new Error(`connect ECONNREFUSED ${to.host}:${to.port} (only SSH is allowed)`), {
        code: 'ECONNREFUSED',
      });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return original.apply(this, args);
  };
  (net.Socket.prototype as unknown as { connect: Connect }).connect = guarded;
  return {
    refused,
    restore: () => {
      (net.Socket.prototype as unknown as { connect: Connect }).connect = original;
    },
  };
}
