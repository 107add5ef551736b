/**
 * The node workflows an agent phase hands over at continue-as-new: the run that started one is
 * closed, so its result reaches the next run through this wait, on the worker's own client.
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure } from '@temporalio/common';
import type { NodeResult, NodeWorkflowEnd } from '../shared/status';
import { activitySignal, temporalClient } from './context';

/**
 * Waits for the node workflow with this id to close: its result, or how it ended without one
 * (cancelled by an abort, terminated, failed). Heartbeats come from the worker's keep-alive; an
 * activity cancellation ends the server's long poll.
 */
export async function awaitNodeWorkflow(workflowId: string): Promise<NodeWorkflowEnd> {
  const client = temporalClient();
  const wait = () => client.workflow.getHandle<() => Promise<NodeResult>>(workflowId).result();
  const signal = activitySignal();
  try {
    const result = signal ? await client.withAbortSignal(signal, wait) : await wait();
    return { result };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return { ended: { message: `its workflow ${workflowId} is not found`, cancelled: false } };
    }
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const cancelled = cause instanceof CancelledFailure;
    const how = cancelled ? 'cancelled' : cause instanceof TerminatedFailure ? 'terminated' : 'failed';
    return { ended: { message: `${how}: ${cause?.message ?? err.message}`, cancelled } };
  }
}
