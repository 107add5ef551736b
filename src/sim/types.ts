/**
 * Public types of the DC/OS cluster simulator. The simulator is driven over the same protocols a
 * real cluster is (SSH, HTTP, bash); these types are only for starting it, injecting faults and
 * reading the ground truth in tests, the demo and benchmarks.
 */

export type HostRole = 'bootstrap' | 'master' | 'agent' | 'public-agent';
export type PortName = 'exhibitor' | 'mesosMaster' | 'mesosAgent' | 'marathon' | 'mesosDns';
export type OsName = 'centos' | 'rhel' | 'coreos' | 'ubuntu';

/** All durations in milliseconds. */
export interface SimTimings {
  /** Total duration of a node patch script run: ~40% fetch (units up), then units stop, swap, units start. */
  scriptMs: number;
  /** After a master's Exhibitor starts: "down" for a third of this, then "not serving", then "serving". */
  exhibitorRecoveryMs: number;
  /** After dcos-mesos-master starts: `registrar/log/recovered` stays 0 this long. */
  registrarRecoveryMs: number;
  /** After a master's CockroachDB starts: `ranges_underreplicated` > 0 this long. */
  cockroachRecoveryMs: number;
  /** After an agent's dcos-mesos-slave starts: it registers with the leading master after this. */
  agentReregisterMs: number;
  /** After an agent registers: its tasks show TASK_RUNNING again after this. */
  taskReconcileMs: number;
  /** An agent not registered this long after its units stopped loses its tasks (TASK_LOST). */
  agentPingTimeoutMs: number;
  /** A new leading Mesos master / ZooKeeper leader is elected this long after the leader goes down. */
  leaderElectionMs: number;
  /** How long `dcos_generate_config.sh --generate-node-upgrade-script` takes. */
  generatorMs: number;
}

/** Where a script fault strikes: before the units stop, while they are down, or after they started again. */
export type ScriptPhase = 'fetch' | 'swap' | 'end';

export type Fault =
  /** The node patch script exits with `code` at phase `at` (default 'fetch': units untouched). */
  | { kind: 'script-exit'; code: number; at?: ScriptPhase; times?: number }
  /** The node patch script hangs at phase `at` (default 'fetch'). */
  | { kind: 'script-hang'; at?: ScriptPhase; times?: number }
  /** This host's script takes `ms` in all (a slow package fetch: hosts differ), not the cluster's scriptMs. */
  | { kind: 'script-slow'; ms: number; times?: number }
  /**
   * Drop the TCP connection `afterMs` after a command starts, while it still runs (the remote process
   * keeps running). `times` drops (default 1); `match`: only commands containing this text.
   */
  | { kind: 'ssh-drop'; afterMs: number; times?: number; match?: string }
  /** Refuse SSH connections (listener closed) for `forMs`; open connections are cut. */
  | { kind: 'ssh-refuse'; forMs: number }
  /** The host presents a new host key (until the fault is cleared). */
  | { kind: 'host-key-change' }
  /** When the host's units start again, this unit fails and stays failed (until cleared). */
  | { kind: 'unit-never-returns'; unit: string }
  /**
   * Agent: when its units start again it registers under a new agent id (as after its work dir
   * was lost): the masters mark the tasks of the old id TASK_LOST and Marathon launches
   * replacements (new task ids) on it. Once (or `times`).
   */
  | { kind: 'agent-new-id'; times?: number }
  /** Master: after its Exhibitor restarts it stays "not serving". */
  | { kind: 'exhibitor-never-converges' }
  /** Master: after CockroachDB restarts, `ranges_underreplicated` stays > 0. */
  | { kind: 'cockroach-never-catches-up' }
  /**
   * After the patch `mesos-master --version` (and :5050 /version) shows Mesos `version`;
   * with `dcosVersion`, the script also writes that DC/OS version to dcos-version.json.
   */
  | { kind: 'wrong-version-after-patch'; version: string; dcosVersion?: string }
  /**
   * An HTTP endpoint misbehaves: garbage body, HTTP 500, no answer at all, or (extension) `refuse`:
   * the listener is closed. `path`: prefix of the request path; `times`: requests affected (default: all).
   */
  | {
      kind: 'endpoint';
      port: PortName | 'bootstrap';
      path?: string;
      mode: 'garbage' | '500' | 'timeout' | 'refuse';
      times?: number;
    };

export type FaultKind = Fault['kind'];

/** Preflight-relevant facts of a host. */
export interface HostFacts {
  /** `systemctl --version` prints `systemd <N>`. Default 219. */
  systemdVersion: number;
  /** /etc/os-release. Default 'centos'. */
  os: OsName;
  /** `ipset` on PATH. Default true. */
  ipsetInstalled: boolean;
  /** `sysctl -n net.ipv6.conf.all.disable_ipv6` prints 1. Default false. */
  ipv6Disabled: boolean;
  /** `sudo -n` fails with "sudo: a password is required". Default false. */
  sudoNeedsPassword: boolean;
  /** Agents: /opt/mesosphere/lib/libltdl.so.7 exists. Default true on agents. */
  libltdlPresent: boolean;
  /** false: SSH connections are refused. Default true. */
  reachable: boolean;
}

export interface MarathonApp {
  id: string;
  instances?: number;
  cmd?: string;
  cpus?: number;
  mem?: number;
  /** Marathon constraints, e.g. [["hostname", "UNIQUE"]]. */
  constraints?: string[][];
  /** Any further Marathon app fields, returned as given. */
  [field: string]: unknown;
}

export type NetworkOptions = { mode: 'per-host-ip'; base?: string } | { mode: 'single-ip'; ip?: string };

export interface SimOptions {
  masters: 1 | 3 | 5;
  agents: number;
  publicAgents?: number;
  /** Installed DC/OS version, e.g. '2.1.4'. */
  version: string;
  /** The version the bootstrap node's installer generates (default: next patch release). */
  targetVersion?: string;
  variant?: 'open' | 'enterprise';
  security?: 'disabled' | 'permissive' | 'strict';
  /** Output directory; default a fresh mkdtemp. */
  dir?: string;
  /**
   * per-host-ip (default): every host on its own 127.a.b.c with the DC/OS ports; `base` e.g. '127.42.7.0'
   * picks the block. single-ip: every host on `ip` (default 127.0.0.1) with its own free ports.
   */
  network?: NetworkOptions;
  /** Default 2222 (per-host-ip); ignored in single-ip mode (free ports). */
  sshPort?: number;
  timings?: Partial<SimTimings>;
  /** Marathon tasks per agent (default 3); every third agent also runs a pod (DEFAULT executor). */
  tasksPerAgent?: number;
  faults?: Record<string, Fault[]>;
  facts?: Record<string, Partial<HostFacts>>;
  marathon?: { eventSubscriber?: boolean; apps?: MarathonApp[] };
  /** SSH user, default 'core'. */
  user?: string;
  /** Extension: serve Mesos (:5050/:5051) over HTTPS (CA in <dir>/tls/dcos-ca.crt). Default: on in strict mode. */
  mesosHttps?: boolean;
  /**
   * Extension: create agent host roots on first use (SSH, sftp, `cluster.host(id)`) instead of at
   * start-up. Default: on above 200 agents. Bootstrap and master roots are always created at once.
   */
  lazyRoots?: boolean;
  /** Extension: the plan's `probes` (default: not written, the product's default ssh). */
  probes?: 'ssh' | 'http';
  /** Extension: cluster name written to the plan and config.yaml (default sim-<a>-<b>). */
  name?: string;
}

export interface SimHost {
  id: string;
  role: HostRole;
  address: string;
  sshPort: number;
  ports: { exhibitor: number; mesosMaster: number; mesosAgent: number; marathon: number; mesosDns: number };
  /** Directory standing in for this host's `/`. */
  root: string;
}

export interface CommandRecord {
  /** Epoch ms. */
  at: number;
  /** The command text exactly as received over SSH (before path rewriting). */
  command: string;
}

export interface ScriptRunRecord {
  node: string;
  /** The upgrade id (directory under genconf/serve/upgrade/) the script was generated in. */
  upgradeId: string;
  startedAt: number;
  endedAt?: number;
  exitCode?: number;
}

export interface Interval {
  from: number;
  to?: number;
}

export interface HostTruth {
  id: string;
  role: HostRole;
  address: string;
  /** `version` in dcos-version.json now. */
  version: string;
  /** What `mesos-master --version` would print now (cluster nodes). */
  mesosVersion: string;
  commands: CommandRecord[];
  /** SSH logins accepted on this host (one per SSH connection). */
  sshLogins: number;
  /** Times the patch script got past its version/libltdl checks and began patching. */
  scriptRuns: number;
  /** Times the patch script was executed at all (including refused runs). */
  scriptInvocations: number;
  scriptStartedAt: number[];
  /** Most runs of the patch script that were under way on this host at the same moment. */
  maxConcurrentScriptRuns: number;
  /** Every DC/OS unit active now. */
  unitsActive: boolean;
  /** Periods during which DC/OS units of this host were stopped (by the script or systemctl). */
  unitDownIntervals: (Interval & { unit: string })[];
  /** Masters: units stopped → Exhibitor serving and registrar recovered. Agents: units stopped → registered. */
  downIntervals: Interval[];
  faults: Fault[];
  facts: HostFacts;
  /** Agents: registered with the leading master now. */
  registered?: boolean;
  /** Masters: own Exhibitor state now. */
  exhibitor?: string;
}

export interface GroundTruth {
  at: number;
  hosts: Record<string, HostTruth>;
  /** Every script run, in start order. */
  scriptRuns: ScriptRunRecord[];
  maxMastersDownAtOnce: number;
  mastersDownNow: string[];
  maxAgentsDownAtOnce: number;
  agentsDownNow: string[];
  tasksLost: { agent: string; taskId: string; at: number }[];
  /** Marathon's apps now, each with its running tasks. */
  marathonApps: { id: string; tasksRunning: number }[];
  /** Apps created, replaced and removed through Marathon's API, in order. */
  marathonChanges: { appId: string; action: 'created' | 'replaced' | 'removed'; at: number }[];
  /** Longest time from an agent's units stopping to it registering again (ongoing outages count to now). */
  agentDowntimeMaxMs: number;
  backups: {
    zookeeper: { node: string; path: string; at: number; exhibitorStoppedOnAllMasters: boolean }[];
    iam: { node: string; at: number }[];
  };
  generatorRuns: { at: number; args: string[]; exitCode: number; upgradeId?: string }[];
  /** The bootstrap web server's access log (as nginx keeps one): every request, in order. */
  bootstrapRequests: { at: number; method: string; path: string; status: number }[];
  mesosLeader?: string;
  zkLeader?: string;
}

export interface SimCluster {
  dir: string;
  planPath: string;
  controlUrl: string;
  bootstrap: SimHost;
  masters: SimHost[];
  agents: SimHost[];
  publicAgents: SimHost[];
  /** The bootstrap node's HTTP server (serves genconf/serve), e.g. http://127.42.7.2:8080. */
  bootstrapUrl: string;
  /** A host by node id (creates its root now if roots are lazy). */
  host(nodeId: string): SimHost;
  inject(nodeId: string, fault: Fault): void;
  clearFaults(nodeId: string): void;
  setFacts(nodeId: string, facts: Partial<HostFacts>): void;
  truth(): GroundTruth;
  resetTruth(): void;
  /**
   * Reboot a host: every process on it is killed (a detached node script too, releasing its
   * locks), it gets a new boot id, and its DC/OS units stop and start again.
   */
  reboot(nodeId: string): void;
  /** Helper: stop every DC/OS unit of a host (as the patch script's swap does). */
  stopUnits(nodeId: string): void;
  /** Helper: start every DC/OS unit of a host. */
  startUnits(nodeId: string): void;
  /** Preflight helper: the leading master shows this agent as inactive/unregistered (until called with false). */
  makeAgentUnregistered(nodeId: string, on?: boolean): void;
  /** Preflight helper: this master shows "not serving" in Exhibitor (until called with false). */
  makeMasterNotServing(nodeId: string, on?: boolean): void;
  /** Workload helper: every task of this Marathon app fails its health check (until called with false). */
  makeAppUnhealthy(appId: string, on?: boolean): void;
  /** Workload helper: kill one running task of this Marathon app (or the task `taskId`); Marathon launches a replacement. */
  killTask(appId: string, taskId?: string): { killed: string; agent: string; replacement?: string };
  /** Workload helper: Mesos-DNS on every master answers no name (until called with false). */
  setDnsOutage(on?: boolean): void;
  /** CockroachDB helper: this many ranges stay under-replicated whatever happens (0 ends it). */
  setCockroachUnderreplicated(ranges: number): void;
  stop(): Promise<void>;
  /** Resolves once the cluster has stopped (by stop(), or POST /shutdown on the control API). */
  whenStopped: Promise<void>;
}
