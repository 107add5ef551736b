/**
 * The cluster lock's I/O, through the worker's own Temporal client: is the patch that holds the
 * lock still running, and who holds it. One patch per cluster is enforced by the lock workflow
 * (src/workflows/cluster-lock.ts); these only look (and end a lock whose holder is gone).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { LockHolder } from '../shared/activity-types';

import { temporalClient } from './context';

/** Is the workflow with this id running now (its latest run, across continue-as-new)? */
export async function patchIsRunning(workflowId: string): Promise<boolean> {
  try {
    const d = await temporalClient().workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Who holds the cluster lock. A lock whose holder is not running (terminated from the Web UI, say)
 * would free itself at its next check; it is ended now instead, so a new patch need not wait.
 */
export async function inspectClusterLock(lockWorkflowId: string): Promise<LockHolder> {
  const client = temporalClient();
  const lock = client.workflow.getHandle(lockWorkflowId);
  let holder: string;
  try {
    // The holder is in the lock's memo: describe needs no worker (a query would wait for one).
    const d = await lock.describe();
    if (d.status.name !== 'RUNNING') return { holder: '', holderRunning: false, freedStale: true };
    holder = typeof d.memo?.owner === 'string' ? d.memo.owner : '';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { holder: '', holderRunning: false, freedStale: true };
    throw err;
  }
  if (holder && (await patchIsRunning(holder))) return { holder, holderRunning: true, freedStale: false };
  await lock.terminate(`its holder ${holder} is not running`).catch((err) => {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  });
  return { holder, holderRunning: false, freedStale: true };
}
