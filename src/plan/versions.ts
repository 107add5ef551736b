/**
 * DC/OS release numbers and the patch paths the runbook supports:
 * the next patch release of the same minor, or the identical release (a configuration change).
 * A later patch of the same minor is allowed by the upgrade tables but skips releases (warned);
 * a minor or major change is an upgrade, not a patch; nothing goes backwards.
 */
import type { Findings } from './findings';
import { DOCS } from './rules';

export interface Release {
  major: number;
  minor: number;
  patch: number;
}

/** `2.1.4` → {2, 1, 4}; anything else (2.1, 2.1.4-beta, v2.1.4) → undefined. */
export function parseRelease(text: string): Release | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatRelease(r: Release): string {
  return `${r.major}.${r.minor}.${r.patch}`;
}

export type PatchPath =
  | { kind: 'same' }
  | { kind: 'next' }
  | { kind: 'skips'; skipped: string[] }
  | { kind: 'minor-change' }
  | { kind: 'major-change' }
  | { kind: 'downgrade' };

export function classifyPatchPath(from: Release, to: Release): PatchPath {
  const order = compareReleases(to, from);
  if (order < 0) return { kind: 'downgrade' };
  if (to.major !== from.major) return { kind: 'major-change' };
  if (to.minor !== from.minor) return { kind: 'minor-change' };
  if (to.patch === from.patch) return { kind: 'same' };
  if (to.patch === from.patch + 1) return { kind: 'next' };
  const skipped: string[] = [];
  for (let p = from.patch + 1; p < to.patch; p++) skipped.push(formatRelease({ ...from, patch: p }));
  return { kind: 'skips', skipped };
}

export function compareReleases(a: Release, b: Release): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Is release `version` (X.Y.Z) on or after the release line `line` (X.Y)? False when unparseable. */
export function isAtLeast(version: string, line: string): boolean {
  const r = parseRelease(version);
  const m = /^(\d+)\.(\d+)$/.exec(line);
  if (!r || !m) return false;
  return r.major > Number(m[1]) || (r.major === Number(m[1]) && r.minor >= Number(m[2]));
}

/**
 * The patch-path rule on `cluster.from` → `cluster.to`. Returns whether the version changes
 * (undefined when either version is unusable).
 */
export function checkPatchPath(
  file: string,
  from: string | undefined,
  to: string | undefined,
  findings: Findings
): boolean | undefined {
  const parse = (text: string | undefined, field: string): Release | undefined => {
    if (text === undefined) return undefined;
    const r = parseRelease(text);
    if (!r) {
      findings.error(
        file,
        field,
        'version-unparseable',
        `${field} is "${text}"; a DC/OS release is written major.minor.patch`,
        `write the full release as printed in /opt/mesosphere/etc/dcos-version.json, e.g. ${field === 'cluster.from' ? '2.1.4' : '2.1.5'}`
      );
    }
    return r;
  };
  const f = parse(from, 'cluster.from');
  const t = parse(to, 'cluster.to');
  if (!f || !t) return undefined;
  const path = classifyPatchPath(f, t);
  switch (path.kind) {
    case 'same':
      return false;
    case 'next':
      return true;
    case 'skips':
      findings.warning(
        file,
        'cluster.to',
        'patch-path-skips-releases',
        `${from} → ${to} skips ${path.skipped.join(', ')}; the patch runbook covers the next patch release, the upgrade tables allow a later patch of the same minor`,
        `read the release notes of ${path.skipped.join(', ')} for steps they require, or patch to ${formatRelease({ ...f, patch: f.patch + 1 })} first`
      );
      return true;
    case 'downgrade':
      findings.error(
        file,
        'cluster.to',
        'patch-path-downgrade',
        `${from} → ${to} is a downgrade; DC/OS cannot be downgraded`,
        'set cluster.to to the installed release or a later patch of it; to go back, restore from backup'
      );
      return undefined;
    case 'minor-change':
    case 'major-change':
      findings.error(
        file,
        'cluster.to',
        path.kind === 'minor-change' ? 'patch-path-minor-change' : 'patch-path-major-change',
        `${from} → ${to} changes the ${path.kind === 'minor-change' ? 'minor' : 'major'} release; that follows ${DOCS.upgrade}`,
        `use the DC/OS upgrade procedure for ${to}, or set cluster.to to a patch release of ${f.major}.${f.minor}`
      );
      return undefined;
  }
}
