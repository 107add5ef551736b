/**
 * The runbook's health gates after a node's patch script, one activity each. All share one poll
 * loop: a gate passes only after `stablePolls` consecutive good observations (a bad one resets
 * the count), every observation is heartbeated, a probe error is a bad observation (never a
 * crash), and at the deadline the gate fails with `GateTimeout` (non-retryable) naming what it
 * saw last. Failures that retrying cannot fix (host key, unreadable credentials) end it at once.
 */
import { type AppHealth, parseAppHealth, regressions } from '../preflight/workloads';
import type { AgentBaseline, GateInput, GateName, GateResult } from '../shared/activity-types';
import { mesosVersionMatches } from '../shared/dcos-releases';
import { FailureTypes } from '../shared/failure-types';
import type { NodeSpec } from '../shared/plan';
import { shq } from '../shared/shell';
import { activitySignal, beat, recordGateWait } from './context';
import { firstMasterAnswer } from './first-master';
import { getNodeJson } from './http';
import {
  agentBaselineOf,
  agentTasksReconciled,
  cockroachReplicated,
  excerpt,
  exhibitorConverged,
  leaderOfState,
  metricEquals,
  type Observation,
  parseDcosVersion,
  parseExhibitorStatus,
  parseMesosMetrics,
  parseMesosVersion,
  parseSystemctlIsActive,
  stateIsLeader,
  tasksBackAsBefore,
} from './parsers';
import { readLease } from './remote-run';
import { runCommand } from './ssh';
import { abortReason, errorText, isNonRetryable, nonRetryable, retryable, sleep } from './util';

// ---- the shared poll loop -----------------------------------------------------------------------

export type Probe = (signal?: AbortSignal) => Promise<Observation>;

/** What a gate heartbeats on every poll (and repeats while it waits): no secrets, readable in the UI. */
export interface GateProgress {
  gate: string;
  host: string;
  polls: number;
  /** Consecutive good polls so far, of `need`. */
  good: number;
  need: number;
  observation: string;
  deadlineMs: number;
}

export interface PollOptions {
  gate: GateName | string;
  host: string;
  pollIntervalMs: number;
  stablePolls: number;
  /** Absolute epoch ms. */
  deadlineMs: number;
  signal?: AbortSignal;
  heartbeat?: (progress: GateProgress) => void;
  /** What to do when the gate times out (appended to the failure message). */
  hint?: string;
}

export interface PollOutcome {
  polls: number;
  observation: string;
  tookMs: number;
}

/** While waiting between polls, repeat the last heartbeat at least this often (heartbeat timeout is 30 s). */
const HEARTBEAT_EVERY_MS = 10_000;

export async function pollUntilStable(probe: Probe, o: PollOptions): Promise<PollOutcome> {
  const started = Date.now();
  const need = Math.max(1, o.stablePolls);
  let polls = 0;
  let good = 0;
  let last = 'not polled yet';
  for (;;) {
    if (o.signal?.aborted) throw abortReason(o.signal);
    let seen: Observation;
    try {
      seen = await probe(o.signal);
    } catch (err) {
      if (o.signal?.aborted) throw abortReason(o.signal);
      if (isNonRetryable(err)) throw err;
      seen = { ok: false, observation: `probe failed: ${errorText(err)}` };
    }
    polls++;
    good = seen.ok ? good + 1 : 0;
    last = seen.observation;
    const progress: GateProgress = {
      gate: o.gate,
      host: o.host,
      polls,
      good,
      need,
      observation: last,
      deadlineMs: o.deadlineMs,
    };
    o.heartbeat?.(progress);
    if (good >= need) return { polls, observation: last, tookMs: Date.now() - started };
    const remaining = o.deadlineMs - Date.now();
    // Good at the deadline (a worker that was away resumes here): the signal gets the polls it
    // still needs to prove itself stable; only a bad observation past the deadline fails the gate.
    if (remaining <= 0 && seen.ok) {
      await waitHeartbeating(o.pollIntervalMs, progress, o);
      continue;
    }
    if (remaining <= 0) {
      throw nonRetryable(
        `${o.gate} on ${o.host} did not hold by ${new Date(o.deadlineMs).toISOString()}: last seen ${last} ` +
          `(${good}/${need} consecutive good polls, ${polls} polls).${o.hint ? ` ${o.hint}` : ''}`,
        FailureTypes.GateTimeout,
        {
          gate: o.gate,
          host: o.host,
          step: o.gate,
          expected: `${need} consecutive good polls`,
          seen: last,
          polls,
          deadlineMs: o.deadlineMs,
        }
      );
    }
    await waitHeartbeating(Math.min(o.pollIntervalMs, remaining), progress, o);
  }
}

export async function waitHeartbeating(
  ms: number,
  progress: GateProgress,
  o: Pick<PollOptions, 'signal' | 'heartbeat'>
): Promise<void> {
  const end = Date.now() + ms;
  for (let left = ms; left > 0; left = end - Date.now()) {
    await sleep(Math.min(left, HEARTBEAT_EVERY_MS), o.signal);
    if (end - Date.now() > 0) o.heartbeat?.(progress);
  }
}

// ---- probes -------------------------------------------------------------------------------------

const HTTP_PROBE_MS = 5_000;
const SSH_PROBE_MS = 30_000;

/**
 * CockroachDB certificates directory (Enterprise) by the installed DC/OS version: it moved at 2.0.
 * (check) FACTS.md gives /run/dcos/pki/bouncer for the 2.x runbook; keep these two editable.
 */
export const COCKROACH_CERTS_DIR = { before2: '/run/dcos/pki/cockroach', from2: '/run/dcos/pki/bouncer' };

export function cockroachCertsDir(dcosVersion: string): string {
  return /^(0|1)\./.test(dcosVersion) ? COCKROACH_CERTS_DIR.before2 : COCKROACH_CERTS_DIR.from2;
}

/** The runbook's command: `--certs-dir=<dir>` on Enterprise, `--insecure` on open DC/OS. */
export function cockroachStatusCommand(certsDir: string | 'insecure'): string {
  const auth = certsDir === 'insecure' ? '--insecure' : `--certs-dir=${shq(certsDir)}`;
  return `sudo -n /opt/mesosphere/bin/cockroach node status --ranges ${auth} --host=$(/opt/mesosphere/bin/detect_ip)`;
}

export const MESOS_MASTER_VERSION_COMMAND = '/opt/mesosphere/bin/mesos-master --version';
export const MESOS_MASTER_UNIT_COMMAND = 'systemctl is-active dcos-mesos-master';

function ctx(): { signal: AbortSignal | undefined; beat: (p: GateProgress) => void } {
  return { signal: activitySignal(), beat };
}

async function runGate(name: GateName, input: GateInput, probe: Probe, hint: string): Promise<GateResult> {
  const { signal, beat } = ctx();
  const started = Date.now();
  let held = false;
  try {
    const r = await pollUntilStable(probe, {
      gate: name,
      host: input.target.node.id,
      pollIntervalMs: input.pollIntervalMs,
      stablePolls: input.stablePolls,
      deadlineMs: input.deadlineMs,
      signal,
      heartbeat: beat,
      hint,
    });
    held = true;
    return { gate: name, passed: true, polls: r.polls, observation: r.observation, tookMs: r.tookMs };
  } finally {
    recordGateWait(name, (Date.now() - started) / 1000, held);
  }
}

export function exhibitorProbe(input: GateInput): Probe {
  const expected = input.masters.map((m) => m.address);
  return async (signal) => {
    const body = await getNodeJson(input.target, 'exhibitor', '/exhibitor/v1/cluster/status', HTTP_PROBE_MS, signal);
    return exhibitorConverged(parseExhibitorStatus(body), expected);
  };
}

export function mesosMasterUnitProbe(input: GateInput): Probe {
  return async (signal) => {
    const r = await runCommand(input.target, MESOS_MASTER_UNIT_COMMAND, {
      timeoutMs: SSH_PROBE_MS,
      signal,
      label: 'systemctl is-active dcos-mesos-master',
    });
    const state = parseSystemctlIsActive(r.stdout || r.stderr);
    return { ok: state === 'active', observation: `dcos-mesos-master ${state}` };
  };
}

function metricProbe(input: GateInput, which: 'mesosMaster' | 'mesosAgent', name: string): Probe {
  return async (signal) => {
    const body = await getNodeJson(input.target, which, '/metrics/snapshot', HTTP_PROBE_MS, signal);
    return metricEquals(parseMesosMetrics(body), name, 1);
  };
}

export function mesosVersionProbe(input: GateInput): Probe {
  const expect = input.expect;
  if (!expect) {
    throw nonRetryable(
      `mesos-version on ${input.target.node.id}: no expected Mesos version given (plan cluster.mesosVersion)`,
      FailureTypes.InvalidPlan,
      { host: input.target.node.id, step: 'mesos-version' }
    );
  }
  return async (signal) => {
    const r = await runCommand(input.target, MESOS_MASTER_VERSION_COMMAND, { timeoutMs: SSH_PROBE_MS, signal });
    const seen = parseMesosVersion(`${r.stdout}\n${r.stderr}`);
    if (!seen) {
      return {
        ok: false,
        observation: `no version in mesos-master --version (exit ${r.exitCode}): ${excerpt(r.stdout + r.stderr) || '(no output)'}`,
      };
    }
    const ok = mesosVersionMatches(seen, expect);
    return { ok, observation: ok ? `mesos ${seen}` : `mesos ${seen}, expected ${expect}` };
  };
}

export function cockroachProbe(input: GateInput): Probe {
  let certsDir: string | undefined = input.variant === 'open' ? 'insecure' : undefined;
  return async (signal) => {
    if (!certsDir) {
      const v = await runCommand(input.target, 'cat /opt/mesosphere/etc/dcos-version.json', {
        timeoutMs: SSH_PROBE_MS,
        signal,
      });
      if (v.exitCode !== 0) return { ok: false, observation: `cannot read dcos-version.json: ${excerpt(v.stderr)}` };
      certsDir = cockroachCertsDir(parseDcosVersion(v.stdout));
    }
    const r = await runCommand(input.target, cockroachStatusCommand(certsDir), {
      timeoutMs: SSH_PROBE_MS,
      signal,
      label: 'cockroach node status --ranges',
    });
    if (r.exitCode !== 0) {
      return {
        ok: false,
        observation: `cockroach node status exited ${r.exitCode}: ${excerpt(r.stderr || r.stdout) || '(no output)'}`,
      };
    }
    return cockroachReplicated(r.stdout, input.cockroachUnderreplicatedBefore ?? 0);
  };
}

/** How the masters are reached: the SSH settings and the HTTP ones (probes: ssh or http). */
export type MasterRoute = Pick<GateInput['target'], 'ssh' | 'http'>;

/** The leading master's `/state`: ask the masters in turn who leads, then ask the leader. */
export async function leaderState(masters: NodeSpec[], via: MasterRoute, signal?: AbortSignal): Promise<unknown> {
  const { ssh, http } = via;
  const problems: string[] = [];
  for (const m of masters) {
    try {
      const state = await getNodeJson({ node: m, ssh, http }, 'mesosMaster', '/state', HTTP_PROBE_MS, signal);
      if (stateIsLeader(state)) return state;
      const leader = leaderOfState(state);
      if (!leader) {
        problems.push(`${m.address} knows no leader`);
        continue;
      }
      const spec =
        masters.find((x) => x.address === leader.address && x.ports.mesosMaster === leader.port) ??
        masters.find((x) => x.address === leader.address);
      const node: NodeSpec = spec ?? {
        ...m,
        id: `master-${leader.address}`,
        address: leader.address,
        ports: { ...m.ports, mesosMaster: leader.port },
      };
      const ls = await getNodeJson({ node, ssh, http }, 'mesosMaster', '/state', HTTP_PROBE_MS, signal);
      if (stateIsLeader(ls)) return ls;
      problems.push(`${leader.address} named as leader by ${m.address} but does not lead`);
    } catch (err) {
      if (isNonRetryable(err) || signal?.aborted) throw err;
      problems.push(errorText(err));
    }
  }
  throw new Error(`no leading Mesos master found (${problems.join('; ')})`);
}

/**
 * The leader's `/state` is large (every agent, every task): the agents in flight on one worker
 * share one fetch per poll instead of one each. A fetch younger than `maxAgeMs` (or one still
 * under way) is reused; a failed one is not kept.
 */
export function sharedLeaderState(
  masters: NodeSpec[],
  via: MasterRoute,
  maxAgeMs: number,
  signal?: AbortSignal
): Promise<unknown> {
  const f = shared(
    leaderStateKey(masters, via),
    (hit, now) => now - hit.at < maxAgeMs,
    () => leaderState(masters, via)
  );
  return signal ? abortable(f.value, signal) : f.value;
}

function leaderStateKey(masters: NodeSpec[], via: MasterRoute): string {
  return `state ${via.http.probes ?? 'http'} ${masters.map((m) => `${m.address}:${m.ports.mesosMaster}`).join(',')}`;
}

/**
 * For the polls of one stability hold: each poll gets a fetch shared with every node polling now,
 * but begun after the one its previous poll saw (every poll of a hold is its own observation) and
 * at most one poll interval old (half of one for the first poll). Nodes polling together then
 * share about one fetch per interval; a fixed age of half an interval made it two.
 */
export function pollSharer<T>(key: string, pollIntervalMs: number, fetch: () => Promise<T>) {
  let seen: number | undefined;
  return (signal?: AbortSignal): Promise<T> => {
    const previous = seen;
    const f = shared(
      key,
      (hit, now) =>
        previous === undefined
          ? now - hit.at < pollIntervalMs / 2
          : hit.seq > previous && now - hit.at < pollIntervalMs,
      fetch
    );
    seen = f.seq;
    return signal ? abortable(f.value, signal) : f.value;
  };
}

interface SharedFetch<T> {
  /** When the fetch began (worker clock). */
  at: number;
  /** Its place among this worker's fetches: later fetches have larger ones (two may share a millisecond). */
  seq: number;
  value: Promise<T>;
}

let fetchSeq = 0;

const sharedFetches = new Map<string, SharedFetch<unknown>>();

/** The latest fetch of `key` if `fresh` says it will do, else a new one; shared by every caller on this worker. */
function shared<T>(
  key: string,
  fresh: (hit: SharedFetch<T>, now: number) => boolean,
  fetch: () => Promise<T>
): SharedFetch<T> {
  const now = Date.now();
  const hit = sharedFetches.get(key) as SharedFetch<T> | undefined;
  if (hit && fresh(hit, now)) return hit;
  // Not tied to one caller's cancellation: other callers may be waiting on the same fetch.
  const value = fetch();
  const made = { at: now, seq: ++fetchSeq, value };
  sharedFetches.set(key, made);
  value.catch(() => {
    if (sharedFetches.get(key)?.value === value) sharedFetches.delete(key);
  });
  if (sharedFetches.size > 64) sharedFetches.delete(sharedFetches.keys().next().value!);
  return made;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Every Marathon app that was healthy before the patch is healthy (all instances running, health
 * checks passing), as the first master whose Marathon answers reports it (any master proxies to
 * the leader).
 */
export function workloadsProbe(input: GateInput): Probe {
  const before = input.appsUnhealthyBefore ?? [];
  const { ssh, http } = input.target;
  const key = `apps ${http.probes ?? 'http'} ${input.masters.map((m) => `${m.address}:${m.ports.marathon}`).join(',')}`;
  const poll = pollSharer(key, input.pollIntervalMs, () => marathonApps(input.masters, { ssh, http }));
  return async (signal) => {
    const apps = await poll(signal);
    if (!apps.ok) return { ok: false, observation: apps.observation };
    const bad = regressions(apps.apps, before, input.target.node.role !== 'master');
    const known = before.length ? `; ${before.length} unhealthy before the patch, not counted` : '';
    return bad.length
      ? { ok: false, observation: `not healthy again: ${bad.join(', ')}${known}` }
      : {
          ok: true,
          observation: `${apps.apps.length - before.length}/${apps.apps.length} Marathon apps healthy${known}`,
        };
  };
}

/** Marathon's apps from the first master whose Marathon answers (any master proxies to the leader). */
async function marathonApps(
  masters: NodeSpec[],
  via: MasterRoute
): Promise<{ ok: true; apps: AppHealth[] } | { ok: false; observation: string }> {
  const r = await firstMasterAnswer(masters, async (m) => ({
    answer: parseAppHealth(await getNodeJson({ node: m, ...via }, 'marathon', '/v2/apps', HTTP_PROBE_MS)),
  }));
  if (r.ok) return { ok: true, apps: r.value };
  return { ok: false, observation: `Marathon's /v2/apps did not answer (${r.problems.join('; ')})` };
}

export function agentTasksProbe(input: GateInput): Probe {
  const agent = { address: input.target.node.address, port: input.target.node.ports.mesosAgent };
  const baseline = input.baseline;
  if (!baseline) {
    return async (signal) => agentTasksReconciled(await leaderState(input.masters, input.target, signal), agent);
  }
  const poll = pollSharer(leaderStateKey(input.masters, input.target), input.pollIntervalMs, () =>
    leaderState(input.masters, input.target)
  );
  return async (signal) => {
    const state = await poll(signal);
    const seen = tasksBackAsBefore(state, agent, baseline);
    if (seen.lost) {
      throw nonRetryable(`${input.target.node.id}: ${seen.lost}`, FailureTypes.TasksLost, {
        host: input.target.node.id,
        step: 'agent-tasks-reconciled',
        expected: `agent ${baseline.agentId} with its ${baseline.taskIds.length} tasks running`,
        seen: seen.observation,
      });
    }
    return seen;
  };
}

/** How old a shared /state may be for an agent's baseline. */
const BASELINE_STATE_MAX_AGE_MS = 1_000;

/** Agents, before the script: the agent id and the tasks running on it, as the leading master sees them. */
export async function readAgentBaseline(input: Pick<GateInput, 'target' | 'masters'>): Promise<AgentBaseline> {
  const agent = { address: input.target.node.address, port: input.target.node.ports.mesosAgent };
  // Agents starting within the same second share one fetch of the leader's (large) /state: it is
  // still from before this agent's script, which has not started yet.
  const state = await sharedLeaderState(input.masters, input.target, BASELINE_STATE_MAX_AGE_MS, activitySignal());
  try {
    return agentBaselineOf(state, agent);
  } catch (err) {
    throw retryable(`${input.target.node.id}: ${errorText(err)}`, FailureTypes.HttpUnavailable, {
      host: input.target.node.id,
      step: 'read agent baseline',
    });
  }
}

/** Every probe at once: good only when all are; the observation names what is not. */
export function allOf(probes: { name: string; probe: Probe }[]): Probe {
  return async (signal) => {
    const seen = await Promise.all(
      probes.map(async ({ name, probe }) => {
        try {
          return { name, ...(await probe(signal)) };
        } catch (err) {
          if (isNonRetryable(err) || signal?.aborted) throw err;
          return { name, ok: false, observation: `probe failed: ${errorText(err)}` };
        }
      })
    );
    const bad = seen.filter((o) => !o.ok);
    return bad.length === 0
      ? { ok: true, observation: `${seen.length} checks good` }
      : { ok: false, observation: bad.map((o) => `${o.name}: ${o.observation}`).join('; ') };
  };
}

/** No live node script on that host: its lease is free (another master going down is refused). */
export function leaseFreeProbe(target: GateInput['target']): Probe {
  return async (signal) => {
    const lease = await readLease(target, signal);
    return lease.held
      ? { ok: false, observation: `its node script is running (run ${lease.runName ?? 'unknown'})` }
      : { ok: true, observation: 'no node script running' };
  };
}

/**
 * Right before a master goes down, every master must be healthy now: Exhibitor converged with
 * every planned master serving, dcos-mesos-master active and the registrar recovered on each, one
 * elected leader, CockroachDB with no under-replicated range (where it runs), and no other
 * master running its node script (its host lease held).
 */
export function mastersHealthyProbe(input: GateInput): Probe {
  const on = (m: NodeSpec): GateInput => ({ ...input, target: { ...input.target, node: m } });
  const probes: { name: string; probe: Probe }[] = [{ name: 'exhibitor', probe: exhibitorProbe(input) }];
  for (const m of input.masters) {
    probes.push(
      { name: `${m.address} dcos-mesos-master`, probe: mesosMasterUnitProbe(on(m)) },
      { name: `${m.address} registrar`, probe: metricProbe(on(m), 'mesosMaster', 'registrar/log/recovered') }
    );
    if (m.id !== input.target.node.id) probes.push({ name: `${m.address} lease`, probe: leaseFreeProbe(on(m).target) });
  }
  probes.push({
    name: 'leader',
    probe: async (signal) => {
      const state = await leaderState(input.masters, input.target, signal);
      return { ok: stateIsLeader(state), observation: 'a leading Mesos master' };
    },
  });
  if (input.variant !== undefined && input.expect === 'cockroach')
    probes.push({ name: 'cockroach', probe: cockroachProbe(input) });
  return allOf(probes);
}

// ---- the activities -----------------------------------------------------------------------------

const DIAG =
  'The node is left as it is; its diagnostics are collected. Decide: retry (poll again) or abort (agents: also skip).';

/** Each post-script gate: its probe, and what to do when it does not hold. */
export const GATE_CHECKS: Record<
  Exclude<GateName, 'masters-healthy'>,
  { probe: (i: GateInput) => Probe; hint: string }
> = {
  'exhibitor-converged': {
    probe: exhibitorProbe,
    hint: `Check journalctl -u dcos-exhibitor and zookeeper.out on the masters not serving. ${DIAG}`,
  },
  'mesos-master-unit-active': {
    probe: mesosMasterUnitProbe,
    hint: `Check journalctl -u dcos-mesos-master on the node. ${DIAG}`,
  },
  'registrar-recovered': {
    probe: (i) => metricProbe(i, 'mesosMaster', 'registrar/log/recovered'),
    hint: `The Mesos registry did not recover: check journalctl -u dcos-mesos-master and the quorum of masters. ${DIAG}`,
  },
  'mesos-version': {
    probe: mesosVersionProbe,
    hint: `The node does not run the Mesos of the target release: check the script output and /opt/mesosphere/etc/dcos-version.json. ${DIAG}`,
  },
  'cockroach-replicated': {
    probe: cockroachProbe,
    hint: `CockroachDB (IAM) has not caught up: check journalctl -u dcos-cockroach on the masters; do not patch another master before it has. ${DIAG}`,
  },
  'agent-registered': {
    probe: (i) => metricProbe(i, 'mesosAgent', 'slave/registered'),
    hint: `The agent did not register with the masters: check journalctl -u dcos-mesos-slave (public: dcos-mesos-slave-public). ${DIAG}`,
  },
  'workloads-healthy': {
    probe: workloadsProbe,
    hint: `A Marathon app that was healthy before the patch is not healthy again: check it in the DC/OS UI or \`dcos marathon app show <id>\` and the tasks on this node before going on. ${DIAG}`,
  },
  'agent-tasks-reconciled': {
    probe: agentTasksProbe,
    hint: `The agent's tasks are not all running again: check the tasks on the leading master (/state) and journalctl -u dcos-mesos-slave. ${DIAG}`,
  },
};

const checkGate = (name: keyof typeof GATE_CHECKS) => (input: GateInput) =>
  runGate(name, input, GATE_CHECKS[name].probe(input), GATE_CHECKS[name].hint);

/** Masters, before the script: every master healthy now (see mastersHealthyProbe). */
export async function gateMastersHealthy(input: GateInput): Promise<GateResult> {
  return runGate(
    'masters-healthy',
    input,
    mastersHealthyProbe(input),
    'Not every master is healthy, so this one must not go down now: check the masters named above (journalctl -u dcos-exhibitor, dcos-mesos-master, dcos-cockroach). Nothing was changed on this master. Decide: retry (check again) or abort.'
  );
}

// One gate at a time: the workflows of before the shared stability hold (gateNodeHealthy) call these.

/** Masters: Exhibitor on this master lists every master as "serving". */
export const gateExhibitorConverged = checkGate('exhibitor-converged');
/** Masters: `systemctl is-active dcos-mesos-master` says active. */
export const gateMesosMasterUnitActive = checkGate('mesos-master-unit-active');
/** Masters: `registrar/log/recovered` = 1 in this master's /metrics/snapshot. */
export const gateRegistrarRecovered = checkGate('registrar-recovered');
/** Masters: `mesos-master --version` shows the target release's Mesos (`input.expect`). */
export const gateMesosVersion = checkGate('mesos-version');
/** Enterprise masters: every CockroachDB node reports `ranges_underreplicated` 0. */
export const gateCockroachReplicated = checkGate('cockroach-replicated');
/** Agents: `slave/registered` = 1 in the agent's /metrics/snapshot. */
export const gateAgentRegistered = checkGate('agent-registered');
/** Agents: on the leading master, the agent is active and every task on it is TASK_RUNNING. */
export const gateAgentTasksReconciled = checkGate('agent-tasks-reconciled');
