/**
 * Running things locally: `worker` (the patch worker in this process), `sim up|down|fault|clear|truth`
 * (the DC/OS cluster simulator's own CLI, src/sim/main.ts) and `dev-server start|stop|status`
 * (scripts/dev-server.sh). Loaded lazily: the other commands never load ssh2 or the simulator
 * (the product imports the simulator only from this entry point).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CliContext } from '../connection';
import { CliError, ExitCode } from '../exit-codes';
import type { Io } from '../runner';

const ROOT = join(__dirname, '..', '..', '..');

export async function workerCommand(ctx: CliContext, io: Io, metricsAddress?: string): Promise<number> {
  const { createWorker }: typeof import('../../worker') = require('../../worker');
  let setup: Awaited<ReturnType<typeof createWorker>>;
  try {
    setup = await createWorker({ ...ctx.options, taskQueue: ctx.taskQueue, metricsAddress });
  } catch (err) {
    throw new CliError(
      `the worker could not start against ${ctx.settings.address}: ${(err as Error).message}`,
      ExitCode.NotFound
    );
  }
  io.err(
    `dcos-patch worker polling task queue ${ctx.taskQueue} on ${ctx.settings.address} (namespace ${ctx.namespace}); Ctrl-C stops it (scripts already started on hosts keep running and are attached to again)`
  );
  if (setup.metricsAddress) io.err(`metrics: http://${setup.metricsAddress}/metrics`);
  try {
    await setup.worker.run();
  } finally {
    await setup.close();
  }
  return ExitCode.Ok;
}

export const SIM_ACTIONS = ['up', 'down', 'fault', 'clear', 'truth'] as const;
export type SimAction = (typeof SIM_ACTIONS)[number];

/** Delegate to the simulator's own CLI (src/sim/main.ts), loaded only for `sim`. */
export async function simCommand(action: SimAction, args: string[]): Promise<number> {
  // require, not import(): under tsx's CommonJS loader a dynamic import() needs file extensions.
  const sim: typeof import('../../sim/main') = require('../../sim/main');
  const run = { up: sim.simUp, down: sim.simDown, fault: sim.simFault, clear: sim.simClear, truth: sim.simTruth }[
    action
  ];
  return run(args);
}

export function devServerCommand(action: string): Promise<number> {
  if (!['start', 'stop', 'status'].includes(action)) {
    throw new CliError(`dev-server ${action}: choose start, stop or status`, ExitCode.Usage);
  }
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts', 'dev-server.sh'), action], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? ExitCode.Failed));
  });
}
