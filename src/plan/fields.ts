/**
 * Typed reading of the plan's YAML tree: each helper reads one field, reports what is wrong as a
 * finding (missing, wrong type, unknown key with a "did you mean", bad value) and returns
 * undefined instead of throwing. parse.ts uses these to walk the plan section by section.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { DURATION_BOUNDS, isHostAddress } from '../shared/plan-input';
import { isVolatileRemoteDir, normalizeRemotePath, SAFE_FILE_NAME, SAFE_REMOTE_PATH } from '../shared/remote-paths';
import { describeValue, formatDuration, parseDuration } from './durations';
import type { Findings } from './findings';

export { isVolatileRemoteDir, normalizeRemotePath, SAFE_FILE_NAME, SAFE_REMOTE_PATH };

export type Rec = Record<string, unknown>;

export interface FieldContext {
  findings: Findings;
  /** The plan file as the caller named it (used in findings). */
  file: string;
  /** Absolute directory of the plan file: relative local paths are resolved against it. */
  dir: string;
  /** The source text of a scalar at a path (keeps `1.10` from turning into the number 1.1). */
  sourceOf: (path: readonly (string | number)[]) => string | undefined;
}

/** Every field the plan format knows, by section (dotted path of the section, '' = top level). */
export const PLAN_SCHEMA: Readonly<Record<string, readonly string[]>> = {
  '': [
    'cluster',
    'bootstrap',
    'config',
    'ssh',
    'http',
    'probes',
    'ports',
    'masters',
    'agents',
    'publicAgents',
    'policy',
    'backups',
    'preflight',
    'remoteWorkDir',
    'notify',
    'canary',
  ],
  cluster: ['name', 'variant', 'from', 'to', 'mesosVersion'],
  bootstrap: ['host', 'sshPort', 'installerDir', 'installer'],
  config: ['old', 'new', 'ipDetect', 'license'],
  ssh: ['user', 'port', 'privateKey', 'knownHosts', 'connectTimeout'],
  http: ['exhibitorTls', 'mesosHttps', 'mesosCa', 'token'],
  'http.exhibitorTls': ['ca', 'cert', 'key'],
  ports: ['exhibitor', 'mesosMaster', 'mesosAgent', 'marathon', 'mesosDns'],
  host: ['host', 'sshPort', 'ports'],
  policy: [
    'agentConcurrency',
    'agentRamp',
    'agentFailureBudget',
    'approveEachMaster',
    'approveBeforeAgents',
    'gates',
    'windows',
    'windowMinNodeTime',
    'health',
  ],
  'policy.windows': ['days', 'start', 'end', 'timeZone', 'from', 'to'],
  'policy.gates': [
    'pollInterval',
    'stablePolls',
    'exhibitorTimeout',
    'mesosMasterTimeout',
    'cockroachTimeout',
    'cockroachPollInterval',
    'agentWindow',
    'scriptTimeout',
  ],
  backups: ['zookeeper', 'iam'],
  preflight: ['override'],
  notify: ['url', 'urlFile', 'headerFile', 'events'],
  canary: ['app', 'instances', 'cmd', 'deployTimeout', 'pollInterval'],
};

export function join(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix ? `${prefix}.${key}` : key;
}

export function isRec(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value is absent when the key is missing or written with nothing after it (`key:`). */
function absent(value: unknown): boolean {
  return value === undefined || value === null;
}

/**
 * A mapping section. Reports a missing required section, a non-mapping, and every unknown key
 * (`schemaKey` names its entry in PLAN_SCHEMA; `field` is where it is in this plan).
 */
export function readSection(
  ctx: FieldContext,
  value: unknown,
  field: string,
  schemaKey: string,
  required: boolean
): Rec | undefined {
  if (absent(value)) {
    if (required) {
      ctx.findings.error(
        ctx.file,
        field,
        'field-missing',
        `required section ${field} is missing`,
        `add a ${field}: section (see docs/plan-file.md)`
      );
    }
    return undefined;
  }
  if (!isRec(value)) {
    ctx.findings.error(
      ctx.file,
      field,
      'field-type',
      `${field} must be a mapping of fields, found ${describeValue(value)}`,
      `write ${field}: as a mapping (key: value lines indented beneath it), see docs/plan-file.md`
    );
    return undefined;
  }
  checkUnknownKeys(ctx, value, field, schemaKey);
  return value;
}

export function checkUnknownKeys(ctx: FieldContext, rec: Rec, field: string, schemaKey: string): void {
  const known = PLAN_SCHEMA[schemaKey] ?? [];
  for (const key of Object.keys(rec)) {
    if (known.includes(key)) continue;
    const guess = suggest(key, known) ?? suggestElsewhere(key, schemaKey);
    ctx.findings.error(
      ctx.file,
      join(field, key),
      'field-unknown',
      `unknown field "${key}" in ${field || 'the top level'}${guess ? ` (did you mean ${guess}?)` : ''}`,
      guess
        ? `rename it to ${guess}`
        : `remove it; the fields allowed here are: ${known.join(', ')} (see docs/plan-file.md)`
    );
  }
}

/** The closest known name: same letters ignoring case and _/-, or at most 2 edits away. */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const n = norm(name);
  const same = candidates.find((c) => norm(c) === n);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(n, norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = n.length <= 4 ? 1 : 2;
  return bestDistance <= limit ? best : undefined;
}

/** A key written in the wrong section: `agentConcurrency` at the top level → `policy.agentConcurrency`. */
function suggestElsewhere(name: string, schemaKey: string): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  for (const [section, keys] of Object.entries(PLAN_SCHEMA)) {
    if (section === schemaKey || section === 'host') continue;
    const hit = keys.find((k) => norm(k) === norm(name));
    if (hit) return `${join(section, hit)} (it belongs in ${section || 'the top level'})`;
  }
  return undefined;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function missing(ctx: FieldContext, field: string, what: string): void {
  ctx.findings.error(ctx.file, field, 'field-missing', `required field ${field} is missing`, `set ${field} to ${what}`);
}

function wrongType(ctx: FieldContext, field: string, expected: string, value: unknown, example: string): void {
  ctx.findings.error(
    ctx.file,
    field,
    'field-type',
    `${field} must be ${expected}, found ${describeValue(value)}`,
    `write it as ${example}`
  );
}

export function readString(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  opts: { required: boolean; example: string }
): string | undefined {
  const value = rec?.[key];
  if (absent(value) || value === '') {
    if (opts.required) missing(ctx, field, opts.example);
    return undefined;
  }
  if (typeof value !== 'string') {
    wrongType(ctx, field, 'a string', value, opts.example);
    return undefined;
  }
  return value;
}

/**
 * A version-like string. YAML reads `2.1` and `1.10` as numbers (1.10 → 1.1), so the scalar's
 * source text is used when the value is a number.
 */
export function readVersionText(
  ctx: FieldContext,
  rec: Rec | undefined,
  path: readonly string[],
  field: string,
  required: boolean
): string | undefined {
  const value = rec?.[path[path.length - 1]!];
  if (absent(value) || value === '') {
    if (required) missing(ctx, field, 'a DC/OS release like 2.1.4');
    return undefined;
  }
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return ctx.sourceOf(path) ?? String(value);
  wrongType(ctx, field, 'a version string', value, 'a release like 2.1.4');
  return undefined;
}

export function readInt(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  opts: { min: number; max?: number; fallback: number; why?: string }
): number {
  const value = rec?.[key];
  if (absent(value)) return opts.fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    wrongType(ctx, field, 'a whole number', value, `a number like ${opts.fallback}`);
    return opts.fallback;
  }
  if (value < opts.min || (opts.max !== undefined && value > opts.max)) {
    const range = opts.max !== undefined ? `between ${opts.min} and ${opts.max}` : `at least ${opts.min}`;
    ctx.findings.error(
      ctx.file,
      field,
      'value-out-of-range',
      `${field} is ${value}; it must be ${range}${opts.why ? ` (${opts.why})` : ''}`,
      `set ${field} to a number ${range}`
    );
    return opts.fallback;
  }
  return value;
}

export function readBool(ctx: FieldContext, rec: Rec | undefined, key: string, field: string, fallback: boolean) {
  const value = rec?.[key];
  if (absent(value)) return fallback;
  if (typeof value !== 'boolean') {
    wrongType(ctx, field, 'true or false', value, 'true or false (unquoted)');
    return fallback;
  }
  return value;
}

/** A duration in ms; must be > 0. Returns the fallback (after reporting) when invalid. */
export function readDuration(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  fallback: number
): number {
  const value = rec?.[key];
  if (absent(value)) return fallback;
  const parsed = parseDuration(value);
  if (!parsed.ok) {
    ctx.findings.error(
      ctx.file,
      field,
      'duration-invalid',
      parsed.problem,
      'write a whole number with one unit, e.g. 500ms, 30s, 5m, 1h (a bare number means milliseconds)'
    );
    return fallback;
  }
  if (parsed.ms === 0) {
    ctx.findings.error(
      ctx.file,
      field,
      'value-out-of-range',
      `${field} is zero`,
      `give ${field} a positive duration, e.g. 30s`
    );
    return fallback;
  }
  // The same bounds the workflow applies to its input: nothing that passes can fail later on its value.
  const bounds = DURATION_BOUNDS[field];
  if (bounds && (parsed.ms < bounds[0] || parsed.ms > bounds[1])) {
    const range = `from ${formatDuration(bounds[0])} to ${formatDuration(bounds[1])}`;
    ctx.findings.error(
      ctx.file,
      field,
      'value-out-of-range',
      `${field} is ${describeValue(value)}; it must be ${range}`,
      `set ${field} to a duration ${range}`
    );
    return fallback;
  }
  return parsed.ms;
}

export function readEnum<T extends string>(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  allowed: readonly T[],
  opts: { required: boolean }
): T | undefined {
  const value = rec?.[key];
  if (absent(value)) {
    if (opts.required) missing(ctx, field, `one of: ${allowed.join(', ')}`);
    return undefined;
  }
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const guess = typeof value === 'string' ? suggest(value, allowed) : undefined;
  ctx.findings.error(
    ctx.file,
    field,
    'field-invalid-value',
    `${field} is ${describeValue(value)}; allowed: ${allowed.join(', ')}`,
    guess ? `did you mean ${guess}? set ${field}: ${guess}` : `set ${field} to one of: ${allowed.join(', ')}`
  );
  return undefined;
}

/** Characters that never need shell quoting in a host name, an IPv4 or an IPv6 address. */
export const SAFE_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.:-]{0,251}[A-Za-z0-9])?$/;
/** Characters that never need shell quoting in an absolute path on a remote host. */

/**
 * A host name or address. Hosts end up in ssh targets, URLs and remote shell commands, so only a
 * conservative character set is accepted instead of quoting.
 */
export function readHost(ctx: FieldContext, value: unknown, field: string, required: boolean): string | undefined {
  if (absent(value) || value === '') {
    if (required) missing(ctx, field, 'an address like 10.0.0.11');
    return undefined;
  }
  if (typeof value !== 'string') {
    wrongType(ctx, field, 'an address or host name', value, 'an address like 10.0.0.11');
    return undefined;
  }
  if (!SAFE_HOST.test(value) && !isHostAddress(value)) {
    ctx.findings.error(
      ctx.file,
      field,
      'host-shell-unsafe',
      `"${value}" is not a plain host name or address: it would need quoting in a shell or URL`,
      'use an IPv4/IPv6 address or a DNS name made only of letters, digits, ".", "-" (and ":" in IPv6); no spaces, brackets, user@ or :port'
    );
    return undefined;
  }
  if (!isHostAddress(value)) {
    ctx.findings.error(
      ctx.file,
      field,
      'host-invalid',
      `"${value}" is not an address: neither a dotted-quad IPv4 address (four numbers 0–255, no leading zeros), an IPv6 address, nor an RFC 1123 host name`,
      'write e.g. 10.0.0.11, fd00::11 or master-1.example.com; a port goes in sshPort or ports, never in the host'
    );
    return undefined;
  }
  return value;
}

/** An absolute path on a remote host, used in remote shell commands: conservative characters only. */
export function readRemotePath(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  opts: { required: boolean; fallback?: string; example: string }
): string | undefined {
  const value = readString(ctx, rec, key, field, { required: opts.required, example: opts.example });
  if (value === undefined) return opts.fallback;
  if (!value.startsWith('/')) {
    ctx.findings.error(
      ctx.file,
      field,
      'path-not-absolute',
      `${field} is "${value}"; a path on the remote host must be absolute (no ~, no relative paths: the remote shell's directory is not known)`,
      `write the full path, e.g. ${opts.example}`
    );
    return undefined;
  }
  if (!SAFE_REMOTE_PATH.test(value)) {
    ctx.findings.error(
      ctx.file,
      field,
      'path-shell-unsafe',
      `${field} "${value}" holds characters that would need shell quoting on the remote host`,
      'use only letters, digits and . _ - + / in remote paths'
    );
    return undefined;
  }
  const normal = normalizeRemotePath(value);
  if (value.split('/').includes('..') || normal === '/') {
    ctx.findings.error(
      ctx.file,
      field,
      'path-shell-unsafe',
      `${field} "${value}" is the root directory or climbs with ".."`,
      `write a plain absolute directory, e.g. ${opts.example}`
    );
    return undefined;
  }
  return normal;
}

/** A file name (no directory) used in remote commands. */
export function readFileName(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  fallback: string
): string {
  const value = readString(ctx, rec, key, field, { required: false, example: fallback });
  if (value === undefined) return fallback;
  // A leading "-" would be read as an option (`sudo bash -c …`); "." and ".." name directories.
  if (!SAFE_FILE_NAME.test(value) || value.startsWith('-') || value === '.' || value === '..') {
    ctx.findings.error(
      ctx.file,
      field,
      'path-shell-unsafe',
      `${field} "${value}" must be a plain file name (no directory, no leading "-", no characters that need shell quoting)`,
      `use a name like ${fallback}; put the directory in the matching *Dir field`
    );
    return fallback;
  }
  return value;
}

/**
 * Resolve a local path the way the plan format promises: `~` and `~/…` expand to the home
 * directory, relative paths resolve against the plan file's directory. `~user` is refused.
 */
export function resolveLocalPath(
  raw: string,
  dir: string
): { ok: true; path: string } | { ok: false; problem: string } {
  let p = raw;
  if (p === '~' || p.startsWith('~/')) p = homedir() + p.slice(1);
  else if (p.startsWith('~')) return { ok: false, problem: `"${raw}": only ~ and ~/ are expanded, not ~user` };
  return { ok: true, path: isAbsolute(p) ? resolve(p) : resolve(dir, p) };
}
