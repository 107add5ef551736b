/**
 * Steering a running patch: `pause` / `resume` / `abort` (signals) and `decide` / `set` (updates,
 * which the workflow validates: a rejection comes back with its reason and exit code 4).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { formatDuration, parseDuration } from '../../plan/durations';
import { isRec } from '../../plan/fields';
import { Findings } from '../../plan/findings';
import { readWindows } from '../../plan/windows';
import { DEFAULT_WINDOW_MIN_NODE_MS, type RampStep } from '../../shared/plan';
import type { Decision, PatchStatus } from '../../shared/status';
import { describeWindow, type MaintenanceWindow } from '../../shared/windows';
import {
  abortSignal,
  type DecideInput,
  decideUpdate,
  type PolicyChange,
  pauseSignal,
  resumeSignal,
  setPolicyUpdate,
  statusQuery,
} from '../../workflows/messages';
import { type CliContext, firstLine, grpcCode } from '../connection';
import { CliError, ExitCode } from '../exit-codes';
import type { Io } from '../runner';
import { CALL_DEADLINE_MS } from '../snapshot';

export const DECISIONS: Decision[] = ['retry', 'skip', 'abort', 'approve', 'override', 'finish'];
/** An update waits for a worker to run it; past this the CLI says so instead of hanging. */
const UPDATE_DEADLINE_MS = 30_000;

/** The handle of a patch that is still running; a closed one is a rejection (exit 4). */
async function runningPatch(ctx: CliContext, workflowId: string): Promise<WorkflowHandle> {
  const client = await ctx.getClient();
  const handle = client.workflow.getHandle(workflowId);
  const desc = await handle.describe();
  if (desc.status.name !== 'RUNNING') {
    throw new CliError(
      `patch ${workflowId} is not running (it closed ${desc.status.name}${desc.closeTime ? ` at ${desc.closeTime.toISOString()}` : ''}); nothing sent. Its report: ${ctx.commandPrefix} report ${workflowId}`,
      ExitCode.Rejected
    );
  }
  return handle;
}

export async function pauseCommand(ctx: CliContext, io: Io, workflowId: string, opts: { reason?: string }) {
  const handle = await runningPatch(ctx, workflowId);
  await handle.signal(pauseSignal, opts.reason ? { reason: opts.reason } : {});
  io.out(`pause sent to ${workflowId}: nodes in flight finish, no new node starts; it stays paused until resumed.`);
  io.out(`  resume: ${ctx.commandPrefix} resume ${workflowId}`);
  return ExitCode.Ok;
}

export async function resumeCommand(ctx: CliContext, io: Io, workflowId: string) {
  const handle = await runningPatch(ctx, workflowId);
  await handle.signal(resumeSignal);
  io.out(`resume sent to ${workflowId}.`);
  return ExitCode.Ok;
}

export async function abortCommand(ctx: CliContext, io: Io, workflowId: string, opts: { reason?: string }) {
  const handle = await runningPatch(ctx, workflowId);
  await handle.signal(abortSignal, { reason: opts.reason ?? `dcos-patch abort by ${process.env.USER ?? 'operator'}` });
  io.out(
    `abort sent to ${workflowId}: no new node starts; nodes in flight are cancelled and report the state each was left in.`
  );
  io.out(`  follow: ${ctx.commandPrefix} watch ${workflowId}    report: ${ctx.commandPrefix} report ${workflowId}`);
  return ExitCode.Ok;
}

export interface DecideOptions {
  question?: string;
  checks?: string;
  reason?: string;
}

export async function decideCommand(
  ctx: CliContext,
  io: Io,
  workflowId: string,
  subjectArg: string,
  decisionArg: string,
  opts: DecideOptions
): Promise<number> {
  const decision = decisionArg.toLowerCase() as Decision;
  if (!DECISIONS.includes(decision)) {
    throw new CliError(`decision "${decisionArg}": choose one of ${DECISIONS.join(', ')}`, ExitCode.Usage);
  }
  const checks = opts.checks
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (checks?.length && decision !== 'override') {
    throw new CliError('--checks goes with override only', ExitCode.Usage);
  }
  const handle = await runningPatch(ctx, workflowId);
  const subject = await resolveSubject(ctx, handle, subjectArg);
  const input: DecideInput = { subject, decision, question: opts.question, checks, reason: opts.reason };
  const answer = await update(ctx, workflowId, () => handle.executeUpdate(decideUpdate, { args: [input] }));
  io.out(`${answer} (${workflowId})`);
  return ExitCode.Ok;
}

/** Decisions about a phase rather than a node. */
const PHASE_SUBJECTS = ['survey', 'preflight', 'backups', 'bootstrap', 'agents', 'window', 'canary'];

/** Accept a node's address (`10.0.0.12`) where its id (`master-10.0.0.12`) is meant. */
async function resolveSubject(ctx: CliContext, handle: WorkflowHandle, subject: string): Promise<string> {
  if (PHASE_SUBJECTS.includes(subject)) return subject;
  let status: PatchStatus;
  try {
    status = await ctx.withDeadline(CALL_DEADLINE_MS, () => handle.query(statusQuery));
  } catch {
    return subject;
  }
  if (status.nodes.some((n) => n.id === subject)) return subject;
  const matches = status.nodes.filter((n) => n.address === subject);
  return matches.length === 1 ? matches[0]!.id : subject;
}

/** The `set` options that change a gate timing, by the policy key they set. */
export const GATE_OPTIONS = {
  pollInterval: 'pollIntervalMs',
  stablePolls: 'stablePolls',
  exhibitorTimeout: 'exhibitorTimeoutMs',
  mesosMasterTimeout: 'mesosMasterTimeoutMs',
  cockroachTimeout: 'cockroachTimeoutMs',
  cockroachPollInterval: 'cockroachPollIntervalMs',
  scriptTimeout: 'scriptTimeoutMs',
} as const satisfies Record<string, keyof NonNullable<PolicyChange['gates']>>;

export type SetOptions = {
  concurrency?: number;
  ramp?: RampStep[];
  /** Maintenance windows read from a file (`[]`: none, any time). */
  windows?: MaintenanceWindow[];
  windowMinNodeTime?: number;
  failureBudget?: number;
  approveEachMaster?: boolean;
  approveBeforeAgents?: boolean;
} & { [K in keyof typeof GATE_OPTIONS]?: number };

/** The policy change the options ask for (the workflow checks the values). */
export function policyChangeOf(opts: SetOptions): PolicyChange {
  const change: PolicyChange = {};
  if (opts.concurrency !== undefined) change.agentConcurrency = opts.concurrency;
  if (opts.ramp !== undefined) change.agentRamp = opts.ramp;
  if (opts.windows !== undefined) change.windows = opts.windows;
  if (opts.windowMinNodeTime !== undefined) change.windowMinNodeMs = opts.windowMinNodeTime;
  if (opts.failureBudget !== undefined) change.agentFailureBudget = opts.failureBudget;
  if (opts.approveEachMaster !== undefined) change.approveEachMaster = opts.approveEachMaster;
  if (opts.approveBeforeAgents !== undefined) change.approveBeforeAgents = opts.approveBeforeAgents;
  const gates: NonNullable<PolicyChange['gates']> = {};
  for (const [opt, key] of Object.entries(GATE_OPTIONS)) {
    const v = opts[opt as keyof typeof GATE_OPTIONS];
    if (v !== undefined) gates[key] = v;
  }
  if (Object.keys(gates).length) change.gates = gates;
  return change;
}

export async function setCommand(ctx: CliContext, io: Io, workflowId: string, opts: SetOptions): Promise<number> {
  const change = policyChangeOf(opts);
  if (Object.keys(change).length === 0) {
    throw new CliError(
      'nothing to set: give --concurrency, --ramp, --windows, --failure-budget, --approve-each-master, --approve-before-agents or a gate timing (--poll-interval, --stable-polls, --exhibitor-timeout, …)',
      ExitCode.Usage
    );
  }
  const handle = await runningPatch(ctx, workflowId);
  const policy = await update(ctx, workflowId, () => handle.executeUpdate(setPolicyUpdate, { args: [change] }));
  io.out(`policy of ${workflowId} is now: ${describePolicy(policy)}`);
  return ExitCode.Ok;
}

/** The policy in force, in one line (gate timings as durations). */
export function describePolicy(policy: PatchStatus['policy']): string {
  const g = policy.gates;
  const gates = g
    ? `; gates: poll ${formatDuration(g.pollIntervalMs)} × ${g.stablePolls} stable, exhibitor ${formatDuration(g.exhibitorTimeoutMs)}, mesos master ${formatDuration(g.mesosMasterTimeoutMs)}, cockroach ${formatDuration(g.cockroachTimeoutMs)} (poll ${formatDuration(g.cockroachPollIntervalMs)}), script ${formatDuration(g.scriptTimeoutMs)}, agent window ${formatDuration(g.agentWindowMs)}`
    : '';
  const ramp = policy.agentRamp?.length ? `, ramp ${policy.agentRamp.join(' → ')}` : '';
  const windows = policy.windows?.length
    ? `, windows: ${policy.windows.map(describeWindow).join('; ')} (at least ${formatDuration(policy.windowMinNodeMs ?? DEFAULT_WINDOW_MIN_NODE_MS)} left to start a node)`
    : '';
  return `agent concurrency ${policy.agentConcurrency}${ramp}${windows}, agent failure budget ${policy.agentFailureBudget}, approve each master ${policy.approveEachMaster}, approve before agents ${policy.approveBeforeAgents}${gates}`;
}

/** `--ramp 1,5,20%` (`none` removes the ramp); the workflow checks the widths. */
export function parseRampOption(value: string): RampStep[] {
  if (value.trim() === 'none') return [];
  return value.split(',').map((part) => {
    const p = part.trim();
    if (/^\d+$/.test(p)) return Number(p);
    if (/^\d+%$/.test(p)) return p as RampStep;
    throw new InvalidArgumentError(
      `"${value}" is not a ramp: whole numbers or percentages, comma-separated (1,5,20%), or none`
    );
  });
}

/**
 * `--windows <file>`: a YAML or JSON list of maintenance windows, as under `policy.windows` in the
 * plan and checked by the same rules (`none` removes them: any time).
 */
export function parseWindowsOption(value: string): MaintenanceWindow[] {
  if (value.trim() === 'none') return [];
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the windows file ${value}: ${(err as Error).message}`);
  }
  const findings = new Findings();
  const ctx = { findings, file: value, dir: path.dirname(path.resolve(value)), sourceOf: () => undefined };
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new InvalidArgumentError(`${value} is not YAML or JSON: ${(err as Error).message}`);
  }
  const list = isRec(parsed) && 'windows' in parsed ? parsed.windows : parsed;
  const windows = readWindows(ctx, list);
  const errors = findings.all.filter((f) => f.severity === 'error');
  if (errors.length || !windows) {
    const why = errors.map((f) => `${f.field}: ${f.message}`).join('; ') || 'no windows in it';
    throw new InvalidArgumentError(
      `${value}: ${why} (a list like [{days: [sat, sun], start: "01:00", end: "05:00", timeZone: UTC}])`
    );
  }
  return windows;
}

/** A duration option: `30s`, `5m`, `500ms` (a plain number is milliseconds). */
export function parseDurationOption(value: string): number {
  const text = value.trim();
  const r = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
  if (!r.ok) throw new InvalidArgumentError(r.problem);
  return r.ms;
}

/** An update, with a deadline: no worker running is said, not waited on forever. */
async function update<T>(ctx: CliContext, workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await ctx.withDeadline(UPDATE_DEADLINE_MS, fn);
  } catch (err) {
    if (grpcCode(err) === 4 /* DEADLINE_EXCEEDED */) {
      throw new CliError(
        `no worker took the request for ${workflowId} within ${UPDATE_DEADLINE_MS / 1000}s (${firstLine(err)}): is a worker running? It may still be applied when one starts; check with ${ctx.commandPrefix} status ${workflowId}`,
        ExitCode.NotFound
      );
    }
    throw err;
  }
}

/** Commander parsers for `set` (a bad value is a usage error, exit 2). */
export function parseWhole(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`"${value}" is not a whole number ≥ ${min}`);
    }
    return n;
  };
}

export function parseBool(value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}
