/**
 * What one look at the workload canary means, pure: Marathon's `GET /v2/apps/<id>` (its tasks,
 * their states and health check results) and the Mesos-DNS answer, against what the previous look
 * knew. A known task gone while a new one appeared is a restart (Marathon replaced it); gone with
 * none new, or in a terminal state, is lost; a health check turning false, or the name no longer
 * resolving, is reported once, when it starts. Out = no task running and healthy, or no resolution.
 */
import type { CanaryCarry, CanaryIncident } from '../shared/activity-types';

export interface CanaryTask {
  id: string;
  host: string;
  state: string;
  /** undefined: no health check result yet (or none configured). */
  alive?: boolean;
}

export interface CanaryLook {
  atMs: number;
  /** undefined: Marathon has no such app (HTTP 404). */
  tasks: CanaryTask[] | undefined;
  /** The addresses Mesos-DNS gave for the name; empty: no record; undefined: no Mesos-DNS answered. */
  dnsIps: string[] | undefined;
  dnsName: string;
  /** Why the name did not resolve, when it did not. */
  dnsProblem?: string;
}

export interface CanaryAssessment {
  carry: CanaryCarry;
  incidents: CanaryIncident[];
  restarts: number;
  lost: number;
  unhealthy: number;
  dnsFailed: boolean;
  out: boolean;
  /** An outage that ended at this look: how long it lasted. */
  outageEndedMs?: number;
  observation: string;
}

const TERMINAL = new Set([
  'TASK_LOST',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_GONE',
  'TASK_DROPPED',
  'TASK_FINISHED',
]);

const short = (id: string): string => (id.length > 40 ? `${id.slice(0, 40)}…` : id);

export function assessCanary(look: CanaryLook, before: CanaryCarry): CanaryAssessment {
  const incidents: CanaryIncident[] = [];
  const at = look.atMs;
  const add = (kind: CanaryIncident['kind'], text: string) => incidents.push({ kind, atMs: at, text });
  const known = new Set(before.knownTaskIds);
  const tasks = look.tasks ?? [];
  const live = tasks.filter((t) => !TERMINAL.has(t.state));
  const fresh = live.filter((t) => !known.has(t.id));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let restarts = 0;
  let lost = 0;
  if (look.tasks === undefined) {
    if (known.size > 0)
      add('app-gone', `the canary app is gone from Marathon (someone removed it?): ${known.size} task(s) lost`);
    lost = known.size;
  } else {
    const unpaired = [...fresh];
    for (const id of known) {
      const t = byId.get(id);
      if (t && !TERMINAL.has(t.state)) continue;
      const replacement = unpaired.shift();
      if (replacement) {
        restarts++;
        add(
          'task-restarted',
          `task ${short(id)} was replaced by ${short(replacement.id)} on ${replacement.host} (Marathon restarted it)`
        );
      } else {
        lost++;
        add('task-lost', `task ${short(id)}${t ? ` on ${t.host} is ${t.state}` : ' is gone'} and nothing replaced it`);
      }
    }
  }
  const failing = live.filter((t) => t.state === 'TASK_RUNNING' && t.alive === false);
  const unhealthy = failing.length > 0 && !before.unhealthy ? 1 : 0;
  if (unhealthy) add('task-unhealthy', `task ${short(failing[0]!.id)} on ${failing[0]!.host} fails its health check`);
  const dnsFailed = !look.dnsIps || look.dnsIps.length === 0;
  if (dnsFailed && !before.dnsFailing)
    add('dns-failed', `${look.dnsName} does not resolve: ${look.dnsProblem ?? 'no record'}`);
  const serving = live.filter((t) => t.state === 'TASK_RUNNING' && t.alive !== false).length;
  const out = serving === 0 || dnsFailed;
  const carry: CanaryCarry = {
    knownTaskIds: live.map((t) => t.id),
    unhealthy: failing.length > 0,
    dnsFailing: dnsFailed,
    ...(out ? { outageSinceMs: before.outageSinceMs ?? at } : {}),
  };
  const running = live.filter((t) => t.state === 'TASK_RUNNING').length;
  const dns = dnsFailed ? `${look.dnsName} not resolving` : `${look.dnsName} → ${look.dnsIps!.length} address(es)`;
  return {
    carry,
    incidents,
    restarts,
    lost,
    unhealthy,
    dnsFailed,
    out,
    ...(!out && before.outageSinceMs !== undefined ? { outageEndedMs: at - before.outageSinceMs } : {}),
    observation:
      look.tasks === undefined
        ? `the app is not in Marathon; ${dns}`
        : `${running}/${tasks.length} task(s) running, ${serving} healthy${failing.length ? `, ${failing.length} failing its health check` : ''}; ${dns}`,
  };
}
