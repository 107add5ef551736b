/**
 * The workload canary's activities: deploy it (Marathon's app API; every instance running and
 * healthy, its Mesos-DNS name resolving), watch it (one look per poll interval, heartbeating; back
 * at the first incident or after `returnAfterMs`), and remove it. Marathon is asked through the
 * first master that answers (any master proxies to the leader), Mesos-DNS likewise (a master being
 * patched has its own Mesos-DNS down; the others still serve the name) — from the worker or on
 * the masters over SSH, as `probes` says.
 */
import type {
  CanaryCarry,
  CanaryDeployed,
  CanaryFigures,
  CanaryIncident,
  CanaryRemoved,
  CanaryTarget,
  CanaryWatchInput,
  CanaryWatchResult,
} from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import { canaryDnsName } from '../shared/plan';
import { assessCanary, type CanaryLook, type CanaryTask } from './canary-look';
import { activitySignal, beat, lastHeartbeat } from './context';
import { firstMasterAnswer } from './first-master';
import { type DcosEndpoint, requestNode } from './http';
import type { NodeWrite } from './node-curl';
import { excerpt } from './parsers';
import { errorText, isNonRetryable, nonRetryable, retryable, sleep } from './util';

const REQUEST_MS = 10_000;
/** The label that marks an app as a dcos-patch canary (its value: the patch's workflow id). */
export const CANARY_LABEL = 'DCOS_PATCH_CANARY';
/** Removal waits this long for Marathon to forget the app. */
const REMOVE_WAIT_MS = 2 * 60_000;

/** The Marathon app definition of the canary. */
export function canaryApp(t: Pick<CanaryTarget, 'spec' | 'workflowId'>): Record<string, unknown> {
  const s = t.spec;
  return {
    id: s.appId,
    instances: s.instances,
    cmd: s.cmd,
    cpus: s.cpus,
    mem: s.memMb,
    disk: 0,
    constraints: [['hostname', 'UNIQUE']],
    acceptedResourceRoles: ['*'],
    portDefinitions: [{ port: 0, protocol: 'tcp', name: 'http' }],
    healthChecks: [
      {
        protocol: 'MESOS_HTTP',
        path: '/',
        portIndex: 0,
        gracePeriodSeconds: 60,
        intervalSeconds: 10,
        timeoutSeconds: 5,
        maxConsecutiveFailures: 3,
      },
    ],
    // A patched agent is back within the masters' 5-minute window: its task must not be replaced
    // before then, or every agent's patch would look like a restart.
    unreachableStrategy: { inactiveAfterSeconds: 300, expungeAfterSeconds: 600 },
    labels: { [CANARY_LABEL]: t.workflowId },
  };
}

type Answer = { status: number; body: string; master: string };

/** One request to the first master whose endpoint answers; every master silent rejects retryable. */
async function askMasters(
  t: Pick<CanaryTarget, 'masters' | 'ssh' | 'http'>,
  which: DcosEndpoint,
  path: string,
  write?: NodeWrite,
  signal?: AbortSignal
): Promise<Answer> {
  const r = await firstMasterAnswer<Answer>(
    t.masters,
    async (m) => {
      const a = await requestNode({ node: m, ssh: t.ssh, http: t.http }, which, path, REQUEST_MS, write, signal);
      return a.status < 500
        ? { answer: { status: a.status, body: a.body, master: m.address } }
        : { problem: `HTTP ${a.status}` };
    },
    { signal }
  );
  if (r.ok) return r.value;
  const seen = r.problems.join('; ');
  throw retryable(`no master answered ${which} ${path} (${seen})`, FailureTypes.HttpUnavailable, { seen });
}

function parse(a: Answer, what: string): unknown {
  try {
    return JSON.parse(a.body) as unknown;
  } catch {
    throw retryable(`${what} from ${a.master} is not JSON: ${excerpt(a.body)}`, FailureTypes.HttpUnavailable);
  }
}

const appPath = (t: CanaryTarget) => `/v2/apps${t.spec.appId}`;

/** The app's tasks and labels, or undefined when Marathon has no such app. */
async function readApp(
  t: CanaryTarget,
  signal?: AbortSignal
): Promise<{ tasks: CanaryTask[]; labels: Record<string, string> } | undefined> {
  const a = await askMasters(t, 'marathon', appPath(t), undefined, signal);
  if (a.status === 404) return undefined;
  if (a.status !== 200) {
    throw retryable(
      `Marathon answered HTTP ${a.status} for ${t.spec.appId}: ${excerpt(a.body)}`,
      FailureTypes.HttpUnavailable
    );
  }
  const app = (parse(a, `Marathon's ${t.spec.appId}`) as { app?: Record<string, unknown> }).app ?? {};
  const tasks = Array.isArray(app.tasks) ? (app.tasks as Record<string, unknown>[]) : [];
  return {
    labels: (app.labels && typeof app.labels === 'object' ? app.labels : {}) as Record<string, string>,
    tasks: tasks.map((x) => {
      const checks = Array.isArray(x.healthCheckResults) ? (x.healthCheckResults as { alive?: unknown }[]) : [];
      return {
        id: String(x.id ?? ''),
        host: String(x.host ?? ''),
        state: String(x.state ?? 'TASK_RUNNING'),
        ...(checks.length ? { alive: checks.every((c) => c.alive === true) } : {}),
      };
    }),
  };
}

/** Mesos-DNS's addresses for the name: the first master whose Mesos-DNS answers decides. */
async function resolve(
  t: CanaryTarget,
  name: string,
  signal?: AbortSignal
): Promise<{ ips: string[] | undefined; problem?: string }> {
  try {
    const a = await askMasters(t, 'mesosDns', `/v1/hosts/${name}`, undefined, signal);
    if (a.status !== 200) return { ips: [], problem: `Mesos-DNS on ${a.master} answered HTTP ${a.status}` };
    const records = parse(a, 'Mesos-DNS');
    const ips = Array.isArray(records)
      ? records.map((r) => String((r as { ip?: unknown }).ip ?? '')).filter((ip) => ip !== '')
      : [];
    return ips.length ? { ips } : { ips, problem: `Mesos-DNS on ${a.master} has no record of it` };
  } catch (err) {
    if (isNonRetryable(err) || signal?.aborted) throw err;
    return { ips: undefined, problem: errorText(err) };
  }
}

async function look(t: CanaryTarget, signal?: AbortSignal): Promise<CanaryLook> {
  const dnsName = canaryDnsName(t.spec.appId);
  const [app, dns] = await Promise.all([readApp(t, signal), resolve(t, dnsName, signal)]);
  return {
    atMs: Date.now(),
    tasks: app?.tasks,
    dnsIps: dns.ips,
    dnsName,
    ...(dns.problem ? { dnsProblem: dns.problem } : {}),
  };
}

/**
 * Deploy the canary (PUT, replacing only a canary left by an earlier patch) and wait until every
 * instance runs and passes its health check and the name resolves.
 */
export async function deployCanary(t: CanaryTarget): Promise<CanaryDeployed> {
  const signal = activitySignal();
  const existing = await readApp(t, signal);
  if (existing && existing.labels[CANARY_LABEL] === undefined) {
    throw nonRetryable(
      `Marathon already runs an app ${t.spec.appId} that dcos-patch did not deploy: it is left alone. Choose another canary.app in the plan.`,
      FailureTypes.InvalidPlan,
      { step: 'deploy canary' }
    );
  }
  const put = await askMasters(
    t,
    'marathon',
    `${appPath(t)}?force=true`,
    { method: 'PUT', json: JSON.stringify(canaryApp(t)) },
    signal
  );
  if (put.status === 400 || put.status === 422) {
    throw nonRetryable(
      `Marathon refused the canary app: HTTP ${put.status} ${excerpt(put.body)}`,
      FailureTypes.CanaryFailed,
      { step: 'deploy canary', seen: excerpt(put.body) }
    );
  }
  if (put.status !== 200 && put.status !== 201) {
    throw retryable(
      `Marathon answered HTTP ${put.status} to the canary app: ${excerpt(put.body)}`,
      FailureTypes.HttpUnavailable
    );
  }
  const deadline = Date.now() + t.spec.deployTimeoutMs;
  let last = 'not looked at yet';
  for (;;) {
    const seen = await look(t, signal).catch((err) => {
      if (isNonRetryable(err) || signal?.aborted) throw err;
      return errorText(err);
    });
    if (typeof seen !== 'string') {
      const tasks = (seen.tasks ?? []).filter((x) => x.state === 'TASK_RUNNING' && x.alive === true);
      last = assessCanary(seen, { knownTaskIds: [], unhealthy: false, dnsFailing: false }).observation;
      if (tasks.length >= t.spec.instances && seen.dnsIps?.length) {
        return {
          taskIds: tasks.map((x) => x.id),
          hosts: tasks.map((x) => x.host),
          dnsName: seen.dnsName,
          deployedAtMs: Date.now(),
          replacedLeftover: existing !== undefined,
        };
      }
    } else last = seen;
    beat({ step: 'deploy canary', observation: last, deadlineMs: deadline });
    if (Date.now() >= deadline) {
      throw nonRetryable(
        `the canary ${t.spec.appId} was not running and healthy with its name resolving within ${Math.round(t.spec.deployTimeoutMs / 1000)} s: last seen ${last}. Check it in the DC/OS UI (Services) or with dcos marathon app show ${t.spec.appId}.`,
        FailureTypes.CanaryFailed,
        { step: 'deploy canary', seen: last }
      );
    }
    await sleep(Math.min(t.spec.pollIntervalMs, 2_000), signal);
  }
}

const NO_FIGURES: CanaryFigures = { polls: 0, restarts: 0, lost: 0, unhealthy: 0, dnsFailures: 0, longestOutageMs: 0 };

/** What a watch heartbeats, so a retry after a lost worker goes on from there. */
interface WatchProgress {
  figures: CanaryFigures;
  carry: CanaryCarry;
  incidents: CanaryIncident[];
  observation: string;
  startedAtMs: number;
}

/**
 * Look at the canary every poll interval until an incident (unless `quiet`) or `returnAfterMs`;
 * the figures are this watch's own. A look that fails is retried at the next poll.
 */
export async function watchCanary(input: CanaryWatchInput): Promise<CanaryWatchResult> {
  const signal = activitySignal();
  // A retry after a lost worker goes on from what the last attempt heartbeated.
  const resumed = lastHeartbeat<WatchProgress>();
  const p: WatchProgress = resumed ?? {
    figures: { ...NO_FIGURES },
    carry: input.carry,
    incidents: [],
    observation: 'not looked at yet',
    startedAtMs: Date.now(),
  };
  const end = p.startedAtMs + input.returnAfterMs;
  for (;;) {
    try {
      const a = assessCanary(await look(input, signal), p.carry);
      const f = p.figures;
      f.polls++;
      f.restarts += a.restarts;
      f.lost += a.lost;
      f.unhealthy += a.unhealthy;
      if (a.dnsFailed) f.dnsFailures++;
      if (a.outageEndedMs !== undefined) f.longestOutageMs = Math.max(f.longestOutageMs, a.outageEndedMs);
      p.carry = a.carry;
      p.incidents.push(...a.incidents);
      p.observation = a.observation;
    } catch (err) {
      if (isNonRetryable(err) || signal?.aborted) throw err;
      p.observation = `could not look at the canary: ${errorText(err)}`;
    }
    beat(p);
    if ((!input.quiet && p.incidents.length > 0) || Date.now() >= end) {
      return { figures: p.figures, carry: p.carry, incidents: p.incidents.slice(0, 20), observation: p.observation };
    }
    await sleep(Math.min(input.spec.pollIntervalMs, Math.max(0, end - Date.now())), signal);
  }
}

/** Remove the canary (only an app carrying the canary label) and wait until Marathon has forgotten it. */
export async function removeCanary(t: CanaryTarget): Promise<CanaryRemoved> {
  const signal = activitySignal();
  const byHand = `remove it by hand: dcos marathon app remove ${t.spec.appId}`;
  const existing = await readApp(t, signal);
  if (!existing) return { removed: true, text: `${t.spec.appId} was not in Marathon (already removed)` };
  if (existing.labels[CANARY_LABEL] === undefined) {
    return { removed: false, text: `${t.spec.appId} in Marathon is not a dcos-patch canary: left alone` };
  }
  const del = await askMasters(t, 'marathon', `${appPath(t)}?force=true`, { method: 'DELETE' }, signal);
  if (del.status !== 200 && del.status !== 202 && del.status !== 404) {
    return {
      removed: false,
      text: `Marathon answered HTTP ${del.status} to removing it (${excerpt(del.body)}); ${byHand}`,
    };
  }
  const deadline = Date.now() + REMOVE_WAIT_MS;
  while (Date.now() < deadline) {
    if (!(await readApp(t, signal))) return { removed: true, text: `${t.spec.appId} removed from Marathon` };
    beat({ step: 'remove canary' });
    await sleep(2_000, signal);
  }
  return {
    removed: false,
    text: `${t.spec.appId} was still in Marathon ${REMOVE_WAIT_MS / 1000} s after removing it; ${byHand}`,
  };
}
