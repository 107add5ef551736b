/**
 * Node statuses in columns: the form a big patch stores them in (carried across continue-as-new,
 * returned in its report), since one object per node passes Temporal's 512 KiB payload warning
 * at 5,000 agents. The node's identity (id, role, address, child workflow id) is left to the
 * caller: the carry has the plan, the report lists the ids.
 */
import type { NodeStatus } from './status';

/** A node's status without its identity (id, role, address, child workflow id). */
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

/** Node `i` of the columns, without its identity. */
export function columnNode(c: NodeColumns, i: number, patchStartedAtMs: number): PackedNode {
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
}

/** The child workflow id of a node's last attempt (none before its first). */
export function nodeWorkflowId(patchWorkflowId: string, nodeId: string, attempts: number): string | undefined {
  return attempts > 0 ? `${patchWorkflowId}/${nodeId}/attempt-${attempts}` : undefined;
}
