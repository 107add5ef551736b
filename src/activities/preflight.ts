/**
 * Runbook step 1, "preconditions", as one read-only activity: `runPreflight` reaches every host,
 * reads the cluster's health and the Marathon prerequisites, and returns a report with pass / warn
 * / fail per check and per host (check names and rules: src/preflight/, docs/preflight.md).
 *
 * It changes nothing anywhere. An unreachable host or endpoint is a `fail` finding carrying the
 * error, never an exception; the activity heartbeats as hosts and checks complete, so a lost
 * worker is noticed and a cancelled activity stops.
 */

import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { configEnablesIpv6, configString, type DcosConfig, parseDcosConfig } from '../plan/config-yaml';
import { Findings } from '../plan/findings';
import { ENTERPRISE_DEFAULT_SECURITY } from '../plan/rules';
import { CHECKS, type CheckName, fail, pass, sortFindings } from '../preflight/catalog';
import {
  type Answer,
  evaluateAgents,
  evaluateExhibitor,
  evaluateLeader,
  evaluateStrictRestarts,
  leaderMetricsFrom,
  type MasterRef,
  parseMesosState,
} from '../preflight/cluster';
import {
  evaluateProbe,
  ipv6AdvisoryWarning,
  parseProbeOutput,
  probeScript,
  sectionsFor,
} from '../preflight/host-facts';
import { evaluateConstraints, evaluateMarathonOnMarathon, parseMarathonApps } from '../preflight/marathon';
import { summarizePasses } from '../preflight/summary';
import { type AppHealth, evaluateAppHealth, evaluateCockroach, parseAppHealth } from '../preflight/workloads';
import type { NodeTarget, PlanInput, PreflightFinding, PreflightResult } from '../shared/activity-types';
import { runsIamDatabase } from '../shared/dcos-releases';
import { FailureTypes } from '../shared/failure-types';
import type { NodeSpec, Plan, SecurityMode } from '../shared/plan';
import { expandPlan } from '../shared/plan-wire';
import { bootstrapEndpoint } from './bootstrap';
import { activitySignal } from './context';
import { Heartbeats, mapLimit, onceMoreIfDropped } from './fan-out';
import { firstMasterAnswer } from './first-master';
import { cockroachCertsDir, cockroachStatusCommand } from './gates';
import { type DcosEndpoint, getNodeJson } from './http';
import { parseExhibitorStatus, parseMesosMetrics } from './parsers';
import { runCommand, type SshEndpoint } from './ssh';
import { errorText } from './util';

/** Hosts probed over SSH at once. */
export const PREFLIGHT_SSH_CONCURRENCY = 48;
/** One host's probe: a handful of tiny commands in one shell. */
const PROBE_TIMEOUT_MS = 60_000;
const HTTP_TIMEOUT_MS = 10_000;

type HostKind = 'bootstrap' | 'master' | 'agent';

interface ProbeHost {
  id: string;
  kind: HostKind;
  target: SshEndpoint;
}

/** Counts finished steps into the heartbeat details. */
class Progress extends Heartbeats {
  private done = 0;

  step(what: string): void {
    this.done++;
    this.beat({ step: this.done, last: what });
  }
}

/**
 * The preflight report for the plan's cluster: findings in catalog order, then host order.
 * Never throws for what it finds; only a cancelled activity ends it early.
 */
export async function runPreflight(input: PlanInput): Promise<PreflightResult> {
  const progress = new Progress();
  try {
    return await preflight(expandPlan(input.plan), progress);
  } finally {
    progress.stop();
  }
}

async function preflight(plan: Plan, progress: Progress): Promise<PreflightResult> {
  const findings: PreflightFinding[] = [];
  const targetOf = (node: NodeSpec): NodeTarget => ({
    node,
    ssh: plan.ssh,
    http: plan.http,
    remoteWorkDir: plan.remoteWorkDir,
  });
  const boot = bootstrapEndpoint(plan);
  const hosts: ProbeHost[] = [
    { id: boot.node.id, kind: 'bootstrap', target: boot },
    ...plan.masters.map((n) => ({ id: n.id, kind: 'master' as const, target: targetOf(n) })),
    ...[...plan.agents, ...plan.publicAgents].map((n) => ({ id: n.id, kind: 'agent' as const, target: targetOf(n) })),
  ];
  const config = newConfigFacts(plan);
  findings.push(...config.findings);

  // Hosts over SSH, at most PREFLIGHT_SSH_CONCURRENCY at once, while the cluster checks run over HTTP.
  const hostChecks = mapLimit(hosts, PREFLIGHT_SSH_CONCURRENCY, async (h) => {
    const out = await probeHost(plan, h, config.ipv6Enabled);
    progress.step(`host ${h.id}`);
    return out;
  });
  const clusterChecks = clusterFindings(plan, targetOf, movingToStrict(plan), progress);
  const [perHost, cluster] = await Promise.all([hostChecks, clusterChecks]);
  for (const f of perHost.flat()) findings.push(f);
  findings.push(...cluster);
  return summarizePasses(
    sortFindings(
      findings,
      hosts.map((h) => h.id)
    ),
    hosts.length
  );
}

// ---- hosts ------------------------------------------------------------------------------------

/** ssh-reachable, sudo, and for cluster nodes installed-version, systemd, ipset, ipv6 (masters: Marathon unit). */
async function probeHost(plan: Plan, h: ProbeHost, ipv6Enabled: boolean): Promise<PreflightFinding[]> {
  const signal = activitySignal();
  let stdout: string;
  try {
    const r = await onceMoreIfDropped(() =>
      runCommand(h.target, probeScript(sectionsFor(h.kind)), {
        timeoutMs: PROBE_TIMEOUT_MS,
        label: 'the preflight probe',
        ...(signal ? { signal } : {}),
      })
    );
    stdout = r.stdout;
  } catch (err) {
    if (signal?.aborted) throw err;
    const why = sshFailure(err);
    return [fail('ssh-reachable', `${why.message}; the other host checks were not run on this host`, h.id, why.fix)];
  }
  const probe = parseProbeOutput(stdout);
  return [
    pass('ssh-reachable', `connected as ${plan.ssh.user}, host key verified`, h.id),
    ...evaluateProbe(h.id, h.kind, probe, {
      fromVersion: plan.fromVersion,
      toVersion: plan.toVersion,
      ipv6Enabled,
    }),
  ];
}

/** The SSH connection itself failed: nothing was asked on the host. */
const SSH_LEVEL_FAILURES = new Set<string>([
  FailureTypes.HostKeyMismatch,
  FailureTypes.HostKeyUnknown,
  FailureTypes.SshAuthFailed,
  FailureTypes.SshUnreachable,
]);

/**
 * The SSH helper's failures already say what was seen and what to do for host keys, logins,
 * refused connections and unreadable key files; only drops and time-outs get the check's fix.
 */
const SSH_TYPES_WITH_OWN_FIX = new Set<string>([...SSH_LEVEL_FAILURES, FailureTypes.InvalidPlan]);

export function sshFailure(err: unknown): { message: string; fix: string } {
  const type = err instanceof ApplicationFailure ? (err.type ?? '') : '';
  // Preflight does not retry by itself: drop the "dcos-patch retries" the SSH helper appends.
  const message = errorText(err)
    .replace(/[;,.]?\s*dcos-patch retries\.?\s*$/, '')
    .replace(/[.;\s]+$/, '');
  return { message, fix: SSH_TYPES_WITH_OWN_FIX.has(type) ? '' : CHECKS['ssh-reachable'].fix };
}

// ---- cluster ----------------------------------------------------------------------------------

async function clusterFindings(
  plan: Plan,
  targetOf: (n: NodeSpec) => NodeTarget,
  toStrict: boolean,
  progress: Progress
): Promise<PreflightFinding[]> {
  const masters: MasterRef[] = plan.masters.map((m) => ({ id: m.id, address: m.address }));
  const signal = activitySignal();
  // probes: ssh — a master SSH cannot reach is reported once, by its ssh-reachable finding
  // ("the other host checks were not run on this host"), not again by every check asked there.
  const sshDown = new Set<string>();
  const ask = <T>(node: NodeSpec, port: DcosEndpoint, path: string, read: (b: unknown) => T) =>
    answer(async () => {
      try {
        return read(await getNodeJson(targetOf(node), port, path, HTTP_TIMEOUT_MS, signal));
      } catch (err) {
        if (err instanceof ApplicationFailure && SSH_LEVEL_FAILURES.has(err.type ?? '')) sshDown.add(node.id);
        throw err;
      }
    });

  const [exhibitor, metrics] = await Promise.all([
    Promise.all(plan.masters.map((m) => ask(m, 'exhibitor', '/exhibitor/v1/cluster/status', parseExhibitorStatus))),
    Promise.all(
      plan.masters.map((m) =>
        ask(m, 'mesosMaster', '/metrics/snapshot', (b) => leaderMetricsFrom(parseMesosMetrics(b)))
      )
    ),
  ]);
  progress.step('Exhibitor and Mesos metrics');
  const byMaster = <T>(xs: Answer<T>[]) => new Map(plan.masters.map((m, i) => [m.id, xs[i]!] as const));
  const findings = evaluateExhibitor(masters, byMaster(exhibitor));
  const leader = evaluateLeader(masters, byMaster(metrics));
  findings.push(leader.finding);

  const leaderNode = leader.leader ? plan.masters.find((m) => m.id === leader.leader?.id) : undefined;
  const [state, apps, cockroach] = await Promise.all([
    leaderNode ? ask(leaderNode, 'mesosMaster', '/state', parseMesosState) : Promise.resolve(undefined),
    marathonApps(plan),
    runsIamDatabase(plan.variant, plan.fromVersion) ? cockroachStatus(plan, targetOf) : Promise.resolve(undefined),
  ]);
  progress.step('Mesos state and Marathon apps');
  findings.push(
    ...evaluateAgents(
      [...plan.agents, ...plan.publicAgents].map((n) => ({ id: n.id, address: n.address })),
      state,
      leaderNode?.id
    ),
    evaluateStrictRestarts(toStrict, state)
  );
  if (cockroach) findings.push(evaluateCockroach(cockroach, plan.policy.health === 'baseline' ? 'baseline' : 'strict'));
  if (apps.ok) {
    findings.push(
      ...evaluateConstraints(apps.value.apps),
      ...evaluateMarathonOnMarathon(apps.value.apps),
      evaluateAppHealth(apps.value.health)
    );
  } else {
    const seen = `cannot read Marathon's /v2/apps from any master (${apps.error})`;
    const check = (name: CheckName) =>
      fail(name, seen, undefined, 'make Marathon answer on a master (journalctl -u dcos-marathon), then retry');
    findings.push(check('marathon-constraints'), check('marathon-on-marathon'), check('marathon-apps-healthy'));
  }
  return findings.filter((f) => !(f.host && sshDown.has(f.host)));
}

/**
 * /v2/apps from the first master whose Marathon answers (any master proxies to the leader), with
 * the DC/OS token when the plan has one (strict mode protects Marathon's API too).
 */
async function marathonApps(
  plan: Plan
): Promise<Answer<{ apps: ReturnType<typeof parseMarathonApps>; health: AppHealth[] }>> {
  const signal = activitySignal();
  const r = await firstMasterAnswer(
    plan.masters,
    async (m) => {
      const body = await getNodeJson(
        { node: m, ssh: plan.ssh, http: plan.http },
        'marathon',
        '/v2/apps',
        HTTP_TIMEOUT_MS,
        signal
      );
      return { answer: { apps: parseMarathonApps(body), health: parseAppHealth(body) } };
    },
    { signal, stopsAt: () => false }
  );
  return r.ok
    ? { ok: true, value: r.value }
    : { ok: false, error: r.problems.join('; ') || 'the plan lists no masters' };
}

/** `cockroach node status --ranges` on the first master where it answers (the runbook's command, on the node). */
async function cockroachStatus(
  plan: Plan,
  targetOf: (n: NodeSpec) => NodeTarget
): Promise<{ ok: true; text: string; master: string } | { ok: false; error: string }> {
  const certs = plan.variant === 'open' ? 'insecure' : cockroachCertsDir(plan.fromVersion);
  const signal = activitySignal();
  const r = await firstMasterAnswer<string>(
    plan.masters,
    async (m) => {
      const run = await runCommand(targetOf(m), cockroachStatusCommand(certs), {
        timeoutMs: HTTP_TIMEOUT_MS * 3,
        ...(signal ? { signal } : {}),
        label: 'cockroach node status --ranges',
      });
      if (run.exitCode === 0) return { answer: run.stdout };
      return { problem: `exit ${run.exitCode} ${(run.stderr || run.stdout).trim().split('\n')[0] ?? ''}` };
    },
    { signal, name: (m) => m.id, stopsAt: () => false }
  );
  if (r.ok) return { ok: true, text: r.value, master: r.master.id };
  return { ok: false, error: r.problems.join('; ') || 'the plan lists no masters' };
}

async function answer<T>(fn: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const signal = activitySignal();
    if (signal?.aborted) throw err;
    return { ok: false, error: errorText(err) };
  }
}

// ---- the plan's config files ------------------------------------------------------------------

/** enable_ipv6 of the new config.yaml (absent = DC/OS default) and the cluster-wide advisory warning. */
function newConfigFacts(plan: Plan): { ipv6Enabled: boolean; findings: PreflightFinding[] } {
  const config = readConfig(plan.config.newConfigPath);
  if (!config.ok) {
    return {
      ipv6Enabled: true,
      findings: [
        fail(
          'ipv6',
          `cannot read the new config.yaml ${plan.config.newConfigPath} on the worker (${config.error}); the per-host IPv6 check assumes enable_ipv6 is on`,
          undefined,
          'make config.new readable on the machine running the worker'
        ),
      ],
    };
  }
  const enabled = configEnablesIpv6(config.value, plan.toVersion);
  return {
    ipv6Enabled: enabled,
    findings: enabled ? [ipv6AdvisoryWarning('enable_ipv6' in config.value)] : [],
  };
}

/** Moving to strict: the plan's security is strict and the installed config's is not. */
function movingToStrict(plan: Plan): boolean {
  if (plan.security !== 'strict') return false;
  if (plan.variant !== 'enterprise') return false;
  const old = readConfig(plan.config.oldConfigPath);
  if (!old.ok) return true;
  const mode = (configString(old.value, 'security') ?? ENTERPRISE_DEFAULT_SECURITY) as SecurityMode;
  return mode !== 'strict';
}

function readConfig(path: string): Answer<DcosConfig> {
  const findings = new Findings();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
  const config = parseDcosConfig(text, path, findings);
  return config ? { ok: true, value: config } : { ok: false, error: findings.all[0]?.message ?? 'not a config.yaml' };
}
