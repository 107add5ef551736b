/**
 * The plan's maintenance windows (`policy.windows`), each recurring or absolute:
 *
 *   policy:
 *     windows:
 *       - days: [mon, tue, wed, thu]
 *         start: "22:00"          # local time in timeZone
 *         end: "05:00"            # at or before start: the next morning
 *         timeZone: Europe/Berlin
 *       - from: 2026-12-24T22:00:00Z
 *         to: 2026-12-25T06:00:00Z
 *     windowMinNodeTime: 10m      # a node is never started with less than this left
 */
import { MAX_WINDOWS, type MaintenanceWindow, WEEKDAYS, type Weekday, windowProblem } from '../shared/windows';
import { checkUnknownKeys, type FieldContext, isRec, join, type Rec } from './fields';

const FULL_DAY = /^(sun|mon|tue|wed|thu|fri|sat)[a-z]*$/;

export function readWindows(ctx: FieldContext, value: unknown): MaintenanceWindow[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_WINDOWS) {
    ctx.findings.error(
      ctx.file,
      'policy.windows',
      'field-type',
      `policy.windows must be a list of 1 to ${MAX_WINDOWS} windows`,
      'write policy.windows:\n  - { days: [mon, tue], start: "22:00", end: "05:00", timeZone: UTC }'
    );
    return undefined;
  }
  const windows = value.map((w, i) => readWindow(ctx, w, join('policy.windows', i), i));
  return windows.every((w): w is MaintenanceWindow => w !== undefined) ? windows : undefined;
}

function readWindow(ctx: FieldContext, w: unknown, field: string, i: number): MaintenanceWindow | undefined {
  if (!isRec(w)) {
    bad(ctx, field, `${field} must be a mapping`);
    return undefined;
  }
  checkUnknownKeys(ctx, w, field, 'policy.windows');
  const window = 'from' in w || 'to' in w ? absolute(ctx, w, field) : recurring(ctx, w, field, i);
  if (!window) return undefined;
  const problem = windowProblem(window);
  if (problem) {
    bad(ctx, field, `${field}: ${problem}`);
    return undefined;
  }
  return window;
}

function absolute(ctx: FieldContext, w: Rec, field: string): MaintenanceWindow | undefined {
  const fromMs = instant(ctx, w.from, join(field, 'from'));
  const toMs = instant(ctx, w.to, join(field, 'to'));
  return fromMs === undefined || toMs === undefined ? undefined : { fromMs, toMs };
}

/** An ISO 8601 date-time with its zone (Z or ±hh:mm): a window means the same instant everywhere. */
function instant(ctx: FieldContext, v: unknown, field: string): number | undefined {
  if (v instanceof Date) return v.getTime();
  const zoned = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;
  if (typeof v === 'string' && zoned.test(v) && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  bad(ctx, field, `${field} must be a date-time with its zone, e.g. 2026-12-24T22:00:00Z or 2026-12-24T23:00:00+01:00`);
  return undefined;
}

function recurring(ctx: FieldContext, w: Rec, field: string, i: number): MaintenanceWindow | undefined {
  const days = Array.isArray(w.days) ? w.days.map((d) => dayOf(String(d))) : undefined;
  if (!days || days.some((d) => d === undefined)) {
    bad(ctx, join(field, 'days'), `${field}.days must list days of the week: ${WEEKDAYS.join(', ')}`);
    return undefined;
  }
  // YAML 1.1 reads an unquoted 22:00 as a number (sexagesimal): take the text as written.
  const time = (k: string) => (typeof w[k] === 'string' ? w[k] : ctx.sourceOf(['policy', 'windows', i, k]));
  return {
    days: [...new Set(days as Weekday[])],
    start: String(time('start') ?? ''),
    end: String(time('end') ?? ''),
    timeZone: typeof w.timeZone === 'string' ? w.timeZone : '',
  };
}

function dayOf(d: string): Weekday | undefined {
  const m = FULL_DAY.exec(d.toLowerCase());
  return m ? (m[1] as Weekday) : undefined;
}

function bad(ctx: FieldContext, field: string, message: string): void {
  ctx.findings.error(
    ctx.file,
    field,
    'window-invalid',
    message,
    'a window is { days: [mon, …], start: "HH:MM", end: "HH:MM", timeZone: Area/City } or { from: <date-time>, to: <date-time> }'
  );
}
