/**
 * One look at a patch, as the CLI shows it: the workflow's execution status, its `status` query
 * (while it runs) or its final report (once it closed), and for each node in flight what its
 * node workflow is doing (`nodeStatus` query) plus its pending activities' heartbeat details
 * (a gate's last observation). Read-only: nothing here signals or updates a workflow.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, WorkflowFailedError } from '@temporalio/client';
import { readReport } from '../shared/report-wire';
import type { NodeProgress, NodeResult, PatchReport, PatchStatus } from '../shared/status';
import { nodeStatusQuery, statusQuery } from '../workflows/messages';
import type { CliContext } from './connection';
import { firstLine } from './connection';

/** How long one read may take; a status query nobody answers means no worker is polling. */
export const CALL_DEADLINE_MS = 5_000;
/**
 * Nodes in flight read in detail (their step and activities) per snapshot: masters first, then
 * those in flight longest (the likeliest to be stuck). A constant, so one status answer costs the
 * same with a window of 3 or of 100 (each read is a query the loaded worker must answer); the
 * others show what the patch itself knows (state and since when).
 */
export const MAX_LIVE_NODES = 3;

export type ExecutionName =
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TERMINATED'
  | 'CONTINUED_AS_NEW'
  | 'TIMED_OUT'
  | 'PAUSED'
  | 'UNKNOWN'
  | 'UNSPECIFIED';

export interface LiveActivity {
  type: string;
  attempt: number;
  /** The last heartbeat's details, in words (a gate's last observation). */
  heartbeat?: string;
  heartbeatAtMs?: number;
  /** Why the previous attempt failed, when it is being retried. */
  lastFailure?: string;
}

export interface LiveNode {
  progress?: NodeProgress;
  activities: LiveActivity[];
}

export interface Snapshot {
  workflowId: string;
  runId: string;
  taskQueue: string;
  execution: ExecutionName;
  startMs: number;
  closeMs?: number;
  /** The `status` query's answer (running patches; closed ones when a worker answers). */
  status?: PatchStatus;
  /** The final report (closed patches that returned or failed with one). */
  report?: PatchReport;
  /** Closed without a report (terminated, timed out): what Temporal says. */
  closedReason?: string;
  /** Node id → what its node workflow is doing now (nodes in flight only). */
  live: Record<string, LiveNode>;
  /** Pending activities of the patch workflow itself (survey, preflight, bootstrap). */
  activities: LiveActivity[];
  /** Something the operator should know about the view itself (no worker answering, …). */
  problem?: string;
  planFile?: string;
}

/** Nodes whose node workflow is running now. */
export function inFlight(status: PatchStatus): PatchStatus['nodes'] {
  return status.nodes.filter(
    (n) => n.workflowId && ['checking', 'staging', 'preparing', 'patching', 'verifying'].includes(n.state)
  );
}

/** The nodes to read in detail: masters first, then the oldest in flight. */
export function longestInFlight(status: PatchStatus, max: number): PatchStatus['nodes'] {
  const rank = (n: PatchStatus['nodes'][number]) => (n.role === 'master' ? 0 : 1);
  return inFlight(status)
    .sort((a, b) => rank(a) - rank(b) || (a.startedAtMs ?? 0) - (b.startedAtMs ?? 0))
    .slice(0, max);
}

export async function readSnapshot(ctx: CliContext, workflowId: string): Promise<Snapshot> {
  const client = await ctx.getClient();
  const handle = client.workflow.getHandle(workflowId);
  const desc = await ctx.withDeadline(CALL_DEADLINE_MS, () => handle.describe());
  const snap: Snapshot = {
    workflowId,
    runId: desc.runId,
    taskQueue: desc.taskQueue,
    execution: desc.status.name as ExecutionName,
    startMs: desc.startTime.getTime(),
    closeMs: desc.closeTime?.getTime(),
    live: {},
    activities: pendingActivities(desc.raw.pendingActivities),
    planFile: typeof desc.memo?.planFile === 'string' ? desc.memo.planFile : undefined,
  };
  if (snap.execution === 'RUNNING') {
    try {
      snap.status = await ctx.withDeadline(CALL_DEADLINE_MS, () => handle.query(statusQuery));
    } catch (err) {
      snap.problem = `no answer to the status query (${firstLine(err)}): is a worker running on task queue ${desc.taskQueue}? (dcos-patch worker --task-queue ${desc.taskQueue})`;
      return snap;
    }
    const nodes = longestInFlight(snap.status, MAX_LIVE_NODES);
    const details = await Promise.all(nodes.map((n) => readLiveNode(ctx, client, n.workflowId!)));
    nodes.forEach((n, i) => {
      snap.live[n.id] = details[i]!;
    });
    return snap;
  }
  const closed = await readOutcome(handle);
  snap.report = closed.report;
  snap.closedReason = closed.reason;
  return snap;
}

async function readLiveNode(ctx: CliContext, client: Client, childId: string): Promise<LiveNode> {
  const child = client.workflow.getHandle(childId);
  const [progress, desc] = await Promise.all([
    ctx.withDeadline(CALL_DEADLINE_MS, () => child.query(nodeStatusQuery)).catch(() => undefined),
    ctx.withDeadline(CALL_DEADLINE_MS, () => child.describe()).catch(() => undefined),
  ]);
  return { progress, activities: desc ? pendingActivities(desc.raw.pendingActivities) : [] };
}

/** What a closed patch left: its report (result, or the failure's details) or why there is none. */
export async function readOutcome(handle: WorkflowHandle): Promise<{ report?: PatchReport; reason?: string }> {
  try {
    const report = readReport(await handle.result());
    return report ? { report } : { reason: 'completed without a report' };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      const report = cause instanceof ApplicationFailure ? readReport(cause.details?.[0]) : undefined;
      if (report) return { report };
      return { reason: `${err.message}${cause ? `: ${cause.message}` : ''}` };
    }
    throw err;
  }
}

/** The result of one node workflow (NodeResult with diagnostics), or undefined if it has none. */
export async function readNodeResult(client: Client, childId: string): Promise<NodeResult | undefined> {
  try {
    const r: unknown = await client.workflow.getHandle(childId).result();
    return r && typeof r === 'object' && 'outcome' in r && 'node' in r ? (r as NodeResult) : undefined;
  } catch {
    return undefined;
  }
}

type PendingActivityInfo = NonNullable<
  Awaited<ReturnType<WorkflowHandle['describe']>>['raw']['pendingActivities']
>[number];

function pendingActivities(list: PendingActivityInfo[] | null | undefined): LiveActivity[] {
  return (list ?? []).map((a) => {
    const payload = a.heartbeatDetails?.payloads?.at(-1);
    let heartbeat: string | undefined;
    if (payload) {
      try {
        heartbeat = describeHeartbeat(defaultPayloadConverter.fromPayload(payload));
      } catch {
        heartbeat = '(undecodable heartbeat details)';
      }
    }
    return {
      type: a.activityType?.name ?? 'activity',
      attempt: a.attempt ?? 1,
      heartbeat,
      heartbeatAtMs: timestampMs(a.lastHeartbeatTime),
      lastFailure: a.lastFailure?.message ?? undefined,
    };
  });
}

/**
 * A heartbeat's details in words. Gates heartbeat their last observation; accept a string, an
 * object carrying `observation` / `message` / `last` (with `polls` / `goodPolls`), or show JSON.
 */
export function describeHeartbeat(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  const o = value as Record<string, unknown>;
  const text = [o.observation, o.message, o.last, o.lastObservation, o.state].find((v) => typeof v === 'string') as
    | string
    | undefined;
  if (text) {
    const good = typeof o.goodPolls === 'number' ? o.goodPolls : typeof o.stable === 'number' ? o.stable : undefined;
    const polls = typeof o.polls === 'number' ? o.polls : undefined;
    const counts =
      good !== undefined
        ? ` (${good} good poll${good === 1 ? '' : 's'} in a row${polls !== undefined ? `, ${polls} polls` : ''})`
        : polls !== undefined
          ? ` (${polls} polls)`
          : '';
    return `${text}${counts}`;
  }
  const json = JSON.stringify(value);
  return json.length > 160 ? `${json.slice(0, 157)}…` : json;
}

function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const s = ts.seconds as number | { toNumber(): number } | string;
  const seconds = typeof s === 'number' ? s : typeof s === 'string' ? Number(s) : s.toNumber();
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}
