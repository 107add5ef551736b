/**
 * The one way activity code reaches its Temporal context: the cancellation signal, heartbeats,
 * the run it belongs to, metrics and the worker's client. Outside an activity (the parts called directly
 * by tests and the CLI) each answers "none" instead of throwing.
 */
import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { KEEP_ALIVE_MS } from '../shared/heartbeats';

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function insideActivity(): boolean {
  return current() !== undefined;
}

const raised = new WeakSet<AbortSignal>();

/**
 * The activity's cancellation signal (undefined outside an activity). One listener per SSH
 * session or HTTP request in flight is expected, so the listener warning limit is lifted.
 */
export function activitySignal(): AbortSignal | undefined {
  const signal = current()?.cancellationSignal;
  if (signal && !raised.has(signal)) {
    setMaxListeners(0, signal);
    raised.add(signal);
  }
  return signal;
}

/** The details each running activity reported last: the keep-alive repeats them. */
const lastDetails = new WeakMap<Context, unknown>();

/** Report progress to the server (nothing outside an activity; a local activity has no heartbeats). */
export function beat(details?: unknown): void {
  const ctx = current();
  if (!ctx || ctx.info.isLocal) return;
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/**
 * Worker interceptor: every activity heartbeats every KEEP_ALIVE_MS for its whole run, repeating
 * its last details, so a short heartbeat timeout (5 s) finds a lost worker quickly and never
 * mistakes a long wait for one. The server is told at most every 1.5 s (the worker throttles).
 */
export const keepActivitiesAlive: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      if (ctx.info.isLocal) return next(input);
      const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), KEEP_ALIVE_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});

/** This activity's attempt number (1 outside an activity). */
export function activityAttempt(): number {
  return current()?.info.attempt ?? 1;
}

/** What this activity's previous attempt heartbeated last (undefined on a first attempt, or outside an activity). */
export function lastHeartbeat<T>(): T | undefined {
  return current()?.info.heartbeatDetails as T | undefined;
}

/** The workflow run this activity works for, to key what it leaves on hosts by that run. */
export function activityRun(): { workflowId: string; runId: string } {
  const info = current()?.info;
  if (!info) return { workflowId: 'outside-activity', runId: 'outside-activity' };
  const run = info.workflowExecution;
  return {
    workflowId: run?.workflowId ?? `activity-${info.activityId}`,
    runId: run?.runId ?? info.activityId,
  };
}

/** How long a health gate waited, until it held or gave up (the worker's metrics endpoint). */
export function recordGateWait(gate: string, seconds: number, held: boolean): void {
  current()
    ?.metricMeter.createHistogram(
      'dcos_patch_gate_wait_seconds',
      'float',
      's',
      'time a health gate waited for its signal'
    )
    .record(seconds, { gate, held: String(held) });
}

/** How long dcos_node_upgrade.sh ran on a node (the worker's metrics endpoint). */
export function recordScriptRun(role: string, seconds: number, exitCode: number): void {
  current()
    ?.metricMeter.createHistogram('dcos_patch_script_run_seconds', 'float', 's', 'dcos_node_upgrade.sh run time')
    .record(seconds, { role, exit: String(exitCode) });
}

/** The worker's Temporal client (activities that look at other workflows). */
export function temporalClient(): Client {
  const ctx = current();
  if (!ctx) throw new Error('the Temporal client is only available inside an activity');
  return ctx.client;
}
