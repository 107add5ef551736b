/**
 * `npm run demo` (foundation stage): starts the persistent Temporal dev server with the Web UI,
 * runs a worker and one small workflow + activity through it, and leaves the server running so
 * the run can be read with `temporal workflow list` and in the Web UI. The full demo (a simulated
 * cluster patched end to end) replaces this once the simulator and activities land.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as echoActivities from '../test/fixtures/echo-activities';

const root = join(__dirname, '..');
const port = process.env.TEMPORAL_PORT ?? '7233';
const uiPort = process.env.TEMPORAL_UI_PORT ?? '8233';
const address = `127.0.0.1:${port}`;
const ui = `http://127.0.0.1:${uiPort}`;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log('== Temporal dev server (persistent, Web UI on)');
  execFileSync('bash', [join(root, 'scripts/dev-server.sh'), 'start'], { stdio: 'inherit' });

  const taskQueue = 'dcos-patch-demo';
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../test/fixtures/echo-workflow'),
    activities: echoActivities,
  });
  const connection = await Connection.connect({ address });
  const client = new WorkflowClient({ connection });
  const workflowId = `demo-foundation-${Date.now()}`;
  const result = await worker.runUntil(
    client.execute('echoWorkflow', { taskQueue, workflowId, args: ['hello from dcos-patch'] })
  );
  console.log(`\n== workflow ${workflowId} completed: ${result}`);
  console.log(`Web UI:  ${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  console.log(`Listed by: ${join(root, '.tools/venv/bin/temporal')} workflow list --address ${address}`);
  console.log('The dev server keeps running; stop it with: npm run dev-server -- stop');
  await connection.close();
  await nativeConnection.close();
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
