/**
 * How the patch waits durably: for the operator (a question open, a pause), and around a
 * cluster-wide step whose activity gave up (the operator retries or aborts; the patch never
 * fails on its own there).
 */
import { condition, isCancellation } from '@temporalio/workflow';
import { describeFailure } from './failures';
import type { PatchState } from './patch-state';

/** Pause holds before every phase, as before every node: nothing cluster-wide starts while paused. */
export async function holdIfPaused(state: PatchState, before: string): Promise<void> {
  if (!state.paused || state.aborting) return;
  state.doing(`paused before ${before}: resume to continue`);
  await condition(() => !state.paused || state.aborting);
}

/**
 * Until a node of `role` may start: nothing holds `subject` (a pause, a question) and a
 * maintenance window is open long enough for it (or the operator approved starting now). The
 * wait for an opening is a durable timer: it survives worker restarts and continue-as-new.
 */
export async function waitToStart(state: PatchState, subject: string, role: 'master' | 'agent'): Promise<void> {
  while (!state.aborting) {
    await waitUntilFree(state, subject);
    if (state.aborting || state.windowAllows(role)) return;
    state.doing(`${state.status.windowWait?.reason ?? 'waiting for a window'} (start now: decide … window approve)`);
    await sleepUntilWindow(state, () => !state.isAsking('window') || state.aborting);
  }
}

/** Until `done`, or the awaited window opening, whichever comes first. */
export async function sleepUntilWindow(state: PatchState, done: () => boolean): Promise<void> {
  const ms = state.windowSleepMs();
  if (ms === undefined) await condition(done);
  else await condition(done, ms);
}

/** Until no question on `subject` is open and the patch is not paused (or it is aborting). */
export async function waitUntilFree(state: PatchState, subject: string): Promise<void> {
  if (state.paused) state.doing(`paused before ${subject}: resume to continue`);
  await condition(() => !state.isHeld(subject));
}

/**
 * A cluster-wide step (survey, preflight, backups, bootstrap): when its activity gives up, ask
 * retry / abort. Undefined once aborted.
 */
export async function stepOrAsk<T>(
  state: PatchState,
  subject: string,
  what: string,
  run: () => Promise<T>
): Promise<T | undefined> {
  while (!state.aborting) {
    try {
      return await run();
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.ask({
        subject,
        kind: 'step-failed',
        reason: `${what} failed: ${describeFailure(err).message}`,
        allowed: ['retry', 'abort'],
      });
      await waitUntilFree(state, subject);
    }
  }
  return undefined;
}
