/**
 * Asking the masters in turn until one answers: any master proxies Marathon and names the Mesos
 * leader, and each runs the same CockroachDB, so the first that answers speaks for the cluster.
 */
import type { NodeSpec } from '../shared/plan';
import { errorText, isNonRetryable } from './util';

/** One master's reply: an answer, or why it is not one (an HTTP 5xx, a non-zero exit). */
export type MasterReply<T> = { answer: T } | { problem: string };

export type FirstAnswer<T> = { ok: true; value: T; master: NodeSpec } | { ok: false; problems: string[] };

export interface AskOptions {
  signal?: AbortSignal | undefined;
  /** How a master is named in the problems (default: its address). */
  name?: (m: NodeSpec) => string;
  /** Errors that end the round at once (default: non-retryable ones, e.g. a host key mismatch). */
  stopsAt?: (err: unknown) => boolean;
}

/** The first master's answer, in plan order, or every master's problem; a cancellation ends it. */
export async function firstMasterAnswer<T>(
  masters: NodeSpec[],
  ask: (m: NodeSpec) => Promise<MasterReply<T>>,
  o: AskOptions = {}
): Promise<FirstAnswer<T>> {
  const name = o.name ?? ((m: NodeSpec) => m.address);
  const stopsAt = o.stopsAt ?? isNonRetryable;
  const problems: string[] = [];
  for (const m of masters) {
    try {
      const reply = await ask(m);
      if ('answer' in reply) return { ok: true, value: reply.answer, master: m };
      problems.push(`${name(m)}: ${reply.problem}`);
    } catch (err) {
      if (o.signal?.aborted || stopsAt(err)) throw err;
      problems.push(`${name(m)}: ${errorText(err)}`);
    }
  }
  return { ok: false, problems };
}
