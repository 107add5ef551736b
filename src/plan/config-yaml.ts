/**
 * Runbook step 2 (bootstrap node): "compare old and new config.yaml". Reads a DC/OS config.yaml the
 * way gen does and compares two of them by meaning, not by text.
 *
 * gen reads config.yaml with PyYAML (YAML 1.1: `yes`/`no`/`on`/`off` are booleans) and turns every
 * value into a string before using it (booleans → `true`/`false`, numbers → decimal, lists and
 * mappings → JSON). So key order, comments, quoting and formatting never matter, `false` equals
 * `'false'`, and list order does matter (resolvers are tried in order).
 */
import { readFileSync } from 'node:fs';
import { type Document, isScalar, LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import { describeValue } from './durations';
import { Findings } from './findings';
import { ENABLE_IPV6_SINCE, looksSecret } from './rules';
import { isAtLeast } from './versions';

/** A parsed config.yaml: top-level parameter → value as YAML gave it. */
export type DcosConfig = Record<string, unknown>;

export interface ConfigChange {
  key: string;
  change: 'changed' | 'added' | 'removed';
  /** Value in the old config (absent when added). */
  old?: unknown;
  /** Value in the new config (absent when removed). */
  new?: unknown;
}

/**
 * Parse config.yaml text. Problems become findings against `file` (never an exception); returns
 * undefined when the text is not a usable mapping.
 */
export function parseDcosConfig(text: string, file: string, findings: Findings): DcosConfig | undefined {
  if (text.length > MAX_YAML_BYTES) {
    findings.error(
      file,
      '',
      'file-too-large',
      `${file} is ${text.length} bytes; a DC/OS config.yaml is a few KiB (at most ${MAX_YAML_BYTES} read)`,
      'point the plan at the config.yaml from genconf/'
    );
    return undefined;
  }
  const { doc, problem } = parseYaml(text, { version: '1.1' });
  if (problem) {
    findings.error(
      file,
      '',
      'config-yaml-invalid',
      problem,
      'correct the YAML syntax at that position (gen would refuse this file too)'
    );
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    findings.error(
      file,
      '',
      'config-yaml-invalid',
      `not usable YAML: ${errorText(err)}`,
      'write plain YAML (no alias tricks)'
    );
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    findings.error(
      file,
      '',
      'config-not-a-mapping',
      `a DC/OS config.yaml is a mapping of parameters, this file holds ${describeValue(value)}`,
      'point the plan at the config.yaml from genconf/ (bootstrap_url, master_list, … at the top level)'
    );
    return undefined;
  }
  return value as DcosConfig;
}

/** Read and parse a config.yaml; an unreadable file becomes a finding. */
export function readDcosConfig(path: string, findings: Findings): DcosConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    findings.error(
      path,
      '',
      'file-unreadable',
      `cannot read the file: ${errorText(err)}`,
      'check the path and the file permissions for the user running dcos-patch'
    );
    return undefined;
  }
  return parseDcosConfig(text, path, findings);
}

/** gen's view of a value: scalars as strings, mappings without order, lists with order. */
export function normalizeConfigValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalizeConfigValue);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = normalizeConfigValue((value as Record<string, unknown>)[k]);
    return out;
  }
  return String(value);
}

export function sameConfigValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalizeConfigValue(a)) === JSON.stringify(normalizeConfigValue(b));
}

/** Every parameter whose meaning differs between old and new, in the order they appear (old first). */
export function diffConfigs(oldConfig: DcosConfig, newConfig: DcosConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const key of Object.keys(oldConfig)) {
    if (!(key in newConfig)) changes.push({ key, change: 'removed', old: oldConfig[key] });
    else if (!sameConfigValue(oldConfig[key], newConfig[key]))
      changes.push({ key, change: 'changed', old: oldConfig[key], new: newConfig[key] });
  }
  for (const key of Object.keys(newConfig)) {
    if (!(key in oldConfig)) changes.push({ key, change: 'added', new: newConfig[key] });
  }
  return changes;
}

/** A string value of a parameter as gen sees it, or undefined when absent. */
export function configString(config: DcosConfig, key: string): string | undefined {
  if (!(key in config)) return undefined;
  const v = normalizeConfigValue(config[key]);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Does this config turn on IPv6 for the overlay network? `enable_ipv6` exists from DC/OS 1.11,
 * where gen defaults it to `true`; before 1.11 there is no IPv6 overlay.
 *
 * Preflight uses this (via `enableIpv6FromConfigFile`) to refuse hosts whose kernel has IPv6
 * disabled when the target config enables it.
 */
export function configEnablesIpv6(config: DcosConfig, dcosVersion: string): boolean {
  const value = configString(config, 'enable_ipv6');
  if (value === undefined) return isAtLeast(dcosVersion, ENABLE_IPV6_SINCE);
  return value === 'true';
}

/**
 * For preflight: read the plan's new config.yaml (`plan.config.newConfigPath`) and say whether the
 * patched cluster will have IPv6 enabled. Returns undefined when the file cannot be read or parsed.
 */
export function enableIpv6FromConfigFile(newConfigPath: string, toVersion: string): boolean | undefined {
  let text: string;
  try {
    text = readFileSync(newConfigPath, 'utf8');
  } catch {
    return undefined;
  }
  const config = parseDcosConfig(text, newConfigPath, new Findings());
  return config ? configEnablesIpv6(config, toVersion) : undefined;
}

/** A value for a person: secrets masked, credentials in URLs masked, long values shortened. */
export function displayConfigValue(key: string, value: unknown, present = true): string {
  if (!present) return '(absent)';
  if (looksSecret(key)) return '(masked)';
  const v = normalizeConfigValue(value);
  let text = v === null ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v);
  text = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@"]+@/gi, '$1(masked)@');
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The first YAML error with its position (later ones are usually its echo), and how many follow. */
/** Nesting deeper than this is refused as a finding (a real plan or config.yaml nests 4–5 levels). */
export const MAX_YAML_DEPTH = 64;
/** The largest plan or config.yaml read (real ones are a few KiB). */
export const MAX_YAML_BYTES = 1024 * 1024;

/**
 * Parse YAML with the problems gen and we care about as one message (undefined when fine):
 * syntax, a duplicated key — found in one pass (the yaml package's own `uniqueKeys` check is
 * quadratic: 10,000 keys took seconds) — and nesting too deep to convert safely.
 */
export function parseYaml(
  text: string,
  options: { version?: '1.1' | '1.2' }
): { doc: Document.Parsed; problem?: string } {
  const lineCounter = new LineCounter();
  if (nestedTooDeep(text)) {
    // Refused before the parser sees it: the yaml package recurses (and can exhaust memory) on it.
    const doc = parseDocument('', options);
    return { doc, problem: `not usable YAML: nested more than ${MAX_YAML_DEPTH} levels deep` };
  }
  const doc = parseDocument(text, { ...options, uniqueKeys: false, prettyErrors: true, lineCounter });
  if (doc.errors.length > 0) return { doc, problem: describeYamlErrors(doc.errors) };
  let problem: string | undefined;
  visit(doc, {
    Map(_key, map, path) {
      if (path.length > MAX_YAML_DEPTH) {
        problem = `not usable YAML: nested more than ${MAX_YAML_DEPTH} levels deep`;
        return visit.BREAK;
      }
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (seen.has(key)) {
          const at = isScalar(pair.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]) : undefined;
          problem = `not valid YAML: Map keys must be unique ("${key.slice(0, 80)}" appears twice)${at ? ` (line ${at.line}, column ${at.col})` : ''}`;
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
    Seq(_key, _seq, path) {
      if (path.length > MAX_YAML_DEPTH) {
        problem = `not usable YAML: nested more than ${MAX_YAML_DEPTH} levels deep`;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return problem ? { doc, problem } : { doc };
}

/** One linear pass: flow brackets nested deeper than MAX_YAML_DEPTH, or a block indented past it. */
export function nestedTooDeep(text: string): boolean {
  let depth = 0;
  let quote: '"' | "'" | undefined;
  let comment = false;
  let indent = 0;
  let lineStart = true;
  for (const c of text) {
    if (c === '\n') {
      comment = false;
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && c === ' ') {
      if (++indent > MAX_YAML_DEPTH * 4) return true;
      continue;
    }
    lineStart = false;
    if (comment) continue;
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_YAML_DEPTH) return true;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return false;
}

export function describeYamlErrors(errors: readonly YAMLError[]): string {
  const first = errors[0];
  if (!first) return 'not valid YAML';
  const more =
    errors.length > 1 ? ` (${errors.length - 1} more YAML error${errors.length > 2 ? 's' : ''} follow from here)` : '';
  return `not valid YAML: ${firstLine(first.message)}${positionOf(first.linePos)}${more}`;
}

export function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}

export function positionOf(linePos: readonly { line: number; col: number }[] | undefined): string {
  const p = linePos?.[0];
  return p ? ` (line ${p.line}, column ${p.col})` : '';
}

export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    const code = err.code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EISDIR') return 'it is a directory';
    return code;
  }
  return err instanceof Error ? err.message : String(err);
}
