/**
 * patchCluster: the DC/OS patch runbook as one durable workflow. It reads as the runbook's table
 * of contents; each phase is its own function (./phases), the state and its transitions are pure
 * (./patch-state), the control surface is in ./control.
 *
 *   check input → cluster lock → survey → preflight → backups → bootstrap
 *     → [workload canary deployed] → masters (one at a time) → agents (sliding window)
 *     → [canary removed] → close
 *
 * Guarantees:
 * - never two masters at once: the next master starts only after the previous one's node
 *   workflow returned `patched` (every gate held) or the operator decided;
 * - never moving on silently: a failed master, or an agent failure beyond the failure budget,
 *   stops starting nodes and waits for `decide` (retry / skip (agents) / abort);
 * - pause finishes the nodes in flight and starts no new one until `resume`;
 * - abort (signal or workflow cancel) starts nothing new, cancels the nodes in flight, each of
 *   which reports the state its script was left in;
 * - one patch per cluster (the cluster lock, taken before the first activity);
 * - history stays bounded: one child workflow per node, continue-as-new during the agent phase;
 * - the final result is a report, its nodes in columns (`readReport` in src/shared/report-wire.ts
 *   gives it in full); any failed or skipped-after-failure node makes the workflow fail with
 *   `PatchIncomplete` (the report is in the failure's details), an abort with `PatchAborted`.
 */
import { CancellationScope, log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Plan } from '../shared/plan';
import { expandPlan } from '../shared/plan-wire';
import type { StoredReport } from '../shared/report-wire';
import { DcosCluster, DcosFromVersion, DcosPatchPhase, DcosToVersion } from '../shared/search-attributes';
import { CanaryWatch } from './canary';
import { installControl } from './control';
import { refuseBadInput } from './input-check';
import { takeClusterLock } from './lock';
import { patchMetrics } from './metrics';
import { Notifier } from './notifier';
import type { PatchClusterInput, PatchRun } from './patch-run';
import { type PatchEffects, PatchState } from './patch-state';
import { agents } from './phases/agents';
import { backups } from './phases/backups';
import { bootstrap } from './phases/bootstrap';
import { close, rollOver } from './phases/close';
import { masters } from './phases/masters';
import { preflight } from './phases/preflight';
import { survey } from './phases/survey';

export type { PatchClusterInput } from './patch-run';

export async function patchCluster(input: PatchClusterInput): Promise<StoredReport> {
  const plan = expandPlan(input.plan);
  const run = openRun(input, plan);
  installControl(run.state);
  return await CancellationScope.nonCancellable(async () => {
    if (!input.carried) {
      // Started by hand (`temporal workflow start`), the input never went through the plan
      // check: check it again before anything reaches a host.
      refuseBadInput(plan);
      await takeClusterLock(plan.cluster, input.lockCheckEveryMs);
      announce(run);
    }
    await survey(run);
    await preflight(run);
    await backups(run);
    await bootstrap(run);
    const canary = CanaryWatch.of(run);
    await canary?.begin();
    await masters(run);
    const end = await agents(run);
    await canary?.stop();
    if (end === 'roll-over') return await rollOver(run, input);
    await canary?.remove();
    return await close(run);
  });
}

/** This run's state (new, or carried over by continue-as-new), its effects wired to Temporal. */
function openRun(input: PatchClusterInput, plan: Plan): PatchRun {
  const workflowId = workflowInfo().workflowId;
  const inflight: PatchRun['inflight'] = new Map();
  const metrics = patchMetrics(plan.cluster);
  let notifier: Notifier | undefined;
  const effects: PatchEffects = {
    log: (line: string) => log.info(line),
    details: (text: string) => setCurrentDetails(text),
    phaseEntered: (phase) => upsertSearchAttributes([{ key: DcosPatchPhase, value: phase }]),
    abortRequested: () => {
      for (const node of inflight.values()) node.cancel();
    },
    nodeDone: metrics.nodeDone,
    pendingChanged: metrics.pending,
    notify: (event) => notifier?.send(event),
  };
  const state = input.carried
    ? PatchState.resume(plan, input.carried, workflowId, effects)
    : PatchState.begin(plan, workflowId, effects);
  notifier = new Notifier(plan, state.status, input.carried?.notifyQueues);
  if (input.carried) state.note(`continued as new (generation ${state.status.generation})`);
  metrics.pending(state.status.pending);
  const rolloverAfterNodes = input.rolloverAfterNodes ?? Number.POSITIVE_INFINITY;
  return { plan, state, inflight, childrenThisRun: 0, rolloverAfterNodes, metrics, notifier };
}

/** The patch's search attributes (find it by cluster and versions) and its first log line. */
function announce({ plan, state, notifier }: PatchRun): void {
  upsertSearchAttributes([
    { key: DcosCluster, value: plan.cluster },
    { key: DcosFromVersion, value: plan.fromVersion },
    { key: DcosToVersion, value: plan.toVersion },
    { key: DcosPatchPhase, value: state.phase },
  ]);
  const agentCount = plan.agents.length + plan.publicAgents.length;
  const line = `patch ${plan.cluster} ${plan.fromVersion} → ${plan.toVersion}: ${plan.masters.length} masters, ${agentCount} agents`;
  state.note(line);
  notifier.send({ event: 'started', text: `started: ${line}` });
}
