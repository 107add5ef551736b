/**
 * A patch's status at its start, and the compact form it is carried in across continue-as-new
 * (the history keeps payloads under 512 KiB, so what the plan already says is left out).
 */
import type { NotifyMessage } from '../shared/notify-message';
import type { NodeSpec, Plan } from '../shared/plan';
import type { NodeStatus, PatchReport, PatchStatus } from '../shared/status';

export interface CarriedState {
  /** The status, its nodes in columns (NodeColumns; a list of PackedNode in histories from before). */
  status: Omit<PatchStatus, 'nodes'> & { nodes: NodeColumns | PackedNode[] };
  decisions: PatchReport['decisions'];
  /** Webhook messages not yet delivered, per webhook (the next run sends them). */
  notifyQueues?: NotifyMessage[][];
}

/** A node's status without what the plan already says (id, role, address, child workflow id): the carried form before NodeColumns. */
export type PackedNode = Omit<NodeStatus, 'id' | 'role' | 'address' | 'workflowId'>;

/**
 * The nodes' status in columns, in plan order: one object per node was ~120 bytes, 1.45 MB
 * carried at 5,000 agents; columns with shared words are ~25 bytes a node.
 */
export interface NodeColumns {
  /** The distinct states and notes; `state` and `note` index it. */
  words: string[];
  state: number[];
  /** -1: no note. */
  note: number[];
  attempts: number[];
  /** ms after the patch started; -1: absent. */
  started: number[];
  finished: number[];
  /** Per node: '1' an attempt's script exited 0 (scriptRan), '0' not. */
  scriptRan: string;
  /** Everything else a node's status holds (decisions, attempt log, …), for the nodes that have any, by index. */
  rest: Record<number, Partial<NodeStatus>>;
}

export function allNodesOf(plan: Plan): NodeSpec[] {
  return [...plan.masters, ...plan.agents, ...plan.publicAgents];
}

export function packNodes(nodes: NodeStatus[], patchStartedAtMs: number): NodeColumns {
  const words: string[] = [];
  const index = new Map<string, number>();
  const word = (w: string) => {
    let i = index.get(w);
    if (i === undefined) {
      i = words.push(w) - 1;
      index.set(w, i);
    }
    return i;
  };
  const after = (ms: number | undefined) => (ms === undefined ? -1 : ms - patchStartedAtMs);
  const cols: NodeColumns = {
    words,
    state: [],
    note: [],
    attempts: [],
    started: [],
    finished: [],
    scriptRan: '',
    rest: {},
  };
  nodes.forEach((n, i) => {
    const {
      id: _i,
      role: _r,
      address: _a,
      workflowId: _w,
      state,
      note,
      attempts,
      startedAtMs,
      finishedAtMs,
      scriptRan,
      ...rest
    } = n;
    cols.state.push(word(state));
    cols.note.push(note === undefined ? -1 : word(note));
    cols.attempts.push(attempts);
    cols.started.push(after(startedAtMs));
    cols.finished.push(after(finishedAtMs));
    cols.scriptRan += scriptRan ? '1' : '0';
    const kept = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    if (Object.keys(kept).length > 0) cols.rest[i] = kept;
  });
  return cols;
}

export function unpackNodes(
  plan: Plan,
  packed: NodeColumns | PackedNode[],
  workflowId: string,
  patchStartedAtMs: number
): NodeStatus[] {
  const fromColumns = (i: number): PackedNode => {
    const c = packed as NodeColumns;
    const at = (ms: number) => (ms < 0 ? undefined : ms + patchStartedAtMs);
    const p: PackedNode = { state: c.words[c.state[i]!] as NodeStatus['state'], attempts: c.attempts[i]! };
    const note = c.note[i]!;
    if (note >= 0) p.note = c.words[note];
    const started = at(c.started[i]!);
    if (started !== undefined) p.startedAtMs = started;
    const finished = at(c.finished[i]!);
    if (finished !== undefined) p.finishedAtMs = finished;
    if (c.scriptRan[i] === '1') p.scriptRan = true;
    return { ...p, ...c.rest[i] };
  };
  return allNodesOf(plan).map((n, i) => {
    const p = Array.isArray(packed) ? packed[i]! : fromColumns(i);
    return {
      id: n.id,
      role: n.role,
      address: n.address,
      ...p,
      ...(p.attempts > 0 ? { workflowId: `${workflowId}/${n.id}/attempt-${p.attempts}` } : {}),
    };
  });
}

export function initialStatus(plan: Plan, workflowId: string): PatchStatus {
  const now = Date.now();
  const node = (n: NodeSpec): NodeStatus => ({
    id: n.id,
    role: n.role,
    address: n.address,
    state: 'pending',
    attempts: 0,
  });
  return {
    workflowId,
    cluster: plan.cluster,
    fromVersion: plan.fromVersion,
    toVersion: plan.toVersion,
    phase: 'plan',
    paused: false,
    abortRequested: false,
    startedAtMs: now,
    phaseStartedAtMs: now,
    policy: {
      agentConcurrency: plan.policy.agentConcurrency,
      ...(plan.policy.agentRamp?.length ? { agentRamp: plan.policy.agentRamp } : {}),
      agentFailureBudget: plan.policy.agentFailureBudget,
      approveEachMaster: plan.policy.approveEachMaster,
      approveBeforeAgents: plan.policy.approveBeforeAgents,
      gates: plan.policy.gates,
      ...(plan.policy.windows?.length
        ? { windows: plan.policy.windows, windowMinNodeMs: plan.policy.windowMinNodeMs }
        : {}),
    },
    nodes: allNodesOf(plan).map(node),
    pending: [],
    activity: 'starting',
    preflight: [],
    generation: 0,
    questionsAsked: 0,
    log: [],
  };
}
