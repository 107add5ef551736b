import type { MaintenanceWindow } from './windows';

/**
 * The validated patch plan: what the workflow receives as its input.
 *
 * Produced by `src/plan/` from the operator's YAML plan file. Everything here is plain JSON
 * (it travels through Temporal history) and holds **no secrets**: SSH keys, JWTs and client
 * keys appear only as *paths on the worker machine*, which the activities read.
 * All paths are absolute (the parser resolves them against the plan file's directory).
 * All durations are milliseconds.
 */

export type Variant = 'open' | 'enterprise';
export type SecurityMode = 'disabled' | 'permissive' | 'strict';
export type NodeRole = 'master' | 'agent' | 'public-agent';

/** HTTP endpoints of one host. Defaults are the DC/OS ports; a plan may override per host. */
export interface NodePorts {
  /** Exhibitor, masters only (8181). */
  exhibitor: number;
  /** Mesos master (5050). */
  mesosMaster: number;
  /** Mesos agent (5051). */
  mesosAgent: number;
  /** Marathon on masters (8080), read by preflight. */
  marathon: number;
  /** Mesos-DNS's HTTP API on masters (8123), read by the workload canary; absent in inputs from before it. */
  mesosDns?: number;
}

/** One DC/OS node as the workflow sees it. */
export interface NodeSpec {
  /** Stable, readable id used in workflow ids and reports: `master-10.0.0.11`, `agent-10.0.1.5`. */
  id: string;
  role: NodeRole;
  /** Address used for SSH and HTTP, and the name Exhibitor reports for masters. */
  address: string;
  sshPort: number;
  ports: NodePorts;
}

export interface SshSettings {
  user: string;
  /** Default SSH port (a node may override it). */
  port: number;
  /** Path of the private key file, read by the worker. Never the key itself. */
  privateKeyPath: string;
  /** Path of the known_hosts file used to verify host keys, read by the worker. */
  knownHostsPath: string;
  /** Connect timeout per attempt. */
  connectTimeoutMs: number;
}

/** Enterprise / strict-mode HTTP credentials: paths on the worker machine only. */
/**
 * How the health probes reach the DC/OS endpoints: `ssh` runs curl on the node itself over the
 * SSH connection, as the runbook does (only SSH needs to reach the nodes); `http` asks from the
 * worker (ports 8181/5050/5051/8080 open to it).
 */
export type ProbeRoute = 'ssh' | 'http';
export const PROBE_ROUTES: readonly ProbeRoute[] = ['ssh', 'http'];
export const DEFAULT_PROBE_ROUTE: ProbeRoute = 'ssh';

export interface HttpAuth {
  /** Absent in the inputs of patches started before probes over SSH existed: they keep `http`. */
  probes?: ProbeRoute;
  /** probes: http — Exhibitor over HTTPS with copies of the client certificates on the worker. */
  exhibitorTls?: { caCertPath: string; clientCertPath: string; clientKeyPath: string };
  /** probes: ssh — Exhibitor over HTTPS with each master's own files (exhibitor-tls-artifacts). */
  exhibitorTlsOnNode?: boolean;
  /** Use HTTPS for Mesos endpoints (strict mode). */
  mesosHttps: boolean;
  /** CA bundle on the worker for HTTPS Mesos endpoints (probes: http; over SSH the node's own bundle). */
  mesosCaCertPath?: string;
  /** File holding a DC/OS auth token (JWT) sent as `Authorization: token=<JWT>`. */
  tokenPath?: string;
}

export interface BootstrapSpec {
  address: string;
  sshPort: number;
  /** Directory on the bootstrap host holding `dcos_generate_config.sh`; genconf/ is beneath it. */
  installerDir: string;
  /** Installer file name inside installerDir. */
  installerName: string;
}

/** Config files on the worker machine, copied to the bootstrap node's genconf/. */
export interface ConfigFiles {
  /** The config.yaml the installed cluster was built with. */
  oldConfigPath: string;
  /** The config.yaml to patch to (the old one merged into the new release's format). */
  newConfigPath: string;
  ipDetectPath: string;
  /** Enterprise only. */
  licensePath?: string;
}

export interface GateTimings {
  /** How often a gate polls. */
  pollIntervalMs: number;
  /** Consecutive good polls required before a gate passes (a short hold, never one lucky poll). */
  stablePolls: number;
  /** Exhibitor converged, every master "serving". */
  exhibitorTimeoutMs: number;
  /** dcos-mesos-master active and registrar/log/recovered = 1. */
  mesosMasterTimeoutMs: number;
  /** Enterprise: ranges_underreplicated back to 0 on every node. */
  cockroachTimeoutMs: number;
  cockroachPollIntervalMs: number;
  /** The masters' agent ping timeout: an agent must be registered again within this, from the moment its units stopped. */
  agentWindowMs: number;
  /** How long the node patch script may run before it counts as hung. */
  scriptTimeoutMs: number;
}

export type HealthPolicy = 'baseline' | 'strict';
export const HEALTH_POLICIES: readonly HealthPolicy[] = ['baseline', 'strict'];

/** One step of the canary ramp: a number of agents, or a percentage of them (`"20%"`). */
export type RampStep = number | `${number}%`;

export interface Policy {
  /** Agents patched at once (sliding window). */
  agentConcurrency: number;
  /** The canary ramp (see src/shared/ramp.ts); absent or empty: the full window from the first agent. */
  agentRamp?: RampStep[];
  /** Agent failures tolerated before the agent phase stops and asks. Masters never count. */
  agentFailureBudget: number;
  /** Wait for an operator `decide … approve` before each master after the first. */
  approveEachMaster: boolean;
  /** Wait for approval between the master and the agent phase. */
  approveBeforeAgents: boolean;
  gates: GateTimings;
  /**
   * baseline: what was already broken at preflight (inactive agents, unhealthy Marathon apps) is
   * named and never blocks; the gates block on regressions. strict: every check absolute, as before
   * baselines existed (and what an input without this field does).
   */
  health?: HealthPolicy;
  /** Maintenance windows (src/shared/windows.ts); absent: any time. */
  windows?: MaintenanceWindow[];
  /** The least time a node is assumed to take when deciding whether it can finish inside the window. */
  windowMinNodeMs?: number;
}

export interface Backups {
  /** Take a ZooKeeper snapshot on the first master before it is touched. */
  zookeeper: 'take' | 'confirmed';
  /** Enterprise: back up the IAM database (CockroachDB). */
  iam: 'take' | 'confirmed' | 'not-applicable';
}

export interface Plan {
  /** Path of the plan file it came from (for messages). */
  source: string;
  cluster: string;
  variant: Variant;
  /** The installed DC/OS version. */
  fromVersion: string;
  /** The target DC/OS version (equal to fromVersion for a config-only change). */
  toVersion: string;
  /** The Mesos version `mesos-master --version` must show after the patch, e.g. `1.10.1`. */
  expectedMesosVersion: string;
  /** Security mode after the patch (from the new config.yaml). */
  security: SecurityMode;
  bootstrap: BootstrapSpec;
  config: ConfigFiles;
  ssh: SshSettings;
  http: HttpAuth;
  masters: NodeSpec[];
  agents: NodeSpec[];
  publicAgents: NodeSpec[];
  policy: Policy;
  backups: Backups;
  /** Preflight checks the operator overrides by name (recorded in history). */
  preflightOverrides: string[];
  /** Directory on every host where dcos-patch keeps its run markers and script output. */
  remoteWorkDir: string;
  /** Webhooks told about the patch as it goes (absent: none). */
  notify?: NotifyHook[];
  /** A small Marathon app deployed before the first master and watched through the patch (absent: none). */
  canary?: CanarySpec;
}

/**
 * The workload canary: a Marathon app with a health check, one instance per private agent it
 * lands on (`hostname:UNIQUE`), and its Mesos-DNS name `<app>.marathon.mesos`. Any restart, lost
 * task, failing health check or failed resolution stops the patch and asks the operator.
 */
export interface CanarySpec {
  /** One path segment, e.g. `/dcos-patch-canary`. */
  appId: string;
  instances: number;
  /** The task's command; it must serve HTTP on $PORT0 (the health check's port). */
  cmd: string;
  cpus: number;
  memMb: number;
  /** How long deploying may take (every instance running and healthy, the name resolving). */
  deployTimeoutMs: number;
  /** How often the canary is looked at during the patch. */
  pollIntervalMs: number;
}

export const DEFAULT_CANARY: Omit<CanarySpec, 'instances'> = {
  appId: '/dcos-patch-canary',
  // DC/OS ships Python 3 on every node; a task without an image runs on the agent's filesystem.
  cmd: '/opt/mesosphere/bin/python3 -m http.server $PORT0',
  cpus: 0.05,
  memMb: 64,
  deployTimeoutMs: 5 * 60_000,
  pollIntervalMs: 5_000,
};
/** The canary's instances by default (fewer when there are fewer private agents). */
export const DEFAULT_CANARY_INSTANCES = 3;
/** A canary app id: one Marathon path segment, so its Mesos-DNS name is `<segment>.marathon.mesos`. */
export const CANARY_APP_ID = /^\/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_CANARY_INSTANCES = 10;

/** Mesos-DNS's name of a one-segment Marathon app: `/dcos-patch-canary` → `dcos-patch-canary.marathon.mesos`. */
export function canaryDnsName(appId: string): string {
  return `${appId.replace(/^\//, '')}.marathon.mesos`;
}
export const MAX_CANARY_CMD = 1_000;

/** What a webhook can be told about. */
export type NotifyEventKind =
  | 'started'
  | 'phase'
  | 'decision-needed'
  | 'node-failed'
  | 'paused'
  | 'resumed'
  | 'window'
  | 'finished'
  | 'aborted';
export const NOTIFY_EVENT_KINDS: readonly NotifyEventKind[] = [
  'started',
  'phase',
  'decision-needed',
  'node-failed',
  'paused',
  'resumed',
  'window',
  'finished',
  'aborted',
];

/**
 * One webhook: Slack-compatible JSON POSTed to it. The URL is in the plan (so in history) only
 * when it holds no secret; a URL that is itself the secret (Slack's) and any auth header are
 * read from files on the worker by the activity that sends.
 */
export interface NotifyHook {
  url?: string;
  /** A file on the worker holding the URL. */
  urlFile?: string;
  /** A file on the worker with one `Header-Name: value` per line, e.g. `Authorization: Bearer …`. */
  headerFile?: string;
  /** The events sent to it. */
  events: NotifyEventKind[];
}

export const DEFAULT_PORTS: Required<NodePorts> = {
  exhibitor: 8181,
  mesosMaster: 5050,
  mesosAgent: 5051,
  marathon: 8080,
  mesosDns: 8123,
};
export const DEFAULT_REMOTE_WORK_DIR = '/var/lib/dcos-patch';
/** A node is not started with less than this left in its maintenance window, whatever the estimate. */
export const DEFAULT_WINDOW_MIN_NODE_MS = 5 * 60_000;

export const DEFAULT_GATES: GateTimings = {
  pollIntervalMs: 5_000,
  stablePolls: 3,
  exhibitorTimeoutMs: 15 * 60_000,
  mesosMasterTimeoutMs: 10 * 60_000,
  cockroachTimeoutMs: 20 * 60_000,
  cockroachPollIntervalMs: 60_000,
  agentWindowMs: 5 * 60_000,
  scriptTimeoutMs: 30 * 60_000,
};

export const DEFAULT_POLICY: Policy = {
  agentConcurrency: 1,
  agentFailureBudget: 0,
  approveEachMaster: false,
  approveBeforeAgents: false,
  health: 'baseline',
  gates: DEFAULT_GATES,
};
