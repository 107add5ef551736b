/**
 * One run of patchCluster (up to its next continue-as-new): the plan, the state, and the nodes in
 * flight, each of which an abort can cancel.
 */
import type { BootstrapResult, NodeTarget, PreflightResult } from '../shared/activity-types';
import type { NodeSpec, Plan } from '../shared/plan';
import type { WirePlan } from '../shared/plan-wire';
import type { PatchMetrics } from './metrics';
import type { Notifier } from './notifier';
import type { CarriedState } from './patch-carry';
import type { PatchState } from './patch-state';

/** A node workflow in flight: started by this run, or handed over by the run before. */
export interface NodeInFlight {
  /** Asks the node workflow to stop (an abort): it reports the state its script was left in. */
  cancel(): void;
  /** It outlives this run's continue-as-new: the next run adopts it (agents, once started). */
  handsOver: boolean;
}

export interface PatchRun {
  plan: Plan;
  state: PatchState;
  inflight: Map<string, NodeInFlight>;
  /** Node workflows started in this run (the rollover counts them). */
  childrenThisRun: number;
  /** Roll the history over after this many node workflows in one run. */
  rolloverAfterNodes: number;
  metrics: PatchMetrics;
  /** The plan's webhooks (a no-op without `notify:`). */
  notifier: Notifier;
  /** The agents' pre-staging, under way beside the masters (agents wait for it before the first starts). */
  prestaging?: Promise<void>;
  /** The preflight checks, started beside the survey (both read-only); its phase takes the result. */
  preflightAhead?: Promise<PreflightResult>;
  /** The node script's generation, started beside the backups (neither touches a node); its phase takes it. */
  bootstrapAhead?: Promise<BootstrapResult>;
}

/** How activities reach one node: its spec and the plan's connection settings (never a secret). */
export function targetOf(plan: Plan, node: NodeSpec): NodeTarget {
  return { node, ssh: plan.ssh, http: plan.http, remoteWorkDir: plan.remoteWorkDir };
}

export interface PatchClusterInput {
  /** The plan, compact (compactPlan) or in full (`dcos-patch check --json`). */
  plan: WirePlan;
  /** Set by continue-as-new only. */
  carried?: CarriedState;
  /** Roll the history over after this many node workflows in one run (tests use a small number). */
  rolloverAfterNodes?: number;
  /** How often the cluster lock checks that this patch still runs (default 30 s; tests shorten it). */
  lockCheckEveryMs?: number;
}
