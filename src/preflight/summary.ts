/**
 * Preflight findings at thousands of hosts: the per-host checks that passed become one finding
 * per check ("passed on 1003 hosts"), so the activity's result, the status answer, the carried
 * state and the report stay small (a per-host list was ~1 MB at 1,000 agents, past Temporal's
 * 512 KB warning and on its way to the 2 MB limit). Warnings and failures stay per host.
 */
import type { PreflightFinding } from '../shared/activity-types';

/** Up to this many hosts, every per-host finding is kept as it is. */
export const PER_HOST_PASSES_UP_TO = 50;

export function summarizePasses(findings: PreflightFinding[], hostCount: number): PreflightFinding[] {
  if (hostCount <= PER_HOST_PASSES_UP_TO) return findings;
  const passed = new Map<string, PreflightFinding[]>();
  const out: PreflightFinding[] = [];
  for (const f of findings) {
    if (f.status !== 'pass' || f.host === undefined) {
      out.push(f);
      continue;
    }
    const same = passed.get(f.check);
    if (same) same.push(f);
    else {
      const list = [f];
      passed.set(f.check, list);
      out.push({ check: f.check, status: 'pass', message: '' }); // placeholder, filled below
    }
  }
  return out.map((f) =>
    f.status === 'pass' && f.host === undefined && f.message === '' && passed.has(f.check)
      ? summaryOf(f.check, passed.get(f.check)!)
      : f
  );
}

function summaryOf(check: string, list: PreflightFinding[]): PreflightFinding {
  const first = list[0]!;
  return { check, status: 'pass', message: `passed on ${list.length} hosts (e.g. ${first.host}: ${first.message})` };
}
