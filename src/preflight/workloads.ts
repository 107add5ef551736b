import { cockroachReplicated, cockroachUnderreplicated } from '../activities/parsers';
import type { PreflightFinding } from '../shared/activity-types';
import { fail, pass, warn } from './catalog';

/**
 * Marathon app health as `/v2/apps` reports it: an app is healthy when all its instances run and,
 * when it has health checks, all of them pass. Read at preflight (the baseline: apps already not
 * healthy are named and never block) and after each node (an app healthy before the patch must be
 * healthy again before the next node). Pure.
 */

export interface AppHealth {
  id: string;
  instances: number;
  running: number;
  healthy: number;
  unhealthy: number;
  /** The app has Marathon health checks (healthy/unhealthy counts mean something). */
  checked: boolean;
}

export function parseAppHealth(body: unknown): AppHealth[] {
  const apps = body && typeof body === 'object' && 'apps' in body ? (body as { apps: unknown }).apps : undefined;
  if (!Array.isArray(apps)) throw new Error('the answer has no "apps" list');
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return apps
    .filter((a): a is Record<string, unknown> => !!a && typeof a === 'object' && typeof a.id === 'string')
    .map((a) => ({
      id: a.id as string,
      instances: num(a.instances),
      running: num(a.tasksRunning),
      healthy: num(a.tasksHealthy),
      unhealthy: num(a.tasksUnhealthy),
      checked: Array.isArray(a.healthChecks) && a.healthChecks.length > 0,
    }));
}

/** Why the app is not healthy ("1/2 running", "0/2 passing health checks"), or undefined. */
export function appProblem(a: AppHealth): string | undefined {
  if (a.running < a.instances) return `${a.running}/${a.instances} running`;
  if (a.checked && (a.unhealthy > 0 || a.healthy < a.instances)) {
    return `${a.healthy}/${a.instances} passing health checks`;
  }
  return undefined;
}

/**
 * The apps not healthy now that were healthy before (not in `before`), with why. While agents are
 * being patched their tasks are briefly unreachable (each agent's own gate waits for its tasks), so
 * during the agent phase only tasks failing their health checks count (`checksOnly`).
 */
export function regressions(apps: readonly AppHealth[], before: readonly string[], checksOnly = false): string[] {
  return apps.flatMap((a) => {
    const p = checksOnly
      ? a.checked && a.unhealthy > 0
        ? `${a.unhealthy} task(s) failing health checks`
        : undefined
      : appProblem(a);
    return p && !before.includes(a.id) ? [`${a.id} (${p})`] : [];
  });
}

/** `marathon-apps-healthy`: the baseline — apps not healthy now are named (a warning, never a failure). */
export function evaluateAppHealth(apps: readonly AppHealth[]): PreflightFinding {
  const bad = apps.flatMap((a) => {
    const p = appProblem(a);
    return p ? [{ id: a.id, p }] : [];
  });
  if (bad.length === 0) return pass('marathon-apps-healthy', `${apps.length} Marathon apps healthy`);
  const list = bad.map((b) => `${b.id} (${b.p})`).join(', ');
  return {
    ...warn(
      'marathon-apps-healthy',
      `not healthy before the patch: ${list}; with policy.health baseline they never block it, every other app must be healthy again after each node`
    ),
    baseline: bad.map((b) => b.id),
  };
}

/**
 * CockroachDB before the patch, from `cockroach node status --ranges`: a node not live or a range
 * unavailable fails; ranges under-replicated are the baseline (a warning carrying how many) or,
 * under policy.health strict, a failure — the gates after every master want 0 then.
 */
export function evaluateCockroach(
  out: { ok: true; text: string; master: string } | { ok: false; error: string },
  health: 'baseline' | 'strict'
): PreflightFinding {
  if (!out.ok) {
    return warn(
      'cockroach-replicated',
      `could not read cockroach node status on any master (${out.error}); the gates check it after each master`
    );
  }
  const seen = cockroachReplicated(out.text);
  if (seen.ok) return pass('cockroach-replicated', `${seen.observation} (read on ${out.master})`);
  const under = cockroachUnderreplicated(out.text);
  const onlyUnder = under !== undefined && under > 0 && cockroachReplicated(out.text, under).ok;
  if (!onlyUnder) return fail('cockroach-replicated', `${seen.observation} (read on ${out.master})`);
  if (health === 'strict')
    return fail('cockroach-replicated', `${seen.observation} before the patch (policy.health strict wants 0)`);
  return {
    ...warn(
      'cockroach-replicated',
      `${under} range(s) under-replicated before the patch (read on ${out.master}); with policy.health baseline the gates after each master allow that many, never more`
    ),
    figure: under,
  };
}
