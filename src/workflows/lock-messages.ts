/** The cluster lock's messages, shared by the lock workflow, the patch workflow and the activities. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** The holder lets go (only the holder's own id is obeyed). */
export const releaseLockSignal = defineSignal<[{ owner: string }]>('release');
/** The workflow id of the patch holding the lock. */
export const lockHolderQuery = defineQuery<string>('holder');

/** One lock per cluster: its workflow id. A running workflow with this id is the lock. */
export function clusterLockId(cluster: string): string {
  return `dcos-patch-lock/${cluster}`;
}
