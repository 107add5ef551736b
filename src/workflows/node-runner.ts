/**
 * Running one node: its patchNode child workflow, in its own cancellation scope (an abort cancels
 * it and it reports the state its script was left in); the state records the result.
 */
import {
  CancellationScope,
  isCancellation,
  ParentClosePolicy,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { NodeSpec } from '../shared/plan';
import type { NodeResult } from '../shared/status';
import { appsUnhealthyBefore } from './health-baseline';
import { type PatchNodeInput, patchNode } from './patch-node';
import { type PatchRun, targetOf } from './patch-run';
import { nodeLabel } from './patch-state';

/** The node's next attempt, to its end: its result, or undefined when the child ended without one. */
export async function runNode(run: PatchRun, node: NodeSpec, scriptUrl: string): Promise<NodeResult | undefined> {
  const { state, plan } = run;
  const { attempt, workflowId, earlierAttempts } = state.nodeStarted(node);
  const input: PatchNodeInput = {
    target: targetOf(plan, node),
    attempt,
    earlierAttempts,
    fromVersion: plan.fromVersion,
    toVersion: plan.toVersion,
    expectedMesosVersion: plan.expectedMesosVersion,
    variant: plan.variant,
    newConfigPath: plan.config.newConfigPath,
    scriptUrl,
    masters: plan.masters,
    gates: state.gates(),
  };
  const apps = appsUnhealthyBefore(plan, state.status);
  if (apps) input.appsUnhealthyBefore = apps;
  const ranges = state.status.baseline?.cockroachUnderreplicated;
  if (plan.policy.health === 'baseline' && ranges) input.cockroachUnderreplicatedBefore = ranges;
  const scope = new CancellationScope();
  run.inflight.set(node.id, scope);
  run.childrenThisRun += 1;
  try {
    const result = await scope.run(async () => {
      const child = await startChild(patchNode, {
        workflowId,
        args: [input],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `${nodeLabel(node)} · patch ${plan.fromVersion} → ${plan.toVersion} (attempt ${attempt})`,
      });
      return await child.result();
    });
    state.nodeFinished(node, result);
    return result;
  } catch (err) {
    state.nodeEnded(node, (err as Error).message, isCancellation(err));
    return undefined;
  } finally {
    run.inflight.delete(node.id);
  }
}
