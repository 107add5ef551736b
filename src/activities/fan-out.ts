/**
 * Working on many hosts from one activity (survey, preflight, backups): at most N at once, and
 * heartbeats that keep coming while a slow host holds things up.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../shared/failure-types';
import { activitySignal, beat, insideActivity } from './context';
import { abortReason } from './util';

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
    this.active = insideActivity();
    if (this.active) {
      this.timer = setInterval(() => beat(this.last), everyMs);
      this.timer.unref();
    }
  }

  beat(details: unknown): void {
    this.last = details;
    if (!this.active) return;
    beat(details);
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
    if (err instanceof ApplicationFailure && err.type === FailureTypes.SshDropped) return read();
    throw err;
  }
}
