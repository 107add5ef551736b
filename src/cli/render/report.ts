/**
 * `dcos-patch report`: the final per-node report as Markdown (for a change ticket) or JSON.
 * Pure: the report and the node workflows' results come in, text goes out.
 */
import { canaryFigures } from '../../shared/canary';
import type { NodeResult, NodeStatus, PatchReport } from '../../shared/status';
import { formatDuration } from './watch-view';

export interface FullReport {
  report: PatchReport;
  /** Node id → its node workflows' results, oldest attempt first (failed, retried and aborted nodes). */
  nodeResults: Record<string, NodeResult[]>;
}

/** Characters of one diagnostics section kept in the Markdown (the JSON keeps everything). */
const MAX_SECTION_CHARS = 4_000;

export function reportJson(full: FullReport): string {
  return JSON.stringify(full, null, 2);
}

export function renderReportMarkdown(full: FullReport): string {
  const { report: r, nodeResults } = full;
  const out: string[] = [`# Patch report: ${r.workflowId}`, ''];
  out.push('| | |', '|---|---|');
  const kv = (k: string, v: string) => out.push(`| ${k} | ${cell(v)} |`);
  kv('cluster', r.cluster);
  kv('version', `${r.fromVersion} → ${r.toVersion}`);
  kv('outcome', `**${r.outcome}** — ${r.message}`);
  kv('started', iso(r.startedAtMs));
  kv('finished', `${iso(r.finishedAtMs)} (took ${formatDuration(r.finishedAtMs - r.startedAtMs)})`);
  if (r.scriptUrl) kv('node patch script', r.scriptUrl);
  const count = (st: string) => r.nodes.filter((n) => n.state === st).length;
  kv(
    'nodes',
    `${r.nodes.length}: ${count('patched')} patched, ${count('skipped')} skipped, ${count('failed')} failed, ${count('aborted')} aborted`
  );
  const retried = r.nodes.filter((n) => n.attempts > 1).length;
  kv('retries', retried ? `${retried} node(s) needed more than one attempt` : 'none');

  out.push('', '## Nodes', '');
  out.push('| node | role | outcome | versions | took | attempts | decisions | summary |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const n of r.nodes) {
    const results = nodeResults[n.id] ?? [];
    const took = n.startedAtMs && n.finishedAtMs ? formatDuration(n.finishedAtMs - n.startedAtMs) : '';
    out.push(
      `| ${cell(n.id)} | ${n.role} | ${n.state} | ${cell(versions(r, n, results.at(-1)))} | ${took} | ${n.attempts} | ${cell((n.decisions ?? []).join(', '))} | ${cell(n.note ?? '')} |`
    );
  }

  const attempted = r.nodes.filter((n) => (n.attemptLog ?? []).length > 0);
  if (attempted.length > 0) {
    out.push('', '## Attempts', '', '| node | attempt | outcome | reason |', '|---|---|---|---|');
    for (const n of attempted) {
      for (const a of n.attemptLog ?? [])
        out.push(`| ${cell(n.id)} | ${a.attempt} | ${a.outcome} | ${cell(a.reason)} |`);
    }
  }

  const b = r.baseline;
  if (b && (b.agentsInactive.length > 0 || b.appsUnhealthy.length > 0)) {
    out.push('', '## Broken before the patch (the baseline, left as found)', '');
    for (const id of b.agentsInactive) out.push(`- agent **${id}**: not registered at preflight; not patched`);
    for (const id of b.appsUnhealthy)
      out.push(`- Marathon app **${id}**: not healthy at preflight; not counted by the gates`);
  }

  const c = r.canary;
  if (c && c.state !== 'planned') {
    out.push('', '## Workload canary', '');
    out.push(
      `- app **${c.appId}** (${c.instances} instance(s)${c.hosts ? ` on ${c.hosts.join(', ')}` : ''}), name ${c.dnsName}: ${c.state}`
    );
    out.push(`- ${canaryFigures(c)}`);
    if (c.removal) out.push(`- ${c.removal}`);
    for (const i of c.incidents)
      out.push(`- ${iso(i.atMs)} ${i.kind}: ${cell(i.text)} (being patched: ${i.nodes.join(', ') || 'none'})`);
  }

  if (r.decisions.length > 0) {
    out.push('', '## Operator decisions', '');
    for (const d of r.decisions) {
      out.push(
        `- ${iso(d.atMs)} **${d.subject}**: ${d.decision}${d.checks?.length ? ` (${d.checks.join(', ')})` : ''}`
      );
    }
  }

  if (r.preflight.length > 0) {
    out.push('', '## Preflight', '', '| check | host | status | message |', '|---|---|---|---|');
    for (const f of r.preflight) {
      const status = f.overridden ? `${f.status} (overridden)` : f.status;
      out.push(`| ${cell(f.check)} | ${cell(f.host ?? '')} | ${status} | ${cell(f.message)} |`);
    }
  }

  const troubled = Object.entries(nodeResults).flatMap(([, rs]) => rs.filter((x) => x.outcome !== 'patched'));
  if (troubled.length > 0) {
    out.push('', '## Failures and diagnostics');
    for (const x of troubled) out.push('', ...nodeResultSection(x));
  }
  out.push('');
  return out.join('\n');
}

function nodeResultSection(x: NodeResult): string[] {
  const out = [
    `### ${x.node} (attempt ${x.attempt}): ${x.outcome}${x.failedStep ? ` at ${x.failedStep}` : ''}`,
    '',
    x.summary,
  ];
  if (x.failureType) out.push('', `Failure type: \`${x.failureType}\``);
  if (x.script) {
    const how = x.script.waitedFor
      ? ` (taken from the earlier run ${x.script.waitedFor}, which held the host)`
      : x.script.attached
        ? ' (attached to a run)'
        : '';
    out.push('', `Node patch script exit code ${x.script.exitCode}${how}:`);
    out.push(...fence(x.script.outputTail));
  }
  if (x.remoteRun) {
    out.push(
      '',
      `Script state after abort: ${x.remoteRun.state}${x.remoteRun.exitCode !== undefined ? ` (exit ${x.remoteRun.exitCode})` : ''}${x.remoteRun.runName ? ` — the run ${x.remoteRun.runName} holds the host` : ''}`
    );
  }
  if (x.gates.length > 0) {
    out.push('', 'Gates that held:', ...x.gates.map((g) => `- ${g.gate}: ${g.observation} (${g.polls} polls)`));
  }
  if (x.diagnostics) {
    out.push('', `Diagnostics collected ${iso(x.diagnostics.collectedAtMs)}:`);
    for (const s of x.diagnostics.sections) {
      out.push('', `#### \`${s.command}\` (exit ${s.exitCode})`, ...fence(clip(s.output)));
    }
  } else if (x.outcome === 'failed') {
    out.push('', 'No diagnostics were collected (the host could not be reached).');
  }
  return out;
}

function versions(r: PatchReport, n: NodeStatus, last: NodeResult | undefined): string {
  if (last?.versionBefore && last.versionAfter) return `${last.versionBefore} → ${last.versionAfter}`;
  if (n.state === 'patched') return `${last?.versionBefore ?? r.fromVersion} → ${r.toVersion}`;
  if (n.state === 'skipped' && !n.decisions?.includes('skip')) return `${r.toVersion} (already)`;
  return last?.versionBefore ? `${last.versionBefore} (unchanged)` : '';
}

function fence(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return [`${f}text`, text.replace(/\s+$/, ''), f];
}

function clip(text: string): string {
  return text.length > MAX_SECTION_CHARS
    ? `…(${text.length - MAX_SECTION_CHARS} characters cut; --format json has all)\n${text.slice(-MAX_SECTION_CHARS)}`
    : text;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
