/**
 * The workflow's check of its own input: `patchCluster` may be started by hand
 * (`temporal workflow start --input-file …`) with a plan that never went through the plan check.
 * Everything that reaches a remote command or a timer is checked here again, with the same rules:
 * names and paths a shell would not need quoted, addresses that are addresses, ports, counts and
 * durations within their bounds. Pure (no Node built-ins): workflow code runs it.
 */
import {
  CANARY_APP_ID,
  MAX_CANARY_CMD,
  MAX_CANARY_INSTANCES,
  NOTIFY_EVENT_KINDS,
  type NodeRole,
  type NodeSpec,
  type Plan,
} from './plan';
import { rampProblem } from './ramp';
import { isPlainFileName, isVolatileRemoteDir, normalizeRemotePath, SAFE_REMOTE_PATH } from './remote-paths';
import { MAX_WINDOWS, windowProblem } from './windows';

export interface InputProblem {
  field: string;
  problem: string;
}

/** Bounds every duration of the plan must keep (ms): nothing that passes can fail later on its value. */
export const DURATION_BOUNDS: Record<string, [number, number]> = {
  'ssh.connectTimeout': [500, 5 * 60_000],
  'policy.gates.pollInterval': [50, 10 * 60_000],
  'policy.gates.exhibitorTimeout': [500, 24 * 3_600_000],
  'policy.gates.mesosMasterTimeout': [500, 24 * 3_600_000],
  'policy.gates.cockroachTimeout': [500, 24 * 3_600_000],
  'policy.gates.cockroachPollInterval': [50, 60 * 60_000],
  'policy.gates.agentWindow': [500, 60 * 60_000],
  'policy.gates.scriptTimeout': [500, 24 * 3_600_000],
  'policy.windowMinNodeTime': [1_000, 24 * 3_600_000],
  'canary.deployTimeout': [10_000, 3_600_000],
  'canary.pollInterval': [500, 5 * 60_000],
};

/** At most this many agents in flight at once, whatever the plan says. */
export const MAX_AGENT_CONCURRENCY = 1_000;
/** Webhooks a plan may list. */
export const MAX_NOTIFY_HOOKS = 10;
/** An http(s) URL without credentials or spaces (the plan check parses it fully). */
const WEBHOOK_URL = /^https?:\/\/[^\s/@]+(\/\S*)?$/;

/** Consecutive good polls a gate may require at most. */
export const MAX_STABLE_POLLS = 100;
/** The plan check's cap on the failure budget (setPolicy caps it at the number of agents). */
export const MAX_FAILURE_BUDGET = 100_000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Dotted-quad IPv4 without leading zeros, an IPv6 address, or an RFC 1123 host name. */
export function isHostAddress(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (s.includes(':')) return isIpv6(s);
  if (/^[\d.]+$/.test(s)) return false; // looks numeric but is no IPv4 (999.1.1.1, 10.0.1)
  return s.length <= 253 && s.split('.').every((l) => HOST_LABEL.test(l));
}

function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.split('::').length > 2) return false;
  const [head = '', tail = ''] = s.includes('::') ? s.split('::') : [s, ''];
  const groups = [...(head ? head.split(':') : []), ...(tail ? tail.split(':') : [])];
  const last = groups[groups.length - 1] ?? '';
  const v4 = last.includes('.') ? (IPV4.test(last) ? 2 : Number.NaN) : 0;
  const hex = v4 ? groups.slice(0, -1) : groups;
  if (Number.isNaN(v4) || !hex.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hex.length + v4;
  return s.includes('::') ? count < 8 : count === 8;
}

const isPort = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65_535;
const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem with a plan given to the workflow; empty when it may run. */
export function planInputProblems(plan: unknown): InputProblem[] {
  const out: InputProblem[] = [];
  const bad = (field: string, problem: string) => out.push({ field, problem });
  if (!isRec(plan)) return [{ field: 'plan', problem: 'the workflow input has no plan object ({"plan": …})' }];
  const p = plan as unknown as Plan;
  if (typeof p.cluster !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(p.cluster)) {
    bad('cluster.name', 'must be 1–100 of [A-Za-z0-9._-]');
  }
  if (p.variant !== 'open' && p.variant !== 'enterprise') bad('cluster.variant', 'must be open or enterprise');
  for (const [field, v] of [
    ['cluster.from', p.fromVersion],
    ['cluster.to', p.toVersion],
  ] as const) {
    if (typeof v !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}(-[A-Za-z0-9.]{1,32})?$/.test(v)) {
      bad(field, 'must be a DC/OS version like 2.1.5');
    }
  }
  checkRemotePaths(p, bad);
  checkSsh(p, bad);
  checkHttp(p, bad);
  checkNodes(p, bad);
  checkPolicy(p, bad);
  checkNotify(p, bad);
  checkCanary(p, bad);
  if (!Array.isArray(p.preflightOverrides) || !p.preflightOverrides.every((c) => /^[a-z0-9-]{1,64}$/.test(String(c)))) {
    bad('preflight.override', 'must be a list of preflight check names');
  }
  return out;
}

function checkRemotePaths(p: Plan, bad: (f: string, m: string) => void): void {
  const dir = p.remoteWorkDir;
  if (typeof dir !== 'string' || !SAFE_REMOTE_PATH.test(dir) || dir.split('/').includes('..')) {
    bad('remoteWorkDir', 'must be an absolute path of letters, digits and . _ - + / only');
  } else if (normalizeRemotePath(dir) === '/' || isVolatileRemoteDir(normalizeRemotePath(dir))) {
    bad('remoteWorkDir', 'must not be the root directory or on tmpfs (/tmp, /run, …)');
  }
  const b = isRec(p.bootstrap) ? p.bootstrap : undefined;
  if (!b) {
    bad('bootstrap', 'missing');
    return;
  }
  if (typeof b.address !== 'string' || !isHostAddress(b.address))
    bad('bootstrap.host', 'must be an IPv4, IPv6 address or host name');
  if (!isPort(b.sshPort)) bad('bootstrap.sshPort', 'must be a port 1–65535');
  if (
    typeof b.installerDir !== 'string' ||
    !SAFE_REMOTE_PATH.test(b.installerDir) ||
    b.installerDir.split('/').includes('..')
  ) {
    bad('bootstrap.installerDir', 'must be an absolute path of letters, digits and . _ - + / only');
  }
  if (typeof b.installerName !== 'string' || !isPlainFileName(b.installerName)) {
    bad('bootstrap.installer', 'must be a plain file name (no directory, no leading "-")');
  }
}

function checkSsh(p: Plan, bad: (f: string, m: string) => void): void {
  const s = isRec(p.ssh) ? p.ssh : undefined;
  if (!s) {
    bad('ssh', 'missing');
    return;
  }
  if (typeof s.user !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(s.user))
    bad('ssh.user', 'must be a user name');
  if (!isPort(s.port)) bad('ssh.port', 'must be a port 1–65535');
  checkDuration('ssh.connectTimeout', s.connectTimeoutMs, bad);
  for (const f of ['privateKeyPath', 'knownHostsPath'] as const) {
    if (typeof s[f] !== 'string' || s[f].length === 0) bad(`ssh.${f}`, 'must be a path on the worker');
  }
}

function checkHttp(p: Plan, bad: (f: string, m: string) => void): void {
  const h = isRec(p.http) ? p.http : undefined;
  if (!h) {
    bad('http', 'missing');
    return;
  }
  if (h.probes !== undefined && h.probes !== 'ssh' && h.probes !== 'http') bad('probes', 'must be ssh or http');
  if (typeof h.mesosHttps !== 'boolean') bad('http.mesosHttps', 'must be true or false');
  if (h.exhibitorTlsOnNode !== undefined && typeof h.exhibitorTlsOnNode !== 'boolean')
    bad('http.exhibitorTls', 'must be true or false with probes: ssh');
  for (const f of ['mesosCaCertPath', 'tokenPath'] as const) {
    if (h[f] !== undefined && (typeof h[f] !== 'string' || h[f].length === 0))
      bad(`http.${f}`, 'must be a path on the worker');
  }
}

function checkCanary(p: Plan, bad: (f: string, m: string) => void): void {
  const c = p.canary as unknown;
  if (c === undefined) return;
  if (!isRec(c)) {
    bad('canary', 'must be the canary app ({appId, instances, …})');
    return;
  }
  if (typeof c.appId !== 'string' || !CANARY_APP_ID.test(c.appId))
    bad('canary.app', 'must be one Marathon path segment like /dcos-patch-canary');
  const agents = Array.isArray(p.agents) ? p.agents.length : 0;
  if (
    !Number.isInteger(c.instances) ||
    (c.instances as number) < 1 ||
    (c.instances as number) > Math.min(MAX_CANARY_INSTANCES, agents)
  )
    bad('canary.instances', `must be 1–${Math.min(MAX_CANARY_INSTANCES, agents)} (one per private agent)`);
  if (typeof c.cmd !== 'string' || c.cmd.length === 0 || c.cmd.length > MAX_CANARY_CMD || /[\0\n\r]/.test(c.cmd))
    bad('canary.cmd', `must be one line of at most ${MAX_CANARY_CMD} characters`);
  if (typeof c.cpus !== 'number' || !(c.cpus > 0 && c.cpus <= 1)) bad('canary.cpus', 'must be a number in (0, 1]');
  if (typeof c.memMb !== 'number' || !(c.memMb >= 16 && c.memMb <= 1024)) bad('canary.memMb', 'must be 16–1024');
  for (const [field, v] of [
    ['canary.deployTimeout', c.deployTimeoutMs],
    ['canary.pollInterval', c.pollIntervalMs],
  ] as const) {
    const [lo, hi] = DURATION_BOUNDS[field]!;
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) bad(field, `must be ${lo}–${hi} ms`);
  }
}

function checkNotify(p: Plan, bad: (f: string, m: string) => void): void {
  if (p.notify === undefined) return;
  if (!Array.isArray(p.notify) || p.notify.length > MAX_NOTIFY_HOOKS) {
    bad('notify', `must be a list of at most ${MAX_NOTIFY_HOOKS} webhooks`);
    return;
  }
  for (const [i, h] of p.notify.entries()) {
    const field = `notify.${i}`;
    if (!isRec(h)) {
      bad(field, 'must be a webhook ({url} or {urlFile})');
      continue;
    }
    const hasUrl = typeof h.url === 'string' && WEBHOOK_URL.test(h.url);
    const hasFile = typeof h.urlFile === 'string' && h.urlFile.startsWith('/');
    if (hasUrl === hasFile)
      bad(
        field,
        'needs exactly one of url (http or https, no credentials) or urlFile (an absolute path on the worker)'
      );
    if (h.headerFile !== undefined && (typeof h.headerFile !== 'string' || !h.headerFile.startsWith('/')))
      bad(`${field}.headerFile`, 'must be an absolute path on the worker');
    if (!Array.isArray(h.events) || !h.events.every((e) => NOTIFY_EVENT_KINDS.includes(e)))
      bad(`${field}.events`, `must be a list of: ${NOTIFY_EVENT_KINDS.join(', ')}`);
  }
}

const SECTIONS: { key: 'masters' | 'agents' | 'publicAgents'; role: NodeRole }[] = [
  { key: 'masters', role: 'master' },
  { key: 'agents', role: 'agent' },
  { key: 'publicAgents', role: 'public-agent' },
];

function checkNodes(p: Plan, bad: (f: string, m: string) => void): void {
  for (const { key, role } of SECTIONS) {
    const list = p[key] as unknown;
    if (!Array.isArray(list)) {
      bad(key, 'must be a list');
      continue;
    }
    list.forEach((n: NodeSpec, i) => {
      const f = `${key}[${i}]`;
      if (!isRec(n)) {
        bad(f, 'must be a node');
        return;
      }
      if (n.role !== role) bad(`${f}.role`, `must be ${role}`);
      if (typeof n.address !== 'string' || !isHostAddress(n.address))
        bad(`${f}.host`, 'must be an IPv4, IPv6 address or host name');
      if (typeof n.id !== 'string' || !/^[A-Za-z0-9._:[\]-]{1,300}$/.test(n.id))
        bad(`${f}.id`, 'must be <role>-<address>');
      if (!isPort(n.sshPort)) bad(`${f}.sshPort`, 'must be a port 1–65535');
      const ports: Record<string, unknown> = isRec(n.ports) ? n.ports : {};
      for (const k of ['exhibitor', 'mesosMaster', 'mesosAgent', 'marathon'] as const) {
        if (!isPort(ports[k])) bad(`${f}.ports.${k}`, 'must be a port 1–65535');
      }
      if (ports.mesosDns !== undefined && !isPort(ports.mesosDns)) bad(`${f}.ports.mesosDns`, 'must be a port 1–65535');
    });
  }
  if (Array.isArray(p.masters) && ![1, 3, 5].includes(p.masters.length)) bad('masters', 'must list 1, 3 or 5 masters');
}

function checkDuration(field: string, v: unknown, bad: (f: string, m: string) => void): void {
  const [min, max] = DURATION_BOUNDS[field]!;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    bad(field, `must be a duration from ${min} ms to ${max} ms`);
  }
}

function checkPolicy(p: Plan, bad: (f: string, m: string) => void): void {
  const pol = isRec(p.policy) ? p.policy : undefined;
  if (!pol) {
    bad('policy', 'missing');
    return;
  }
  const c = pol.agentConcurrency;
  if (!Number.isInteger(c) || c < 1 || c > MAX_AGENT_CONCURRENCY) {
    bad('policy.agentConcurrency', `must be a whole number from 1 to ${MAX_AGENT_CONCURRENCY}`);
  }
  const ramp = pol.agentRamp === undefined ? undefined : rampProblem(pol.agentRamp, MAX_AGENT_CONCURRENCY);
  if (ramp) bad('policy.agentRamp', ramp);
  if (pol.health !== undefined && pol.health !== 'baseline' && pol.health !== 'strict') {
    bad('policy.health', 'must be baseline or strict');
  }
  if (pol.windows !== undefined) {
    const ws: unknown = pol.windows;
    const problem =
      !Array.isArray(ws) || ws.length > MAX_WINDOWS
        ? `must be a list of at most ${MAX_WINDOWS} windows`
        : ws.map(windowProblem).find(Boolean);
    if (problem) bad('policy.windows', problem);
    if (pol.windowMinNodeMs !== undefined) checkDuration('policy.windowMinNodeTime', pol.windowMinNodeMs, bad);
  }
  const b = pol.agentFailureBudget;
  if (!Number.isInteger(b) || b < 0 || b > MAX_FAILURE_BUDGET) {
    bad('policy.agentFailureBudget', `must be a whole number from 0 to ${MAX_FAILURE_BUDGET}`);
  }
  const g = isRec(pol.gates) ? pol.gates : undefined;
  if (!g) {
    bad('policy.gates', 'missing');
    return;
  }
  if (!Number.isInteger(g.stablePolls) || g.stablePolls < 1 || g.stablePolls > MAX_STABLE_POLLS) {
    bad('policy.gates.stablePolls', `must be a whole number from 1 to ${MAX_STABLE_POLLS}`);
  }
  const timings: [string, unknown][] = [
    ['policy.gates.pollInterval', g.pollIntervalMs],
    ['policy.gates.exhibitorTimeout', g.exhibitorTimeoutMs],
    ['policy.gates.mesosMasterTimeout', g.mesosMasterTimeoutMs],
    ['policy.gates.cockroachTimeout', g.cockroachTimeoutMs],
    ['policy.gates.cockroachPollInterval', g.cockroachPollIntervalMs],
    ['policy.gates.agentWindow', g.agentWindowMs],
    ['policy.gates.scriptTimeout', g.scriptTimeoutMs],
  ];
  for (const [field, v] of timings) checkDuration(field, v, bad);
}
