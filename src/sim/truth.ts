/**
 * Ground truth: what really happened on the simulated cluster, independent of what dcos-patch
 * believes. Tests read it to prove "script ran once per host", "never two masters down", "no task
 * lost", "no new node started while paused".
 */
import type { CommandRecord, GroundTruth, HostTruth, Interval, ScriptRunRecord } from './types';

export interface HostLog {
  commands: CommandRecord[];
  /** SSH logins accepted (sshd's "Accepted publickey"): one per connection. */
  sshLogins: number;
  scriptInvocations: number;
  scriptRuns: number;
  scriptStartedAt: number[];
  unitDownIntervals: (Interval & { unit: string })[];
  downIntervals: Interval[];
}

function emptyHostLog(): HostLog {
  return {
    commands: [],
    sshLogins: 0,
    scriptInvocations: 0,
    scriptRuns: 0,
    scriptStartedAt: [],
    unitDownIntervals: [],
    downIntervals: [],
  };
}

export class TruthRecorder {
  readonly hosts = new Map<string, HostLog>();
  scriptRuns: ScriptRunRecord[] = [];
  maxMastersDownAtOnce = 0;
  maxAgentsDownAtOnce = 0;
  tasksLost: GroundTruth['tasksLost'] = [];
  agentDowntimeMaxMs = 0;
  backups: GroundTruth['backups'] = { zookeeper: [], iam: [] };
  generatorRuns: GroundTruth['generatorRuns'] = [];
  bootstrapRequests: GroundTruth['bootstrapRequests'] = [];

  host(id: string): HostLog {
    let log = this.hosts.get(id);
    if (!log) {
      log = emptyHostLog();
      this.hosts.set(id, log);
    }
    return log;
  }

  command(id: string, command: string): void {
    this.host(id).commands.push({ at: Date.now(), command });
  }

  sshLogin(id: string): void {
    this.host(id).sshLogins++;
  }

  scriptInvoked(id: string): void {
    this.host(id).scriptInvocations++;
  }

  scriptStarted(id: string, upgradeId: string): ScriptRunRecord {
    const at = Date.now();
    const log = this.host(id);
    log.scriptRuns++;
    log.scriptStartedAt.push(at);
    const run: ScriptRunRecord = { node: id, upgradeId, startedAt: at };
    this.scriptRuns.push(run);
    return run;
  }

  scriptEnded(id: string, exitCode: number): void {
    for (let i = this.scriptRuns.length - 1; i >= 0; i--) {
      const run = this.scriptRuns[i]!;
      if (run.node === id && run.endedAt === undefined) {
        run.endedAt = Date.now();
        run.exitCode = exitCode;
        return;
      }
    }
  }

  unitDown(id: string, unit: string): void {
    const list = this.host(id).unitDownIntervals;
    if (!list.some((i) => i.unit === unit && i.to === undefined)) list.push({ unit, from: Date.now() });
  }

  unitUp(id: string, unit: string): void {
    for (const i of this.host(id).unitDownIntervals) if (i.unit === unit && i.to === undefined) i.to = Date.now();
  }

  hostDown(id: string, at: number): void {
    this.host(id).downIntervals.push({ from: at });
  }

  hostUp(id: string, at: number): void {
    for (const i of this.host(id).downIntervals) if (i.to === undefined) i.to = at;
  }

  /** Clear logs and counters; outages in progress stay open so they still close properly. */
  reset(mastersDownNow: number, agentsDownNow: number): void {
    for (const log of this.hosts.values()) {
      log.commands = [];
      log.sshLogins = 0;
      log.scriptInvocations = 0;
      log.scriptRuns = 0;
      log.scriptStartedAt = [];
      log.unitDownIntervals = log.unitDownIntervals.filter((i) => i.to === undefined);
      log.downIntervals = log.downIntervals.filter((i) => i.to === undefined);
    }
    this.scriptRuns = this.scriptRuns.filter((r) => r.endedAt === undefined);
    this.maxMastersDownAtOnce = mastersDownNow;
    this.maxAgentsDownAtOnce = agentsDownNow;
    this.tasksLost = [];
    this.agentDowntimeMaxMs = 0;
    this.backups = { zookeeper: [], iam: [] };
    this.generatorRuns = [];
    this.bootstrapRequests = [];
  }

  snapshotHost(
    id: string
  ): Pick<
    HostTruth,
    | 'commands'
    | 'sshLogins'
    | 'scriptRuns'
    | 'scriptInvocations'
    | 'scriptStartedAt'
    | 'unitDownIntervals'
    | 'downIntervals'
  > {
    const log = this.host(id);
    return {
      commands: log.commands.map((c) => ({ ...c })),
      sshLogins: log.sshLogins,
      scriptRuns: log.scriptRuns,
      scriptInvocations: log.scriptInvocations,
      scriptStartedAt: [...log.scriptStartedAt],
      unitDownIntervals: log.unitDownIntervals.map((i) => ({ ...i })),
      downIntervals: log.downIntervals.map((i) => ({ ...i })),
    };
  }
}

/** The most runs under way at one moment (a run not ended yet lasts until `now`). */
export function maxOverlap(runs: ScriptRunRecord[], now: number): number {
  const edges = runs.flatMap((r) => [
    { at: r.startedAt, d: 1 },
    { at: r.endedAt ?? now, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const e of edges) {
    cur += e.d;
    max = Math.max(max, cur);
  }
  return max;
}
