/**
 * `report`: the final per-node report of a closed patch, from the workflow's result (or the
 * failure's details), with the results of the node workflows that did not simply patch (their
 * diagnostics, the step that failed, the state an abort left the script in).
 */
import type { Client } from '@temporalio/client';
import type { NodeResult, PatchReport } from '../../shared/status';
import type { CliContext } from '../connection';
import { CliError, ExitCode } from '../exit-codes';
import { type FullReport, renderReportMarkdown, reportJson } from '../render/report';
import type { Io } from '../runner';
import { readNodeResult, readOutcome } from '../snapshot';

/** Node workflow results fetched at once. */
const FETCH_CONCURRENCY = 8;

export async function reportCommand(
  ctx: CliContext,
  io: Io,
  workflowId: string,
  opts: { format?: string }
): Promise<number> {
  const format = opts.format ?? 'md';
  if (format !== 'md' && format !== 'json') {
    throw new CliError(`--format "${format}": choose md or json`, ExitCode.Usage);
  }
  const client = await ctx.getClient();
  const handle = client.workflow.getHandle(workflowId);
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING') {
    throw new CliError(
      `patch ${workflowId} is still running: the report is written when it closes. Now: ${ctx.commandPrefix} status ${workflowId}`,
      ExitCode.Rejected
    );
  }
  const { report, reason } = await readOutcome(handle);
  if (!report) {
    io.err(`patch ${workflowId} closed ${desc.status.name} without a report: ${reason ?? 'no details'}`);
    return ExitCode.Failed;
  }
  const full: FullReport = { report, nodeResults: await nodeResults(client, report) };
  io.out(format === 'json' ? reportJson(full) : renderReportMarkdown(full));
  return ['succeeded', 'nothing-to-do'].includes(report.outcome) ? ExitCode.Ok : ExitCode.Failed;
}

/** Every attempt of every node that failed, was aborted, skipped by decision, or was retried. */
async function nodeResults(client: Client, report: PatchReport): Promise<Record<string, NodeResult[]>> {
  const wanted: { node: string; attempt: number; id: string }[] = [];
  for (const n of report.nodes) {
    if (n.attempts === 0 || (n.state === 'patched' && n.attempts === 1)) continue;
    if (n.state === 'skipped' && !n.decisions?.includes('skip')) continue;
    for (let a = 1; a <= n.attempts; a++) {
      wanted.push({ node: n.id, attempt: a, id: `${report.workflowId}/${n.id}/attempt-${a}` });
    }
  }
  const results: (NodeResult | undefined)[] = new Array(wanted.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FETCH_CONCURRENCY, wanted.length) }, async () => {
      while (next < wanted.length) {
        const i = next++;
        results[i] = await readNodeResult(client, wanted[i]!.id);
      }
    })
  );
  const out: Record<string, NodeResult[]> = {};
  wanted.forEach((w, i) => {
    const r = results[i];
    if (r) out[w.node] = [...(out[w.node] ?? []), r];
  });
  return out;
}
