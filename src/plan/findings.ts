/**
 * Findings: what the plan check reports to the operator.
 *
 * Every finding names the file it is about, the field inside it, what is wrong (with what was seen)
 * and what to do. `code` is a stable kebab-case id: scripts and tests match on it, so never reuse
 * or rename one (the full list with reasons is in docs/rules.md).
 */

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Stable kebab-case id, e.g. `patch-path-minor-change`. */
  code: string;
  /**
   * The file the finding is about: the plan file as the caller named it, or the absolute path of a
   * file the plan refers to (a config.yaml, a key file).
   */
  file: string;
  /**
   * Where in that file: a dotted path into the plan (`cluster.to`, `masters[1].host`), a
   * config.yaml key (`security`), or `''` for the file as a whole (a syntax error, a missing file).
   */
  field: string;
  /** What is wrong and what was seen. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** Collects findings while the plan is parsed and checked. */
export class Findings {
  readonly all: Finding[] = [];

  error(file: string, field: string, code: string, message: string, fix: string): void {
    this.all.push({ severity: 'error', code, file, field, message, fix });
  }

  warning(file: string, field: string, code: string, message: string, fix: string): void {
    this.all.push({ severity: 'warning', code, file, field, message, fix });
  }

  get errorCount(): number {
    return this.all.filter((f) => f.severity === 'error').length;
  }

  get warningCount(): number {
    return this.all.filter((f) => f.severity === 'warning').length;
  }

  /** True when a finding about `field` (or a field beneath it) is already an error. */
  hasErrorAt(file: string, field: string): boolean {
    return this.all.some(
      (f) =>
        f.severity === 'error' &&
        f.file === file &&
        (f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))
    );
  }
}

/**
 * One line for a person: `ERROR plan.yaml: masters[1].host — <message>. Fix: <fix>`. Control
 * characters from the plan's values are printed escaped (`\n`), so a value can never start a
 * line of its own (and fake a "the plan is valid").
 */
export function formatFinding(f: Finding): string {
  const where = f.field ? `${f.file}: ${f.field}` : f.file;
  return escapeControls(`${f.severity.toUpperCase()} ${where} — ${withStop(f.message)} Fix: ${withStop(f.fix)}`);
}

const CONTROL_NAMES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeControls(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029;
    out += control ? (CONTROL_NAMES[c] ?? `\\u${code.toString(16).padStart(4, '0')}`) : c;
  }
  return out;
}

function withStop(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Thrown by callers that want an exception rather than a result (e.g. `loadPlan`). Carries every
 * finding; its message lists the errors one per line, never a stack of internals.
 */
export class PlanError extends Error {
  readonly findings: Finding[];

  constructor(file: string, findings: Finding[]) {
    const errors = findings.filter((f) => f.severity === 'error');
    super(
      `plan ${file} has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n` +
        errors.map((f) => `  ${formatFinding(f)}`).join('\n')
    );
    this.name = 'PlanError';
    this.findings = findings;
  }
}
