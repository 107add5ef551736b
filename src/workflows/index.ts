// The workflows the worker registers. Deterministic code only: I/O lives in src/activities.

export { clusterLock } from './cluster-lock';
export { deliverNotifications } from './deliver-notifications';
export { patchCluster } from './patch-cluster';
export { patchNode } from './patch-node';
