/**
 * `check` (the dry run: the plan check, nothing touched) and `start` (check, then start the patch
 * workflow exactly once: a second start of the same patch attaches to it).
 *
 * Workflow ids: `patch-<cluster>-<from>-to-<to>` by default (or `--id`). A patch whose id already
 * ran is never started again under that id: node workflow ids derive from it, and the Web UI and
 * `report` keep pointing at that run. `--rerun` starts the next free `<id>-rerun-<n>` instead
 * (hosts already at the target version are skipped by the workflow's survey).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { checkPlanFile } from '../../plan/check';
import { formatFinding } from '../../plan/findings';
import { checkResultJson, renderCheck } from '../../plan/render';
import type { Plan } from '../../shared/plan';
import { compactPlan } from '../../shared/plan-wire';
import { DcosCluster, DcosFromVersion, DcosPatchPhase, DcosToVersion } from '../../shared/search-attributes';
import type { patchCluster } from '../../workflows/patch-cluster';
import type { CliContext } from '../connection';
import { CliError, ExitCode } from '../exit-codes';
import type { Io } from '../runner';
import { watchCommand } from './watch';

export function checkCommand(io: Io, planPath: string, opts: { json?: boolean }): number {
  const result = checkPlanFile(planPath);
  io.out(opts.json ? checkResultJson(result) : renderCheck(result));
  return result.plan ? ExitCode.Ok : ExitCode.Usage;
}

export interface StartOptions {
  id?: string;
  watch?: boolean;
  json?: boolean;
  rerun?: boolean;
}

export function defaultWorkflowId(plan: Pick<Plan, 'cluster' | 'fromVersion' | 'toVersion'>): string {
  return `patch-${plan.cluster}-${plan.fromVersion}-to-${plan.toVersion}`;
}

export async function startCommand(ctx: CliContext, io: Io, planPath: string, opts: StartOptions): Promise<number> {
  if (opts.watch && opts.json) throw new CliError('--watch and --json do not go together', ExitCode.Usage);
  if (opts.id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(opts.id)) {
    throw new CliError(`--id "${opts.id}": use letters, digits, ".", "_", ":" and "-" (no "/")`, ExitCode.Usage);
  }
  const checked = checkPlanFile(planPath);
  if (!checked.plan) {
    io.err(renderCheck(checked));
    io.err('Nothing was started: fix the errors above (dcos-patch check shows the same).');
    return ExitCode.Usage;
  }
  const plan = checked.plan;
  const warnings = checked.findings.filter((f) => f.severity === 'warning');
  for (const w of warnings) io.err(formatFinding(w));

  const baseId = opts.id ?? defaultWorkflowId(plan);
  const client = await ctx.getClient();
  const runs = await runsOf(client, baseId);
  const live = runs.find((r) => r.status.name === 'RUNNING');
  if (live) {
    const from = live.memo?.planFile;
    if (typeof from === 'string' && from !== resolve(planPath)) {
      io.err(`note: ${live.workflowId} was started from ${from}; the plan given now is not applied to it`);
    }
    return attach(ctx, io, live.workflowId, opts);
  }

  const others = await runningPatchesOf(client, plan.cluster);
  const other = others.find((w) => !runs.some((r) => r.workflowId === w.workflowId));
  if (other) {
    throw new CliError(
      `another patch of cluster ${plan.cluster} is running: ${other.workflowId} (${other.typedSearchAttributes.get(DcosFromVersion) ?? '?'} → ${other.typedSearchAttributes.get(DcosToVersion) ?? '?'}). Nothing started: let it finish, or abort it first (${ctx.commandPrefix} abort ${other.workflowId}).`,
      ExitCode.Rejected
    );
  }

  let workflowId = baseId;
  if (runs.length > 0) {
    const last = runs.at(-1)!;
    if (!opts.rerun) {
      throw new CliError(
        `patch ${last.workflowId} already ran and closed ${last.status.name}${last.closeTime ? ` at ${last.closeTime.toISOString()}` : ''}; nothing started. Its report: ${ctx.commandPrefix} report ${last.workflowId}. To run the plan again (hosts already at ${plan.toVersion} are skipped): ${ctx.commandPrefix} start ${planPath} --rerun`,
        ExitCode.Rejected
      );
    }
    workflowId = `${baseId}-rerun-${runs.length}`;
  }

  let runId: string;
  try {
    const handle = await client.workflow.start<typeof patchCluster>('patchCluster', {
      workflowId,
      taskQueue: ctx.taskQueue,
      // Compact: a 5,000-agent plan in full is over Temporal's 512 KiB payload warning.
      args: [{ plan: compactPlan(plan) }],
      // Never two runs of one id: a concurrent start fails here and attaches below.
      workflowIdConflictPolicy: 'FAIL',
      // Never re-run an id that already ran (see the module comment; --rerun picks a new id).
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: DcosCluster, value: plan.cluster },
        { key: DcosFromVersion, value: plan.fromVersion },
        { key: DcosToVersion, value: plan.toVersion },
        { key: DcosPatchPhase, value: 'plan' },
      ],
      memo: { planFile: resolve(planPath), startedBy: startedBy() },
      staticSummary: `patch ${plan.cluster} ${plan.fromVersion} → ${plan.toVersion}: ${plan.masters.length} masters, ${plan.agents.length + plan.publicAgents.length} agents`,
      staticDetails: `plan file ${resolve(planPath)}`,
    });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return attach(ctx, io, workflowId, opts);
    throw err;
  }
  const url = ctx.uiUrl(workflowId);
  if (opts.json) {
    io.out(JSON.stringify({ workflowId, runId, started: true, attached: false, taskQueue: ctx.taskQueue, url }));
    return ExitCode.Ok;
  }
  io.out(`started ${workflowId}`);
  io.out(`  Web UI: ${url}`);
  if (!opts.watch) io.out(`  follow: ${ctx.commandPrefix} watch ${workflowId}`);
  if (opts.watch) return watchCommand(ctx, io, workflowId, {});
  return ExitCode.Ok;
}

async function attach(ctx: CliContext, io: Io, workflowId: string, opts: StartOptions): Promise<number> {
  const url = ctx.uiUrl(workflowId);
  if (opts.json) {
    io.out(JSON.stringify({ workflowId, started: false, attached: true, taskQueue: ctx.taskQueue, url }));
    return ExitCode.Ok;
  }
  io.out(`already running: ${workflowId} (not started again)`);
  io.out(`  Web UI: ${url}`);
  if (opts.watch) return watchCommand(ctx, io, workflowId, {});
  io.out(`  follow: ${ctx.commandPrefix} watch ${workflowId}`);
  return ExitCode.Ok;
}

/** The runs of a patch id: the id itself, then `<id>-rerun-1`, `-2`, … as far as they exist. */
async function runsOf(client: Client, baseId: string) {
  const runs = [];
  for (let n = 0; ; n++) {
    const id = n === 0 ? baseId : `${baseId}-rerun-${n}`;
    try {
      runs.push(await client.workflow.getHandle(id).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return runs;
      throw err;
    }
  }
}

async function runningPatchesOf(client: Client, cluster: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  const query = `WorkflowType = 'patchCluster' AND ExecutionStatus = 'Running' AND DcosCluster = '${cluster}'`;
  for await (const w of client.workflow.list({ query })) out.push(w);
  return out;
}

function startedBy(): string {
  const user = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  return `${user}@${hostname()}`;
}
