/**
 * Maintenance windows (`policy.windows`): recurring ones (days of the week, a local start and
 * end, a time zone; an end at or before the start runs past midnight) and absolute ones (from, to).
 * Pure and deterministic — workflow code runs it with the workflow's clock; time zones come from
 * the runtime's Intl data.
 */
export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
/** In JavaScript's getUTCDay() order. */
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface RecurringWindow {
  days: Weekday[];
  /** Local wall-clock time `HH:MM`. */
  start: string;
  /** `HH:MM`, or `24:00`; at or before `start`: the next day. */
  end: string;
  /** An IANA time zone, e.g. `Europe/Berlin` or `UTC`. */
  timeZone: string;
}
export interface AbsoluteWindow {
  fromMs: number;
  toMs: number;
}
export type MaintenanceWindow = RecurringWindow | AbsoluteWindow;

export type WindowState = { open: true; closesAtMs: number } | { open: false; opensAtMs?: number };

/** At most this many windows in a policy. */
export const MAX_WINDOWS = 50;
const DAY_MS = 86_400_000;
/** How far ahead openings are looked for (a recurring window recurs within a week). */
const HORIZON_MS = 400 * DAY_MS;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** Why this is not a window, or undefined. */
export function windowProblem(w: unknown): string | undefined {
  if (typeof w !== 'object' || w === null) return 'must be {days, start, end, timeZone} or {from, to}';
  const r = w as Record<string, unknown>;
  if ('fromMs' in r || 'toMs' in r) {
    const ok = Number.isInteger(r.fromMs) && Number.isInteger(r.toMs) && (r.fromMs as number) < (r.toMs as number);
    return ok ? undefined : 'from must be a time before to';
  }
  if (!Array.isArray(r.days) || r.days.length === 0 || !r.days.every((d) => WEEKDAYS.includes(d as Weekday))) {
    return `days must list some of ${WEEKDAYS.join(', ')}`;
  }
  for (const k of ['start', 'end'] as const) {
    if (typeof r[k] !== 'string' || !HHMM.test(r[k] as string))
      return `${k} must be a time HH:MM (00:00–23:59, end also 24:00)`;
  }
  if (r.start === r.end) return 'start and end are the same time (for a whole day use 00:00–24:00)';
  if (typeof r.timeZone !== 'string' || !isTimeZone(r.timeZone)) {
    return 'timeZone must be an IANA time zone such as UTC or Europe/Berlin';
  }
  return undefined;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Open at `nowMs` (and until when), or closed (and when it opens next, if ever). */
export function windowState(windows: readonly MaintenanceWindow[], nowMs: number): WindowState {
  const spans = openSpans(windows, nowMs - 2 * DAY_MS, nowMs + HORIZON_MS);
  const current = spans.find(([s, e]) => s <= nowMs && nowMs < e);
  if (current) return { open: true, closesAtMs: current[1] };
  const next = spans.find(([s]) => s > nowMs);
  return next ? { open: false, opensAtMs: next[0] } : { open: false };
}

/** Every open span overlapping [fromMs, toMs], merged (back-to-back windows are one), in order. */
export function openSpans(windows: readonly MaintenanceWindow[], fromMs: number, toMs: number): [number, number][] {
  const spans: [number, number][] = [];
  for (const w of windows) {
    if ('fromMs' in w) {
      if (w.toMs > fromMs && w.fromMs < toMs) spans.push([w.fromMs, w.toMs]);
    } else {
      spans.push(...recurringSpans(w, fromMs, Math.min(toMs, fromMs + 9 * DAY_MS)));
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

function recurringSpans(w: RecurringWindow, fromMs: number, toMs: number): [number, number][] {
  const out: [number, number][] = [];
  const [sh, sm] = hhmm(w.start);
  const [eh, em] = hhmm(w.end);
  const overnight = eh * 60 + em <= sh * 60 + sm;
  const first = wallClock(w.timeZone, fromMs - DAY_MS);
  for (let k = 0; k * DAY_MS <= toMs - fromMs + 2 * DAY_MS; k++) {
    const day = new Date(Date.UTC(first.y, first.mo - 1, first.d + k));
    if (!w.days.includes(WEEKDAYS[day.getUTCDay()]!)) continue;
    const [y, mo, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const start = localToUtc(w.timeZone, y, mo, d, sh, sm);
    const end = localToUtc(w.timeZone, y, mo, d + (overnight ? 1 : 0), eh, em);
    if (end > fromMs && start < toMs) out.push([start, end]);
  }
  return out;
}

function hhmm(t: string): [number, number] {
  const [h, m] = t.split(':').map(Number);
  return [h!, m!];
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `tz` at instant `t`. */
function wallClock(tz: string, t: number): Wall {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(tz, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! };
}

/** How far `tz` is ahead of UTC at instant `t`. */
function offsetMs(tz: string, t: number): number {
  const w = wallClock(tz, t);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
}

/** The instant a local wall-clock time happens in `tz` (a time skipped by DST: just after the jump). */
function localToUtc(tz: string, y: number, mo: number, d: number, h: number, mi: number): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const first = guess - offsetMs(tz, guess);
  const second = guess - offsetMs(tz, first);
  const w = wallClock(tz, second);
  // A skipped time does not read back as itself: take the instant as far past the jump.
  return w.h === h % 24 && w.mi === mi ? second : Math.max(first, second);
}

/** One line per window, for the plan check's summary. */
export function describeWindow(w: MaintenanceWindow): string {
  if ('fromMs' in w) return `${new Date(w.fromMs).toISOString()} → ${new Date(w.toMs).toISOString()}`;
  return `${w.days.join(',')} ${w.start}–${w.end} ${w.timeZone}`;
}
