/** What a continue-as-new hands the next run: the plan in its compact form and the carried state. */
import type { NotifyMessage } from '../shared/notify-message';
import { compactPlan } from '../shared/plan-wire';
import type { PatchClusterInput } from './patch-run';
import type { PatchState } from './patch-state';

export function rolloverInput(
  state: PatchState,
  notifyQueues: NotifyMessage[][] | undefined,
  input: Pick<PatchClusterInput, 'rolloverAfterNodes' | 'lockCheckEveryMs'>
): PatchClusterInput {
  return {
    plan: compactPlan(state.plan),
    carried: { ...state.carry(), notifyQueues },
    rolloverAfterNodes: input.rolloverAfterNodes,
    lockCheckEveryMs: input.lockCheckEveryMs,
  };
}
