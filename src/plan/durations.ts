/**
 * Durations in the plan file: `500ms`, `30s`, `5m`, `1h`, or a plain number of milliseconds.
 * Whole numbers only, one unit, nothing negative: a plan is read by people at 3 a.m.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export type DurationResult = { ok: true; ms: number } | { ok: false; problem: string };

export function parseDuration(value: unknown): DurationResult {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) {
      return { ok: false, problem: `${value} is not a whole, non-negative number of milliseconds` };
    }
    return { ok: true, ms: value };
  }
  if (typeof value !== 'string') {
    return { ok: false, problem: `expected a duration like 30s, got ${describeValue(value)}` };
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return { ok: false, problem: `"${text}" is a quoted number with no unit` };
  }
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) {
    return {
      ok: false,
      problem: `"${value}" is not a duration (one whole number and one unit, no space between: ms, s, m or h)`,
    };
  }
  return { ok: true, ms: Number(m[1]) * (UNIT_MS[m[2]!] ?? 1) };
}

/** The shortest exact spelling of a duration: 300000 → `5m`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A short description of a YAML value for messages (never the whole value: it may be long). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 37)}..."` : `"${value}"`;
  return `${typeof value} ${String(value)}`;
}
