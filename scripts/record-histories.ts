/**
 * Records the histories the replay test (test/replay/replay.test.ts) replays: real runs of the
 * current workflows on the simulator — a plain patch, a master that failed and was retried, a
 * pause and resume, a continue-as-new, the operator's controls (a ramp, a window, webhooks, an
 * agent retried within the budget), a workload canary across continue-as-new with an incident
 * approved, agents in flight handed over at a continue-as-new — each patchCluster run and one
 * patchNode child of each.
 *
 *   npm run record-histories            (a dev server of its own, or TEMPORAL_TEST_ADDRESS)
 *   npm run record-histories -- --prefix v3 --only operator   (add one case beside the others)
 *
 * Refresh them on purpose only: when a workflow change is meant to be incompatible with running
 * patches (and the versioning story in docs/versioning.md says how it ships), or to add a case.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DEFAULT_CANARY, type Plan } from '../src/shared/plan';
import type { PatchStatus } from '../src/shared/status';
import type { SimCluster } from '../src/sim';
import type { patchCluster } from '../src/workflows/patch-cluster';
import { type Env, patchWorker, simWithPlan, waitFor } from '../test/helpers/sim-patch';
import { startTestEnvironment } from '../test/helpers/temporal';

const OUT = join(__dirname, '..', 'test', 'replay', 'histories');

type Handle = WorkflowHandle<typeof patchCluster>;
interface Scenario {
  name: string;
  masters: 1 | 3;
  agents: number;
  rolloverAfterNodes?: number;
  /** Change the plan (or the cluster) before the patch starts. */
  prepare?: (plan: Plan, cluster: SimCluster) => void;
  /** Steer the patch while it runs. */
  steer?: (h: Handle, cluster: SimCluster) => Promise<void>;
  /** The child whose history is kept too. */
  child: (cluster: SimCluster) => string;
}

async function status(h: Handle): Promise<PatchStatus> {
  return (await h.query('status')) as PatchStatus;
}

const SCENARIOS: Scenario[] = [
  { name: 'plain', masters: 3, agents: 2, child: (c) => `${c.masters[0]!.id}/attempt-1` },
  {
    name: 'master-retry',
    masters: 1,
    agents: 1,
    steer: async (h, cluster) => {
      const m = cluster.masters[0]!.id;
      cluster.inject(m, { kind: 'script-exit', code: 3 });
      await waitFor(async () => (await status(h)).pending.some((p) => p.subject === m), 'the master to ask', 120_000);
      cluster.clearFaults(m);
      const question = (await status(h)).pending.find((p) => p.subject === m)?.id;
      await h.executeUpdate('decide', { args: [{ subject: m, decision: 'retry', question }] });
    },
    child: (c) => `${c.masters[0]!.id}/attempt-1`,
  },
  {
    name: 'pause-resume',
    masters: 1,
    agents: 2,
    steer: async (h) => {
      await waitFor(async () => (await status(h)).phase === 'masters', 'the masters phase', 120_000);
      await h.signal('pause', { reason: 'recording' });
      await new Promise((r) => setTimeout(r, 3_000));
      await h.signal('resume');
    },
    child: (c) => `${c.agents[0]!.id}/attempt-1`,
  },
  {
    name: 'operator',
    masters: 1,
    agents: 3,
    prepare: (plan) => {
      const now = Date.now();
      plan.policy.agentConcurrency = 2;
      plan.policy.agentFailureBudget = 1;
      plan.policy.agentRamp = [1, '100%'];
      // Open for one more minute, a node estimated at an hour: the first master waits for approval.
      plan.policy.windows = [{ fromMs: now - 60_000, toMs: now + 60_000 }];
      plan.policy.windowMinNodeMs = 3_600_000;
      // Nothing listens there: every message fails, and the patch never waits for it.
      plan.notify = [
        { url: 'http://127.0.0.1:9/hooks/dcos-patch', events: ['started', 'phase', 'node-failed', 'finished'] },
      ];
    },
    steer: async (h, cluster) => {
      await waitFor(
        async () => (await status(h)).pending.some((p) => p.subject === 'window'),
        'the window wait',
        120_000
      );
      const w = (await status(h)).pending.find((p) => p.subject === 'window')!;
      await h.executeUpdate('decide', { args: [{ subject: 'window', decision: 'approve', question: w.id }] });
      const a = cluster.agents[1]!.id;
      cluster.inject(a, { kind: 'script-exit', code: 3 });
      let retry: string | undefined;
      await waitFor(
        async () => {
          retry = (await status(h)).nodes.find((n) => n.id === a)?.retryQuestion;
          return retry !== undefined;
        },
        'the agent to fail within the budget',
        120_000
      );
      cluster.clearFaults(a);
      await h.executeUpdate('decide', { args: [{ subject: a, decision: 'retry', question: retry }] });
    },
    child: (c) => `${c.agents[1]!.id}/attempt-2`,
  },
  {
    name: 'canary',
    masters: 3,
    agents: 3,
    rolloverAfterNodes: 4,
    prepare: (plan) => {
      plan.canary = { ...DEFAULT_CANARY, appId: '/replay-canary', instances: 2, pollIntervalMs: 500 };
    },
    steer: async (h, cluster) => {
      const second = cluster.masters[1]!.id;
      await waitFor(() => (cluster.truth().hosts[second]?.scriptRuns ?? 0) > 0, 'the second master to start', 120_000);
      cluster.killTask('/replay-canary');
      await waitFor(
        async () => (await status(h)).pending.some((p) => p.subject === 'canary'),
        'the canary incident',
        120_000
      );
      const q = (await status(h)).pending.find((p) => p.subject === 'canary')!;
      await h.executeUpdate('decide', { args: [{ subject: 'canary', decision: 'approve', question: q.id }] });
    },
    child: (c) => `${c.masters[1]!.id}/attempt-1`,
  },
  {
    name: 'continue-as-new',
    masters: 1,
    agents: 4,
    rolloverAfterNodes: 2,
    child: (c) => `${c.agents[3]!.id}/attempt-1`,
  },
  {
    // Agents in flight handed to the next run (a slow first agent still running at the rollover).
    name: 'hand-over',
    masters: 1,
    agents: 5,
    rolloverAfterNodes: 2,
    prepare: (plan, cluster) => {
      plan.policy.agentConcurrency = 2;
      cluster.inject(cluster.agents[0]!.id, { kind: 'script-slow', ms: 8_000 });
    },
    child: (c) => `${c.agents[0]!.id}/attempt-1`,
  },
];

async function record(env: Env, s: Scenario): Promise<void> {
  const { cluster, plan } = await simWithPlan({ masters: s.masters, agents: s.agents }, { agentConcurrency: 1 });
  s.prepare?.(plan, cluster);
  const taskQueue = `record-${s.name}-${Date.now()}`;
  const worker = await patchWorker(env.nativeConnection, taskQueue);
  try {
    await worker.runUntil(async () => {
      const workflowId = `replay-${s.name}`;
      const h = await env.client.workflow.start<typeof patchCluster>('patchCluster', {
        taskQueue,
        workflowId: `${workflowId}-${Date.now()}`,
        args: [{ plan, ...(s.rolloverAfterNodes ? { rolloverAfterNodes: s.rolloverAfterNodes } : {}) }],
      });
      await s.steer?.(h, cluster);
      await h.result();
      const runs = await runsOf(env, h.workflowId);
      for (const [i, json] of runs.entries()) write(`${s.name}.patchCluster.run-${i + 1}.json`, h.workflowId, json);
      const childId = `${h.workflowId}/${s.child(cluster)}`;
      const child = await env.client.workflow.getHandle(childId).fetchHistory();
      write(`${s.name}.patchNode.json`, childId, historyToJSON(child));
    });
  } finally {
    await cluster.stop();
  }
}

/** Every run of the workflow, oldest first (continue-as-new starts a new run under the same id). */
async function runsOf(env: Env, workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push(historyToJSON(await env.client.workflow.getHandle(workflowId, w.runId).fetchHistory()));
  }
  return runs.reverse();
}

/**
 * `--prefix <p>`: record beside the histories already there (`<p>-plain.patchCluster.run-1.json`,
 * …), keeping the old ones: they prove a `patched()` change's old path still replays.
 */
const at = process.argv.indexOf('--prefix');
const PREFIX = at >= 0 ? `${process.argv[at + 1]}-` : '';
/** `--only a,b`: record just these cases. */
const only = process.argv.indexOf('--only');
const ONLY = only >= 0 ? process.argv[only + 1]!.split(',') : undefined;

/** Replay needs each history's workflow id (child ids derive from it): kept in index.json. */
const index: Record<string, string> =
  PREFIX && existsSync(join(OUT, 'index.json')) ? JSON.parse(readFileSync(join(OUT, 'index.json'), 'utf8')) : {};

function write(bare: string, workflowId: string, json: string): void {
  const name = `${PREFIX}${bare}`;
  index[name] = workflowId;
  writeFileSync(join(OUT, name), `${json}\n`);
  console.error(`record-histories: test/replay/histories/${name} (${(json.length / 1024).toFixed(0)} KiB)`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const env = await startTestEnvironment();
  try {
    for (const s of SCENARIOS.filter((x) => !ONLY || ONLY.includes(x.name))) await record(env, s);
    writeFileSync(join(OUT, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
