/**
 * The pure state of one patch: nodes, phase, pending questions, decisions, policy and the log,
 * with the transitions named after the runbook. No Temporal here: the workflow supplies its
 * effects (log, Web UI details, search attribute, cancelling nodes in flight), and unit tests
 * drive the same transitions with none.
 */
import type { SurveyEntry } from '../shared/activity-types';
import { packNodes } from '../shared/node-columns';
import type { PatchEvent } from '../shared/notify-message';
import type { GateTimings, NodeSpec, Plan } from '../shared/plan';
import type {
  AttemptRecord,
  NodeResult,
  NodeStatus,
  PatchReport,
  PatchStatus,
  PendingDecision,
  Phase,
} from '../shared/status';
import { AgentRamp } from './agent-ramp';
import { type Answered, questionId, whatItAnswers } from './answers';
import { baselineText, recordBaseline } from './health-baseline';
import type { DecideInput, PolicyChange } from './messages';
import { type CarriedState, initialStatus, unpackNodes } from './patch-carry';
import { policyProblem } from './policy-rules';
import { iso, windowHold } from './window-gate';

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
  /** Something an operator wants to hear about happened (webhooks). */
  notify?(event: PatchEvent): void;
}

/** Phases that end the patch: their news is the finished/aborted message, not a phase message. */
const FINAL_PHASES: readonly Phase[] = ['done', 'aborted', 'failed'];

export type Question = Omit<PendingDecision, 'sinceMs' | 'id'>;

const LOG_LINES = 60;
const ATTEMPTS_KEPT = 10;
/** Failed agents named in the closing question (the status lists them all). */
const FAILED_NAMED = 5;

/** Human label used in summaries: "master 10.0.0.12". */
export function nodeLabel(node: { role: string; address: string }): string {
  return `${node.role} ${node.address}`;
}

export class PatchState {
  /** The phase the abort was asked in (the report names it). */
  private abortedInPhase: Phase;
  /** Each node's status by id: looked up per node event, so no scan over thousands of agents. */
  private readonly byId: Map<string, NodeStatus>;
  /** The canary ramp over the agent window. */
  readonly ramp: AgentRamp;

  private constructor(
    readonly plan: Plan,
    readonly status: PatchStatus,
    readonly decisions: PatchReport['decisions'],
    private readonly effects: PatchEffects
  ) {
    this.abortedInPhase = status.phase;
    this.byId = new Map(status.nodes.map((n) => [n.id, n]));
    this.ramp = new AgentRamp(status, plan.agents.length + plan.publicAgents.length, (id) => this.node(id));
  }

  /** A new patch: every node pending, phase `plan`. */
  static begin(plan: Plan, workflowId: string, effects: PatchEffects = {}): PatchState {
    return new PatchState(plan, initialStatus(plan, workflowId), [], effects);
  }

  /** The state a continue-as-new carried over. */
  static resume(plan: Plan, carried: CarriedState, workflowId: string, effects: PatchEffects = {}): PatchState {
    const nodes = unpackNodes(plan, carried.status.nodes, workflowId, carried.status.startedAtMs);
    const status = { ...carried.status, nodes };
    return new PatchState(plan, status, carried.decisions, effects);
  }

  /** What the next run needs (nodes packed: the history keeps payloads small). */
  carry(): CarriedState {
    const nodes = packNodes(this.status.nodes, this.status.startedAtMs);
    return { status: { ...this.status, nodes }, decisions: this.decisions };
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
  /** Held: paused, a question on this subject is open, or a canary incident is; false once aborting. */
  isHeld(subject: string): boolean {
    const canary = this.status.pending.some((p) => p.kind === 'canary-incident');
    return !this.aborting && (this.paused || canary || this.isAsking(subject));
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
    if (!FINAL_PHASES.includes(phase))
      this.effects.notify?.({ event: 'phase', subject: phase, text: `phase ${phase}` });
    this.doing(`entered phase ${phase}`);
  }

  // ---- the operator's controls ------------------------------------------------------------------

  pause(reason?: string): void {
    if (!this.status.paused) {
      const line = `paused${reason ? `: ${reason}` : ''} (nodes in flight finish; no new node starts)`;
      this.note(line);
      this.effects.notify?.({ event: 'paused', text: line });
    }
    this.status.paused = true;
  }

  resume(): void {
    if (this.status.paused) {
      this.note('resumed');
      this.effects.notify?.({ event: 'resumed', text: 'resumed' });
    }
    this.status.paused = false;
  }

  requestAbort(reason: string): void {
    if (this.status.abortRequested) return;
    this.status.abortRequested = true;
    this.abortedInPhase = this.status.phase;
    this.note(`abort requested: ${reason}`);
    this.effects.abortRequested?.();
  }

  /** A new question id, never used before in this patch (carried across continue-as-new). */
  private nextQuestionId(): string {
    this.status.questionsAsked = (this.status.questionsAsked ?? 0) + 1;
    return questionId(this.status.questionsAsked);
  }

  /** Open a question for the operator ("blocked, needs you"); its id is what the answer names. */
  ask(q: Question): string {
    const id = this.nextQuestionId();
    this.status.pending.push({ id, ...q, sinceMs: Date.now() });
    this.effects.pendingChanged?.(this.status.pending);
    this.note(`waiting for a decision on ${q.subject} (${id}): ${q.reason} (${q.allowed.join(' / ')})`);
    const command = `dcos-patch decide ${this.status.workflowId} ${q.subject} ${q.allowed.join('|')} --question ${id}`;
    this.doing(`BLOCKED, needs you: ${q.subject} — ${q.reason}. Decide with: ${command}`);
    this.effects.notify?.({
      event: 'decision-needed',
      subject: q.subject,
      question: id,
      command,
      text: `needs you: ${q.subject} — ${q.reason}. Decide with: ${command}`,
    });
    return id;
  }

  /** Why this decision cannot be taken now (the update's validator), or undefined. */
  decisionProblem(d: DecideInput): string | undefined {
    // Any client can send this update (the temporal CLI with hand-written JSON): check its shape.
    if (typeof d?.subject !== 'string') return 'subject must be a node id or phase name (a string)';
    if (d.question !== undefined && typeof d.question !== 'string') {
      return 'question must be the id of the question answered (a string such as "q3", shown by status)';
    }
    const checks: unknown = d.checks;
    if (checks !== undefined && (!Array.isArray(checks) || !checks.every((c) => typeof c === 'string'))) {
      return 'checks must be a list of check names, e.g. ["exhibitor-serving"]';
    }
    const answered = this.answers(d);
    if ('problem' in answered) return answered.problem;
    if ('retryOf' in answered) return this.retryProblem(answered.retryOf, d);
    const p = answered.question;
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

  private answers(d: DecideInput): Answered {
    return whatItAnswers({ status: this.status, decisions: this.decisions, node: (id) => this.byId.get(id) }, d);
  }

  /**
   * An answer naming no question reaches the handler only from a history recorded before
   * questions had ids (the validator refuses it now; replay does not run validators): it answered
   * the question open on its subject then, so it does now.
   */
  private unnamedAnswer(d: DecideInput): Answered {
    const open = this.status.pending.find((p) => p.subject === d.subject);
    if (open) return { question: open };
    const n = this.byId.get(d.subject);
    return n?.state === 'failed' ? { retryOf: n } : { problem: 'nothing open' };
  }

  /** A retry of an agent that failed within the budget: only a retry, only while agents are patched. */
  private retryProblem(n: NodeStatus, d: DecideInput): string | undefined {
    if (d.decision !== 'retry') {
      return `${n.id} failed within the failure budget: retry is the only decision for it (it already counts as failed)`;
    }
    if (this.phase !== 'agents' || this.aborting) {
      return `${n.id} can be retried only during the agent phase; the patch is ${this.aborting ? 'aborting' : `in phase ${this.phase}`}`;
    }
    return n.state === 'failed' ? undefined : `${n.id} is ${n.state}, not failed: nothing to retry`;
  }

  /** Take a validated decision: close its question (or retry its agent) and apply it. */
  decide(d: DecideInput): string {
    const answered = d.question === undefined ? this.unnamedAnswer(d) : this.answers(d);
    const question = 'question' in answered ? answered.question : undefined;
    if (question) {
      this.status.pending = this.status.pending.filter((x) => x !== question);
      this.effects.pendingChanged?.(this.status.pending);
    }
    this.decisions.push({
      atMs: Date.now(),
      subject: d.subject,
      decision: d.decision,
      checks: d.checks,
      question: question?.id ?? d.question,
    });
    this.note(
      `decision for ${d.subject}${d.question ? ` (${d.question})` : ''}: ${d.decision}${d.checks ? ` ${d.checks.join(',')}` : ''}${d.reason ? ` (${d.reason})` : ''}`
    );
    if (question) this.apply(question, d);
    else if ('retryOf' in answered) this.retryAgent(answered.retryOf);
    return `${d.decision} accepted for ${d.subject}${d.question ? ` (${d.question})` : ''}`;
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
    if (p.kind === 'window-wait' && d.decision === 'approve') {
      this.status.windowOverrideUntilMs = this.status.windowWait?.untilMs ?? Number.MAX_SAFE_INTEGER;
      delete this.status.windowWait;
    }
    if (p.kind === 'canary-failed' && d.decision === 'skip' && this.status.canary) {
      this.status.canary.state = 'skipped';
    }
    if (p.kind === 'agents-failed') {
      if (d.decision === 'retry') for (const n of this.failedWithinBudget()) this.retryAgent(n);
      if (d.decision === 'finish') this.status.failedAgentsSettled = true;
    }
  }

  /** The agent gets another attempt: pending again, its failure no longer counted. */
  private retryAgent(n: NodeStatus): void {
    n.decisions = [...(n.decisions ?? []), 'retry'];
    delete n.retryQuestion;
    n.state = 'pending';
    // The closing question about failed agents has nothing left to ask once none is failed.
    const closing = this.status.pending.find((p) => p.kind === 'agents-failed');
    if (closing && this.failedWithinBudget().length === 0) this.withdraw(closing.id, 'no agent is failed any more');
  }

  /** Why this policy change is refused (the update's validator), or undefined. */
  policyProblem(c: PolicyChange): string | undefined {
    return policyProblem(c, this.agents().length);
  }

  changePolicy(c: PolicyChange): PatchStatus['policy'] {
    const { gates, agentRamp, windows, ...rest } = c;
    Object.assign(this.status.policy, rest);
    if (windows?.length) this.status.policy.windows = windows;
    else if (windows) delete this.status.policy.windows;
    // New windows: the wait under way (if any) is decided again on the next look.
    if (windows && this.status.windowWait) {
      this.withdraw(this.status.windowWait.question, 'the maintenance windows changed');
      delete this.status.windowWait;
    }
    if (agentRamp?.length) this.status.policy.agentRamp = agentRamp;
    else if (agentRamp) delete this.status.policy.agentRamp;
    if (gates) this.status.policy.gates = { ...this.gates(), ...gates };
    this.note(`policy changed: ${JSON.stringify(c)}`);
    return this.status.policy;
  }

  /** The gate timings in force for a node starting now (a carried status from an older run may have none). */
  gates(): GateTimings {
    return { ...this.plan.policy.gates, ...this.status.policy.gates };
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
    const b = recordBaseline(this.plan, this.status, (id) => this.node(id));
    const text = baselineText(b);
    if (text) this.note(`baseline${text}`);
  }

  failingPreflight(): PatchStatus['preflight'] {
    return this.status.preflight.filter((f) => f.status === 'fail' && !f.overridden && !f.baseline);
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
    delete n.retryQuestion;
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
    if (n.state === 'failed') this.nodeFailedNews(node, n);
  }

  private nodeFailedNews(node: NodeSpec, n: NodeStatus): void {
    this.effects.notify?.({
      event: 'node-failed',
      subject: node.id,
      text: `${nodeLabel(node)} failed (attempt ${n.attempts}): ${n.note ?? ''}`,
    });
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
    if (n.state === 'failed') this.nodeFailedNews(node, n);
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
  agentFailed(id: string, failedStep?: string): void {
    const n = this.node(id);
    if (this.aborting && n.state === 'aborted') return;
    const failed = this.failedAgents();
    const budget = this.status.policy.agentFailureBudget;
    if (failedStep === 'workloads-healthy') {
      n.state = 'waiting-decision';
      this.ask({
        subject: id,
        kind: 'node-failed',
        reason: `${n.note ?? 'failed'} (a workload healthy before the patch is not: the patch stops whatever the failure budget)`,
        allowed: ['retry', 'skip', 'abort'],
      });
      return;
    }
    if (this.ramp.isCanary(id)) {
      n.state = 'waiting-decision';
      this.ask({
        subject: id,
        kind: 'node-failed',
        reason: `${n.note ?? 'failed'} (a canary of the ${this.ramp.describe()}; the ramp stops whatever the failure budget)`,
        allowed: ['retry', 'skip', 'abort'],
      });
      return;
    }
    if (failed <= budget) {
      n.retryQuestion = this.nextQuestionId();
      this.note(
        `${id} failed within the failure budget (${failed}/${budget}); continuing. Retry it with: dcos-patch decide ${this.status.workflowId} ${id} retry --question ${n.retryQuestion}`
      );
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

  private failedWithinBudget(): NodeStatus[] {
    return this.agents()
      .map((a) => this.node(a.id))
      .filter((n) => n.state === 'failed');
  }

  /**
   * The agent phase is about to end with agents that failed within the budget: ask once whether
   * to retry them or finish. True when the question was opened now.
   */
  askAboutFailedAgents(): boolean {
    if (this.aborting || this.status.failedAgentsSettled || this.isAsking('agents')) return false;
    const failed = this.failedWithinBudget();
    if (failed.length === 0) return false;
    const named = failed.slice(0, FAILED_NAMED).map((n) => n.id);
    const more = failed.length > FAILED_NAMED ? ` and ${failed.length - FAILED_NAMED} more` : '';
    this.ask({
      subject: 'agents',
      kind: 'agents-failed',
      reason: `${failed.length} agents failed within the budget (${named.join(', ')}${more}): retry them, or finish the patch with them unpatched`,
      allowed: ['retry', 'finish', 'abort'],
    });
    return true;
  }

  // ---- maintenance windows ---------------------------------------------------------------------

  /**
   * Whether a node of `role` may start now; when not, the patch waits for the next opening (a
   * question lets the operator start now) and this says so. True when it may start.
   */
  windowAllows(role: 'master' | 'agent'): boolean {
    const now = Date.now();
    this.windowOpened(now);
    const hold = windowHold(this.status, role, now);
    if (!hold) return true;
    if (this.status.windowWait) return false;
    const until =
      hold.untilMs !== undefined ? `waiting for the window opening at ${iso(hold.untilMs)}` : 'no window opens again';
    const reason = `${hold.reason}: ${until}`;
    const question = this.ask({ subject: 'window', kind: 'window-wait', reason, allowed: ['approve', 'abort'] });
    this.status.windowWait = { ...(hold.untilMs !== undefined ? { untilMs: hold.untilMs } : {}), question, reason };
    this.effects.notify?.({ event: 'window', subject: 'window', question, text: reason });
    return false;
  }

  /** The wait is over once its opening came: withdraw the question. */
  windowOpened(nowMs: number): void {
    const w = this.status.windowWait;
    if (!w || w.untilMs === undefined || nowMs < w.untilMs) return;
    delete this.status.windowWait;
    this.withdraw(w.question, `the window opened at ${iso(w.untilMs)}`);
  }

  /** How long the workflow may sleep before a window opens (undefined: until something else happens). */
  windowSleepMs(): number | undefined {
    const until = this.status.windowWait?.untilMs;
    return until === undefined ? undefined : Math.max(0, until - Date.now());
  }

  private withdraw(questionId: string, why: string): void {
    const before = this.status.pending.length;
    this.status.pending = this.status.pending.filter((p) => p.id !== questionId);
    if (this.status.pending.length === before) return;
    this.effects.pendingChanged?.(this.status.pending);
    this.note(`question ${questionId} withdrawn: ${why}`);
  }

  /** The phase the abort was asked in. */
  get abortPhase(): Phase {
    return this.abortedInPhase;
  }
}
