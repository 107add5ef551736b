/**
 * Working on many hosts from one activity (survey, preflight, backups): at most N at once, and
 * heartbeats that keep coming while a slow host holds things up.
 */
import { setMaxListeners } from 'node:events';
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ActivityErrorTypes, abortReason } from './util';

/** Map with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const raised = new WeakSet<AbortSignal>();

/**
 * The activity's cancellation signal (undefined outside an activity). One listener per SSH
 * session or HTTP request in flight is expected, so the listener warning limit is lifted.
 */
export function activitySignal(): AbortSignal | undefined {
  let signal: AbortSignal;
  try {
    signal = cancellationSignal();
  } catch {
    return undefined;
  }
  if (!raised.has(signal)) {
    setMaxListeners(0, signal);
    raised.add(signal);
  }
  return signal;
}

/**
 * Heartbeats for a long activity: `beat(details)` reports progress (and throws once the activity
 * is cancelled), and a timer repeats the last details every `everyMs`, so a step that waits long
 * on one host (a slow SSH login, a big ZooKeeper snapshot) never looks like a lost worker.
 * Outside an activity (tests of the parts) it does nothing. Call `stop()` when done.
 */
export class Heartbeats {
  private last: unknown;
  private readonly timer?: NodeJS.Timeout;
  private readonly active: boolean;

  constructor(everyMs = 10_000) {
    let active = true;
    try {
      activityInfo();
    } catch {
      active = false;
    }
    this.active = active;
    if (active) {
      this.timer = setInterval(() => heartbeat(this.last), everyMs);
      this.timer.unref();
    }
  }

  beat(details: unknown): void {
    this.last = details;
    if (!this.active) return;
    heartbeat(details);
    const signal = activitySignal();
    if (signal?.aborted) throw abortReason(signal);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * Run a read-only step again once when the SSH connection dropped under it: the connection cache
 * may hand out a connection the host has just closed (a restarted sshd, a dropped link), and a
 * fresh one answers. Never for commands that change anything.
 */
export async function onceMoreIfDropped<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === ActivityErrorTypes.SshDropped) return read();
    throw err;
  }
}
