/**
 * End-to-end plumbing: a simulated cluster (real SSH/HTTP/bash), its plan checked by the real
 * plan check, and the real workflows + activities on a worker against the real dev server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../../src/activities';
import { checkPlanFile } from '../../src/plan/check';
import type { Plan } from '../../src/shared/plan';
import type { PatchReport } from '../../src/shared/status';
import { type SimCluster, type SimOptions, startCluster } from '../../src/sim';
import { WORKER_TUNING } from '../../src/worker';
import { asReport } from './report';
import { uniqueTaskQueue, workflowBundle } from './temporal';

/** Gate timings small enough for tests, long enough for the simulator's dynamics. */
export const FAST_GATES = {
  pollIntervalMs: 150,
  stablePolls: 2,
  exhibitorTimeoutMs: 20_000,
  mesosMasterTimeoutMs: 20_000,
  cockroachTimeoutMs: 20_000,
  cockroachPollIntervalMs: 200,
  agentWindowMs: 20_000,
  scriptTimeoutMs: 30_000,
};

export const FAST_SIM: SimOptions['timings'] = {
  scriptMs: 1_200,
  exhibitorRecoveryMs: 400,
  registrarRecoveryMs: 300,
  cockroachRecoveryMs: 400,
  agentReregisterMs: 200,
  taskReconcileMs: 200,
  agentPingTimeoutMs: 20_000,
  leaderElectionMs: 200,
};

export async function simWithPlan(
  opts: Partial<SimOptions> & Pick<SimOptions, 'masters' | 'agents'>,
  policy: Partial<Plan['policy']> = {}
): Promise<{ cluster: SimCluster; plan: Plan }> {
  const cluster = await startCluster({ version: '2.1.4', ...opts, timings: { ...FAST_SIM, ...opts.timings } });
  try {
    const checked = checkPlanFile(cluster.planPath);
    if (!checked.plan) {
      throw new Error(`the simulator's plan does not check: ${JSON.stringify(checked.findings, null, 2)}`);
    }
    const plan: Plan = {
      ...checked.plan,
      policy: { ...checked.plan.policy, ...policy, gates: { ...FAST_GATES, ...policy.gates } },
      backups: { zookeeper: 'take', iam: 'take' },
    };
    return { cluster, plan };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

export async function waitFor(fn: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** A worker with the real workflows and activities on `taskQueue` (run it with runUntil). */
export async function patchWorker(connection: NativeConnection, taskQueue: string): Promise<Worker> {
  return Worker.create({
    connection,
    taskQueue,
    workflowBundle: await workflowBundle(require.resolve('../../src/workflows')),
    activities,
    ...WORKER_TUNING,
  });
}

export type Env = TestWorkflowEnvironment;

/** Run one patch of `plan` to its end on a fresh worker and task queue; its report. */
export async function patchToEnd(env: Env, plan: Plan, prefix: string): Promise<PatchReport> {
  const taskQueue = uniqueTaskQueue(prefix);
  const worker = await patchWorker(env.nativeConnection, taskQueue);
  return asReport(
    await worker.runUntil(
      env.client.workflow.execute('patchCluster', { taskQueue, workflowId: `${prefix}-${taskQueue}`, args: [{ plan }] })
    )
  );
}
