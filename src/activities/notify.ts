/**
 * Sending one notification: the message POSTed as JSON to the webhook, with the headers of its
 * header file. The URL file and the header file are read here, on the worker, at every send (a
 * rotated secret is picked up) and their contents never appear in an error. A 4xx answer is the
 * receiver refusing (not retried); no answer, 5xx and 429 are retried by the activity's policy.
 */
import { readFile } from 'node:fs/promises';
import { FailureTypes } from '../shared/failure-types';
import { type NotifyMessage, webhookBody } from '../shared/notify-message';
import type { NotifyHook } from '../shared/plan';
import { hookName, parseHeaderLines, webhookUrlProblem } from '../shared/webhook-headers';
import { nonRetryable, retryable } from './util';

/** One attempt's limit; the retry policy spaces the attempts. */
const SEND_TIMEOUT_MS = 10_000;

export async function sendNotification(hook: NotifyHook, message: NotifyMessage): Promise<{ status: number }> {
  const url = await hookUrl(hook);
  const headers = hook.headerFile ? await hookHeaders(hook.headerFile) : {};
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(webhookBody(message)),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw retryable(`${hookName(hook)} did not answer: ${why}`, FailureTypes.WebhookUnavailable);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return { status: res.status };
  const text = `${hookName(hook)} answered HTTP ${res.status}`;
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    throw retryable(text, FailureTypes.WebhookUnavailable);
  }
  throw nonRetryable(`${text}: it refuses the message (check the URL and the headers)`, FailureTypes.WebhookRejected);
}

async function hookUrl(hook: NotifyHook): Promise<string> {
  const url = hook.url ?? (await readSecretFile(hook.urlFile!, 'URL file')).trim();
  const problem = webhookUrlProblem(url);
  if (problem) throw nonRetryable(`${hookName(hook)}: the URL ${problem}`, FailureTypes.WebhookRejected);
  return url;
}

async function hookHeaders(path: string): Promise<Record<string, string>> {
  const parsed = parseHeaderLines(await readSecretFile(path, 'header file'));
  if (!parsed.ok) throw nonRetryable(`header file ${path}: ${parsed.problem}`, FailureTypes.WebhookRejected);
  return parsed.headers;
}

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw nonRetryable(
      `the webhook's ${what} ${path} cannot be read on this worker: ${(err as NodeJS.ErrnoException).code ?? err}`,
      FailureTypes.WebhookRejected
    );
  }
}
