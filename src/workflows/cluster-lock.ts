/**
 * clusterLock: one patch per cluster, held through the Temporal server. The lock is a workflow
 * whose id is derived from the cluster name (`dcos-patch-lock/<cluster>`): the server runs at most
 * one workflow per id, so a second patch's attempt to start it fails, whoever started the patch
 * and however (our CLI, `--id`, `--rerun`, `temporal workflow start`). It outlives continue-as-new
 * of its holder (ABANDON), ends when the holder releases it, and frees itself when it finds the
 * holder no longer running (terminated, timed out), checked every `checkEveryMs`.
 */
import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { PatchActivities } from '../shared/activity-contract';
import { lockHolderQuery, releaseLockSignal } from './lock-messages';

export interface ClusterLockInput {
  cluster: string;
  /** The workflow id of the patch holding the lock. */
  owner: string;
  checkEveryMs?: number;
}

const lookup = proxyActivities<PatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2s', maximumInterval: '30s' },
});

/** Checks before rolling the lock's own history over. */
const CHECKS_PER_RUN = 500;

export async function clusterLock(input: ClusterLockInput): Promise<void> {
  let released = false;
  setHandler(releaseLockSignal, ({ owner }) => {
    if (owner === input.owner) released = true;
  });
  setHandler(lockHolderQuery, () => input.owner);
  for (let i = 0; i < CHECKS_PER_RUN; i++) {
    if (await condition(() => released, input.checkEveryMs ?? 30_000)) return;
    if (!(await lookup.patchIsRunning(input.owner))) return;
  }
  await continueAsNew<typeof clusterLock>(input);
}
