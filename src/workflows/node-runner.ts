/**
 * Running one node: its patchNode child workflow, in its own cancellation scope (an abort cancels
 * it and it reports the state its script was left in); the state records the result. An agent
 * can outlive the run that started it (continue-as-new hands it over): the next run adopts it and
 * waits for its end through an activity.
 */
import {
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { NodeSpec } from '../shared/plan';
import type { NodeResult, NodeWorkflowEnd } from '../shared/status';
import { nodeWorkflowWait } from './activities';
import { appsUnhealthyBefore } from './health-baseline';
import { type PatchNodeInput, patchNode } from './patch-node';
import { type NodeInFlight, type PatchRun, targetOf } from './patch-run';
import { nodeLabel } from './patch-state';

/**
 * The node's next attempt, to its end: its result, or undefined when the child ended without one.
 * `outlivesRun`: the child is abandoned, not cancelled, when this run closes (continue-as-new).
 */
export async function runNode(
  run: PatchRun,
  node: NodeSpec,
  scriptUrl: string,
  outlivesRun = false
): Promise<NodeResult | undefined> {
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
  // Handed over only once the server has started it: a start still in flight dies with the run.
  const entry: NodeInFlight = { cancel: () => scope.cancel(), handsOver: false };
  run.childrenThisRun += 1;
  return await untilEnded(run, node, entry, async () => {
    const result = await scope.run(async () => {
      const child = await startChild(patchNode, {
        workflowId,
        args: [input],
        parentClosePolicy: outlivesRun ? ParentClosePolicy.ABANDON : ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        // A node's tasks are small: one a lost worker held is given to another after 5 s, not 10 s.
        workflowTaskTimeout: '5s',
        staticSummary: `${nodeLabel(node)} · patch ${plan.fromVersion} → ${plan.toVersion} (attempt ${attempt})`,
      });
      entry.handsOver = outlivesRun;
      return await child.result();
    });
    return { result };
  });
}

/**
 * A node workflow the run before handed over (the state says `patching`, with its workflow id):
 * wait for its end and record it, as runNode does. An abort cancels it by its id, once.
 */
export async function adoptNode(run: PatchRun, node: NodeSpec): Promise<NodeResult | undefined> {
  const workflowId = run.state.node(node.id).workflowId!;
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    // Already closed is fine: the wait below reports how it ended.
    getExternalWorkflowHandle(workflowId)
      .cancel()
      .catch(() => undefined);
  };
  return await untilEnded(run, node, { cancel, handsOver: true }, () =>
    nodeWorkflowWait.awaitNodeWorkflow.executeWithOptions(
      { summary: `${nodeLabel(node)} · wait for ${workflowId} (handed over at continue-as-new)` },
      [workflowId]
    )
  );
}

/**
 * The node is in flight (an abort reaches it through `entry`) until `end` settles; the state
 * records its result, or that its workflow ended without one.
 */
async function untilEnded(
  run: PatchRun,
  node: NodeSpec,
  entry: NodeInFlight,
  end: () => Promise<NodeWorkflowEnd>
): Promise<NodeResult | undefined> {
  run.inflight.set(node.id, entry);
  let how: NodeWorkflowEnd;
  try {
    how = await end();
  } catch (err) {
    how = { ended: { message: (err as Error).message, cancelled: isCancellation(err) } };
  } finally {
    run.inflight.delete(node.id);
  }
  if ('result' in how) {
    run.state.nodeFinished(node, how.result);
    return how.result;
  }
  run.state.nodeEnded(node, how.ended.message, how.ended.cancelled);
  return undefined;
}
