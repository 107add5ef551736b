/**
 * Taking and releasing the cluster lock from inside patchCluster (workflow code): start the lock
 * workflow as a child with the cluster's lock id; the server refuses a second one while it runs.
 */

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { PatchActivities } from '../shared/activity-contract';
import { FailureTypes } from '../shared/failure-types';
import { LOST_WORKER } from './activities';
import { clusterLock } from './cluster-lock';
import { clusterLockId, releaseLockSignal } from './lock-messages';

const lookup = proxyActivities<PatchActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: LOST_WORKER,
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 10 },
});

/** Take the lock or fail the patch (non-retryable, naming the patch that holds it). */
export async function takeClusterLock(cluster: string, checkEveryMs?: number): Promise<void> {
  const owner = workflowInfo().workflowId;
  const lockId = clusterLockId(cluster);
  // Twice at most: the second time after a stale lock (its holder no longer runs) was ended.
  for (let tries = 0; tries < 2; tries++) {
    try {
      await startChild(clusterLock, {
        workflowId: lockId,
        args: [{ cluster, owner, ...(checkEveryMs ? { checkEveryMs } : {}) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        memo: { owner },
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `one patch at a time on cluster ${cluster}: held by ${owner}`,
      });
      log.info(`cluster lock ${lockId} taken`);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const held = await lookup.inspectClusterLock(lockId);
      if (held.holder === owner && held.holderRunning) return; // a run of this very patch took it
      if (held.holderRunning) {
        throw ApplicationFailure.create({
          type: FailureTypes.ClusterLocked,
          nonRetryable: true,
          message:
            `cluster ${cluster} is being patched by ${held.holder}: one patch per cluster. ` +
            `Nothing was touched. Watch it (dcos-patch watch ${held.holder}) or abort it, then start again.`,
        });
      }
    }
  }
  throw ApplicationFailure.create({
    type: FailureTypes.ClusterLocked,
    nonRetryable: true,
    message: `cluster ${cluster}: could not take the cluster lock ${lockId}; nothing was touched. Start the patch again.`,
  });
}

/** Let go of the lock (at the patch's end, whatever its outcome). */
export async function releaseClusterLock(cluster: string): Promise<void> {
  const owner = workflowInfo().workflowId;
  try {
    await getExternalWorkflowHandle(clusterLockId(cluster)).signal(releaseLockSignal, { owner });
  } catch (err) {
    // Gone already (it frees itself once the patch closes): nothing to release.
    log.warn(`cluster lock for ${cluster}: release not delivered (${(err as Error).message})`);
  }
}
