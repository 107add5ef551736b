/**
 * The live state of the simulated cluster and its dynamics: systemd units, Exhibitor/ZooKeeper,
 * the leading Mesos master, the registrar, CockroachDB replication, agents registering and their
 * tasks. Everything time-based is driven by timers, so ground truth is recorded at the moment a
 * transition happens. The HTTP servers and host commands only read this state.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { mesosVersionFor } from '../shared/dcos-releases';
import { FaultSet } from './faults';
import { readInstalledVersion } from './host-fs';
import { TruthRecorder } from './truth';
import type { HostFacts, HostRole, MarathonApp, SimHost, SimTimings } from './types';
import { slaveUnit, type UnitDef, unitsFor } from './units';

export type UnitState = 'active' | 'inactive' | 'failed';
export type ExhibitorPhase = 'down' | 'not serving' | 'serving';
export type TaskStateName = 'TASK_RUNNING' | 'TASK_UNREACHABLE' | 'TASK_LOST';

export interface UnitRuntime {
  def: UnitDef;
  state: UnitState;
  since: number;
  /** Bumped on every start/stop; timers scheduled for an older generation do nothing. */
  gen: number;
  pid: number;
  /** Epoch ms of the last stop (systemd's InactiveEnterTimestamp). */
  inactiveSince?: number;
}

export interface JournalLine {
  at: number;
  proc: string;
  msg: string;
}

export interface TaskState {
  id: string;
  name: string;
  appId: string;
  state: TaskStateName;
  /** Pod tasks run under a DEFAULT executor. */
  executorId?: string;
  updatedAt: number;
  /** The agent id the task ran under, once the agent has registered under another one. */
  slaveId?: string;
}

export interface HostState {
  spec: SimHost;
  role: HostRole;
  facts: HostFacts;
  faults: FaultSet;
  units: Map<string, UnitRuntime>;
  journal: Map<string, JournalLine[]>;
  /** DC/OS version read from dcos-version.json (at start and whenever units start). */
  version: string;
  mesosVersionOverride?: string;
  // masters
  exhibitor: ExhibitorPhase;
  registrarRecovered: boolean;
  cockroachCaughtUp: boolean;
  cockroachStartedAt: number;
  forceNotServing: boolean;
  masterStartedAt: number;
  downSince?: number;
  // agents
  agentId: string;
  registered: boolean;
  reconciled: boolean;
  awaitingLeader: boolean;
  forceUnregistered: boolean;
  /** Removed by the leading master after the agent ping timeout (until it registers again). */
  removed: boolean;
  registeredAt: number;
  tasks: TaskState[];
  pingGen: number;
}

export interface ModelOptions {
  variant: 'open' | 'enterprise';
  version: string;
  timings: SimTimings;
  hosts: SimHost[];
  facts: (host: SimHost) => HostFacts;
  tasksPerAgent: number;
  marathon: { eventSubscriber: boolean; apps: MarathonApp[] };
}

const JOURNAL_CAP = 2000;

export class ClusterModel {
  readonly hosts = new Map<string, HostState>();
  readonly masters: HostState[] = [];
  /** Private and public agents. */
  readonly agents: HostState[] = [];
  readonly truth = new TruthRecorder();
  readonly masterId = randomUUID();
  readonly marathonFrameworkId = `${randomUUID()}-0001`;
  readonly bootAt = Date.now();
  mesosLeader?: HostState;
  zkLeader?: HostState;
  /** Bumped on every visible change (HTTP views cache on it). */
  rev = 0;
  /** Called whenever a host's ports may have to open or close. */
  onPortsChanged: (host: HostState) => void = () => {};

  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private electionPending = { mesos: false, zk: false };
  private pidSeq = 1000;

  constructor(readonly opts: ModelOptions) {
    for (const spec of opts.hosts) {
      const h = this.createHost(spec);
      this.hosts.set(spec.id, h);
      if (spec.role === 'master') this.masters.push(h);
      if (spec.role === 'agent' || spec.role === 'public-agent') this.agents.push(h);
    }
    this.mesosLeader = this.masters[0];
    this.zkLeader = this.masters[0];
    this.createTasks();
  }

  get timings(): SimTimings {
    return this.opts.timings;
  }

  private createHost(spec: SimHost): HostState {
    const now = Date.now();
    const units = new Map<string, UnitRuntime>();
    const journal = new Map<string, JournalLine[]>();
    for (const def of unitsFor(spec.role, this.opts.variant, this.opts.version)) {
      const pid = this.pidSeq++;
      units.set(def.name, { def, state: 'active', since: now, gen: 0, pid });
      journal.set(def.name, [
        { at: now, proc: 'systemd[1]', msg: `Starting ${def.description}...` },
        { at: now, proc: 'systemd[1]', msg: `Started ${def.description}.` },
      ]);
    }
    const agentSeq = this.hosts.size;
    return {
      spec,
      role: spec.role,
      facts: this.opts.facts(spec),
      faults: new FaultSet(),
      units,
      journal,
      version: this.opts.version,
      exhibitor: 'serving',
      registrarRecovered: true,
      cockroachCaughtUp: true,
      cockroachStartedAt: now,
      forceNotServing: false,
      masterStartedAt: now,
      agentId: `${this.masterId}-S${agentSeq}`,
      registered: spec.role === 'agent' || spec.role === 'public-agent',
      reconciled: true,
      awaitingLeader: false,
      forceUnregistered: false,
      removed: false,
      registeredAt: now,
      tasks: [],
      pingGen: 0,
    };
  }

  private createTasks(): void {
    const apps = this.opts.marathon.apps;
    this.agents.forEach((a, i) => {
      for (let t = 0; t < this.opts.tasksPerAgent; t++) {
        const app = apps.length > 0 ? apps[(i + t) % apps.length]!.id : `/sim/app-${t + 1}`;
        a.tasks.push({
          id: `${app.replace(/^\//, '').replace(/\//g, '_')}.${randomUUID()}`,
          name: app.split('/').pop() ?? app,
          appId: app,
          state: 'TASK_RUNNING',
          updatedAt: this.bootAt,
        });
      }
      if (i % 3 === 0) {
        const instance = `instance-sim_pod.${randomUUID()}`;
        for (const container of ['web', 'sidecar']) {
          a.tasks.push({
            id: `sim_pod.${instance}.${container}`,
            name: container,
            appId: '/sim/pod',
            state: 'TASK_RUNNING',
            executorId: instance,
            updatedAt: this.bootAt,
          });
        }
      }
    });
  }

  // ---- time ----------------------------------------------------------------------------------

  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Something visible changed (views re-render; `h`: its ports may have to open or close). */
  changed(h?: HostState): void {
    this.rev++;
    if (h) this.onPortsChanged(h);
  }

  // ---- lookups -------------------------------------------------------------------------------

  host(id: string): HostState {
    const h = this.hosts.get(id);
    if (!h) throw new Error(`no simulated host ${id}; hosts: ${[...this.hosts.keys()].join(', ')}`);
    return h;
  }

  unitActive(h: HostState, unit: string): boolean {
    return h.units.get(unit)?.state === 'active';
  }

  dcosUnits(h: HostState): UnitRuntime[] {
    return [...h.units.values()].filter((u) => !u.def.system);
  }

  allUnitsActive(h: HostState): boolean {
    return this.dcosUnits(h).every((u) => u.state === 'active');
  }

  quorum(): number {
    return Math.floor(this.masters.length / 2) + 1;
  }

  mesosVersionOf(h: HostState): string {
    return h.mesosVersionOverride ?? mesosVersionFor(h.version) ?? '0.0.0';
  }

  journalLine(h: HostState, unit: string, proc: string, msg: string): void {
    let lines = h.journal.get(unit);
    if (!lines) {
      lines = [];
      h.journal.set(unit, lines);
    }
    lines.push({ at: Date.now(), proc, msg });
    if (lines.length > JOURNAL_CAP) lines.splice(0, lines.length - JOURNAL_CAP);
  }

  // ---- units ---------------------------------------------------------------------------------

  /** Stop DC/OS units (all of them by default), as `pkgpanda activate` does before the swap. */
  stopUnits(h: HostState, names?: string[]): void {
    const list = names ?? this.dcosUnits(h).map((u) => u.def.name);
    for (const name of list) this.stopUnit(h, name);
    this.changed(h);
  }

  /** Start DC/OS units (all by default); units with a unit-never-returns fault fail. */
  startUnits(h: HostState, names?: string[]): void {
    const v = readInstalledVersion(h.spec.root);
    if (v) h.version = v;
    const list = names ?? this.dcosUnits(h).map((u) => u.def.name);
    for (const name of list) this.startUnit(h, name);
    this.changed(h);
  }

  private stopUnit(h: HostState, name: string): void {
    const u = h.units.get(name);
    if (!u || u.state === 'inactive') return;
    const wasActive = u.state === 'active';
    u.state = 'inactive';
    u.since = Date.now();
    u.inactiveSince = u.since;
    u.gen++;
    this.journalLine(h, name, 'systemd[1]', `Stopping ${u.def.description}...`);
    if (wasActive) this.journalLine(h, name, `${u.def.process}[${u.pid}]`, 'Received SIGTERM, shutting down');
    this.journalLine(h, name, 'systemd[1]', `Stopped ${u.def.description}.`);
    if (!u.def.system) this.truth.unitDown(h.spec.id, name);
    this.afterUnitStopped(h, name);
  }

  private startUnit(h: HostState, name: string): void {
    const u = h.units.get(name);
    if (!u || u.state === 'active') return;
    u.since = Date.now();
    u.gen++;
    this.journalLine(h, name, 'systemd[1]', `Starting ${u.def.description}...`);
    if (h.faults.find('unit-never-returns', (f) => f.unit === name || f.unit === `${name}.service`)) {
      u.state = 'failed';
      this.journalLine(h, name, 'systemd[1]', `${name}.service: main process exited, code=exited, status=1/FAILURE`);
      this.journalLine(h, name, 'systemd[1]', `Failed to start ${u.def.description}.`);
      this.journalLine(h, name, 'systemd[1]', `Unit ${name}.service entered failed state.`);
      return;
    }
    u.state = 'active';
    u.pid = this.pidSeq++;
    this.journalLine(h, name, 'systemd[1]', `Started ${u.def.description}.`);
    this.journalLine(h, name, `${u.def.process}[${u.pid}]`, `${u.def.process} started (DC/OS ${h.version})`);
    if (!u.def.system) this.truth.unitUp(h.spec.id, name);
    this.afterUnitStarted(h, name, u.gen);
  }

  private afterUnitStopped(h: HostState, name: string): void {
    if (h.role === 'master') {
      if (name === 'dcos-exhibitor') {
        h.exhibitor = 'down';
        if (this.zkLeader === h) {
          this.zkLeader = undefined;
          this.scheduleElection('zk');
        }
      }
      if (name === 'dcos-mesos-master') {
        h.registrarRecovered = false;
        if (this.mesosLeader === h) {
          this.mesosLeader = undefined;
          this.scheduleElection('mesos');
        }
      }
      if (name === this.cockroachUnit(h)) h.cockroachCaughtUp = false;
      this.refreshMasterDown(h);
    } else if (name === slaveUnit(h.role)) {
      this.agentDisconnected(h);
    }
  }

  private afterUnitStarted(h: HostState, name: string, gen: number): void {
    const t = this.timings;
    const still = (): boolean => h.units.get(name)?.gen === gen && this.unitActive(h, name);
    if (h.role === 'master') {
      if (name === 'dcos-exhibitor') {
        h.exhibitor = 'down';
        this.after(t.exhibitorRecoveryMs / 3, () => {
          if (!still()) return;
          h.exhibitor = 'not serving';
          this.changed();
        });
        this.after(t.exhibitorRecoveryMs, () => {
          if (still()) this.exhibitorConverge(h);
        });
        this.scheduleElection('zk');
      }
      if (name === 'dcos-mesos-master') {
        h.registrarRecovered = false;
        h.masterStartedAt = Date.now();
        this.after(t.registrarRecoveryMs, () => {
          if (!still()) return;
          h.registrarRecovered = true;
          this.journalLine(h, name, `mesos-master[${h.units.get(name)?.pid}]`, 'Successfully joined the Paxos group');
          this.refreshMasterDown(h);
          this.changed();
        });
        this.scheduleElection('mesos');
      }
      if (name === this.cockroachUnit(h)) {
        h.cockroachCaughtUp = false;
        h.cockroachStartedAt = Date.now();
        this.after(t.cockroachRecoveryMs, () => {
          if (still()) this.cockroachCatchUp(h);
        });
      }
    } else if (name === slaveUnit(h.role)) {
      this.after(t.agentReregisterMs, () => {
        if (!still()) return;
        if (this.mesosLeader) this.registerAgent(h);
        else h.awaitingLeader = true;
      });
    }
  }

  /** The unit CockroachDB's liveness follows: dcos-cockroach where it exists, else the Mesos master. */
  cockroachUnit(h: HostState): string {
    return h.units.has('dcos-cockroach') ? 'dcos-cockroach' : 'dcos-mesos-master';
  }

  exhibitorConverge(h: HostState): void {
    if (h.faults.has('exhibitor-never-converges')) {
      h.exhibitor = 'not serving';
    } else {
      h.exhibitor = 'serving';
      this.refreshMasterDown(h);
    }
    this.changed();
  }

  cockroachCatchUp(h: HostState): void {
    if (h.faults.has('cockroach-never-catches-up')) return;
    h.cockroachCaughtUp = true;
    this.changed();
  }

  // ---- masters -------------------------------------------------------------------------------

  /** A master is down from its units stopping until it serves in Exhibitor and its registrar recovered. */
  masterIsDown(h: HostState): boolean {
    return h.exhibitor !== 'serving' || !h.registrarRecovered;
  }

  private refreshMasterDown(h: HostState): void {
    const down = this.masterIsDown(h);
    const now = Date.now();
    if (down && h.downSince === undefined) {
      h.downSince = now;
      this.truth.hostDown(h.spec.id, now);
      const n = this.mastersDownNow().length;
      if (n > this.truth.maxMastersDownAtOnce) this.truth.maxMastersDownAtOnce = n;
    } else if (!down && h.downSince !== undefined) {
      h.downSince = undefined;
      this.truth.hostUp(h.spec.id, now);
    }
  }

  mastersDownNow(): HostState[] {
    return this.masters.filter((m) => m.downSince !== undefined);
  }

  /** Exhibitor's view of one member, as every master reports it. */
  exhibitorStatusOf(m: HostState): { code: number; description: string } {
    if (!this.unitActive(m, 'dcos-exhibitor')) return { code: 1, description: 'down' };
    const up = this.masters.filter((x) => this.unitActive(x, 'dcos-exhibitor')).length;
    if (m.exhibitor === 'down') return { code: 1, description: 'down' };
    if (m.exhibitor === 'not serving' || m.forceNotServing || up < this.quorum()) {
      return { code: 2, description: 'not serving' };
    }
    return { code: 3, description: 'serving' };
  }

  private scheduleElection(kind: 'mesos' | 'zk'): void {
    const leader = kind === 'mesos' ? this.mesosLeader : this.zkLeader;
    if (leader || this.electionPending[kind]) return;
    this.electionPending[kind] = true;
    this.after(this.timings.leaderElectionMs, () => {
      this.electionPending[kind] = false;
      const unit = kind === 'mesos' ? 'dcos-mesos-master' : 'dcos-exhibitor';
      const candidates = this.masters.filter((m) => this.unitActive(m, unit));
      if (candidates.length < this.quorum()) return; // re-scheduled when a unit starts
      const elected = candidates[0]!;
      if (kind === 'mesos') {
        this.mesosLeader = elected;
        this.journalLine(
          elected,
          unit,
          `mesos-master[${elected.units.get(unit)?.pid}]`,
          'Elected as the leading master!'
        );
        for (const a of this.agents) if (a.awaitingLeader) this.registerAgent(a);
      } else {
        this.zkLeader = elected;
      }
      this.changed();
    });
  }

  // ---- agents --------------------------------------------------------------------------------

  agentIsDown(h: HostState): boolean {
    return h.downSince !== undefined;
  }

  agentsDownNow(): HostState[] {
    return this.agents.filter((a) => a.downSince !== undefined);
  }

  /** What the leading master shows: registered (active) and not forced away by a preflight helper. */
  agentActive(h: HostState): boolean {
    return h.registered && !h.forceUnregistered;
  }

  private agentDisconnected(h: HostState): void {
    const now = Date.now();
    h.registered = false;
    h.reconciled = false;
    h.awaitingLeader = false;
    for (const t of h.tasks) {
      if (t.state === 'TASK_RUNNING') {
        t.state = 'TASK_UNREACHABLE';
        t.updatedAt = now;
      }
    }
    if (h.downSince === undefined) {
      h.downSince = now;
      this.truth.hostDown(h.spec.id, now);
      const n = this.agentsDownNow().length;
      if (n > this.truth.maxAgentsDownAtOnce) this.truth.maxAgentsDownAtOnce = n;
    }
    const gen = ++h.pingGen;
    this.after(this.timings.agentPingTimeoutMs, () => {
      if (h.pingGen !== gen || h.registered) return;
      this.loseTasks(h);
    });
  }

  private loseTasks(h: HostState): void {
    const now = Date.now();
    h.removed = true;
    for (const t of h.tasks) {
      if (t.state === 'TASK_LOST') continue;
      t.state = 'TASK_LOST';
      t.updatedAt = now;
      this.truth.tasksLost.push({ agent: h.spec.id, taskId: t.id, at: now });
    }
    this.journalLine(
      h,
      slaveUnit(h.role),
      'mesos-master',
      `Agent ${h.agentId} did not respond to health checks for ${this.timings.agentPingTimeoutMs}ms: removed, its tasks are lost`
    );
    this.changed();
  }

  /**
   * The agent comes back under a new agent id: the tasks of the old id are lost, and Marathon
   * launches a replacement for each (a new task id) on the agent.
   */
  /** New agent ids, past every id handed out at start-up. */
  private agentIdSeq = 100_000;

  private reregisterUnderNewId(h: HostState, now: number): void {
    const old = h.agentId;
    h.agentId = `${this.masterId}-S${++this.agentIdSeq}`;
    const replacements: TaskState[] = [];
    for (const t of h.tasks) {
      if (t.slaveId !== undefined) continue;
      t.slaveId = old;
      if (t.state === 'TASK_LOST') continue;
      t.state = 'TASK_LOST';
      t.updatedAt = now;
      this.truth.tasksLost.push({ agent: h.spec.id, taskId: t.id, at: now });
      replacements.push({
        ...t,
        id: `${t.id.split('.')[0]}.${randomUUID()}`,
        state: 'TASK_UNREACHABLE',
        slaveId: undefined,
      });
    }
    h.tasks.push(...replacements);
    this.journalLine(h, slaveUnit(h.role), 'mesos-master', `Agent ${old} re-registered as a new agent ${h.agentId}`);
  }

  private registerAgent(h: HostState): void {
    const now = Date.now();
    const newId = h.faults.find('agent-new-id');
    if (newId) {
      if (newId.times === undefined || newId.times <= 1) h.faults.remove(newId);
      else h.faults.consume(newId);
      this.reregisterUnderNewId(h, now);
    }
    h.registered = true;
    h.removed = false;
    h.awaitingLeader = false;
    h.registeredAt = now;
    h.pingGen++;
    const unit = slaveUnit(h.role);
    this.journalLine(h, unit, `mesos-agent[${h.units.get(unit)?.pid}]`, `Registered with master ${this.leaderPid()}`);
    if (h.downSince !== undefined) {
      const downtime = now - h.downSince;
      if (downtime > this.truth.agentDowntimeMaxMs) this.truth.agentDowntimeMaxMs = downtime;
      h.downSince = undefined;
      this.truth.hostUp(h.spec.id, now);
    }
    this.changed();
    const pingGen = h.pingGen;
    this.after(this.timings.taskReconcileMs, () => {
      if (!h.registered || h.pingGen !== pingGen) return;
      h.reconciled = true;
      const t = Date.now();
      for (const task of h.tasks) {
        if (task.state === 'TASK_UNREACHABLE') {
          task.state = 'TASK_RUNNING';
          task.updatedAt = t;
        }
      }
      this.changed();
    });
  }

  leaderPid(): string | undefined {
    const l = this.mesosLeader;
    return l ? `master@${l.spec.address}:${l.spec.ports.mesosMaster}` : undefined;
  }

  // ---- faults and facts ----------------------------------------------------------------------

  /** After faults are cleared: failed units restart (systemd Restart=always), stuck recoveries complete. */
  faultsCleared(h: HostState): void {
    h.mesosVersionOverride = undefined;
    const failed = [...h.units.values()].filter((u) => u.state === 'failed').map((u) => u.def.name);
    if (failed.length > 0) this.startUnits(h, failed);
    if (h.role === 'master') {
      const now = Date.now();
      const ex = h.units.get('dcos-exhibitor');
      if (
        ex?.state === 'active' &&
        h.exhibitor === 'not serving' &&
        now - ex.since >= this.timings.exhibitorRecoveryMs
      ) {
        this.exhibitorConverge(h);
      }
      const cr = h.units.get(this.cockroachUnit(h));
      if (cr?.state === 'active' && !h.cockroachCaughtUp && now - cr.since >= this.timings.cockroachRecoveryMs) {
        this.cockroachCatchUp(h);
      }
    }
    this.changed(h);
  }

  setForceNotServing(h: HostState, on: boolean): void {
    h.forceNotServing = on;
    this.changed();
  }

  /** CockroachDB ranges under-replicated whatever the patch does (helpers: cockroach-underreplicated). */
  cockroachStuckRanges = 0;

  /** Apps whose tasks fail their health checks (Marathon counts them tasksUnhealthy). */
  readonly unhealthyApps = new Set<string>();

  setAppUnhealthy(appId: string, on: boolean): void {
    if (on) this.unhealthyApps.add(appId);
    else this.unhealthyApps.delete(appId);
    this.changed();
  }

  setForceUnregistered(h: HostState, on: boolean): void {
    h.forceUnregistered = on;
    this.changed();
  }

  /** Run-time restart of units by `systemctl stop|start|restart`. */
  systemctl(h: HostState, action: 'start' | 'stop' | 'restart', units: string[]): void {
    if (action !== 'start') this.stopUnits(h, units);
    if (action !== 'stop') this.startUnits(h, units);
  }

  exists(h: HostState, rel: string): boolean {
    return existsSync(path.join(h.spec.root, rel));
  }
}
