import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import * as echoActivities from './fixtures/echo-activities';
import { startTestEnvironment, uniqueTaskQueue, workflowBundle } from './helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await env?.teardown();
});

test('a workflow and its activity run end to end through the real dev server and land in its history', {
  timeout: 60_000,
}, async () => {
  const taskQueue = uniqueTaskQueue('harness');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(require.resolve('./fixtures/echo-workflow')),
    activities: echoActivities,
  });
  const workflowId = `harness-${taskQueue}`;
  const result = await worker.runUntil(
    env.client.workflow.execute('echoWorkflow', { taskQueue, workflowId, args: ['hello'] })
  );
  assert.equal(result, `workflow saw: activity echoed hello from pid ${process.pid}`);
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const kinds = (history.events ?? []).map((e) => e.eventType);
  assert.ok(kinds.length >= 10, `expected a real history, got ${kinds.length} events`);
  const desc = await env.client.workflow.getHandle(workflowId).describe();
  assert.equal(desc.status.name, 'COMPLETED');
});
