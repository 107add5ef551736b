/**
 * The control surface of a patch: the stable names the `temporal` CLI, the Web UI and our CLI
 * all use. `temporal workflow signal -w <id> --name pause`, `temporal workflow query -w <id>
 * --name status`, `temporal workflow update execute -w <id> --name decide --input
 * '{"subject":"master-10.0.0.12","decision":"retry","question":"q3"}'`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GateTimings, RampStep } from '../shared/plan';
import type { Decision, NodeProgress, PatchStatus } from '../shared/status';
import type { MaintenanceWindow } from '../shared/windows';

/** Finish the node(s) in flight, start no new one. Never expires on its own. */
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
/** Stop: start nothing new, cancel the nodes in flight and report the state each was left in. */
export const abortSignal = defineSignal<[{ reason?: string }?]>('abort');

export const statusQuery = defineQuery<PatchStatus>('status');
/** On a patchNode child: what it is doing right now. */
export const nodeStatusQuery = defineQuery<NodeProgress>('nodeStatus');

export interface DecideInput {
  /** A node id (`master-10.0.0.12`), or `preflight` / `agents` for phase-level questions. */
  subject: string;
  decision: Decision;
  /** The id of the question answered (`q7`, shown by status and watch); a failed agent's `retryQuestion`. */
  question?: string;
  /** With `override`: the preflight checks to proceed past, each named. */
  checks?: string[];
  reason?: string;
}
export const decideUpdate = defineUpdate<string, [DecideInput]>('decide');

export interface PolicyChange {
  agentConcurrency?: number;
  /** A new canary ramp (`[]`: none); the step under way is kept. */
  agentRamp?: RampStep[];
  agentFailureBudget?: number;
  approveEachMaster?: boolean;
  approveBeforeAgents?: boolean;
  /** New maintenance windows (`[]`: none, any time) and the least time a node is assumed to take. */
  windows?: MaintenanceWindow[];
  windowMinNodeMs?: number;
  /** Gate timings for the nodes started from now; the agent window is the cluster's, not a policy. */
  gates?: Partial<Omit<GateTimings, 'agentWindowMs'>>;
}
export const setPolicyUpdate = defineUpdate<PatchStatus['policy'], [PolicyChange]>('setPolicy');
