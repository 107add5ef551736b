// Shared by the activity integration tests: a simulated cluster, its checked plan and targets.
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { closeAllHttp } from '../../src/activities/http';
import { closeAllSsh } from '../../src/activities/ssh';
import { loadPlan } from '../../src/plan/check';
import type { GateInput, NodeTarget } from '../../src/shared/activity-types';

import type { NodeSpec, Plan } from '../../src/shared/plan';
import { type SimCluster, type SimOptions, startCluster } from '../../src/sim';

export const FAST_TIMINGS: SimOptions['timings'] = {
  scriptMs: 1_500,
  exhibitorRecoveryMs: 400,
  registrarRecoveryMs: 300,
  cockroachRecoveryMs: 400,
  agentReregisterMs: 200,
  taskReconcileMs: 200,
  agentPingTimeoutMs: 60_000,
  leaderElectionMs: 200,
  generatorMs: 200,
};

export interface Sim {
  cluster: SimCluster;
  plan: Plan;
  node(id: string): NodeSpec;
  target(id: string): NodeTarget;
  gateInput(id: string, over?: Partial<GateInput>): GateInput;
  stop(): Promise<void>;
}

export async function startSim(opts: Partial<SimOptions> = {}): Promise<Sim> {
  const cluster = await startCluster({
    masters: 3,
    agents: 2,
    version: '2.1.4',
    ...opts,
    timings: { ...FAST_TIMINGS, ...opts.timings },
  });
  const plan = loadPlan(cluster.planPath);
  const all = [...plan.masters, ...plan.agents, ...plan.publicAgents];
  const node = (id: string): NodeSpec => {
    const n = all.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id} in the plan (${all.map((x) => x.id).join(', ')})`);
    return n;
  };
  const target = (id: string): NodeTarget => ({
    node: node(id),
    ssh: plan.ssh,
    http: plan.http,
    remoteWorkDir: plan.remoteWorkDir,
  });
  return {
    cluster,
    plan,
    node,
    target,
    gateInput: (id, over = {}) => ({
      target: target(id),
      masters: plan.masters,
      pollIntervalMs: 100,
      stablePolls: 2,
      deadlineMs: Date.now() + 10_000,
      ...over,
    }),
    stop: async () => {
      closeAllSsh();
      await closeAllHttp();
      await cluster.stop();
    },
  };
}

/** Activity failures are what these tests expect: keep them out of the test output. */
const quiet: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A fresh mock activity context (heartbeats recorded). */
export function mockEnv(): { env: MockActivityEnvironment; beats: unknown[] } {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }, { logger: quiet });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { env, beats };
}

/** `env.run` with the activity's own result type (MockActivityEnvironment.run infers `unknown`). */
export function runIn<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

export async function waitFor(fn: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
