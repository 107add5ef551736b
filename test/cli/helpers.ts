/**
 * Driving the CLI as an operator does: `node bin/dcos-patch.js …` in a subprocess, pointed at the
 * test's Temporal server and task queue. Asynchronous, so the worker in the test process keeps
 * running the workflows while the CLI waits on them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { type Fixture, makeFixture } from '../plan/fixture';

export const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'dcos-patch.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  address: string;
  taskQueue?: string;
  extra?: NodeJS.ProcessEnv;
}

export function cliEnv(e: CliEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: e.address, ...e.extra };
  delete env.TEMPORAL_NAMESPACE;
  if (e.taskQueue) env.DCOS_PATCH_TASK_QUEUE = e.taskQueue;
  return env;
}

/** Start the CLI; `done` resolves with its exit code and output. */
export function spawnCli(args: string[], e: CliEnv): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(e), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export async function cli(args: string[], e: CliEnv, timeoutMs = 90_000): Promise<CliResult> {
  const { child, done } = spawnCli(args, e);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/** A valid plan file for a cluster with a unique name: 3 masters (or `masters`), `agents` private agents. */
export function planFixture(
  opts: { agents?: number; concurrency?: number; failureBudget?: number; name?: string; masters?: string[] } = {}
): Fixture & {
  cluster: string;
  id: string;
} {
  const cluster = opts.name ?? `cli-${randomUUID().slice(0, 8)}`;
  const masters = opts.masters;
  const fixture = makeFixture({
    config: (c) => {
      if (masters) c.master_list = masters;
    },
    plan: (p) => {
      p.cluster.name = cluster;
      if (masters) p.masters = masters;
      p.agents = Array.from({ length: opts.agents ?? 2 }, (_, i) => `${masters ? '127.0.1' : '10.0.1'}.${i + 1}`);
      p.publicAgents = [];
      p.policy = { agentConcurrency: opts.concurrency ?? 2, agentFailureBudget: opts.failureBudget ?? 0 };
    },
  });
  return { ...fixture, cluster, id: `patch-${cluster}-2.1.4-to-2.1.5` };
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 20_000
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Wait until the workflow closes (describe says so). */
export async function closed(client: Client, id: string, ms = 30_000): Promise<string> {
  return waitFor(
    async () => {
      const d = await client.workflow.getHandle(id).describe();
      return d.status.name === 'RUNNING' ? undefined : d.status.name;
    },
    `${id} to close`,
    ms
  );
}
