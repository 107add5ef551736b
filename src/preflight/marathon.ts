/**
 * Runbook step 1, the Marathon preconditions, as pure evaluators:
 * - app constraints valid (the script the DC/OS docs link to does nothing as published, so the
 *   rules are implemented here, after Marathon's own SchedulingValidation);
 * - Marathon-on-Marathon instances at 1.3.5 or later;
 * - no `--event_subscriber http_callback` in the Marathon start options on the masters.
 */
import type { PreflightFinding } from '../shared/activity-types';
import { fail, pass, warn } from './catalog';

// ---- constraints ------------------------------------------------------------------------------

/** How an operator treats the third element of a constraint. */
export type ValueRule = 'forbidden' | 'optional' | 'required';
/** What a present value must look like. */
export type ValueFormat = 'any' | 'integer' | 'regex' | 'mesos-text' | 'mesos-set';

/**
 * Marathon's constraint operators and their value rules (Marathon `SchedulingValidation`, 1.5+;
 * the operator is matched case-insensitively as Marathon does). *(check)* `IN` follows the
 * Marathon docs ("a Mesos set value, `{a,b}`"); `IS` takes a Mesos text or scalar value.
 */
export const CONSTRAINT_OPERATORS: Readonly<Record<string, { value: ValueRule; format: ValueFormat }>> = {
  UNIQUE: { value: 'forbidden', format: 'any' },
  CLUSTER: { value: 'optional', format: 'any' },
  GROUP_BY: { value: 'optional', format: 'integer' },
  MAX_PER: { value: 'required', format: 'integer' },
  LIKE: { value: 'required', format: 'regex' },
  UNLIKE: { value: 'required', format: 'regex' },
  IS: { value: 'optional', format: 'mesos-text' },
  IN: { value: 'required', format: 'mesos-set' },
};

/** A Mesos text (or scalar) attribute value, as Marathon's IS accepts it. */
const MESOS_TEXT = /^[a-zA-Z0-9_/.-]*$/;
const MESOS_SET_ITEM = /^[a-zA-Z0-9_/.-]+$/;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** Is `text` what Java's Integer.parseInt accepts (Marathon's `toInt`)? */
export function isJavaInt(text: string): boolean {
  if (!/^[+-]?\d+$/.test(text)) return false;
  const n = Number(text);
  return n >= INT32_MIN && n <= INT32_MAX;
}

function describe(c: unknown): string {
  return JSON.stringify(c) ?? String(c);
}

/**
 * Why Marathon would refuse this constraint, or undefined when it is valid.
 * `c` is one element of an app's `constraints` as /v2/apps returns it.
 */
export function constraintProblem(c: unknown): string | undefined {
  if (!Array.isArray(c)) return 'a constraint is a list [field, operator] or [field, operator, value]';
  if (c.length < 2 || c.length > 3) return `a constraint has 2 or 3 elements, this one has ${c.length}`;
  if (!c.every((x) => typeof x === 'string')) return 'every element of a constraint is a string';
  const [field, op, value] = c as string[];
  if (!field) return 'the field name is empty';
  const rule = CONSTRAINT_OPERATORS[(op ?? '').toUpperCase()];
  if (!rule) return `unknown operator "${op}"; one of ${Object.keys(CONSTRAINT_OPERATORS).join(', ')}`;
  const name = (op ?? '').toUpperCase();
  if (value === undefined) {
    return rule.value === 'required' ? `${name} needs a value (${formatHint(rule.format)})` : undefined;
  }
  if (rule.value === 'forbidden') return `${name} does not take a value (found "${value}")`;
  switch (rule.format) {
    case 'any':
      return undefined;
    case 'integer':
      return isJavaInt(value) ? undefined : `${name} value "${value}" is not an integer`;
    case 'regex': {
      const problem = javaRegexProblem(value);
      return problem ? `${name} value "${value}" is not a valid regular expression: ${problem}` : undefined;
    }
    case 'mesos-text':
      return MESOS_TEXT.test(value)
        ? undefined
        : `${name} value "${value}" is not a Mesos text or scalar value (letters, digits, _ / . - only)`;
    case 'mesos-set':
      return isMesosSet(value) ? undefined : `${name} value "${value}" is not a Mesos set value like {a,b,c}`;
  }
}

function formatHint(format: ValueFormat): string {
  switch (format) {
    case 'integer':
      return 'an integer';
    case 'regex':
      return 'a regular expression';
    case 'mesos-set':
      return 'a set like {a,b}';
    default:
      return 'a string';
  }
}

export function isMesosSet(value: string): boolean {
  const m = /^\{(.*)\}$/.exec(value.trim());
  if (!m) return false;
  const items = (m[1] ?? '').split(',').map((s) => s.trim());
  return items.length > 0 && items.every((s) => MESOS_SET_ITEM.test(s));
}

// ---- Java regular expressions -----------------------------------------------------------------

/** Letters Java 8's Pattern accepts after a backslash (any other letter is an error there). */
const JAVA_ESCAPE_LETTERS = new Set('tnrfaecxudDsSwWhHvVpPbBAGZzQERk'.split(''));
const JAVA_INLINE_FLAGS = /^[idmsuxU]*(-[idmsuxU]*)?$/;

/**
 * Marathon compiles LIKE/UNLIKE values with java.util.regex.Pattern. Node has no Java regex, so
 * this rewrites the Java-only syntax that JavaScript refuses (inline flags `(?i)`, `(?i:…)`,
 * atomic groups, possessive quantifiers, `\Q…\E`, `\A \Z \z \G \R \h \H \e \a`) into equivalents,
 * applies the rules Java has and JavaScript lacks (unknown letter escapes, a `{` that starts no
 * valid repetition), then compiles the rest with RegExp. Returns the problem or undefined.
 */
export function javaRegexProblem(pattern: string): string | undefined {
  let out = '';
  let inClass = false;
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const wasQuantifier = afterQuantifier;
    afterQuantifier = false;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return 'a trailing backslash';
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if (/[a-zA-Z]/.test(next) && !JAVA_ESCAPE_LETTERS.has(next)) return `unknown escape \\${next}`;
      // Escapes with an argument: consume it whole and emit a plain atom (only syntax matters here).
      const arg = escapeArgument(pattern, i + 2, next);
      if (typeof arg === 'string') return arg;
      if (arg > 0) {
        out += 'a';
        i += arg;
        continue;
      }
      const rewrite: Record<string, string> = inClass
        ? { a: '\\x07', e: '\\x1B', h: ' \\t', H: 'x', R: 'x', A: 'A', Z: 'Z', z: 'z', G: 'G', E: '' }
        : {
            a: '\\x07',
            e: '\\x1B',
            h: '[ \\t]',
            H: '[^ \\t]',
            R: '(?:\\r\\n|[\\n\\r])',
            A: '^',
            Z: '$',
            z: '$',
            G: '',
            E: '',
          };
      out += rewrite[next] ?? `\\${next}`;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      // A `]` first in a Java class is a literal; JavaScript would read `[]` as an empty class.
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('>')) {
        out += '(?:';
        i += 2;
        continue;
      }
      const flags = /^([a-zA-Z-]*)([:)])/.exec(rest);
      if (flags && flags[1] !== undefined && flags[1].length > 0 && !rest.startsWith('<')) {
        if (!JAVA_INLINE_FLAGS.test(flags[1])) return `unknown inline flag in (?${flags[1]}${flags[2]}`;
        out += flags[2] === ':' ? '(?:' : '';
        i += 1 + flags[0].length;
        continue;
      }
    }
    if (ch === '{') {
      const rep = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (!rep) return `illegal repetition at "${pattern.slice(i, i + 10)}"`;
      if (rep[3] && Number(rep[3]) < Number(rep[1])) return `illegal repetition range ${rep[0]}`;
      out += rep[0];
      i += rep[0].length - 1;
      afterQuantifier = true;
      continue;
    }
    if (ch === '*' || ch === '?' || ch === '+') {
      if (ch === '+' && wasQuantifier) continue; // possessive: same language, drop the `+`
      if (ch === '?' && wasQuantifier) {
        out += ch; // lazy
        continue;
      }
      out += ch;
      afterQuantifier = true;
      continue;
    }
    out += ch;
  }
  if (inClass) return 'an unclosed character class';
  try {
    new RegExp(out);
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(
      /^Invalid regular expression: \/.*\/[a-z]*: /,
      ''
    );
  }
}

/**
 * For `\p{…}`, `\pL`, `\x{…}`, `\xhh`, `\uhhhh`, `\cX`, `\0ooo`: how many characters after the
 * backslash belong to the escape (its letter included), or the problem; 0 for escapes without an
 * argument.
 */
function escapeArgument(pattern: string, at: number, letter: string): number | string {
  const rest = pattern.slice(at);
  switch (letter) {
    case 'p':
    case 'P': {
      const m = /^(\{[A-Za-z_=]+\}|[A-Za-z])/.exec(rest);
      return m ? m[0].length + 1 : `\\${letter} needs a property name, e.g. \\${letter}{Alpha}`;
    }
    case 'x': {
      const m = /^(\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2})/.exec(rest);
      return m ? m[0].length + 1 : 'illegal hexadecimal escape \\x';
    }
    case 'u':
      return /^[0-9a-fA-F]{4}/.test(rest) ? 5 : 'illegal Unicode escape \\u';
    case 'c':
      return rest.length > 0 ? 2 : 'illegal control escape \\c';
    case '0': {
      const m = /^[0-7]{1,3}/.exec(rest);
      return m ? m[0].length + 1 : 'illegal octal escape \\0';
    }
    default:
      return 0;
  }
}

// ---- apps -------------------------------------------------------------------------------------

/** The fields of a Marathon app (GET /v2/apps) that preflight reads. */
export interface MarathonApp {
  id: string;
  constraints?: unknown;
  labels?: Record<string, string>;
  container?: { docker?: { image?: string } };
}

/** Read `/v2/apps` JSON; anything that is not `{ apps: [...] }` with string ids is an error. */
export function parseMarathonApps(body: unknown): MarathonApp[] {
  const apps = body && typeof body === 'object' && 'apps' in body ? (body as { apps: unknown }).apps : undefined;
  if (!Array.isArray(apps)) throw new Error('the answer has no "apps" list');
  return apps.map((a, i) => {
    if (!a || typeof a !== 'object') throw new Error(`apps[${i}] is not an object`);
    const rec = a as Record<string, unknown>;
    const id = typeof rec.id === 'string' ? rec.id : `(apps[${i}] without id)`;
    const labels: Record<string, string> = {};
    if (rec.labels && typeof rec.labels === 'object') {
      for (const [k, v] of Object.entries(rec.labels as Record<string, unknown>))
        if (typeof v === 'string') labels[k] = v;
    }
    const container = rec.container as { docker?: { image?: unknown } } | undefined;
    const image = container?.docker?.image;
    return {
      id,
      constraints: rec.constraints,
      labels,
      ...(typeof image === 'string' ? { container: { docker: { image } } } : {}),
    };
  });
}

/** `marathon-constraints`: one fail per bad constraint (app id and constraint named), else one pass. */
export function evaluateConstraints(apps: readonly MarathonApp[]): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  let count = 0;
  for (const app of apps) {
    if (app.constraints === undefined || app.constraints === null) continue;
    if (!Array.isArray(app.constraints)) {
      findings.push(fail('marathon-constraints', `app ${app.id}: "constraints" is not a list`));
      continue;
    }
    for (const c of app.constraints) {
      count++;
      const problem = constraintProblem(c);
      if (problem) findings.push(fail('marathon-constraints', `app ${app.id}: constraint ${describe(c)}: ${problem}`));
    }
  }
  if (findings.length === 0) {
    findings.push(pass('marathon-constraints', `${count} constraint(s) in ${apps.length} app(s), all valid`));
  }
  return findings;
}

/** Marathon instances are recognised by package label or image repository (data, easy to extend). */
export const MARATHON_PACKAGE_NAMES: readonly string[] = ['marathon'];
export const MARATHON_IMAGE_REPOSITORIES: readonly string[] = ['mesosphere/marathon'];
export const MIN_MARATHON_ON_MARATHON = '1.3.5';

/** `registry.example.com:5000/mesosphere/marathon:v1.4.2` → { repository: 'mesosphere/marathon', tag: 'v1.4.2' }. */
export function splitImage(image: string): { repository: string; tag?: string } {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const tag = colon > slash ? noDigest.slice(colon + 1) : undefined;
  let repository = colon > slash ? noDigest.slice(0, colon) : noDigest;
  const parts = repository.split('/');
  // A first part with a dot or colon (or `localhost`) is a registry host.
  if (parts.length > 2 || (parts.length === 2 && /[.:]|^localhost$/.test(parts[0] ?? ''))) {
    if (/[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift();
  }
  repository = parts.join('/').replace(/^docker\.io\//, '');
  return tag === undefined ? { repository } : { repository, tag };
}

/** Is this app a Marathon instance (Marathon-on-Marathon)? */
export function isMarathonInstance(app: MarathonApp): boolean {
  const pkg = app.labels?.DCOS_PACKAGE_NAME;
  if (pkg !== undefined && MARATHON_PACKAGE_NAMES.includes(pkg)) return true;
  const image = app.container?.docker?.image;
  return image !== undefined && MARATHON_IMAGE_REPOSITORIES.includes(splitImage(image).repository);
}

/** The Marathon version of a Marathon instance: the package label first, then the image tag. */
export function marathonInstanceVersion(app: MarathonApp): string | undefined {
  const fromLabel = app.labels?.DCOS_PACKAGE_VERSION;
  if (fromLabel && parseVersionPrefix(fromLabel)) return fromLabel;
  const image = app.container?.docker?.image;
  const tag = image ? splitImage(image).tag : undefined;
  return tag && parseVersionPrefix(tag) ? tag : undefined;
}

export interface VersionPrefix {
  parts: [number, number, number];
  /** Text after the numbers (`-RC2`); a pre-release sorts before its release. */
  suffix: string;
}

/** `v1.4.2-RC1` → [1, 4, 2] + `-RC1`; `1.10` → [1, 10, 0]. */
export function parseVersionPrefix(text: string): VersionPrefix | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(.*)$/.exec(text.trim());
  if (!m) return undefined;
  return { parts: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], suffix: m[4] ?? '' };
}

/** Negative when a < b, as dotted versions (pre-release suffixes before the release). */
export function compareVersions(a: string, b: string): number {
  const x = parseVersionPrefix(a);
  const y = parseVersionPrefix(b);
  if (!x || !y) throw new Error(`not a version: ${x ? b : a}`);
  for (let i = 0; i < 3; i++) {
    const d = x.parts[i]! - y.parts[i]!;
    if (d !== 0) return d;
  }
  const pre = (v: VersionPrefix) => (/^[-~]/.test(v.suffix) ? 0 : 1);
  return pre(x) - pre(y);
}

/** `marathon-on-marathon`: each Marathon instance must be ≥ 1.3.5. */
export function evaluateMarathonOnMarathon(apps: readonly MarathonApp[]): PreflightFinding[] {
  const instances = apps.filter(isMarathonInstance);
  if (instances.length === 0) return [pass('marathon-on-marathon', 'no Marathon-on-Marathon instances')];
  return instances.map((app) => {
    const version = marathonInstanceVersion(app);
    if (version === undefined) {
      return warn(
        'marathon-on-marathon',
        `app ${app.id} is a Marathon instance whose version cannot be read (no DCOS_PACKAGE_VERSION label, image ${app.container?.docker?.image ?? '(none)'})`,
        undefined,
        `confirm it runs Marathon ${MIN_MARATHON_ON_MARATHON} or later`
      );
    }
    if (compareVersions(version, MIN_MARATHON_ON_MARATHON) < 0) {
      return fail(
        'marathon-on-marathon',
        `app ${app.id} runs Marathon ${version}; the patch needs ${MIN_MARATHON_ON_MARATHON} or later`
      );
    }
    return pass('marathon-on-marathon', `app ${app.id} runs Marathon ${version}`);
  });
}

// ---- event subscribers ------------------------------------------------------------------------

/**
 * Does the `systemctl cat dcos-marathon` output enable the HTTP callback event subscriber?
 * Looks at command-line flags (`--event_subscriber http_callback`, `=`, quoted) and the
 * environment form Marathon also reads (`MARATHON_EVENT_SUBSCRIBER=http_callback`); comment lines
 * are ignored.
 */
export function enablesHttpCallback(unitText: string): boolean {
  return unitText
    .split('\n')
    .filter((line) => !/^\s*[#;]/.test(line))
    .some(
      (line) =>
        /--event_subscriber(?:\s+|=)["']?http_callback\b/.test(line) ||
        /\bMARATHON_EVENT_SUBSCRIBER=["']?http_callback\b/.test(line)
    );
}

/** Where DC/OS starts Marathon from: the flags (and so an `--event_subscriber`) are in this script. */
export const MARATHON_SCRIPT = '/opt/mesosphere/bin/marathon.sh';

/**
 * The runbook: no `--event_subscriber http_callback` in /opt/mesosphere/bin/marathon.sh on the
 * masters. The unit (`systemctl cat dcos-marathon`) is read too: options can be added there.
 */
export function evaluateEventSubscriber(
  host: string,
  script: { output: string; exitCode: number },
  unit: { output: string; exitCode: number }
): PreflightFinding {
  if (script.exitCode !== 0) {
    return fail(
      'marathon-event-subscribers',
      `cannot read ${MARATHON_SCRIPT} (exit ${script.exitCode}: ${oneLine(script.output)})`,
      host,
      'check that this host is a master and that Marathon is installed'
    );
  }
  if (enablesHttpCallback(script.output)) {
    return fail('marathon-event-subscribers', `${MARATHON_SCRIPT} passes --event_subscriber http_callback`, host);
  }
  if (unit.exitCode === 0 && enablesHttpCallback(unit.output)) {
    return fail(
      'marathon-event-subscribers',
      'the dcos-marathon unit enables --event_subscriber http_callback in its options',
      host
    );
  }
  return pass(
    'marathon-event-subscribers',
    `no http_callback event subscriber in ${MARATHON_SCRIPT} or the dcos-marathon unit`,
    host
  );
}

export function oneLine(text: string, max = 160): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line || '(no output)';
}
