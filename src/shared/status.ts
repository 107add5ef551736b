/**
 * What the patch workflows report: the `status` query, the per-node result and the final report.
 * Shared by the workflows, the CLI and the tests. Plain JSON only (no Map/Set: they do not
 * survive the JSON converter or continue-as-new).
 */
import type {
  CanaryCarry,
  CanaryFigures,
  CanaryIncident,
  Diagnostics,
  GateName,
  GateResult,
  PreflightFinding,
  RemoteRunState,
  ScriptRunResult,
} from './activity-types';
import type { NotifyState } from './notify-message';
import type { GateTimings, NodeRole, RampStep } from './plan';
import type { MaintenanceWindow } from './windows';

export type Phase =
  | 'plan'
  | 'survey'
  | 'preflight'
  | 'backups'
  | 'bootstrap'
  | 'masters'
  | 'agents'
  | 'postflight'
  | 'done'
  | 'aborted'
  | 'failed';

/** The states an operator recognises, in the order a node goes through them. */
export type NodeStateName =
  | 'pending'
  | 'checking'
  | 'staging'
  | 'preparing'
  | 'patching'
  | 'verifying'
  | 'patched'
  | 'skipped'
  | 'failed'
  | 'waiting-decision'
  | 'aborted';

export type Decision = 'retry' | 'skip' | 'abort' | 'approve' | 'override' | 'finish';

export interface NodeStatus {
  id: string;
  role: NodeRole;
  address: string;
  state: NodeStateName;
  /** Attempts made so far (an operator retry adds one). */
  attempts: number;
  /** Workflow id of the current/last patchNode child. */
  workflowId?: string;
  startedAtMs?: number;
  finishedAtMs?: number;
  /** Why the node was skipped, or how it failed / what it saw last (one line). */
  note?: string;
  /** Operator decisions taken for this node, oldest first. */
  decisions?: Decision[];
  /** Set once an attempt's node script exited 0 on the host: a later attempt that finds it at the target patched it, not "already there". */
  scriptRan?: boolean;
  /** Every attempt that did not end patched, and the last one when there were several: outcome and reason. */
  attemptLog?: AttemptRecord[];
  /** An agent that failed within the failure budget: the question id a `decide … retry` names to retry it. */
  retryQuestion?: string;
}

export interface AttemptRecord {
  attempt: number;
  outcome: NodeOutcome | 'ended';
  /** One line, at most 300 characters. */
  reason: string;
}

export interface CanaryStatus {
  appId: string;
  dnsName: string;
  instances: number;
  /**
   * planned → deploying (an attempt was made) → watching → removed | not-removed; skipped: the
   * operator went on without it after its deployment failed.
   */
  state: 'planned' | 'deploying' | 'watching' | 'removed' | 'not-removed' | 'skipped';
  deployedAtMs?: number;
  /** The agents its tasks ran on when deployed. */
  hosts?: string[];
  figures: CanaryFigures;
  /** What the next watch starts from (tasks known, an outage under way). */
  carry?: CanaryCarry;
  /** Newest last (bounded), each with the nodes being patched when it was seen. */
  incidents: (CanaryIncident & { nodes: string[] })[];
  /** The last look, one line. */
  observation?: string;
  /** What removing it did (or what to do by hand). */
  removal?: string;
}

export interface HealthBaseline {
  recordedAtMs: number;
  /** Agents of the plan not registered/active at preflight: left as found, not patched. */
  agentsInactive: string[];
  /** Marathon apps not healthy at preflight: never count against the workloads gate. */
  appsUnhealthy: string[];
  /** The preflight that ran could not report app health (a worker from before baselines): no workloads gate. */
  appsUnknown?: boolean;
  /** CockroachDB ranges under-replicated at preflight: the gates allow that many, never more. */
  cockroachUnderreplicated?: number;
}

export interface PendingDecision {
  /**
   * The question's id (`q7`), new for every question: a decision names it, so a late or repeated
   * answer to an older question is refused. Absent only on questions asked before ids existed.
   */
  id: string;
  /** Node id, or `survey` / `preflight` / `backups` / `bootstrap` / `agents` for phase-level questions. */
  subject: string;
  kind:
    | 'node-failed'
    | 'approve-master'
    | 'approve-agents'
    | 'preflight-failed'
    | 'step-failed'
    | 'agents-failed'
    | 'window-wait'
    | 'canary-failed'
    | 'canary-incident';
  reason: string;
  allowed: Decision[];
  sinceMs: number;
}

export interface PatchStatus {
  workflowId: string;
  cluster: string;
  fromVersion: string;
  toVersion: string;
  phase: Phase;
  paused: boolean;
  abortRequested: boolean;
  startedAtMs: number;
  phaseStartedAtMs: number;
  finishedAtMs?: number;
  scriptUrl?: string;
  /** SHA-256 of the node script as the bootstrap serves it. */
  scriptSha256?: string;
  policy: {
    agentConcurrency: number;
    /** The canary ramp in force (setPolicy changes it); absent: none. */
    agentRamp?: RampStep[];
    agentFailureBudget: number;
    approveEachMaster: boolean;
    approveBeforeAgents: boolean;
    /** The gate timings in force for the nodes started from now (setPolicy changes them live). */
    gates: GateTimings;
    /** The maintenance windows in force (setPolicy changes them); absent: any time. */
    windows?: MaintenanceWindow[];
    windowMinNodeMs?: number;
  };
  nodes: NodeStatus[];
  pending: PendingDecision[];
  /** "waiting, will progress" in words: what the workflow is doing right now. */
  activity: string;
  preflight: PreflightFinding[];
  /** Continue-as-new generations so far (history is bounded by rolling over). */
  generation: number;
  /** Questions asked so far (the next one's id is `q<questionsAsked + 1>`); absent before ids existed. */
  questionsAsked?: number;
  /** Waiting for a maintenance window: its opening (absent: none opens again) and the question that can skip the wait. */
  windowWait?: { untilMs?: number; question: string; reason: string };
  /** An operator approved starting outside the windows: allowed until this instant (the awaited opening). */
  windowOverrideUntilMs?: number;
  /** policy.health baseline: what preflight found already broken (never blocks; named in the report). */
  baseline?: HealthBaseline;
  /** The workload canary (plan `canary:`): where it is, what it went through. */
  canary?: CanaryStatus;
  /** Where the canary ramp is: its step, and the agents started in that step. */
  ramp?: { step: number; members: string[] };
  /** Webhook deliveries (plan `notify:`): sent, failed, queued, the last failure. */
  notifications?: NotifyState;
  /** Set once the operator answered "finish" to the agents that failed within the budget. */
  failedAgentsSettled?: boolean;
  /** Transitions with their reasons, newest last (bounded). */
  log: string[];
}

export type NodeOutcome = 'patched' | 'skipped' | 'failed' | 'aborted';

/** The result of one patchNode child. */
export interface NodeResult {
  node: string;
  role: NodeRole;
  outcome: NodeOutcome;
  attempt: number;
  /** skipped: why; failed: the step and what was seen; patched: one-line summary. */
  summary: string;
  /** The step that failed (failed only). */
  failedStep?: NodeStateName | GateName;
  failureType?: string;
  versionBefore?: string;
  versionAfter?: string;
  script?: ScriptRunResult;
  /** Agents: the agent id and how many tasks ran on it before the script. */
  baseline?: { agentId: string; tasks: number };
  gates: GateResult[];
  diagnostics?: Diagnostics;
  /** Aborted: what state the remote script was left in. */
  remoteRun?: RemoteRunState;
  startedAtMs: number;
  finishedAtMs: number;
}

/** What a node workflow is doing now (its own `nodeStatus` query). */
export interface NodeProgress {
  node: string;
  role: NodeRole;
  attempt: number;
  state: NodeStateName;
  /** The gate or step being waited on. */
  step: string;
  sinceMs: number;
  /** When the current step gives up (gates and the script). */
  deadlineMs?: number;
}

export type PatchOutcome = 'succeeded' | 'nothing-to-do' | 'completed-with-failures' | 'aborted' | 'failed';

export interface PatchReport {
  workflowId: string;
  cluster: string;
  fromVersion: string;
  toVersion: string;
  outcome: PatchOutcome;
  message: string;
  startedAtMs: number;
  finishedAtMs: number;
  scriptUrl?: string;
  nodes: NodeStatus[];
  preflight: PreflightFinding[];
  /** policy.health baseline: what was already broken before the patch. */
  baseline?: HealthBaseline;
  /** The workload canary's figures, when the plan had one. */
  canary?: CanaryStatus;
  /** Operator decisions in the order they were taken. */
  decisions: { atMs: number; subject: string; decision: Decision; checks?: string[]; question?: string }[];
}

/** How a node workflow handed over at continue-as-new ended, read by the run that adopted it. */
export type NodeWorkflowEnd = { result: NodeResult } | { ended: { message: string; cancelled: boolean } };
