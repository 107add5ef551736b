/**
 * How close a patch comes to what the cluster's own dynamics allow (issue 13's table).
 *
 * For each size it starts a simulated cluster (script 2 s, recoveries 1–1.5 s), a dev server, and
 * the compiled worker as its own process (dist/worker.js, as operators run it); patches the
 * cluster; samples the `status` query during the agent phase; SIGKILLs the worker once mid-agents
 * and starts another; then prints one table and writes JSON under bench/results/.
 *
 *   tsx bench/rollout.ts [--sizes 20/5,100/20,1000/50] [--gates short,default] [--probes ssh|http] [--no-kill] [--rollover-after N] [--profile-worker DIR] [--trace-kill] [--trace-start]
 *   npm run bench -- rollout                       (5,000 agents: --sizes 5000/100, opt-in)
 *
 * Gate profiles: short = poll 500 ms × 3 stable polls (the simulator's pace); default = the
 * product's defaults (5 s × 3).
 *
 * ideal = generator + Σ masters (script + slowest recovery + hold)
 *       + ⌈agents / concurrency⌉ × (script + re-register + reconcile + hold),
 * hold = (stablePolls − 1) × pollInterval (one shared stability hold per node).
 * Prints numbers; asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { checkPlanFile } from '../src/plan/check';
import { nodeWorkflowId } from '../src/shared/node-columns';
import { DEFAULT_GATES, type GateTimings, type Plan } from '../src/shared/plan';
import { ALL_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import type { PatchStatus } from '../src/shared/status';
import { startCluster } from '../src/sim';
import type { SimCluster, SimTimings } from '../src/sim/types';
import { statusQuery } from '../src/workflows/messages';
import { asReport } from '../test/helpers/report';
import { countTaskTimeouts, printAgentBreakdown, printKillTrace, printStartTrace } from './kill-trace';

const ROOT = join(__dirname, '..');
const SIM: Partial<SimTimings> = {
  scriptMs: 2_000,
  exhibitorRecoveryMs: 1_500,
  registrarRecoveryMs: 1_000,
  cockroachRecoveryMs: 1_500,
  agentReregisterMs: 1_000,
  taskReconcileMs: 500,
  leaderElectionMs: 500,
  generatorMs: 1_000,
};
const GATE_PROFILES: Record<string, GateTimings> = {
  short: { ...DEFAULT_GATES, pollIntervalMs: 500, stablePolls: 3, cockroachPollIntervalMs: 500 },
  default: DEFAULT_GATES,
};

interface Row {
  size: string;
  gates: string;
  agents: number;
  concurrency: number;
  outcome: string;
  idealS: number;
  measuredS: number;
  efficiency: number;
  inFlightMax: number;
  inFlightMean: number;
  downMax: number;
  prePhaseS: number;
  perMasterS: number;
  perAgentOverheadS: number;
  parentEvents: number;
  parentRuns: number;
  childEventsMean: number;
  workerPeakRssMb: number;
  workerCpuS: number;
  /** This process (the simulator: its SSH/HTTP servers) and the host shells it ran, minus the workers. */
  simCpuS: number;
  statusP50Ms: number;
  statusP95Ms: number;
  /** Status queries that failed (they count in p50/p95 with the time they took). */
  statusFailed: number;
  /** Workflow tasks that timed out (sticky queue, worker lost) in the parent's last run and ≤ 200 node workflows. */
  taskTimeouts: number;
  killToProgressS?: number;
  scriptRunsMax: number;
  mastersDownMax: number;
  tasksLost: number;
  /** SSH logins (new connections) per agent over the whole patch, counted by the simulated sshd. */
  sshLoginsPerAgent: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function idealS(agents: number, concurrency: number, g: GateTimings, t: Required<typeof SIM>): number {
  const hold = ((g.stablePolls - 1) * g.pollIntervalMs) / 1000;
  const master =
    t.scriptMs / 1000 + Math.max(t.exhibitorRecoveryMs, t.registrarRecoveryMs, t.cockroachRecoveryMs) / 1000 + hold;
  const agent = (t.scriptMs + t.agentReregisterMs + t.taskReconcileMs) / 1000 + hold;
  return t.generatorMs / 1000 + 3 * master + Math.ceil(agents / concurrency) * agent;
}

/** `--rollover-after N`: continue-as-new every N node workflows (the server's own suggestion comes at thousands). */
const ROLLOVER_AFTER = Number(arg('rollover-after', '0'));

/** `--trace-kill`: print the events of every node workflow open at the SIGKILL (bench/kill-trace.ts). */
const TRACE_KILL = process.argv.includes('--trace-kill');

/** `--trace-start`: print the parent's events before the first master, one mid-rollout agent's events, and where agents' time went on average. */
const TRACE_START = process.argv.includes('--trace-start');

/** `--profile-worker <dir>`: the worker writes a V8 CPU profile there when it stops (SIGTERM at the end). */
const PROFILE_DIR = process.argv.includes('--profile-worker') ? arg('profile-worker', '') : '';

function startWorker(address: string, taskQueue: string): ChildProcess {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const w = spawn(process.execPath, [...profile, join(ROOT, 'dist/worker.js')], {
    env: { ...process.env, TEMPORAL_ADDRESS: address, DCOS_PATCH_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  w.stderr?.on('data', (d: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(d);
  });
  return w;
}

/** The fields of /proc/<pid>/stat after the command name (utime is [11], stime [12], cutime [13], cstime [14]). */
function statFields(pid: number | 'self'): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** CPU seconds of this process and of its children that have exited (the simulator's shells, killed workers). */
function selfAndChildrenCpuS(): number {
  const f = statFields('self');
  return (f[11]! + f[12]! + f[13]! + f[14]!) / 100;
}

/** Peak RSS (VmHWM) in MB and CPU seconds (user + system) of a live process. */
function procUsage(pid: number): { rssMb: number; cpuS: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    const f = statFields(pid);
    return { rssMb: hwm, cpuS: (f[11]! + f[12]!) / 100 };
  } catch {
    return { rssMb: 0, cpuS: 0 };
  }
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const finished = (st: PatchStatus) =>
  st.nodes.filter((n) => !['pending', 'checking', 'staging', 'preparing', 'patching', 'verifying'].includes(n.state))
    .length;
const inFlightOf = (st: PatchStatus) =>
  st.nodes.filter(
    (n) => n.role !== 'master' && ['checking', 'staging', 'preparing', 'patching', 'verifying'].includes(n.state)
  ).length;

async function runOne(
  env: TestWorkflowEnvironment,
  agents: number,
  concurrency: number,
  gatesName: string,
  kill: boolean
): Promise<Row> {
  const gates = GATE_PROFILES[gatesName]!;
  // probes: ssh (the default) runs each health probe as curl on the node over SSH; http asks from the worker.
  const probes = arg('probes', 'ssh') === 'http' ? 'http' : 'ssh';
  const cluster: SimCluster = await startCluster({ version: '2.1.4', masters: 3, agents, timings: SIM, probes });
  const address = env.address;
  const taskQueue = `bench-rollout-${agents}-${gatesName}-${Date.now()}`;
  const client = new Client({ connection: await Connection.connect({ address }) });
  let worker = startWorker(address, taskQueue);
  const usage = { rssMb: 0, cpuS: 0 };
  const track = () => {
    const u = procUsage(worker.pid!);
    usage.rssMb = Math.max(usage.rssMb, u.rssMb);
    return u;
  };
  try {
    const checked = checkPlanFile(cluster.planPath);
    if (!checked.plan) throw new Error(JSON.stringify(checked.findings));
    const plan: Plan = {
      ...checked.plan,
      policy: { ...checked.plan.policy, agentConcurrency: concurrency, gates },
      backups: { zookeeper: 'take', iam: 'take' },
    };
    const workflowId = `bench-rollout-${agents}-${gatesName}-${Date.now()}`;
    const t0 = Date.now();
    const simCpu0 = selfAndChildrenCpuS();
    const handle = await client.workflow.start('patchCluster', {
      taskQueue,
      workflowId,
      args: [{ plan, ...(ROLLOVER_AFTER ? { rolloverAfterNodes: ROLLOVER_AFTER } : {}) }],
    });
    const latencies: number[] = [];
    const inFlight: number[] = [];
    let agentsFrom = 0;
    let mastersFrom = 0;
    let killAt: { at: number; done: number } | undefined;
    let killToProgressS: number | undefined;
    let cpuBeforeKill = 0;
    let statusFailed = 0;
    const result = handle.result().then(asReport);
    let over = false;
    result.finally(() => {
      over = true;
    });
    while (!over) {
      await new Promise((r) => setTimeout(r, 500));
      if (over) break;
      track();
      const q0 = performance.now();
      const st = (await handle.query(statusQuery).catch(() => undefined)) as PatchStatus | undefined;
      if (!st) {
        // A status that failed (e.g. its worker was just killed) counts, with the time it took.
        if (agentsFrom) latencies.push(performance.now() - q0);
        statusFailed += 1;
        continue;
      }
      if (st.phase === 'masters' && !mastersFrom) mastersFrom = Date.now();
      if (st.phase !== 'agents') continue;
      latencies.push(performance.now() - q0);
      if (!agentsFrom) agentsFrom = Date.now();
      inFlight.push(inFlightOf(st));
      const done = finished(st);
      if (kill && !killAt && done >= 3 + agents * 0.4) {
        cpuBeforeKill = procUsage(worker.pid!).cpuS;
        worker.kill('SIGKILL');
        killAt = { at: Date.now(), done };
        worker = startWorker(address, taskQueue);
      } else if (killAt && killToProgressS === undefined && done > killAt.done) {
        killToProgressS = (Date.now() - killAt.at) / 1000;
      }
    }
    const report = await result;
    const measuredS = (Date.now() - t0) / 1000;
    if (TRACE_KILL && killAt) await printKillTrace(client, workflowId, killAt.at);
    if (TRACE_START) await printStartTrace(client, workflowId, midAgentWorkflowId(report, workflowId));
    const u = track();
    usage.cpuS = cpuBeforeKill + u.cpuS;
    const simCpuS = selfAndChildrenCpuS() - simCpu0 - cpuBeforeKill;
    const truth = cluster.truth();
    const hosts = Object.values(truth.hosts).filter((h) => h.role !== 'bootstrap');
    const runs = [];
    for await (const r of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r);
    const children = [];
    for await (const c of client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowId}/'` })) {
      children.push(c);
      if (children.length >= 200) break;
    }
    if (TRACE_START)
      await printAgentBreakdown(
        client,
        children.map((c) => c.workflowId).filter((id) => !id.includes('/master-'))
      );
    const masters = report.nodes.filter((n) => n.role === 'master');
    const meanS = (ns: typeof report.nodes) =>
      ns.reduce((a, n) => a + ((n.finishedAtMs ?? 0) - (n.startedAtMs ?? 0)), 0) / Math.max(1, ns.length) / 1000;
    const agentCycleS =
      (SIM.scriptMs! + SIM.agentReregisterMs! + SIM.taskReconcileMs!) / 1000 +
      ((gates.stablePolls - 1) * gates.pollIntervalMs) / 1000;
    const ideal = idealS(agents, concurrency, gates, SIM as Required<typeof SIM>);
    const pre = (mastersFrom || agentsFrom) - t0;
    return {
      size: `${agents}/${concurrency}`,
      gates: gatesName,
      agents,
      concurrency,
      outcome: report.outcome,
      idealS: ideal,
      measuredS,
      efficiency: ideal / measuredS,
      inFlightMax: Math.max(0, ...inFlight),
      inFlightMean: inFlight.reduce((a, b) => a + b, 0) / Math.max(1, inFlight.length),
      downMax: truth.maxAgentsDownAtOnce,
      prePhaseS: pre / 1000,
      perMasterS: meanS(masters),
      perAgentOverheadS: meanS(report.nodes.filter((n) => n.role !== 'master')) - agentCycleS,
      parentEvents: runs.reduce((a, r) => a + (r.historyLength ?? 0), 0),
      parentRuns: runs.length,
      childEventsMean: children.reduce((a, c) => a + (c.historyLength ?? 0), 0) / Math.max(1, children.length),
      workerPeakRssMb: usage.rssMb,
      workerCpuS: usage.cpuS,
      simCpuS,
      statusP50Ms: pct(latencies, 50),
      statusP95Ms: pct(latencies, 95),
      statusFailed,
      taskTimeouts: await countTaskTimeouts(client, [workflowId, ...children.map((c) => c.workflowId)]),
      ...(killToProgressS !== undefined ? { killToProgressS } : {}),
      scriptRunsMax: Math.max(...hosts.map((h) => h.scriptRuns)),
      mastersDownMax: truth.maxMastersDownAtOnce,
      tasksLost: truth.tasksLost.length,
      sshLoginsPerAgent:
        hosts.filter((h) => h.role !== 'master').reduce((a, h) => a + h.sshLogins, 0) /
        Math.max(1, hosts.filter((h) => h.role !== 'master').length),
    };
  } finally {
    await stopWorker(worker);
    await cluster.stop();
  }
}

/** The node workflow of the agent in the middle of the rollout (a full window around it). */
function midAgentWorkflowId(report: ReturnType<typeof asReport>, workflowId: string): string | undefined {
  const agentNodes = report.nodes.filter((n) => n.role !== 'master');
  const mid = agentNodes[Math.floor(agentNodes.length / 2)];
  return mid ? nodeWorkflowId(workflowId, mid.id, Math.max(1, mid.attempts ?? 1)) : undefined;
}

/** SIGKILL, or with --profile-worker a SIGTERM and its exit (the profile is written on a clean exit). */
async function stopWorker(w: ChildProcess): Promise<void> {
  if (!PROFILE_DIR || w.exitCode !== null) {
    w.kill('SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  w.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
  w.kill('SIGKILL');
}

function table(rows: Row[]): string {
  const f = (n: number, d = 1) => n.toFixed(d);
  const head =
    '| agents / conc. | gates | ideal | measured | efficiency | in flight max / mean | down max | pre-phase | per master | per-agent overhead | parent events (runs) | child events | worker RSS | worker CPU | sim CPU | status p50 / p95 (failed) | task timeouts | SIGKILL → progress | outcome |';
  const sep = `|${' --- |'.repeat(19)}`;
  const lines = rows.map(
    (r) =>
      `| ${r.size} | ${r.gates} | ${f(r.idealS)} s | ${f(r.measuredS)} s | ${f(r.efficiency, 2)} | ${r.inFlightMax} / ${f(r.inFlightMean)} | ${r.downMax} | ${f(r.prePhaseS)} s | ${f(r.perMasterS)} s | ${f(r.perAgentOverheadS)} s | ${r.parentEvents} (${r.parentRuns}) | ${f(r.childEventsMean, 0)} | ${f(r.workerPeakRssMb, 0)} MB | ${f(r.workerCpuS)} s | ${f(r.simCpuS)} s | ${f(r.statusP50Ms, 0)} / ${f(r.statusP95Ms, 0)} ms (${r.statusFailed}) | ${r.taskTimeouts} | ${r.killToProgressS === undefined ? '—' : `${f(r.killToProgressS)} s`} | ${r.outcome}, runs/host ≤ ${r.scriptRunsMax}, masters down ≤ ${r.mastersDownMax}, tasks lost ${r.tasksLost}, SSH logins/agent ${f(r.sshLoginsPerAgent, 1)} |`
  );
  return [head, sep, ...lines].join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/worker.js'))) throw new Error('dist/worker.js is missing: npm run build first');
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is not set (npm run bench sets it)');
  const sizes = arg('sizes', '20/5,100/20,1000/50')
    .split(',')
    .map((s) => s.split('/').map(Number) as [number, number]);
  const profiles = arg('gates', 'short,default').split(',');
  const kill = !process.argv.includes('--no-kill');
  const rows: Row[] = [];
  for (const gates of profiles) {
    for (const [agents, concurrency] of sizes) {
      const env = await TestWorkflowEnvironment.createLocal({
        server: { executable: { type: 'existing-path', path }, searchAttributes: ALL_SEARCH_ATTRIBUTES },
      });
      try {
        const row = await runOne(env, agents, concurrency, gates, kill);
        rows.push(row);
        console.log(table([row]).split('\n').at(-1));
      } finally {
        await env.teardown();
      }
    }
  }
  console.log(`\n${table(rows)}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `rollout-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine: machine(), sim: SIM, rows }, null, 2)}\n`);
  console.log(`written ${file}`);
}

function machine(): Record<string, unknown> {
  const os = require('node:os') as typeof import('node:os');
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
