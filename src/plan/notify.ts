/**
 * The plan's `notify:` section: webhooks told about the patch as it goes.
 *
 *   notify:
 *     - url: https://alerts.example.com/hooks/dcos-patch
 *       headerFile: secrets/webhook-header      # "Authorization: Bearer …", read on the worker
 *     - urlFile: secrets/slack-webhook-url      # Slack's URL is itself the secret
 *       events: [decision-needed, node-failed, finished, aborted]
 *
 * The plan travels through Temporal history in plain text, so a URL that is a secret and every
 * header value stay in files on the worker; their contents are checked here and never printed.
 */
import { readFileSync } from 'node:fs';
import { NOTIFY_EVENT_KINDS, type NotifyEventKind, type NotifyHook } from '../shared/plan';
import { MAX_NOTIFY_HOOKS } from '../shared/plan-input';
import { parseHeaderLines, urlLooksSecret, webhookUrlProblem } from '../shared/webhook-headers';
import { checkUnknownKeys, type FieldContext, isRec, join, readString, suggest } from './fields';
import { readLocalFile } from './local-files';

export function readNotify(ctx: FieldContext, value: unknown): NotifyHook[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    ctx.findings.error(
      ctx.file,
      'notify',
      'field-type',
      'notify must be a list of webhooks',
      'write notify:\n  - url: https://alerts.example.com/hooks/dcos-patch'
    );
    return undefined;
  }
  if (value.length > MAX_NOTIFY_HOOKS) {
    ctx.findings.error(
      ctx.file,
      'notify',
      'value-out-of-range',
      `notify lists ${value.length} webhooks; at most ${MAX_NOTIFY_HOOKS}`,
      'send to one relay that fans out'
    );
    return undefined;
  }
  const hooks = value.map((item, i) => readHook(ctx, item, join('notify', i)));
  return hooks.every((h): h is NotifyHook => h !== undefined) ? hooks : undefined;
}

function readHook(ctx: FieldContext, item: unknown, field: string): NotifyHook | undefined {
  if (!isRec(item)) {
    ctx.findings.error(
      ctx.file,
      field,
      'field-type',
      `${field} must be a mapping`,
      `write ${field}: { url: https://… }`
    );
    return undefined;
  }
  checkUnknownKeys(ctx, item, field, 'notify');
  const url = readUrl(ctx, item, field);
  const urlFile = readLocalFile(ctx, item, 'urlFile', join(field, 'urlFile'), {
    required: false,
    example: 'secrets/slack-webhook-url',
  });
  const headerFile = readLocalFile(ctx, item, 'headerFile', join(field, 'headerFile'), {
    required: false,
    example: 'secrets/webhook-header',
  });
  if (item.url === undefined && item.urlFile === undefined) {
    ctx.findings.error(
      ctx.file,
      field,
      'field-missing',
      `${field} needs url or urlFile`,
      `set ${field}.url (no secret in it) or ${field}.urlFile (a file on the worker holding the URL)`
    );
  }
  if (item.url !== undefined && item.urlFile !== undefined) {
    ctx.findings.error(ctx.file, field, 'webhook-url-twice', `${field} has both url and urlFile`, 'keep one of them');
  }
  if (urlFile) checkUrlFile(ctx, urlFile, join(field, 'urlFile'));
  if (headerFile) checkHeaderFile(ctx, headerFile, join(field, 'headerFile'));
  const events = readEvents(ctx, item.events, join(field, 'events'));
  if ((url ?? urlFile) === undefined || !events) return undefined;
  return { ...(url ? { url } : { urlFile }), ...(headerFile ? { headerFile } : {}), events };
}

function readUrl(ctx: FieldContext, item: Record<string, unknown>, field: string): string | undefined {
  const f = join(field, 'url');
  const url = readString(ctx, item, 'url', f, {
    required: false,
    example: 'https://alerts.example.com/hooks/dcos-patch',
  });
  if (url === undefined) return undefined;
  const problem = webhookUrlProblem(url);
  if (problem) {
    ctx.findings.error(
      ctx.file,
      f,
      'field-invalid-value',
      `${f} ${problem}`,
      'give an http(s) URL; credentials go in headerFile'
    );
    return undefined;
  }
  if (urlLooksSecret(url)) {
    ctx.findings.error(
      ctx.file,
      f,
      'secret-in-plan',
      `${f} looks like a secret itself (a Slack/Discord hook or a token in the query); the plan is stored in Temporal history in plain text`,
      `put the URL in a file on the worker (mode 0600) and set ${field}.urlFile to its path; treat this URL as exposed and rotate it`
    );
    return undefined;
  }
  return url;
}

function checkUrlFile(ctx: FieldContext, path: string, field: string): void {
  const problem = webhookUrlProblem(readFileSync(path, 'utf8').trim());
  if (problem) {
    ctx.findings.error(
      ctx.file,
      field,
      'webhook-url-file',
      `${field}: the URL in ${path} ${problem}`,
      `write one http(s) URL in ${path}`
    );
  }
}

function checkHeaderFile(ctx: FieldContext, path: string, field: string): void {
  const parsed = parseHeaderLines(readFileSync(path, 'utf8'));
  if (!parsed.ok) {
    ctx.findings.error(
      ctx.file,
      field,
      'webhook-header-file',
      `${field}: ${path}: ${parsed.problem}`,
      `write one "Header-Name: value" per line in ${path}, e.g. Authorization: Bearer <token>`
    );
  }
}

function readEvents(ctx: FieldContext, value: unknown, field: string): NotifyEventKind[] | undefined {
  if (value === undefined || value === null) return [...NOTIFY_EVENT_KINDS];
  const all = NOTIFY_EVENT_KINDS.join(', ');
  if (!Array.isArray(value) || value.length === 0) {
    ctx.findings.error(ctx.file, field, 'field-type', `${field} must be a list of events`, `choose from: ${all}`);
    return undefined;
  }
  const bad = value.filter((e) => !(NOTIFY_EVENT_KINDS as readonly unknown[]).includes(e));
  if (bad.length) {
    const guess = typeof bad[0] === 'string' ? suggest(bad[0], NOTIFY_EVENT_KINDS) : undefined;
    ctx.findings.error(
      ctx.file,
      field,
      'field-invalid-value',
      `${field}: ${bad.map(String).join(', ')} is not an event`,
      guess ? `did you mean ${guess}? The events: ${all}` : `choose from: ${all}`
    );
    return undefined;
  }
  return [...new Set(value as NotifyEventKind[])];
}
