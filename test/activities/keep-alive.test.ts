/**
 * Every activity heartbeats while it runs (src/activities/context.ts → keepActivitiesAlive, in
 * WORKER_TUNING), so heartbeat timeouts can be short (5 s) and still never cut a step that waits
 * long on one call. Checked against the real server, with a control that fails without it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { WORKER_TUNING } from '../../src/worker';
import * as activities from '../fixtures/keepalive-activities';
import type { Env } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

let env: Env;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await env?.teardown();
});

async function runWith(interceptors: typeof WORKER_TUNING.interceptors | undefined): Promise<string> {
  const taskQueue = uniqueTaskQueue('keepalive');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(require.resolve('../fixtures/keepalive-workflow')),
    activities,
    ...WORKER_TUNING,
    interceptors,
  });
  return await worker.runUntil(
    env.client.workflow.execute('keepAliveWorkflow', { taskQueue, workflowId: `keepalive-${taskQueue}`, args: [9_000] })
  );
}

test('an activity silent for 9 s outlives its 4 s heartbeat timeout: the worker heartbeats for it', async () => {
  assert.equal(await runWith(WORKER_TUNING.interceptors), 'waited 9000 ms');
});

test('control: without the keep-alive the same activity times out on its heartbeat', async () => {
  await assert.rejects(runWith(undefined), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError);
    const cause = err.cause as Error & { cause?: Error };
    assert.match(`${cause?.message} ${cause?.cause?.message ?? ''}`, /heartbeat/i);
    return true;
  });
});
