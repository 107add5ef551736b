/** A real worker in its own process (test/fixtures/worker-process.ts), so a test can SIGKILL it mid-patch. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Resolves once the worker polls `taskQueue`; rejects if it exits first. */
export function startWorkerProcess(
  address: string,
  taskQueue: string,
  extraEnv: Record<string, string> = {}
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/worker-process.ts')], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: address, DCOS_PATCH_TASK_QUEUE: taskQueue, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      if (String(d).includes('worker-ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${err}`)));
  });
}

/** SIGKILL, as a crashed machine would: no graceful shutdown. */
export async function killWorker(worker: ChildProcess): Promise<void> {
  // Already gone (exited, or killed by a signal: then exitCode stays null and signalCode is set).
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const gone = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGKILL');
  await gone;
}
