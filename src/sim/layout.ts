/**
 * Where the simulated hosts live on the network.
 *
 * per-host-ip (default): a random 127.a.b.0/24 block per cluster (all of 127/8 is loopback on
 * Linux), bootstrap .2, masters .11–.15, private then public agents from .21 on, spilling into the
 * next /24s beyond .254. Every host has the DC/OS ports.
 * single-ip: every host on one address with its own free ports; node ids then carry the SSH port
 * (`agent-127.0.0.1:40123`) because the address alone is not unique.
 */
import { createServer } from 'node:net';
import { DEFAULT_PORTS } from '../shared/plan';
import type { HostRole, NetworkOptions, SimHost } from './types';

export type PlannedHost = Omit<SimHost, 'root'>;

export interface LayoutRequest {
  masters: number;
  agents: number;
  publicAgents: number;
  network: NetworkOptions;
  sshPort: number;
}

export interface Layout {
  hosts: PlannedHost[];
  /** The bootstrap node's HTTP port (bootstrap_url). */
  bootstrapHttpPort: number;
  /** Block prefix like 127.42.7 (per-host-ip), used in the default cluster name. */
  label: string;
}

const FIRST_AGENT = 21;
const FIRST_BLOCK_CAPACITY = 254 - FIRST_AGENT + 1;

export function blocksNeeded(workers: number): number {
  return 1 + Math.ceil(Math.max(0, workers - FIRST_BLOCK_CAPACITY) / 254);
}

export function workerAddress(a: number, b: number, k: number): string {
  if (k < FIRST_BLOCK_CAPACITY) return `127.${a}.${b}.${FIRST_AGENT + k}`;
  const rest = k - FIRST_BLOCK_CAPACITY;
  return `127.${a}.${b + 1 + Math.floor(rest / 254)}.${1 + (rest % 254)}`;
}

export function nodeId(role: HostRole, address: string, sshPort?: number): string {
  return sshPort === undefined ? `${role}-${address}` : `${role}-${address}:${sshPort}`;
}

function rolesInOrder(r: LayoutRequest): HostRole[] {
  return [
    'bootstrap',
    ...Array<HostRole>(r.masters).fill('master'),
    ...Array<HostRole>(r.agents).fill('agent'),
    ...Array<HostRole>(r.publicAgents).fill('public-agent'),
  ];
}

export function randomBlock(workers: number): [number, number] {
  const blocks = blocksNeeded(workers);
  const a = 16 + Math.floor(Math.random() * (250 - 16));
  const b = Math.floor(Math.random() * (256 - blocks));
  return [a, b];
}

export function perHostIpLayout(r: LayoutRequest, a: number, b: number): Layout {
  let m = 0;
  let k = 0;
  const hosts = rolesInOrder(r).map((role): PlannedHost => {
    const address =
      role === 'bootstrap'
        ? `127.${a}.${b}.2`
        : role === 'master'
          ? `127.${a}.${b}.${11 + m++}`
          : workerAddress(a, b, k++);
    return { id: nodeId(role, address), role, address, sshPort: r.sshPort, ports: { ...DEFAULT_PORTS } };
  });
  return { hosts, bootstrapHttpPort: 8080, label: `127.${a}.${b}` };
}

/** Can we bind this address and port right now? */
export function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: address, port }, () => s.close(() => resolve(true)));
  });
}

/** n free TCP ports on `ip`, found by binding port 0 (all at once, so they are distinct). */
export async function freePorts(ip: string, n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen({ host: ip, port: 0 }, () => {
            const addr = s.address();
            resolve(addr && typeof addr === 'object' ? addr.port : 0);
          });
        })
    )
  );
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export async function singleIpLayout(r: LayoutRequest, ip: string): Promise<Layout> {
  const roles = rolesInOrder(r);
  // ssh for every host; exhibitor, mesosMaster, marathon, mesosDns for masters; mesosAgent for agents; http for bootstrap
  const need = roles.reduce((n, role) => n + 1 + (role === 'master' ? 4 : 1), 0);
  const ports = await freePorts(ip, need);
  let i = 0;
  const take = (): number => ports[i++]!;
  let bootstrapHttpPort = 0;
  const hosts = roles.map((role): PlannedHost => {
    const sshPort = take();
    const p = { ...DEFAULT_PORTS };
    if (role === 'master') {
      p.exhibitor = take();
      p.mesosMaster = take();
      p.marathon = take();
      p.mesosDns = take();
    } else if (role === 'bootstrap') bootstrapHttpPort = take();
    else p.mesosAgent = take();
    return { id: nodeId(role, ip, sshPort), role, address: ip, sshPort, ports: p };
  });
  return { hosts, bootstrapHttpPort, label: ip };
}
