// The replay test's own check: the real workflows with one deliberately non-deterministic change
// (a timer before anything else). Replaying the recorded histories against this must fail.
import { sleep } from '@temporalio/workflow';
import { patchCluster as realPatchCluster } from '../../src/workflows/patch-cluster';
import type { PatchClusterInput } from '../../src/workflows/patch-run';

export { clusterLock } from '../../src/workflows/cluster-lock';
export { patchNode } from '../../src/workflows/patch-node';

export async function patchCluster(input: PatchClusterInput): ReturnType<typeof realPatchCluster> {
  await sleep(1);
  return await realPatchCluster(input);
}
