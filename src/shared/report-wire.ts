/**
 * The report as the workflow stores it (its result, or its failure's details): the nodes in
 * columns with their ids, since one object per node made the report of a 5,000-agent patch
 * 1.28 MB, over Temporal's 512 KiB payload warning. `readReport` gives the full report back and
 * takes a full one (a patch that closed before this form) as is.
 */
import { columnNode, type NodeColumns, nodeWorkflowId, packNodes } from './node-columns';
import type { NodeRole } from './plan';
import { nodeId } from './plan-wire';
import type { NodeStatus, PatchReport } from './status';

const ROLE_LETTERS: Record<NodeRole, string> = { master: 'm', agent: 'a', 'public-agent': 'p' };
const ROLES_BY_LETTER = Object.fromEntries(Object.entries(ROLE_LETTERS).map(([r, l]) => [l, r])) as Record<
  string,
  NodeRole
>;

/** The nodes in plan order: their ids, a role letter each, and the address where the id does not hold it. */
export interface ReportNodes extends NodeColumns {
  id: string[];
  /** One letter a node: m master, a agent, p public agent. */
  role: string;
  /** By index: the address of a node whose id is not `<role>-<address>`. */
  address: Record<number, string>;
}

export type StoredReport = Omit<PatchReport, 'nodes'> & { nodes: ReportNodes };

export function storeReport(report: PatchReport): StoredReport {
  const nodes: ReportNodes = { ...packNodes(report.nodes, report.startedAtMs), id: [], role: '', address: {} };
  report.nodes.forEach((n, i) => {
    nodes.id.push(n.id);
    nodes.role += ROLE_LETTERS[n.role];
    if (addressOf(n.id, n.role) !== n.address) nodes.address[i] = n.address;
  });
  return { ...report, nodes };
}

/** The full report from what a patch stored, or undefined when it is not a patch's report. */
export function readReport(stored: unknown): PatchReport | undefined {
  if (!stored || typeof stored !== 'object') return undefined;
  const r = stored as Partial<StoredReport> | Partial<PatchReport>;
  if (typeof r.workflowId !== 'string' || typeof r.outcome !== 'string' || !r.nodes) return undefined;
  if (Array.isArray(r.nodes)) return r as PatchReport;
  const c = r.nodes as ReportNodes;
  if (!Array.isArray(c.id) || typeof c.role !== 'string') return undefined;
  const report = r as StoredReport;
  const nodes = c.id.map((id, i): NodeStatus => {
    const role = ROLES_BY_LETTER[c.role[i]!] ?? 'agent';
    const p = columnNode(c, i, report.startedAtMs);
    const child = nodeWorkflowId(report.workflowId, id, p.attempts);
    return { id, role, address: c.address[i] ?? addressOf(id, role), ...p, ...(child ? { workflowId: child } : {}) };
  });
  return { ...report, nodes };
}

function addressOf(id: string, role: NodeRole): string {
  const prefix = nodeId(role, '');
  return id.startsWith(prefix) ? id.slice(prefix.length) : '';
}
