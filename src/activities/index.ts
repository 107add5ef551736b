/**
 * Every activity of dcos-patch, and nothing else: the worker registers this module
 * (`import * as activities`); the workflows proxy `PatchActivities` (src/shared/activity-contract.ts),
 * which this module implements (checked in test/activities/contract.test.ts).
 *
 * - survey, preflight, backups: read-only checks and backups before anything changes
 * - bootstrap: genconf, the node patch script and its URL
 * - node: read state, stage the script, remove libltdl.so.7, run the script (never twice),
 *   describe a run, diagnostics
 * - gates, node-health: the runbook's health checks after a node's script (one at a time, or
 *   all of a node's at once under one stability hold)
 * - cluster lock: who holds it, and whether that patch still runs
 * - node workflow: the end of a node workflow handed over at continue-as-new
 * - notify: one webhook message (never blocking the patch)
 */
export { takeBackups } from './backups';
export { prepareBootstrap } from './bootstrap';
export { deployCanary, removeCanary, watchCanary } from './canary';
export { inspectClusterLock, patchIsRunning } from './cluster-lock';
export {
  gateAgentRegistered,
  gateAgentTasksReconciled,
  gateCockroachReplicated,
  gateExhibitorConverged,
  gateMastersHealthy,
  gateMesosMasterUnitActive,
  gateMesosVersion,
  gateRegistrarRecovered,
  readAgentBaseline,
} from './gates';
export {
  agentDownSince,
  collectDiagnostics,
  describeRemoteRun,
  prepareAgent,
  readNodeState,
  runPatchScript,
  stageScript,
} from './node';
export { gateNodeHealthy } from './node-health';
export { awaitNodeWorkflow } from './node-workflow';
export { sendNotification } from './notify';
export { runPreflight } from './preflight';
export { prestageScript } from './prestage';
export { surveyNodes } from './survey';
