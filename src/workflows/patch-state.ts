/**
 * The pure state of one patch: nodes, phase, pending questions, decisions, policy and the log,
 * with the transitions named after the runbook. No Temporal here: the workflow supplies its
 * effects (log, Web UI details, search attribute, cancelling nodes in flight), and unit tests
 * drive the same transitions with none.
 */
import type { SurveyEntry } from '../shared/activity-types';
import type { NodeSpec, Plan } from '../shared/plan';
import { MAX_AGENT_CONCURRENCY } from '../shared/plan-input';
import type {
  AttemptRecord,
  NodeResult,
  NodeStatus,
  PatchReport,
  PatchStatus,
  PendingDecision,
  Phase,
} from '../shared/status';
import type { DecideInput, PolicyChange } from './messages';
import { type CarriedState, initialStatus, packNodes, unpackNodes } from './patch-carry';

/** What the state asks of its surroundings; every one optional (tests pass none). */
export interface PatchEffects {
  log?(line: string): void;
  /** One paragraph for the Web UI's "current details". */
  details?(text: string): void;
  phaseEntered?(phase: Phase): void;
  /** Abort was requested: cancel every node in flight. */
  abortRequested?(): void;
  /** A node attempt ended (metrics). */
  nodeDone?(role: string, outcome: NodeStatus['state'] | 'ended'): void;
  /** The open questions changed (metrics). */
  pendingChanged?(pending: PendingDecision[]): void;
}

export type Question = Omit<PendingDecision, 'sinceMs'>;

const LOG_LINES = 60;
/** What setPolicy may change on a running patch. */
const POLICY_KEYS = ['agentConcurrency', 'agentFailureBudget', 'approveEachMaster', 'approveBeforeAgents'] as const;
const ATTEMPTS_KEPT = 10;

/** Human label used in summaries: "master 10.0.0.12". */
export function nodeLabel(node: { role: string; address: string }): string {
  return `${node.role} ${node.address}`;
}

export class PatchState {
  /** The phase the abort was asked in (the report names it). */
  private abortedInPhase: Phase;
  /** Each node's status by id: looked up per node event, so no scan over thousands of agents. */
  private readonly byId: Map<string, NodeStatus>;

  private constructor(
    readonly plan: Plan,
    readonly status: PatchStatus,
    readonly decisions: PatchReport['decisions'],
    private readonly effects: PatchEffects
  ) {
    this.abortedInPhase = status.phase;
    this.byId = new Map(status.nodes.map((n) => [n.id, n]));
  }

  /** A new patch: every node pending, phase `plan`. */
  static begin(plan: Plan, workflowId: string, effects: PatchEffects = {}): PatchState {
    return new PatchState(plan, initialStatus(plan, workflowId), [], effects);
  }

  /** The state a continue-as-new carried over. */
  static resume(plan: Plan, carried: CarriedState, workflowId: string, effects: PatchEffects = {}): PatchState {
    const status = { ...carried.status, nodes: unpackNodes(plan, carried.status.nodes, workflowId) };
    return new PatchState(plan, status, carried.decisions, effects);
  }

  /** What the next run needs (nodes packed: the history keeps payloads small). */
  carry(): CarriedState {
    return { status: { ...this.status, nodes: packNodes(this.status.nodes) }, decisions: this.decisions };
  }

  // ---- reads ------------------------------------------------------------------------------------

  get phase(): Phase {
    return this.status.phase;
  }
  get aborting(): boolean {
    return this.status.abortRequested;
  }
  get paused(): boolean {
    return this.status.paused;
  }
  node(id: string): NodeStatus {
    return this.byId.get(id)!;
  }
  isAsking(subject: string): boolean {
    return this.status.pending.some((p) => p.subject === subject);
  }
  /** Held: paused, or a question on this subject is open; false once aborting. */
  isHeld(subject: string): boolean {
    return !this.aborting && (this.paused || this.isAsking(subject));
  }
  approved(subject: string): boolean {
    return this.decisions.some((d) => d.subject === subject && d.decision === 'approve');
  }
  agents(): NodeSpec[] {
    return [...this.plan.agents, ...this.plan.publicAgents];
  }
  failedAgents(): number {
    return this.agents().filter((a) => ['failed', 'waiting-decision'].includes(this.node(a.id).state)).length;
  }

  // ---- log and progress -------------------------------------------------------------------------

  note(line: string): void {
    const log = this.status.log;
    log.push(`${new Date(Date.now()).toISOString()} ${line}`);
    if (log.length > LOG_LINES) log.splice(0, log.length - LOG_LINES);
    this.effects.log?.(line);
  }

  /** What the patch is doing now (status and the Web UI). */
  doing(what: string): void {
    const st = this.status;
    st.activity = what;
    const done = st.nodes.filter((n) => n.state === 'patched' || n.state === 'skipped').length;
    this.effects.details?.(
      `**${this.plan.cluster}** ${this.plan.fromVersion} → ${this.plan.toVersion} · phase **${st.phase}** · ${done}/${st.nodes.length} nodes done${st.paused ? ' · PAUSED' : ''}\n\n${what}`
    );
  }

  enterPhase(phase: Phase): void {
    if (this.status.phase === phase) return;
    this.status.phase = phase;
    this.status.phaseStartedAtMs = Date.now();
    this.effects.phaseEntered?.(phase);
    this.note(`phase ${phase}`);
    this.doing(`entered phase ${phase}`);
  }

  // ---- the operator's controls ------------------------------------------------------------------

  pause(reason?: string): void {
    if (!this.status.paused) {
      this.note(`paused${reason ? `: ${reason}` : ''} (nodes in flight finish; no new node starts)`);
    }
    this.status.paused = true;
  }

  resume(): void {
    if (this.status.paused) this.note('resumed');
    this.status.paused = false;
  }

  requestAbort(reason: string): void {
    if (this.status.abortRequested) return;
    this.status.abortRequested = true;
    this.abortedInPhase = this.status.phase;
    this.note(`abort requested: ${reason}`);
    this.effects.abortRequested?.();
  }

  /** Open a question for the operator ("blocked, needs you"). */
  ask(q: Question): void {
    this.status.pending.push({ ...q, sinceMs: Date.now() });
    this.effects.pendingChanged?.(this.status.pending);
    this.note(`waiting for a decision on ${q.subject}: ${q.reason} (${q.allowed.join(' / ')})`);
    this.doing(
      `BLOCKED, needs you: ${q.subject} — ${q.reason}. Decide with: dcos-patch decide ${this.status.workflowId} ${q.subject} ${q.allowed.join('|')}`
    );
  }

  /** Why this decision cannot be taken now (the update's validator), or undefined. */
  decisionProblem(d: DecideInput): string | undefined {
    // Any client can send this update (the temporal CLI with hand-written JSON): check its shape.
    if (typeof d?.subject !== 'string') return 'subject must be a node id or phase name (a string)';
    const checks: unknown = d.checks;
    if (checks !== undefined && (!Array.isArray(checks) || !checks.every((c) => typeof c === 'string'))) {
      return 'checks must be a list of check names, e.g. ["exhibitor-serving"]';
    }
    const p = this.status.pending.find((x) => x.subject === d.subject);
    if (!p) {
      const waiting = this.status.pending.map((x) => x.subject).join(', ') || 'nothing';
      return `no decision is pending for ${d.subject}; waiting on: ${waiting}`;
    }
    if (!p.allowed.includes(d.decision)) {
      return `${d.subject}: ${d.decision} is not allowed here; choose one of ${p.allowed.join(', ')}`;
    }
    if (d.decision === 'override') {
      const failing = this.failingPreflight().map((f) => f.check);
      const missing = [...new Set(failing)].filter((c) => !(d.checks ?? []).includes(c));
      if (missing.length) return `override must name every failing check; not named: ${missing.join(', ')}`;
    }
    return undefined;
  }

  /** Take a validated decision: close its question and apply it. */
  decide(d: DecideInput): string {
    const p = this.status.pending.find((x) => x.subject === d.subject)!;
    this.status.pending = this.status.pending.filter((x) => x !== p);
    this.effects.pendingChanged?.(this.status.pending);
    this.decisions.push({ atMs: Date.now(), subject: d.subject, decision: d.decision, checks: d.checks });
    this.note(
      `decision for ${d.subject}: ${d.decision}${d.checks ? ` ${d.checks.join(',')}` : ''}${d.reason ? ` (${d.reason})` : ''}`
    );
    this.apply(p, d);
    return `${d.decision} accepted for ${d.subject}`;
  }

  private apply(p: PendingDecision, d: DecideInput): void {
    if (d.decision === 'abort') {
      this.requestAbort(`operator decision on ${p.subject}`);
      return;
    }
    if (p.kind === 'node-failed') {
      const n = this.node(p.subject);
      n.decisions = [...(n.decisions ?? []), d.decision];
      if (d.decision === 'retry') n.state = 'pending';
      if (d.decision === 'skip') {
        n.state = 'skipped';
        n.note = `skipped by the operator after failing: ${n.note ?? ''}`;
      }
    }
    if (p.kind === 'preflight-failed') {
      if (d.decision === 'override') this.overridePreflight(d.checks ?? []);
      if (d.decision === 'retry') this.status.preflight = [];
    }
  }

  /** Why this policy change is refused (the update's validator), or undefined. */
  policyProblem(c: PolicyChange): string | undefined {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      return 'a policy change is an object, e.g. {"agentConcurrency": 4}';
    }
    const unknown = Object.keys(c).filter((k) => !(POLICY_KEYS as readonly string[]).includes(k));
    if (unknown.length) return `unknown policy key ${unknown.join(', ')}; the keys are ${POLICY_KEYS.join(', ')}`;
    if (Object.keys(c).length === 0)
      return `the policy change names nothing to change; the keys are ${POLICY_KEYS.join(', ')}`;
    for (const k of ['approveEachMaster', 'approveBeforeAgents'] as const) {
      if (c[k] !== undefined && typeof c[k] !== 'boolean') return `${k} must be true or false`;
    }
    const agents = this.agents().length;
    const c1 = c.agentConcurrency;
    if (c1 !== undefined && (!Number.isInteger(c1) || c1 < 1 || c1 > MAX_AGENT_CONCURRENCY)) {
      return `agentConcurrency must be a whole number from 1 to ${MAX_AGENT_CONCURRENCY}`;
    }
    const b = c.agentFailureBudget;
    if (b !== undefined && (!Number.isInteger(b) || b < 0 || b > agents)) {
      return `agentFailureBudget must be a whole number from 0 to ${agents} (the number of agents)`;
    }
    return undefined;
  }

  changePolicy(c: PolicyChange): PatchStatus['policy'] {
    Object.assign(this.status.policy, c);
    this.note(`policy changed: ${JSON.stringify(c)}`);
    return this.status.policy;
  }

  // ---- survey and preflight ---------------------------------------------------------------------

  /** The survey's reading of one host; true when it already runs the target. */
  surveyed(id: string, s: SurveyEntry | undefined): boolean {
    const n = this.node(id);
    if (s && 'installedVersion' in s && s.installedVersion === this.plan.toVersion && s.configMatches !== false) {
      // Never assumed healthy: its turn verifies it through every gate before the next node.
      n.note = `survey: already at ${this.plan.toVersion} with the target config; verified through its gates in its turn`;
      return true;
    }
    if (s && 'error' in s) n.note = `survey: ${s.error}`;
    return false;
  }

  preflightFound(findings: PatchStatus['preflight']): void {
    this.status.preflight = findings;
    for (const f of findings)
      if (f.status === 'fail' && this.plan.preflightOverrides.includes(f.check)) f.overridden = true;
  }

  failingPreflight(): PatchStatus['preflight'] {
    return this.status.preflight.filter((f) => f.status === 'fail' && !f.overridden);
  }

  private overridePreflight(checks: string[]): void {
    for (const f of this.status.preflight) if (checks.includes(f.check) && f.status === 'fail') f.overridden = true;
  }

  // ---- nodes ------------------------------------------------------------------------------------

  /** A node's next attempt starts: its child workflow id, and those of its earlier attempts. */
  nodeStarted(node: NodeSpec): { attempt: number; workflowId: string; earlierAttempts: string[] } {
    const n = this.node(node.id);
    n.attempts += 1;
    n.state = 'patching';
    n.startedAtMs = Date.now();
    n.finishedAtMs = undefined;
    n.note = 'in progress';
    const attemptId = (k: number) => `${this.status.workflowId}/${node.id}/attempt-${k}`;
    n.workflowId = attemptId(n.attempts);
    this.note(`${nodeLabel(node)}: started (attempt ${n.attempts})`);
    return {
      attempt: n.attempts,
      workflowId: n.workflowId,
      earlierAttempts: Array.from({ length: n.attempts - 1 }, (_, k) => attemptId(k + 1)),
    };
  }

  /** The node workflow returned its result. */
  nodeFinished(node: NodeSpec, result: NodeResult): void {
    const n = this.node(node.id);
    n.finishedAtMs = Date.now();
    // Only kept where a later attempt needs it: the status stays small at thousands of agents.
    if (result.script?.exitCode === 0 && result.outcome !== 'patched') n.scriptRan = true;
    // Found at the target after an earlier attempt of this patch ran the script: this patch patched it.
    const patchedEarlier = result.outcome === 'skipped' && n.scriptRan === true;
    n.state = patchedEarlier ? 'patched' : result.outcome;
    // A patched node's gate observations stay in its own workflow's result; the parent keeps one
    // short line per node so its status, carried state and report stay small at 2,000 agents.
    const { fromVersion, toVersion } = this.plan;
    n.note =
      result.outcome === 'patched'
        ? `patched ${result.versionBefore ?? fromVersion} → ${toVersion}`
        : patchedEarlier
          ? `patched ${fromVersion} → ${toVersion} by an earlier attempt; verified healthy on attempt ${n.attempts}`
          : result.summary;
    if (result.outcome !== 'patched' || n.attempts > 1) this.recordAttempt(n, result.outcome, n.note);
    this.effects.nodeDone?.(node.role, n.state);
    this.note(`${nodeLabel(node)}: ${result.outcome} — ${result.summary}`);
  }

  /** The node workflow ended without a result (cancelled by an abort, or failed itself). */
  nodeEnded(node: NodeSpec, message: string, cancelled: boolean): void {
    const n = this.node(node.id);
    n.finishedAtMs = Date.now();
    n.state = cancelled || this.aborting ? 'aborted' : 'failed';
    n.note = `node workflow ended without a result: ${message}`;
    this.recordAttempt(n, 'ended', n.note);
    this.effects.nodeDone?.(node.role, 'ended');
    this.note(`${nodeLabel(node)}: ${n.state} — ${n.note}`);
  }

  private recordAttempt(n: NodeStatus, outcome: AttemptRecord['outcome'], reason: string): void {
    const log = [...(n.attemptLog ?? []), { attempt: n.attempts, outcome, reason: reason.slice(0, 300) }];
    n.attemptLog = log.slice(-ATTEMPTS_KEPT);
  }

  /** A master did not come back patched: never move on without the operator. */
  masterFailed(id: string): void {
    const n = this.node(id);
    n.state = 'waiting-decision';
    this.ask({ subject: id, kind: 'node-failed', reason: n.note ?? 'failed', allowed: ['retry', 'abort'] });
  }

  /** An agent did not come back patched: within the failure budget the patch goes on, beyond it asks. */
  agentFailed(id: string): void {
    const n = this.node(id);
    if (this.aborting && n.state === 'aborted') return;
    const failed = this.failedAgents();
    const budget = this.status.policy.agentFailureBudget;
    if (failed <= budget) {
      this.note(`${id} failed within the failure budget (${failed}/${budget}); continuing`);
      return;
    }
    n.state = 'waiting-decision';
    this.ask({
      subject: id,
      kind: 'node-failed',
      reason: `${n.note ?? 'failed'} (agent failures ${failed} > budget ${budget})`,
      allowed: ['retry', 'skip', 'abort'],
    });
  }

  /** The phase the abort was asked in. */
  get abortPhase(): Phase {
    return this.abortedInPhase;
  }
}
