/**
 * policy.health baseline: what preflight found already broken — agents of the plan not
 * registered, Marathon apps not healthy — is recorded, named in the report and never blocks the
 * patch: such an agent is left as found (it cannot come back "registered" after a patch it never
 * had), such an app never counts against the workloads gate. Everything healthy at the baseline
 * must stay so: those gates block on regressions. Exhibitor members not serving are never taken
 * as a baseline: patching another master with one down would lose the ZooKeeper quorum. Pure.
 */
import type { Plan } from '../shared/plan';
import type { HealthBaseline, NodeStatus, PatchStatus } from '../shared/status';

/** The note a node left as found carries (the report and closePatch recognise it). */
export const LEFT_AS_FOUND = 'inactive before the patch (the baseline): left as found, not patched';

/** Record the baseline from preflight's findings; returns it, or undefined under policy.health strict. */
export function recordBaseline(
  plan: Plan,
  status: PatchStatus,
  node: (id: string) => NodeStatus
): HealthBaseline | undefined {
  if (plan.policy.health !== 'baseline') return undefined;
  // A preflight retried after the operator fixed an agent: it is patched after all.
  for (const id of status.baseline?.agentsInactive ?? []) {
    const n = node(id);
    if (n.state === 'skipped' && n.note?.startsWith(LEFT_AS_FOUND)) {
      n.state = 'pending';
      delete n.note;
    }
  }
  const agents = new Set([...plan.agents, ...plan.publicAgents].map((a) => a.id));
  const failing = status.preflight.filter(
    (f) => f.check === 'agents-registered' && f.status === 'fail' && f.host && agents.has(f.host)
  );
  // More than half the agents gone is an outage, not a baseline: that stays a preflight failure.
  const outage = failing.length * 2 > agents.size;
  const inactive: string[] = [];
  for (const f of outage ? [] : failing) {
    if (!f.host) continue;
    f.baseline = [f.host];
    inactive.push(f.host);
    const n = node(f.host);
    n.state = 'skipped';
    n.note = `${LEFT_AS_FOUND}; register it again (journalctl -u dcos-mesos-slave) and patch it on its own`;
  }
  const apps = status.preflight.find((f) => f.check === 'marathon-apps-healthy');
  const ranges = status.preflight.find((f) => f.check === 'cockroach-replicated' && f.status === 'warn')?.figure;
  status.baseline = {
    recordedAtMs: Date.now(),
    agentsInactive: inactive,
    appsUnhealthy: apps?.baseline ?? [],
    ...(apps ? {} : { appsUnknown: true }),
    ...(ranges ? { cockroachUnderreplicated: ranges } : {}),
  };
  return status.baseline;
}

/** What the node workflows are given for the workloads gate: absent when there is no baseline to compare with. */
export function appsUnhealthyBefore(plan: Plan, status: PatchStatus): string[] | undefined {
  const b = status.baseline;
  if (plan.policy.health !== 'baseline' || !b || b.appsUnknown) return undefined;
  return b.appsUnhealthy;
}

/** "left as found (broken before the patch): agent-10.0.1.3 (inactive); Marathon apps /a (not healthy)" */
export function baselineText(b: HealthBaseline | undefined): string {
  if (!b || (b.agentsInactive.length === 0 && b.appsUnhealthy.length === 0 && !b.cockroachUnderreplicated)) return '';
  const parts = [
    ...b.agentsInactive.map((id) => `${id} (inactive)`),
    ...(b.appsUnhealthy.length ? [`Marathon apps ${b.appsUnhealthy.join(', ')} (not healthy)`] : []),
    ...(b.cockroachUnderreplicated ? [`CockroachDB ${b.cockroachUnderreplicated} range(s) under-replicated`] : []),
  ];
  return `; left as found (broken before the patch): ${parts.join('; ')}`;
}
