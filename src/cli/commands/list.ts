/**
 * `list`: patches found by Temporal visibility on our search attributes, the same query an
 * operator can type into `temporal workflow list --query` or the Web UI.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { DcosCluster, DcosFromVersion, DcosPatchPhase, DcosToVersion } from '../../shared/search-attributes';
import type { CliContext } from '../connection';
import { CliError, ExitCode } from '../exit-codes';
import type { Io } from '../runner';

export interface ListOptions {
  cluster?: string;
  running?: boolean;
  json?: boolean;
  limit?: number;
}

export function listQuery(opts: Pick<ListOptions, 'cluster' | 'running'>): string {
  const terms = [`WorkflowType = 'patchCluster'`];
  if (opts.cluster !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(opts.cluster)) {
      throw new CliError(`--cluster "${opts.cluster}": a cluster name has only letters, digits, ".", "_", "-"`, 2);
    }
    terms.push(`${DcosCluster.name} = '${opts.cluster}'`);
  }
  if (opts.running) terms.push(`ExecutionStatus = 'Running'`);
  return terms.join(' AND ');
}

export async function listCommand(ctx: CliContext, io: Io, opts: ListOptions): Promise<number> {
  const query = listQuery(opts);
  const client = await ctx.getClient();
  const limit = opts.limit ?? 100;
  const rows: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    rows.push(w);
    if (rows.length >= limit) break;
  }
  const view = rows.map((w) => ({
    workflowId: w.workflowId,
    runId: w.runId,
    status: w.status.name,
    cluster: w.typedSearchAttributes.get(DcosCluster) ?? null,
    fromVersion: w.typedSearchAttributes.get(DcosFromVersion) ?? null,
    toVersion: w.typedSearchAttributes.get(DcosToVersion) ?? null,
    phase: w.typedSearchAttributes.get(DcosPatchPhase) ?? null,
    startTime: w.startTime.toISOString(),
    closeTime: w.closeTime?.toISOString() ?? null,
  }));
  if (opts.json) {
    io.out(JSON.stringify(view, null, 2));
    return ExitCode.Ok;
  }
  if (view.length === 0) {
    io.out(`no patches match (${query})`);
    return ExitCode.Ok;
  }
  const table = [['ID', 'STATUS', 'PHASE', 'CLUSTER', 'VERSION', 'STARTED', 'CLOSED']];
  for (const v of view) {
    table.push([
      v.workflowId,
      v.status,
      v.phase ?? '',
      v.cluster ?? '',
      `${v.fromVersion ?? '?'} → ${v.toVersion ?? '?'}`,
      v.startTime.slice(0, 19).replace('T', ' '),
      v.closeTime?.slice(0, 19).replace('T', ' ') ?? '',
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table)
    io.out(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()
    );
  return ExitCode.Ok;
}
