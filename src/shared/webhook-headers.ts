/**
 * A webhook's header file: one `Header-Name: value` per line (blank lines and `#` comments
 * allowed). Read on the worker only; its values are secrets and are never echoed in a message.
 */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the sender sets itself. */
const RESERVED = ['content-type', 'content-length', 'host', 'transfer-encoding', 'connection'];

export type HeaderLines = { ok: true; headers: Record<string, string> } | { ok: false; problem: string };

export function parseHeaderLines(text: string): HeaderLines {
  const headers: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (!HEADER_NAME.test(name) || !value) {
      return { ok: false, problem: `line ${i + 1} is not "Header-Name: value"` };
    }
    if (RESERVED.includes(name.toLowerCase())) {
      return { ok: false, problem: `line ${i + 1}: ${name} is set by dcos-patch itself` };
    }
    headers[name] = value;
  }
  return Object.keys(headers).length ? { ok: true, headers } : { ok: false, problem: 'it names no header' };
}

/** A webhook URL: http or https, no user:password in it. */
export function webhookUrlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `uses ${u.protocol.replace(':', '')}; use http or https`;
  if (u.username || u.password) return 'carries a user or password';
  return undefined;
}

/**
 * A URL that is itself a secret (Slack's hooks, a token in the query): the plan is kept in
 * Temporal history in plain text, so it belongs in a file on the worker (urlFile).
 */
export function urlLooksSecret(text: string): boolean {
  try {
    const u = new URL(text);
    if (/(^|\.)hooks\.slack\.com$/i.test(u.hostname) || /(^|\.)discord(app)?\.com$/i.test(u.hostname)) return true;
    return [...u.searchParams.keys()].some((k) => /token|key|secret|sig|auth|password/i.test(k));
  } catch {
    return false;
  }
}

/** How a webhook is named in messages and summaries: the URL's host, or the file the URL is in — never a URL from a file. */
export function hookName(hook: { url?: string; urlFile?: string }): string {
  if (hook.url) {
    try {
      return `webhook ${new URL(hook.url).host}`;
    } catch {
      return 'webhook';
    }
  }
  return `webhook from ${hook.urlFile}`;
}
