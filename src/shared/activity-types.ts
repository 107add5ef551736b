/**
 * Inputs and results of the activities, shared by the workflows (which proxy them) and
 * `src/activities/` (which implements them). Plain JSON, no secrets: keys, tokens and
 * certificates are paths on the worker machine.
 */
import type { CanarySpec, HttpAuth, NodeRole, NodeSpec, Plan, SshSettings } from './plan';
import type { WirePlan } from './plan-wire';

/** Everything an activity needs to reach one node over SSH and HTTP. */
export interface NodeTarget {
  node: NodeSpec;
  ssh: SshSettings;
  http: HttpAuth;
  remoteWorkDir: string;
}

/** What is installed on a host now (read from the host, before deciding anything). */
export interface NodeState {
  /** `version` from /opt/mesosphere/etc/dcos-version.json. */
  installedVersion: string;
  /** Roles from /etc/mesosphere/roles/. */
  roles: string[];
  /** sha256 of /opt/mesosphere/etc/user.config.yaml, or '' when absent. */
  configHash: string;
  /**
   * Whether user.config.yaml says the same as the plan's new config.yaml (compared as YAML data,
   * not bytes). Undefined when the caller gave no config to compare with.
   */
  configMatches?: boolean;
}

/** Identifies one run of the node patch script on one host: the marker directory's name. */
export interface RunKey {
  /** Workflow id of the patchNode workflow (readable, unique per node and attempt). */
  workflowId: string;
  /** Operator-requested attempt number, starting at 1. */
  attempt: number;
  /**
   * The patchNode workflow ids of this node's earlier attempts: a retry whose earlier attempt's
   * script finished with exit 0 takes that result instead of running the script again.
   */
  earlierAttempts?: string[];
  /**
   * The patchCluster workflow this run belongs to. Agents outlive a continue-as-new (they are not
   * cancelled with the run that started them), so they are not cancelled by a terminate either:
   * no script starts once this workflow is gone.
   */
  patchWorkflowId?: string;
}

export interface ScriptRunResult {
  exitCode: number;
  /** Last lines of the script's combined output. */
  outputTail: string;
  /** Epoch ms the script started on the host (from the marker), when known. */
  startedAtMs: number;
  finishedAtMs: number;
  /** True when this activity attached to a run that was already started (worker crash / retry). */
  attached: boolean;
  /**
   * Set when another run held the host lease (an earlier attempt's script still running, or
   * another patch's): its run name; this attempt waited for it and took its exit code.
   */
  waitedFor?: string;
}

/** State of a script run on the host, for abort reporting. */
export interface RemoteRunState {
  state: 'not-started' | 'running' | 'finished';
  exitCode?: number;
  startedAtMs?: number;
  outputTail?: string;
  /** Another run on the host (an earlier attempt, another patch) that holds the host lease. */
  runName?: string;
}

export type GateName =
  | 'masters-healthy'
  | 'exhibitor-converged'
  | 'mesos-master-unit-active'
  | 'registrar-recovered'
  | 'mesos-version'
  | 'cockroach-replicated'
  | 'agent-registered'
  | 'agent-tasks-reconciled'
  | 'workloads-healthy';

export interface GateInput {
  target: NodeTarget;
  /** Every master, for gates that look at the ensemble or the leading master. */
  masters: NodeSpec[];
  pollIntervalMs: number;
  stablePolls: number;
  /** Absolute epoch ms after which the gate fails. */
  deadlineMs: number;
  /** Gate-specific expectation, e.g. the Mesos version for `mesos-version`. */
  expect?: string;
  /** open: CockroachDB runs `--insecure`; enterprise (the default): with the certificates directory. */
  variant?: 'open' | 'enterprise';
  /** The cluster runs CockroachDB (the IAM database): `masters-healthy` checks its replication too. */
  cockroach?: boolean;
  /** Agents: what the agent ran before its script; `agent-tasks-reconciled` wants it all back. */
  baseline?: AgentBaseline;
  /** `workloads-healthy`: the Marathon apps already not healthy before the patch (they never block). */
  appsUnhealthyBefore?: string[];
  /** `cockroach-replicated`: ranges already under-replicated before the patch (that many never block). */
  cockroachUnderreplicatedBefore?: number;
}

/**
 * One of a node's post-script gates, checked with the others under one shared stability hold
 * (the gateNodeHealthy activity). Its deadline: `deadlineMs` if given (the agent window), else
 * `timeoutMs` from when `after` first held (Mesos recovers once ZooKeeper does), else from the
 * verification's start.
 */
export interface HealthCheck {
  gate: Exclude<GateName, 'masters-healthy'>;
  timeoutMs: number;
  deadlineMs?: number;
  after?: HealthCheck['gate'];
  expect?: string;
  /** Poll this gate less often once good (CockroachDB); between its polls its last good observation stands. */
  pollIntervalMs?: number;
}

export interface NodeHealthInput extends Omit<GateInput, 'deadlineMs' | 'expect'> {
  checks: HealthCheck[];
  /** Epoch ms the verification began (kept across activity retries). */
  startedAtMs: number;
}

/** An agent before its script: its agent id and the tasks running on it (the leader's view). */
export interface AgentBaseline {
  agentId: string;
  taskIds: string[];
}

export interface GateResult {
  gate: GateName;
  passed: true;
  polls: number;
  /** The last observation, readable by a person ("3/3 serving", "registrar/log/recovered=1"). */
  observation: string;
  tookMs: number;
}

export interface Diagnostics {
  node: string;
  role: NodeRole;
  collectedAtMs: number;
  /** Command → its output (truncated), e.g. "journalctl -u dcos-mesos-master -n 100". */
  sections: { command: string; exitCode: number; output: string }[];
}

export interface BootstrapResult {
  /** From the "Node upgrade script URL:" / "Node patch script URL:" line. */
  scriptUrl: string;
  /** Last lines of the generator's output. */
  generatorOutputTail: string;
  /** SHA-256 of the script as the bootstrap node serves it (pre-staged copies are checked against it). */
  scriptSha256?: string;
  /** Set when the worker itself cannot fetch the URL (only a warning: the nodes fetch it). */
  workerWarning?: string;
}

/** One agent's pre-staged copy of the node script: its checksum, or why there is none. */
export interface PrestageEntry {
  node: string;
  sha256?: string;
  error?: string;
}

export interface BootstrapInput {
  plan: Pick<Plan, 'cluster' | 'variant' | 'fromVersion' | 'toVersion' | 'bootstrap' | 'config' | 'ssh' | 'http'>;
}

/** One host's answer in a survey: its state, or why it could not be read. */
export type SurveyEntry = NodeState | { node: string; error: string };

/**
 * Preflight and backups read the whole plan (one activity each, not per node), in the compact
 * form the workflow input has (a full plan is read too): the full one is 867 KB at 5,000 agents.
 */
export interface PlanInput {
  plan: WirePlan;
}

export interface PreflightFinding {
  check: string;
  host?: string;
  status: 'pass' | 'warn' | 'fail';
  message: string;
  overridden?: boolean;
  /** What this check found already broken before the patch (policy.health baseline: never blocks, named in the report). */
  baseline?: string[];
  /** A figure the check measured (cockroach-replicated: ranges under-replicated now). */
  figure?: number;
}

export type PreflightResult = PreflightFinding[];

export interface BackupsResult {
  /** One line for the log: what was taken where. */
  summary: string;
  /** Path of the ZooKeeper snapshot on the master it was taken on. */
  zookeeper?: string;
  /** Path of the IAM database dump (Enterprise). */
  iam?: string;
}

/** Who holds a cluster lock (inspectClusterLock). */
export interface LockHolder {
  /** The patch holding the lock ('' when the lock is gone by now). */
  holder: string;
  holderRunning: boolean;
  /** The lock was held by a patch that is not running any more: it was ended, and may be taken now. */
  freedStale: boolean;
}

// ---- the workload canary ----------------------------------------------------------------------

/** How the canary activities reach Marathon and Mesos-DNS: through the masters, in turn. */
export interface CanaryTarget {
  spec: CanarySpec;
  masters: NodeSpec[];
  ssh: SshSettings;
  http: HttpAuth;
  /** The patch the canary belongs to: a label on the app, so only its own app is replaced or removed. */
  workflowId: string;
}

export interface CanaryDeployed {
  taskIds: string[];
  /** The agents (addresses) its tasks run on. */
  hosts: string[];
  dnsName: string;
  deployedAtMs: number;
  /** An app of an earlier patch with this id was there and was replaced. */
  replacedLeftover: boolean;
}

/** What one watch carries into the next: the tasks known, an outage under way, conditions already reported. */
export interface CanaryCarry {
  knownTaskIds: string[];
  /** The canary has been out (no healthy task, or its name not resolving) since then. */
  outageSinceMs?: number;
  /** A task is failing its health check (already reported: not an incident again until it heals). */
  unhealthy: boolean;
  /** Its name does not resolve (already reported). */
  dnsFailing: boolean;
}

export interface CanaryWatchInput extends CanaryTarget {
  carry: CanaryCarry;
  /** Return after this long even without an incident (the workflow adds up the figures). */
  returnAfterMs: number;
  /** An incident is being asked about: add up the figures, do not return early. */
  quiet: boolean;
}

export type CanaryIncidentKind = 'task-restarted' | 'task-lost' | 'task-unhealthy' | 'dns-failed' | 'app-gone';

export interface CanaryIncident {
  kind: CanaryIncidentKind;
  atMs: number;
  /** One line: what was seen, e.g. "task dcos-patch-canary.1a2b… on 10.0.1.7 replaced by dcos-patch-canary.3c4d…". */
  text: string;
}

/** What the canary went through (a sum over watches). */
export interface CanaryFigures {
  polls: number;
  restarts: number;
  lost: number;
  /** Times a task began failing its health check. */
  unhealthy: number;
  /** Polls at which its name did not resolve. */
  dnsFailures: number;
  /** The longest time with no healthy task or no name resolution. */
  longestOutageMs: number;
}

export interface CanaryWatchResult {
  figures: CanaryFigures;
  carry: CanaryCarry;
  incidents: CanaryIncident[];
  /** The last look, one line ("3/3 running and healthy; dcos-patch-canary.marathon.mesos → 3 addresses"). */
  observation: string;
}

export interface CanaryRemoved {
  removed: boolean;
  /** One line: what happened, or what to do by hand. */
  text: string;
}
