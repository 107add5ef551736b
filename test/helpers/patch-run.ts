/**
 * One patch on a fresh simulated cluster for an end-to-end test to steer: the real workflows and
 * activities on a worker against the real dev server, with the helpers the tests read it with.
 */
import assert from 'node:assert/strict';
import {
  WorkflowFailedError,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Plan } from '../../src/shared/plan';
import type { NodeResult, NodeStatus, PatchReport, PendingDecision } from '../../src/shared/status';
import type { SimCluster, SimOptions } from '../../src/sim';
import { nodeStatusQuery, statusQuery } from '../../src/workflows/messages';
import type { PatchClusterInput, patchCluster } from '../../src/workflows/patch-cluster';
import { asReport } from './report';
import { type Env, patchWorker, simWithPlan, waitFor } from './sim-patch';
import { uniqueTaskQueue } from './temporal';

/** Deadlines short enough that a fault that never heals is given up on within seconds. */
export const SHORT_GATES = {
  exhibitorTimeoutMs: 5_000,
  mesosMasterTimeoutMs: 5_000,
  cockroachTimeoutMs: 5_000,
  agentWindowMs: 8_000,
  scriptTimeoutMs: 6_000,
};

export interface Run {
  taskQueue: string;
  cluster: SimCluster;
  plan: Plan;
  h: WorkflowHandleWithFirstExecutionRunId<typeof patchCluster>;
  workflowId: string;
}

/** A 1-master (or 3) cluster with 2 agents, a worker, and a started patch for `fn` to steer. */
export async function withPatch(
  env: Env,
  opts: Partial<SimOptions> & { masters?: number; agents?: number },
  fn: (r: Run) => Promise<void>,
  gates: Partial<Plan['policy']['gates']> = SHORT_GATES,
  /** Change the cluster or the plan before the patch starts (e.g. a host already patched). */
  prepare?: (cluster: SimCluster, plan: Plan) => void,
  /** The rest of the workflow's input (e.g. a small rolloverAfterNodes). */
  input: Omit<PatchClusterInput, 'plan'> = {}
): Promise<void> {
  const { cluster, plan } = await simWithPlan(
    { masters: 1, agents: 2, ...opts },
    { agentConcurrency: 1, gates: gates as Plan['policy']['gates'] }
  );
  try {
    prepare?.(cluster, plan);
    const taskQueue = uniqueTaskQueue('faults');
    const worker = await patchWorker(env.nativeConnection, taskQueue);
    await worker.runUntil(async () => {
      const workflowId = `e2e-fault-${taskQueue}`;
      const h = await env.client.workflow.start<typeof patchCluster>('patchCluster', {
        taskQueue,
        workflowId,
        args: [{ plan, ...input }],
      });
      try {
        await fn({ taskQueue, cluster, plan, h, workflowId });
      } finally {
        await h.terminate('test over').catch(() => undefined);
      }
    });
  } finally {
    await cluster.stop();
  }
}

export async function pendingFor(h: Run['h'], subject: string): Promise<PendingDecision> {
  let found: PendingDecision | undefined;
  await waitFor(
    async () => {
      const { status } = await h.describe();
      if (status.name !== 'RUNNING') {
        const why = await h.result().then(
          (r) => JSON.stringify(r),
          (e) => String(e?.cause?.message ?? e)
        );
        throw new Error(`the patch closed ${status.name} instead of asking about ${subject}: ${why}`);
      }
      found = (await h.query(statusQuery)).pending.find((p) => p.subject === subject);
      return Boolean(found);
    },
    `a decision to be asked for ${subject}`,
    90_000
  );
  return found!;
}

/** The result of a node's workflow; one the patch has yet to start (a decision just sent) is waited for first. */
export async function nodeResult(env: Env, r: Run, node: string, attempt = 1): Promise<NodeResult> {
  const handle = env.client.workflow.getHandle(`${r.workflowId}/${node}/attempt-${attempt}`);
  await waitFor(
    () =>
      handle.describe().then(
        () => true,
        (err) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        }
      ),
    `the node workflow of ${node} attempt ${attempt} to start`
  );
  return (await handle.result()) as NodeResult;
}

export function diagnosticCommands(n: NodeResult): string {
  return n.diagnostics?.sections.map((s) => s.command).join('\n') ?? '';
}

export async function failedReport(h: Run['h']): Promise<PatchReport> {
  const err = await h.result().then(
    () => undefined,
    (e) => e
  );
  assert.ok(err instanceof WorkflowFailedError, `expected the patch to fail, got ${String(err)}`);
  assert.ok(err.cause instanceof ApplicationFailure);
  return asReport(err.cause.details?.[0]);
}

/**
 * Wait for the patch to get somewhere (a liveness bound, ~10× what it takes on a quiet machine);
 * if it does not, say where it stands instead, down to the step each node in flight is on.
 */
export async function progressTo(r: Run, fn: () => boolean, what: string): Promise<void> {
  try {
    await waitFor(fn, what, 120_000);
  } catch (err) {
    const st = await r.h.query(statusQuery).catch(() => undefined);
    const step = async (n: NodeStatus) => {
      if (n.state !== 'patching' || !n.workflowId) return '';
      const p = await r.h.client
        .getHandle(n.workflowId)
        .query(nodeStatusQuery)
        .catch(() => undefined);
      return p ? ` [${p.state}: ${p.step}]` : '';
    };
    const nodes = await Promise.all(
      (st?.nodes ?? []).map(async (n) => `${n.id} ${n.state}${await step(n)}: ${n.note ?? ''}`)
    );
    throw new Error(
      `${String(err)}; pending: ${JSON.stringify(st?.pending)}; doing: ${st?.activity}\n  ${nodes.join('\n  ')}`
    );
  }
}

export function scriptRuns(c: SimCluster, node: string): number {
  return c.truth().hosts[node]?.scriptRuns ?? 0;
}

/** Until the node's script has started on the host (ground truth), within a liveness bound. */
export async function scriptStarted(c: SimCluster, node: string, what: string): Promise<void> {
  await waitFor(() => scriptRuns(c, node) > 0, what, 120_000);
}

/** When a host's script first started and last ended (ground truth; Infinity while one still runs). */
export function scriptSpan(cluster: SimCluster, node: string): { start: number; end: number } {
  const mine = cluster.truth().scriptRuns.filter((x) => x.node === node);
  return { start: Math.min(...mine.map((x) => x.startedAt)), end: Math.max(...mine.map((x) => x.endedAt ?? Infinity)) };
}
