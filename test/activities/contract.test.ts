import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as activities from '../../src/activities';
import type { PatchActivities } from '../../src/shared/activity-contract';

// Compile-time: the module the worker registers implements the interface the workflows proxy.
const implemented: PatchActivities = activities;

test('the activities module exports exactly the contract activities, all functions', { timeout: 10_000 }, () => {
  const expected = [
    'agentDownSince',
    'awaitNodeWorkflow',
    'collectDiagnostics',
    'deployCanary',
    'describeRemoteRun',
    'gateAgentRegistered',
    'gateAgentTasksReconciled',
    'gateCockroachReplicated',
    'gateExhibitorConverged',
    'gateMastersHealthy',
    'gateMesosMasterUnitActive',
    'gateMesosVersion',
    'gateNodeHealthy',
    'gateRegistrarRecovered',
    'inspectClusterLock',
    'patchIsRunning',
    'prepareAgent',
    'prepareBootstrap',
    'prestageScript',
    'readAgentBaseline',
    'readNodeState',
    'removeCanary',
    'runPatchScript',
    'runPreflight',
    'sendNotification',
    'stageScript',
    'surveyNodes',
    'takeBackups',
    'watchCanary',
  ];
  assert.deepEqual(Object.keys(activities).sort(), expected);
  for (const name of expected)
    assert.equal(typeof (implemented as unknown as Record<string, unknown>)[name], 'function');
});
