/**
 * DC/OS releases and the Mesos version each ships, used to know what `mesos-master --version`
 * must show after a patch. Where a patch release is not listed, the minor's Mesos line is used
 * and the gate compares `major.minor` only; a plan can always set `cluster.mesosVersion`.
 */
export const MESOS_BY_DCOS_MINOR: Record<string, string> = {
  '1.10': '1.4',
  '1.11': '1.5',
  '1.12': '1.7',
  '1.13': '1.8',
  '2.0': '1.9',
  '2.1': '1.10',
  '2.2': '1.11',
};

/** Exact Mesos versions for releases where we know them. */
export const MESOS_BY_DCOS_RELEASE: Record<string, string> = {
  '2.0.0': '1.9.0',
  '2.1.0': '1.10.0',
  '2.1.4': '1.10.1',
  '2.1.5': '1.10.1',
  '2.2.0': '1.11.0',
};

/** The Mesos version a DC/OS release ships: exact when known, else `major.minor`, else undefined. */
export function mesosVersionFor(dcosVersion: string): string | undefined {
  const exact = MESOS_BY_DCOS_RELEASE[dcosVersion];
  if (exact) return exact;
  const m = /^(\d+)\.(\d+)\./.exec(dcosVersion);
  return m ? MESOS_BY_DCOS_MINOR[`${m[1]}.${m[2]}`] : undefined;
}

/** Does `seen` (e.g. "1.10.1") satisfy `expected` ("1.10.1" exactly, or "1.10" as a prefix)? */
export function mesosVersionMatches(seen: string, expected: string): boolean {
  if (expected.split('.').length >= 3) return seen === expected;
  return seen === expected || seen.startsWith(`${expected}.`);
}

/**
 * Does this DC/OS run the IAM service on CockroachDB? Enterprise always; open DC/OS since 1.13.
 * Where it does, the IAM database is backed up and CockroachDB is a master gate.
 */
export function runsIamDatabase(variant: 'open' | 'enterprise', dcosVersion: string): boolean {
  if (variant === 'enterprise') return true;
  const m = /^(\d+)\.(\d+)/.exec(dcosVersion);
  if (!m) return true;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 13);
}
