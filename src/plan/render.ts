/**
 * `dcos-patch check`: the plan check's result for a person (what will happen, then every finding
 * with its fix, then the counts) and for scripts (`--json`).
 */
import { type CanarySpec, canaryDnsName, DEFAULT_WINDOW_MIN_NODE_MS } from '../shared/plan';
import { describeRamp } from '../shared/ramp';
import { describeWindow } from '../shared/windows';
import type { PlanCheckResult, PlanSummary } from './check';
import { formatDuration } from './durations';
import { formatFinding } from './findings';

/** Agents listed by id before the rest are counted (clusters can have thousands of agents). */
const MAX_AGENTS_SHOWN = 48;
const AGENTS_PER_LINE = 4;

export function renderCheck(result: PlanCheckResult): string {
  const lines = [...renderSummary(result.summary)];
  if (result.findings.length > 0) {
    lines.push('');
    const ordered = [
      ...result.findings.filter((f) => f.severity === 'error'),
      ...result.findings.filter((f) => f.severity === 'warning'),
    ];
    for (const f of ordered) lines.push(formatFinding(f));
  }
  lines.push('', countsLine(result));
  return lines.join('\n');
}

function countsLine(result: PlanCheckResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  return result.plan
    ? `${counts}: the plan is valid${warnings > 0 ? ' (read the warnings before starting)' : ''}.`
    : `${counts}: the plan is not valid; nothing was started.`;
}

function renderSummary(s: PlanSummary): string[] {
  const out = [`Plan ${s.file}`];
  const row = (label: string, value: string) => out.push(`  ${label.padEnd(10)}${value}`);
  if (s.cluster) row('cluster', `${s.cluster}${s.variant ? ` (${s.variant})` : ''}`);
  if (s.from || s.to) {
    const kind =
      s.kind === 'patch' ? 'patch' : s.kind === 'config-change' ? 'configuration change only' : 'not a valid path';
    const mesos = s.expectedMesosVersion ? `; masters must then report Mesos ${s.expectedMesosVersion}` : '';
    row('version', `${s.from ?? '?'} → ${s.to ?? '?'} (${kind})${mesos}`);
  }
  if (s.security) {
    row(
      'security',
      s.security.from === s.security.to ? `${s.security.to} (unchanged)` : `${s.security.from} → ${s.security.to}`
    );
  }
  if (!s.configCompared) row('config', 'not compared (the config files could not be read, see below)');
  else if (s.configChanges.length === 0) row('config', 'no parameter changes');
  else {
    row('config', `${plural(s.configChanges.length, 'parameter')} change:`);
    for (const c of s.configChanges) out.push(`              ${c.key}: ${c.old} → ${c.new}`);
  }
  if (s.bootstrap) row('bootstrap', s.bootstrap);
  if (s.masters.length > 0) row('masters', `one at a time: ${s.masters.join(', ')}`);
  if (s.agentOrder.length > 0) out.push(...agentLines(s));
  const p = s.policy;
  const g = p.gates;
  if (p.agentRamp?.length) row('ramp', describeRamp(p.agentRamp, s.agentOrder.length, p.agentConcurrency));
  row(
    'policy',
    `agent failure budget ${p.agentFailureBudget}; approve each master: ${yesNo(p.approveEachMaster)}; approve before agents: ${yesNo(p.approveBeforeAgents)}; health: ${p.health === 'strict' ? 'strict (every check absolute)' : 'baseline (what is broken at preflight is named and never blocks; regressions do)'}`
  );
  row(
    'gates',
    `poll every ${formatDuration(g.pollIntervalMs)}, ${g.stablePolls} good polls in a row; exhibitor ${formatDuration(g.exhibitorTimeoutMs)}, mesos master ${formatDuration(g.mesosMasterTimeoutMs)}, cockroach ${formatDuration(g.cockroachTimeoutMs)} (every ${formatDuration(g.cockroachPollIntervalMs)}), agent window ${formatDuration(g.agentWindowMs)}, script ${formatDuration(g.scriptTimeoutMs)}`
  );
  if (p.windows?.length) {
    const least = formatDuration(p.windowMinNodeMs ?? DEFAULT_WINDOW_MIN_NODE_MS);
    row('windows', `a node starts only inside one, with its estimate (at least ${least}) left before it closes:`);
    for (const w of p.windows) out.push(`              ${describeWindow(w)}`);
  }
  row('backups', `zookeeper: ${s.backups.zookeeper}; iam: ${s.backups.iam}`);
  if (s.preflightOverrides.length > 0) row('overrides', s.preflightOverrides.join(', '));
  for (const [i, hook] of s.notify.entries()) row(i === 0 ? 'notify' : '', hook);
  if (s.canary) row('canary', describeCanary(s.canary));
  return out;
}

/** The `--json` output: stable keys, one object. */
export function checkResultJson(result: PlanCheckResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  return JSON.stringify(
    {
      ok: result.plan !== undefined,
      errors,
      warnings: result.findings.length - errors,
      summary: result.summary,
      findings: result.findings,
      enableIpv6: result.enableIpv6 ?? null,
      plan: result.plan ?? null,
    },
    null,
    2
  );
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

/** The agents' order and the window: the next agent starts as soon as one is done. */
function agentLines(s: PlanSummary): string[] {
  const n = s.agentOrder.length;
  const window = `a sliding window of up to ${s.policy.agentConcurrency} at a time`;
  const out = [`  ${'agents'.padEnd(10)}${plural(n, 'agent')}, ${window}, in this order:`];
  const shown = s.agentOrder.slice(0, MAX_AGENTS_SHOWN);
  for (let i = 0; i < shown.length; i += AGENTS_PER_LINE) {
    out.push(`            ${String(i + 1).padStart(4)}. ${shown.slice(i, i + AGENTS_PER_LINE).join(', ')}`);
  }
  if (n > shown.length) out.push(`            … and ${plural(n - shown.length, 'more agent')}`);
  return out;
}

/** "/dcos-patch-canary: 3 instances (hostname:UNIQUE), health check on $PORT0, Mesos-DNS …" */
function describeCanary(c: CanarySpec): string {
  return `${c.appId}: ${c.instances} instance(s) on private agents (hostname:UNIQUE) with a health check, resolved as ${canaryDnsName(c.appId)}; deployed before the first master (within ${formatDuration(c.deployTimeoutMs)}), looked at every ${formatDuration(c.pollIntervalMs)}, removed at the end`;
}
