/**
 * Runbook step 1, "a ZooKeeper snapshot and (Enterprise) an IAM database backup taken", as one
 * activity on the first master, before any master is touched (scripts and the procedure:
 * src/preflight/backups.ts; docs/preflight.md "Backups").
 *
 * Idempotent: the files are named by the workflow run (`activityRun()`), so a retried activity
 * finds the backup it already took and reuses it. After the ZooKeeper snapshot (its ZooKeeper
 * instance was stopped while it was taken) it waits until Exhibitor reports every master serving
 * again, so the patch never starts on an ensemble that is still recovering.
 */
import {
  type BackupFiles,
  backupFiles,
  backupKey,
  formatSize,
  iamBackupScript,
  parseBackupOutput,
  zookeeperBackupScript,
} from '../preflight/backups';
import type { BackupsResult, NodeTarget, PlanInput } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import type { Plan } from '../shared/plan';
import { expandPlan } from '../shared/plan-wire';
import { activityRun, activitySignal } from './context';
import { Heartbeats } from './fan-out';
import { exhibitorProbe, pollUntilStable } from './gates';
import { runCommand } from './ssh';
import { nonRetryable, retryable } from './util';

/** A backup script's own limit (a large ZooKeeper can take minutes). */
const BACKUP_TIMEOUT_MS = 10 * 60_000;
/** Longest wait for the ensemble after the snapshot, whatever the plan's Exhibitor gate says. */
const MAX_CONVERGE_MS = 10 * 60_000;
/** Failure types: a backup tool this DC/OS lacks (non-retryable), a backup that failed (retryable). */
export const BACKUP_TOOL_MISSING = 'BackupToolMissing';
export const BACKUP_FAILED = 'BackupFailed';

export async function takeBackups(input: PlanInput): Promise<BackupsResult> {
  const heartbeats = new Heartbeats();
  try {
    return await backups(expandPlan(input.plan), heartbeats);
  } finally {
    heartbeats.stop();
  }
}

async function backups(plan: Plan, heartbeats: Heartbeats): Promise<BackupsResult> {
  const master = plan.masters[0];
  if (!master) throw nonRetryable('the plan lists no masters: nowhere to take backups', FailureTypes.InvalidPlan);
  const target: NodeTarget = { node: master, ssh: plan.ssh, http: plan.http, remoteWorkDir: plan.remoteWorkDir };
  // Keyed by the workflow run, so a retried activity finds its own backup (never another run's).
  const run = activityRun();
  const key = backupKey(run.workflowId, run.runId);
  const result: BackupsResult = { summary: '' };
  const lines: string[] = [];

  if (plan.backups.zookeeper === 'take') {
    heartbeats.beat({ step: 'zookeeper', node: master.id });
    const files = backupFiles(plan.remoteWorkDir, 'zk', key);
    const taken = await runBackup(target, files, zookeeperBackupScript(files), 'ZooKeeper snapshot', 'zookeeper');
    result.zookeeper = files.final;
    lines.push(`ZooKeeper snapshot on ${master.id}: ${files.final} (${taken})`);
    await waitForEnsemble(plan, target, heartbeats);
  }
  if (plan.backups.iam === 'take') {
    heartbeats.beat({ step: 'iam', node: master.id });
    const files = backupFiles(plan.remoteWorkDir, 'iam', key);
    const taken = await runBackup(target, files, iamBackupScript(files), 'IAM database backup', 'iam');
    result.iam = files.final;
    lines.push(`IAM database on ${master.id}: ${files.final} (${taken})`);
  }
  result.summary = lines.length > 0 ? lines.join('; ') : 'no backups to take (the plan confirms them)';
  return result;
}

/** Run one backup script; returns "1.2 KiB, taken 2025-…Z" or "…, reused: taken … by an earlier attempt". */
async function runBackup(
  target: NodeTarget,
  files: BackupFiles,
  script: string,
  what: string,
  planKey: 'zookeeper' | 'iam'
): Promise<string> {
  const signal = activitySignal();
  const r = await runCommand(target, script, {
    timeoutMs: BACKUP_TIMEOUT_MS,
    label: what,
    ...(signal ? { signal } : {}),
  });
  const outcome = parseBackupOutput(r.stdout);
  if (r.exitCode !== 0 || !outcome) {
    const output = `${r.stderr}\n${r.stdout}`.trim();
    const tail = output.split('\n').slice(-6).join(' | ') || '(no output)';
    const message = `${what} on ${target.node.id} failed (exit ${r.exitCode}): ${tail}`;
    // dcos-zk arrived with DC/OS 1.13, iam-database-backup with 1.12: retrying cannot fix a missing tool.
    if (
      /(dcos-shell|dcos-zk|iam-database-backup)[^\n]*?: (No such file or directory|(command )?not found)/.test(output)
    ) {
      throw nonRetryable(
        `${message}; this DC/OS has no such backup tool: take the backup by hand and set backups.${planKey}: confirmed in the plan`,
        BACKUP_TOOL_MISSING,
        { host: target.node.id, step: what }
      );
    }
    throw retryable(message, BACKUP_FAILED, { host: target.node.id, step: what });
  }
  if (outcome.sizeBytes <= 0) {
    throw retryable(`${what} on ${target.node.id}: ${files.final} is empty`, BACKUP_FAILED, { host: target.node.id });
  }
  const when = new Date(outcome.takenAtMs).toISOString();
  return `${formatSize(outcome.sizeBytes)}, ${outcome.reused ? `reused: taken ${when} by an earlier attempt` : `taken ${when}`}`;
}

/**
 * The ZooKeeper instance of the first master was stopped for the snapshot: wait, as the
 * exhibitor-converged gate does, until Exhibitor reports every master serving for `stablePolls`
 * polls in a row, so the patch never starts on an ensemble that is still recovering.
 */
async function waitForEnsemble(plan: Plan, target: NodeTarget, heartbeats: Heartbeats): Promise<void> {
  const { pollIntervalMs, stablePolls, exhibitorTimeoutMs } = plan.policy.gates;
  const signal = activitySignal();
  const deadlineMs = Date.now() + Math.min(exhibitorTimeoutMs, MAX_CONVERGE_MS);
  const probe = exhibitorProbe({ target, masters: plan.masters, pollIntervalMs, stablePolls, deadlineMs });
  await pollUntilStable(probe, {
    gate: 'exhibitor-converged after the ZooKeeper snapshot',
    host: target.node.id,
    pollIntervalMs,
    stablePolls,
    deadlineMs,
    ...(signal ? { signal } : {}),
    heartbeat: (p) => heartbeats.beat({ step: 'exhibitor', ...p }),
    hint: `The snapshot was taken; check journalctl -u dcos-exhibitor on ${target.node.id}, then retry.`,
  });
}
