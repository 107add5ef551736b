/**
 * The plan as the workflow input carries it. A 5,000-agent plan written out in full is 867 KB,
 * over Temporal's 512 KiB payload warning, and each continue-as-new stores it again: the compact
 * form leaves out what a node shares with the plan (its id from role and address, the plan's SSH
 * port, the common ports), so a node is usually just its address. The workflow expands either
 * form; a full plan (`dcos-patch check --json`) is taken as is.
 */
import { DEFAULT_PORTS, type NodePorts, type NodeRole, type NodeSpec, type Plan } from './plan';

/** A node of the input: its address alone when the rest is what the plan implies, else what differs. */
export type WireNode = string | (Partial<NodeSpec> & { address: string });

export type WirePlan = Omit<Plan, 'masters' | 'agents' | 'publicAgents'> & {
  masters: WireNode[];
  agents: WireNode[];
  publicAgents: WireNode[];
  /** The ports of the nodes that list none (absent: the DC/OS defaults). */
  defaultPorts?: NodePorts;
};

const LISTS = [
  ['masters', 'master'],
  ['agents', 'agent'],
  ['publicAgents', 'public-agent'],
] as const satisfies readonly (readonly [keyof Plan, NodeRole])[];

export function nodeId(role: NodeRole, address: string): string {
  return `${role}-${address}`;
}

export function compactPlan(plan: Plan): WirePlan {
  const ports = plan.masters[0]?.ports ?? DEFAULT_PORTS;
  const wire: WirePlan = { ...plan, masters: [], agents: [], publicAgents: [] };
  if (!samePorts(ports, DEFAULT_PORTS)) wire.defaultPorts = ports;
  for (const [key, role] of LISTS) wire[key] = plan[key].map((n) => compactNode(n, role, plan.ssh.port, ports));
  return wire;
}

/** The full plan; entries that are neither an address nor a node are left for the input check to name. */
export function expandPlan(wire: WirePlan | Plan): Plan {
  if (!isRecord(wire)) return wire as Plan;
  const { defaultPorts, ...rest } = wire as WirePlan;
  const plan = { ...rest } as unknown as Plan;
  const sshPort = isRecord(wire.ssh) ? wire.ssh.port : undefined;
  const ports = defaultPorts ?? DEFAULT_PORTS;
  for (const [key, role] of LISTS) {
    const list: unknown = wire[key];
    if (Array.isArray(list)) plan[key] = list.map((w) => expandNode(w, role, sshPort, ports)) as NodeSpec[];
  }
  return plan;
}

function compactNode(n: NodeSpec, role: NodeRole, sshPort: number, ports: NodePorts): WireNode {
  const own: Partial<NodeSpec> & { address: string } = { address: n.address };
  if (n.id !== nodeId(role, n.address)) own.id = n.id;
  if (n.role !== role) own.role = n.role;
  if (n.sshPort !== sshPort) own.sshPort = n.sshPort;
  if (!samePorts(n.ports, ports)) own.ports = n.ports;
  return Object.keys(own).length === 1 ? n.address : own;
}

function expandNode(w: unknown, role: NodeRole, sshPort: unknown, ports: NodePorts): unknown {
  if (typeof w === 'string') return { id: nodeId(role, w), role, address: w, sshPort, ports: { ...ports } };
  if (!isRecord(w) || typeof w.address !== 'string') return w;
  return {
    id: w.id ?? nodeId(role, w.address),
    role: w.role ?? role,
    address: w.address,
    sshPort: w.sshPort ?? sshPort,
    ports: w.ports ?? { ...ports },
  };
}

function samePorts(a: NodePorts, b: NodePorts): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof NodePorts>;
  return [...keys].every((k) => a[k] === b[k]);
}

function isRecord(v: unknown): v is Record<string, unknown> & Partial<Plan> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
