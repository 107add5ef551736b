/**
 * The dcos-patch worker: runs the patch workflows and their activities (SSH, HTTP) on the task
 * queue. It reads SSH keys, tokens and certificates from the paths in the plan, on this machine.
 * Run it with `npm run worker` or `dcos-patch worker`; stop it with Ctrl-C (in-flight node
 * scripts keep running on their hosts and are attached to again by the next worker).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import * as activities from './activities';
import { keepActivitiesAlive } from './activities/context';
import { closeAllSsh } from './activities/ssh';
import { HEARTBEAT_SENT_EVERY_MS } from './shared/heartbeats';
import { type ConnectionFlags, connectionSettings, TASK_QUEUE } from './temporal/connection';
import { installMetrics } from './worker-metrics';

/** Worker options that are part of the product's behaviour (tests and benchmarks use them too). */
export const WORKER_TUNING = {
  // Let running activities notice the shutdown (they heartbeat) instead of being cut at once.
  shutdownGraceTime: '10s',
  // Heartbeats reach the server (and an abort reaches the activity) within 1.5 s, not 80% of
  // the heartbeat timeout: three of them fit in the 5 s timeout.
  maxHeartbeatThrottleInterval: HEARTBEAT_SENT_EVERY_MS,
  defaultHeartbeatThrottleInterval: HEARTBEAT_SENT_EVERY_MS,
  // A task for a workflow this worker had cached waits this long for it before any worker may take
  // it: after a crash the server keeps routing to the dead worker for up to 10 s, each task then
  // held this long (the SDK's 10 s made a SIGKILL cost a node 10 s more than the heartbeat did).
  stickyQueueScheduleToStartTimeout: '2s',
  // Every activity heartbeats while it runs, so every heartbeat timeout can be 5 s.
  interceptors: { activity: [keepActivitiesAlive] },
} satisfies Partial<WorkerOptions>;

export interface WorkerSetup extends ConnectionFlags {
  taskQueue?: string;
  /** Prebuilt bundle (tests, benchmarks) instead of bundling src/workflows at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  connection?: NativeConnection;
  maxConcurrentActivityTaskExecutions?: number;
  /** Serve Prometheus metrics here (host:port); default DCOS_PATCH_METRICS_ADDRESS, else none. */
  metricsAddress?: string;
}

export async function createWorker(
  setup: WorkerSetup = {}
): Promise<{ worker: Worker; close: () => Promise<void>; metricsAddress?: string }> {
  const settings = connectionSettings(setup);
  // Before the first connection: the runtime's telemetry is fixed once it starts.
  const metricsAddress = installMetrics(setup.metricsAddress ?? process.env.DCOS_PATCH_METRICS_ADDRESS);
  const ownConnection = !setup.connection;
  const connection =
    setup.connection ??
    (await NativeConnection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey }));
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: setup.taskQueue ?? TASK_QUEUE,
    ...workflowCode(setup.workflowBundle),
    activities,
    ...WORKER_TUNING,
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivityTaskExecutions ?? 200,
  });
  return {
    worker,
    metricsAddress,
    close: async () => {
      closeAllSsh();
      if (ownConnection) await connection.close();
    },
  };
}

/**
 * The workflow code: a bundle given by the caller, else the one `npm run build` prebuilt beside
 * the compiled worker (polling within seconds), else src/workflows bundled now (a checkout).
 */
function workflowCode(
  given?: WorkerOptions['workflowBundle']
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (given) return { workflowBundle: given };
  const prebuilt = join(__dirname, 'workflow-bundle.js');
  if (__filename.endsWith('.js') && existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: require.resolve('./workflows') };
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
