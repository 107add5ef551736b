/** The workload canary's status, in words and at its start. Pure: the workflow, the report and the CLI use it. */
import { type CanarySpec, canaryDnsName } from './plan';
import type { CanaryStatus } from './status';

export function initialCanary(spec: CanarySpec): CanaryStatus {
  return {
    appId: spec.appId,
    dnsName: canaryDnsName(spec.appId),
    instances: spec.instances,
    state: 'planned',
    figures: { polls: 0, restarts: 0, lost: 0, unhealthy: 0, dnsFailures: 0, longestOutageMs: 0 },
    incidents: [],
  };
}

/** "restarts 0, lost 0, health check failures 0, DNS failures 0, longest outage 0 s" */
export function canaryFigures(c: CanaryStatus): string {
  const f = c.figures;
  return `restarts ${f.restarts}, lost ${f.lost}, health check failures ${f.unhealthy}, DNS failures ${f.dnsFailures}, longest outage ${Math.round(f.longestOutageMs / 1000)} s (${f.polls} looks)`;
}
