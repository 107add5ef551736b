/**
 * The dcos-patch worker: runs the patch workflows and their activities (SSH, HTTP) on the task
 * queue. It reads SSH keys, tokens and certificates from the paths in the plan, on this machine.
 * Run it with `npm run worker` or `dcos-patch worker`; stop it with Ctrl-C (in-flight node
 * scripts keep running on their hosts and are attached to again by the next worker).
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import * as activities from './activities';
import { closeAllSsh } from './activities/ssh';
import { type ConnectionFlags, connectionSettings, TASK_QUEUE } from './temporal/connection';

/** Worker options that are part of the product's behaviour (tests and benchmarks use them too). */
export const WORKER_TUNING = {
  // Let running activities notice the shutdown (they heartbeat) instead of being cut at once.
  shutdownGraceTime: '10s',
  // Heartbeats reach the server (and an abort reaches the activity) within 5 s, not 80% of
  // the heartbeat timeout.
  maxHeartbeatThrottleInterval: '5s',
  defaultHeartbeatThrottleInterval: '5s',
} satisfies Partial<WorkerOptions>;

export interface WorkerSetup extends ConnectionFlags {
  taskQueue?: string;
  /** Prebuilt bundle (tests, benchmarks) instead of bundling src/workflows at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  connection?: NativeConnection;
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createWorker(setup: WorkerSetup = {}): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const settings = connectionSettings(setup);
  const ownConnection = !setup.connection;
  const connection =
    setup.connection ??
    (await NativeConnection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey }));
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: setup.taskQueue ?? TASK_QUEUE,
    ...(setup.workflowBundle
      ? { workflowBundle: setup.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities,
    ...WORKER_TUNING,
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivityTaskExecutions ?? 200,
  });
  return {
    worker,
    close: async () => {
      closeAllSsh();
      if (ownConnection) await connection.close();
    },
  };
}

async function main(): Promise<void> {
  const { worker, close } = await createWorker();
  console.error(`dcos-patch worker polling task queue ${TASK_QUEUE} on ${connectionSettings().address}`);
  try {
    await worker.run();
  } finally {
    await close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`dcos-patch worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
