/**
 * What `dcos-patch watch` and `dcos-patch status` show, as pure functions of a Snapshot:
 * - `renderView`: the full screen (TTY redraw, `status`): phase, a progress bar per phase, each
 *   node's state (for nodes in flight: the step, its deadline, the gate's last observation),
 *   what needs the operator (with the exact command), paused, elapsed and remaining time;
 * - `plainEvents`: the same as keyed one-line facts, so a non-TTY watch prints only what changed.
 * No I/O and no clock: `nowMs` comes in.
 */
import { canaryFigures } from '../../shared/canary';
import { HEARTBEAT_SENT_EVERY_MS, HEARTBEAT_TIMEOUT_MS } from '../../shared/heartbeats';
import type { CanaryStatus, NodeStatus, PatchReport, PatchStatus, PendingDecision, Phase } from '../../shared/status';
import type { LiveActivity, LiveNode, Snapshot } from '../snapshot';

export interface ViewOptions {
  nowMs: number;
  /** How our commands are spelled in hints: `dcos-patch` plus connection flags given explicitly. */
  command?: string;
  /** Truncate lines to this many columns (a terminal). */
  width?: number;
  /** At most this many lines (a terminal); node rows are condensed to fit. */
  height?: number;
  uiUrl?: string;
  /** Show the "Ctrl-C detaches" footer (watch). */
  watching?: boolean;
}

/** One fact of the plain (non-TTY) view: printed when its text changes; `gone` when it disappears. */
export interface PlainEvent {
  key: string;
  text: string;
  gone?: string;
}

const PHASES: Phase[] = ['survey', 'preflight', 'backups', 'bootstrap', 'masters', 'agents', 'done'];
const IN_FLIGHT = new Set(['checking', 'staging', 'preparing', 'patching', 'verifying']);
const BAR_WIDTH = 24;

/** The parts of a status or a final report the view needs, whichever the snapshot has. */
interface ViewModel {
  cluster: string;
  from: string;
  to: string;
  phase: Phase;
  paused: boolean;
  abortRequested: boolean;
  nodes: NodeStatus[];
  pending: PendingDecision[];
  policy?: PatchStatus['policy'];
  notifications?: PatchStatus['notifications'];
  canary?: CanaryStatus;
  activity?: string;
  startedAtMs: number;
  finishedAtMs?: number;
  report?: PatchReport;
}

function model(s: Snapshot): ViewModel | undefined {
  const st = s.status;
  const r = s.report;
  if (!st && !r) return undefined;
  const phaseFromReport = (x: PatchReport): Phase =>
    x.outcome === 'aborted'
      ? 'aborted'
      : x.outcome === 'succeeded' || x.outcome === 'nothing-to-do'
        ? 'done'
        : 'failed';
  return {
    cluster: st?.cluster ?? r!.cluster,
    from: st?.fromVersion ?? r!.fromVersion,
    to: st?.toVersion ?? r!.toVersion,
    phase: r ? phaseFromReport(r) : st!.phase,
    paused: !r && !!st?.paused,
    abortRequested: !r && !!st?.abortRequested,
    nodes: r?.nodes ?? st!.nodes,
    pending: r ? [] : (st?.pending ?? []),
    policy: st?.policy,
    notifications: st?.notifications,
    canary: r?.canary ?? st?.canary,
    activity: r ? r.message : st?.activity,
    startedAtMs: r?.startedAtMs ?? st?.startedAtMs ?? s.startMs,
    finishedAtMs: r?.finishedAtMs ?? st?.finishedAtMs ?? s.closeMs,
    report: r,
  };
}

export function renderView(s: Snapshot, opts: ViewOptions): string[] {
  const cmd = opts.command ?? 'dcos-patch';
  const m = model(s);
  const head = [`PATCH ${s.workflowId}  ${m ? `${m.cluster} ${m.from} → ${m.to}  ` : ''}[${s.execution}]`];
  if (!m) {
    head.push(s.problem ? `! ${s.problem}` : s.closedReason ? `closed: ${s.closedReason}` : 'no status yet');
    return fit(head, opts);
  }
  head.push(`phase: ${m.phase}   ${phaseTrail(m.phase)}`);
  head.push(timeLine(m, opts.nowMs));
  if (m.paused) head.push(`PAUSED: nodes in flight finish, no new node starts · resume: ${cmd} resume ${s.workflowId}`);
  if (m.abortRequested)
    head.push('ABORT REQUESTED: no new node starts; nodes in flight report the state they were left in');
  const prog = progress(m);
  head.push(`masters ${bar(prog.masters.done, prog.masters.total)} ${countText(prog.masters)}`);
  head.push(
    `agents  ${bar(prog.agents.done, prog.agents.total)} ${countText(prog.agents)}${m.policy ? ` · window ${m.policy.agentConcurrency} · failure budget ${m.policy.agentFailureBudget}` : ''}`
  );
  if (m.report) {
    head.push(`RESULT ${m.report.outcome}: ${m.report.message}`);
    head.push(`report: ${cmd} report ${s.workflowId}`);
  } else if (m.activity) {
    head.push(`now: ${m.activity}${activitySuffix(s.activities)}`);
  }
  if (s.problem) head.push(`! ${s.problem}`);
  const news = notifyText(m);
  if (news) head.push(news);
  const canary = canaryLine(m.canary);
  if (canary) head.push(canary);

  const needs: string[] = [];
  if (m.pending.length > 0) {
    needs.push('', 'NEEDS YOU (blocked until you decide):');
    for (const p of m.pending) needs.push(...pendingLines(p, s, cmd, opts.nowMs));
  }
  const retryable = retryOffers(m);
  if (retryable.length > 0) {
    needs.push('', 'FAILED WITHIN THE BUDGET (the patch goes on; retry any while it runs):');
    for (const n of retryable.slice(0, RETRY_OFFERS_SHOWN)) needs.push(`    ${retryCommand(n, s, cmd)}`);
    if (retryable.length > RETRY_OFFERS_SHOWN)
      needs.push(`    … and ${retryable.length - RETRY_OFFERS_SHOWN} more (status --json lists them)`);
  }

  const foot: string[] = [];
  if (opts.watching) {
    foot.push('', `Ctrl-C detaches (the patch goes on)${opts.uiUrl ? ` · Web UI ${opts.uiUrl}` : ''}`);
  } else if (opts.uiUrl) {
    foot.push('', `Web UI: ${opts.uiUrl}`);
  }

  const table = ['', `${'NODE'.padEnd(26)} ${'STATE'.padEnd(16)} ${'TIME'.padStart(7)}  DETAIL`];
  const budget = opts.height ? opts.height - head.length - needs.length - foot.length - table.length : Infinity;
  table.push(...nodeRows(m, s.live, opts.nowMs, Math.max(1, budget)));
  return fit([...head, ...needs, ...table, ...foot], opts);
}

export function plainEvents(s: Snapshot, opts: { command?: string } = {}): PlainEvent[] {
  const cmd = opts.command ?? 'dcos-patch';
  const out: PlainEvent[] = [{ key: 'exec', text: `patch ${s.workflowId}: ${s.execution}` }];
  const m = model(s);
  if (s.problem) out.push({ key: 'problem', text: `! ${s.problem}`, gone: 'the view is up to date again' });
  if (!m) {
    if (s.closedReason) out.push({ key: 'closed', text: `closed: ${s.closedReason}` });
    return out;
  }
  out.push({ key: 'phase', text: `phase: ${m.phase}` });
  if (m.paused) {
    out.push({ key: 'paused', text: `PAUSED (resume: ${cmd} resume ${s.workflowId})`, gone: 'resumed' });
  }
  if (m.abortRequested) out.push({ key: 'abort', text: 'ABORT REQUESTED' });
  const prog = progress(m);
  out.push({ key: 'masters', text: `masters ${countText(prog.masters)}` });
  out.push({ key: 'agents', text: `agents ${countText(prog.agents)}` });
  if (m.activity && !m.report) out.push({ key: 'activity', text: `now: ${m.activity}` });
  const news = notifyText(m);
  if (news) out.push({ key: 'notify', text: news });
  for (const n of retryOffers(m))
    out.push({ key: `retry:${n.id}`, text: `failed within the budget: ${retryCommand(n, s, cmd)}` });
  for (const p of m.pending) {
    const [first, ...cmds] = pendingLines(p, s, cmd);
    out.push({
      key: `pending:${p.id ?? p.subject}`,
      text: `${first!.trim()} — decide with: ${cmds.map((c) => c.trim()).join('  |  ')}`,
      gone: `decision taken for ${p.subject}`,
    });
  }
  for (const n of m.nodes) {
    if (n.state === 'pending' && n.attempts === 0) continue;
    const live = s.live[n.id];
    const state = live?.progress?.state ?? n.state;
    const step = live?.progress ? ` · ${live.progress.step}` : IN_FLIGHT.has(n.state) ? '' : noteText(n);
    out.push({ key: `node:${n.id}`, text: `${n.id} ${state}${attemptText(n)}${step}` });
    const hb = live?.activities.find((a) => a.heartbeat);
    if (hb) out.push({ key: `hb:${n.id}`, text: `${n.id} · last observation: ${hb.heartbeat}` });
  }
  if (m.report) {
    out.push({ key: 'result', text: `RESULT ${m.report.outcome}: ${m.report.message}` });
  }
  return out;
}

/** Estimated time left, from the durations of nodes that finished patching; undefined if none did. */
export function estimateRemainingMs(
  nodes: NodeStatus[],
  agentConcurrency: number,
  nowMs: number
): { ms: number; basis: number } | undefined {
  const took = (n: NodeStatus) =>
    n.state === 'patched' && n.startedAtMs !== undefined && n.finishedAtMs !== undefined
      ? n.finishedAtMs - n.startedAtMs
      : undefined;
  const avg = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length ? { mean: v.reduce((a, b) => a + b, 0) / v.length, n: v.length } : undefined;
  };
  const masters = nodes.filter((n) => n.role === 'master');
  const agents = nodes.filter((n) => n.role !== 'master');
  const m = avg(masters.map(took));
  const a = avg(agents.map(took));
  if (!m && !a) return undefined;
  const perMaster = (m ?? a)!.mean;
  const perAgent = (a ?? m)!.mean;
  const open = (n: NodeStatus) => !['patched', 'skipped', 'failed', 'aborted'].includes(n.state);
  // A node in flight has (on average) its mean duration minus what it already ran left.
  const left = (n: NodeStatus, per: number) =>
    IN_FLIGHT.has(n.state) && n.startedAtMs !== undefined ? Math.max(0, per - (nowMs - n.startedAtMs)) : per;
  const mastersLeft = masters.filter(open).reduce((sum, n) => sum + left(n, perMaster), 0);
  const agentWork = agents.filter(open).reduce((sum, n) => sum + left(n, perAgent), 0);
  return { ms: mastersLeft + agentWork / Math.max(1, agentConcurrency), basis: (m?.n ?? 0) + (a?.n ?? 0) };
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

// ---- pieces ------------------------------------------------------------------------------------

function phaseTrail(phase: Phase): string {
  const at = PHASES.indexOf(phase);
  const trail = PHASES.map((p, i) => {
    if (phase === 'done' || (at >= 0 && i < at)) return `${p} ✓`;
    if (i === at) return `[${p}]`;
    return p;
  });
  if (phase === 'failed' || phase === 'aborted') trail.push(`[${phase}]`);
  return trail.join(' › ');
}

function timeLine(m: ViewModel, nowMs: number): string {
  const end = m.finishedAtMs ?? nowMs;
  const parts = [`elapsed ${formatDuration(end - m.startedAtMs)}`];
  if (m.report) {
    parts.push(`finished ${new Date(m.report.finishedAtMs).toISOString()}`);
  } else {
    const est = estimateRemainingMs(m.nodes, m.policy?.agentConcurrency ?? 1, nowMs);
    parts.push(
      est
        ? `remaining ~${formatDuration(est.ms)} (est. from ${est.basis} finished node${est.basis === 1 ? '' : 's'})`
        : 'remaining: unknown until a node finishes'
    );
    parts.push(`started ${new Date(m.startedAtMs).toISOString()}`);
  }
  return parts.join(' · ');
}

interface Count {
  done: number;
  total: number;
  running: number;
  failed: number;
  waiting: number;
}

function progress(m: ViewModel): { masters: Count; agents: Count } {
  const count = (ns: NodeStatus[]): Count => ({
    done: ns.filter((n) => n.state === 'patched' || n.state === 'skipped').length,
    total: ns.length,
    running: ns.filter((n) => IN_FLIGHT.has(n.state)).length,
    failed: ns.filter((n) => n.state === 'failed' || n.state === 'aborted').length,
    waiting: ns.filter((n) => n.state === 'waiting-decision').length,
  });
  return {
    masters: count(m.nodes.filter((n) => n.role === 'master')),
    agents: count(m.nodes.filter((n) => n.role !== 'master')),
  };
}

function countText(c: Count): string {
  const extra = [
    c.running ? `${c.running} in flight` : '',
    c.waiting ? `${c.waiting} waiting for a decision` : '',
    c.failed ? `${c.failed} failed` : '',
  ].filter(Boolean);
  return `${c.done}/${c.total} done${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
}

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

function activitySuffix(acts: LiveActivity[]): string {
  const a = acts.find((x) => x.heartbeat || x.attempt > 1);
  if (!a) return '';
  return `${a.heartbeat ? ` · ${a.type}: ${a.heartbeat}` : ''}${a.attempt > 1 ? ` · ${a.type} attempt ${a.attempt}${a.lastFailure ? ` after: ${a.lastFailure}` : ''}` : ''}`;
}

function pendingLines(p: PendingDecision, s: Snapshot, cmd: string, nowMs?: number): string[] {
  const since = nowMs !== undefined ? ` (waiting ${formatDuration(nowMs - p.sinceMs)})` : '';
  const id = p.id ? `${p.id} ` : '';
  const lines = [`  ${id}${p.subject} — ${p.kind}: ${p.reason}${since}`];
  const failingChecks = [
    ...new Set((s.status?.preflight ?? []).filter((f) => f.status === 'fail' && !f.overridden).map((f) => f.check)),
  ];
  for (const d of p.allowed) {
    const checks = d === 'override' && failingChecks.length ? ` --checks ${failingChecks.join(',')}` : '';
    const question = p.id ? ` --question ${p.id}` : '';
    lines.push(`    ${cmd} decide ${s.workflowId} ${p.subject} ${d}${checks}${question}`);
  }
  return lines;
}

/** Failed agents listed with their retry command, at most this many (the rest counted). */
const RETRY_OFFERS_SHOWN = 5;

function retryOffers(m: ViewModel): NodeStatus[] {
  return m.report ? [] : m.nodes.filter((n) => n.state === 'failed' && n.retryQuestion);
}

function retryCommand(n: NodeStatus, s: Snapshot, cmd: string): string {
  return `${cmd} decide ${s.workflowId} ${n.id} retry --question ${n.retryQuestion}`;
}

/** The workload canary: where it is, its last look, its figures. */
function canaryLine(c: CanaryStatus | undefined): string | undefined {
  if (!c) return undefined;
  const look = c.state === 'watching' && c.observation ? ` · ${c.observation}` : '';
  const removal = c.removal ? ` · ${c.removal}` : '';
  return `canary ${c.appId}: ${c.state}${look} · ${canaryFigures(c)}${removal}`;
}

/** Webhook deliveries, once there is something to say. */
function notifyText(m: ViewModel): string | undefined {
  const n = m.notifications;
  if (!n || n.sent + n.failed + n.queued === 0) return undefined;
  const parts = [`${n.sent} sent`];
  if (n.queued) parts.push(`${n.queued} waiting`);
  if (n.failed) parts.push(`${n.failed} failed (last: ${n.lastFailure ?? '?'})`);
  return `notifications: ${parts.join(' · ')}`;
}

/** Earlier attempts of a node, newest last: outcome and a short reason each. */
function earlierAttempts(n: NodeStatus): string {
  const earlier = (n.attemptLog ?? []).filter((a) => a.attempt < n.attempts);
  if (!earlier.length) return '';
  const shown = earlier.map(
    (a) => `#${a.attempt} ${a.outcome}: ${a.reason.length > 80 ? `${a.reason.slice(0, 79)}…` : a.reason}`
  );
  return ` · earlier: ${shown.join('; ')}`;
}

function attemptText(n: NodeStatus): string {
  return n.attempts > 1 ? ` (attempt ${n.attempts})` : '';
}

function noteText(n: NodeStatus): string {
  return n.note && n.state !== 'pending' ? ` · ${n.note}` : '';
}

function nodeRows(m: ViewModel, live: Record<string, LiveNode>, nowMs: number, budget: number): string[] {
  const row = (n: NodeStatus): string => {
    const l = live[n.id];
    const state = `${l?.progress?.state ?? n.state}${n.attempts > 1 ? ` #${n.attempts}` : ''}`;
    const time = n.startedAtMs !== undefined ? formatDuration((n.finishedAtMs ?? nowMs) - n.startedAtMs) : '';
    return `${n.id.padEnd(26)} ${state.padEnd(16)} ${time.padStart(7)}  ${detail(n, l, nowMs)}`.trimEnd();
  };
  if (m.nodes.length <= budget) return m.nodes.map(row);
  // Too many to show: nodes that need attention or are in flight first, then masters, then the rest.
  const rank = (n: NodeStatus): number =>
    n.state === 'waiting-decision' || n.state === 'failed'
      ? 0
      : IN_FLIGHT.has(n.state)
        ? 1
        : n.role === 'master'
          ? 2
          : n.state === 'aborted'
            ? 3
            : 4;
  const shown = m.nodes
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
    .slice(0, Math.max(0, budget - 1))
    .map((x) => x.n);
  const shownSet = new Set(shown);
  const hidden = m.nodes.filter((n) => !shownSet.has(n));
  const byState = new Map<string, number>();
  for (const n of hidden) byState.set(n.state, (byState.get(n.state) ?? 0) + 1);
  const summary = [...byState.entries()].map(([st, c]) => `${c} ${st}`).join(', ');
  return [...shown.map(row), `… ${hidden.length} more nodes: ${summary}`];
}

function detail(n: NodeStatus, l: LiveNode | undefined, nowMs: number): string {
  if (l?.progress) {
    const p = l.progress;
    const parts = [p.step];
    if (p.deadlineMs) parts.push(`gives up in ${formatDuration(p.deadlineMs - nowMs)}`);
    const hb = l.activities.find((a) => a.heartbeat);
    if (hb) parts.push(`last: ${hb.heartbeat}`);
    const retry = l.activities.find((a) => a.attempt > 1);
    if (retry) parts.push(`retrying (attempt ${retry.attempt})${retry.lastFailure ? `: ${retry.lastFailure}` : ''}`);
    const lost = l.activities.map((a) => lostWorkerNote(a, nowMs)).find(Boolean);
    if (lost) parts.push(lost);
    return parts.join(' · ');
  }
  if (n.state === 'pending' && n.attempts === 0) return '';
  return `${n.note ?? ''}${earlierAttempts(n)}`;
}

/** The server hears from every running activity every 1.5 s: two sends missed is a lost worker. */
const QUIET_AFTER_MS = 2 * HEARTBEAT_SENT_EVERY_MS;

/** A running step whose worker stopped heartbeating: say so, and when the server retries it elsewhere. */
export function lostWorkerNote(a: LiveActivity, nowMs: number): string | undefined {
  if (a.heartbeatAtMs === undefined || nowMs - a.heartbeatAtMs < QUIET_AFTER_MS) return undefined;
  const retryIn = a.heartbeatAtMs + HEARTBEAT_TIMEOUT_MS - nowMs;
  return `no heartbeat for ${formatDuration(nowMs - a.heartbeatAtMs)}: its worker is probably gone; ${
    retryIn > 0 ? `the server retries it in ${formatDuration(retryIn)}` : 'the server retries it on a live worker'
  }`;
}

function fit(lines: string[], opts: ViewOptions): string[] {
  let out = lines;
  if (opts.height && out.length > opts.height) out = out.slice(0, opts.height);
  if (opts.width) {
    const w = opts.width;
    out = out.map((l) => (l.length > w ? `${l.slice(0, Math.max(0, w - 1))}…` : l));
  }
  return out;
}
