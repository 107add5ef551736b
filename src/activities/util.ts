/**
 * Small helpers shared by the activity modules: shell quoting, an abortable sleep, readable
 * error texts, and failure constructors that carry host, step and what to do.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Sleep `ms`, or reject with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason a signal aborted with (the activity's CancelledFailure), as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'cancelled');
}

/** One readable line for an error from Node, undici or ssh2. */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
    if (e.code === 'ECONNREFUSED') return 'connection refused';
    if (e.code === 'ECONNRESET' || e.code === 'UND_ERR_SOCKET') return 'connection reset';
    if (e.code === 'EHOSTUNREACH') return 'host unreachable';
    if (e.code === 'ENETUNREACH') return 'network unreachable';
    if (e.code === 'ETIMEDOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timed out';
    if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return 'timed out';
    if (e.code === 'ENOENT') return 'no such file';
    if (e.code === 'EACCES') return 'permission denied';
    if (e.cause && !(e.message && e.message !== 'fetch failed')) return errorText(e.cause);
    if (e.message) return e.cause ? `${e.message} (${errorText(e.cause)})` : e.message;
  }
  return String(err);
}

/** Is this a failure that retrying cannot fix (host key, plan, script exit)? */
export function isNonRetryable(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.nonRetryable === true;
}

/** A retryable failure with host/step/expected/seen/fix in its details. */
export function retryable(message: string, type: string, details: Record<string, unknown> = {}): ApplicationFailure {
  return ApplicationFailure.retryable(message, type, details);
}

export function nonRetryable(message: string, type: string, details: Record<string, unknown> = {}): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, details);
}
