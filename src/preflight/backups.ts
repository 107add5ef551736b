/**
 * Runbook step 1, "a ZooKeeper snapshot and an IAM database backup taken": the remote
 * scripts `takeBackups` runs on the first master, and how their output is read. Pure.
 *
 * The ZooKeeper procedure is the DC/OS backup guide's: stop the ZooKeeper instance of that one
 * master (`dcos-exhibitor`), run `dcos-zk backup`, start it again — since DC/OS 1.13.3
 * `dcos-zk backup` refuses to run while ZooKeeper runs on the master. The start is in a trap, so it
 * also happens when the backup fails or the SSH session drops, and every run (a retry too) ends by
 * starting the unit, which is a no-op when it is active.
 *
 * Each file is written under `<dir>/.partial/` and moved into place when complete, so a complete
 * file under its final name means "taken": a retried activity reuses it instead of taking another.
 */

import { shq } from '../shared/shell';

/** `dcos-shell dcos-zk backup <file> -v` (DC/OS backup guide, "ZooKeeper backup and restore"). */
export const ZK_BACKUP_COMMAND = '/opt/mesosphere/bin/dcos-shell dcos-zk backup';
/** `dcos-shell iam-database-backup` writes SQL to stdout (open DC/OS runs the IAM database too, since 1.13). */
export const IAM_BACKUP_COMMAND = '/opt/mesosphere/bin/dcos-shell iam-database-backup';
export const EXHIBITOR_UNIT = 'dcos-exhibitor';

const MARK = '@@dcos-patch-backup';

/** A file-name-safe key for one workflow run: `<workflow id>-<first 8 of the run id>`. */
export function backupKey(workflowId: string, runId: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return `${safe(workflowId).slice(0, 120)}-${safe(runId).slice(0, 8)}`;
}

export interface BackupFiles {
  dir: string;
  final: string;
  partial: string;
}

export function backupFiles(remoteWorkDir: string, kind: 'zk' | 'iam', key: string): BackupFiles {
  const dir = `${remoteWorkDir.replace(/\/+$/, '')}/backups`;
  const name = kind === 'zk' ? `zk-${key}.tar.gz` : `iam-${key}.sql`;
  return { dir, final: `${dir}/${name}`, partial: `${dir}/.partial/${name}` };
}

/**
 * Reuse a complete backup, else take one; then report `<size> <mtime>` of the file. Backups hold
 * the cluster's secrets: root-only files (0600) in root-only directories (0700).
 */
function script(f: BackupFiles, take: string[]): string {
  return [
    'set -u',
    `final=${shq(f.final)}`,
    `partial=${shq(f.partial)}`,
    `dir=${shq(f.dir)}`,
    'if sudo -n test -s "$final"; then',
    `  echo '${MARK} reused'`,
    'else',
    '  sudo -n mkdir -p "$dir/.partial" || exit 1',
    '  sudo -n chmod 0700 "$dir" "$dir/.partial" || exit 1',
    '  sudo -n rm -f "$partial"',
    ...take.map((l) => `  ${l}`),
    '  sudo -n test -s "$partial" || { echo "the backup file is missing or empty: $partial" >&2; exit 1; }',
    '  sudo -n chmod 0600 "$partial" || exit 1',
    '  sudo -n mv -f "$partial" "$final" || exit 1',
    `  echo '${MARK} taken'`,
    'fi',
    `echo "${MARK} file $(sudo -n stat -c '%s %Y' "$final")"`,
  ].join('\n');
}

/** The ZooKeeper snapshot on this master, its ZooKeeper instance stopped only while it is taken. */
export function zookeeperBackupScript(f: BackupFiles): string {
  const start = `sudo -n systemctl start ${EXHIBITOR_UNIT}`;
  return `${script(f, [
    `trap '${start}' EXIT HUP INT TERM`,
    `sudo -n systemctl stop ${EXHIBITOR_UNIT} || exit 1`,
    `sudo -n ${ZK_BACKUP_COMMAND} "$partial" -v || exit 1`,
    start,
  ])}\n${start}`;
}

/** The IAM database (CockroachDB) as SQL, written as root. */
export function iamBackupScript(f: BackupFiles): string {
  return script(f, [`sudo -n sh -c '${IAM_BACKUP_COMMAND} > "$1"' sh "$partial" || exit 1`]);
}

export interface BackupOutcome {
  reused: boolean;
  sizeBytes: number;
  /** Epoch ms of the file's modification time. */
  takenAtMs: number;
}

/** Read the script's markers; undefined when it did not get to report the file. */
export function parseBackupOutput(stdout: string): BackupOutcome | undefined {
  const file = new RegExp(`^${MARK} file (\\d+) (\\d+)$`, 'm').exec(stdout);
  if (!file) return undefined;
  return {
    reused: new RegExp(`^${MARK} reused$`, 'm').test(stdout),
    sizeBytes: Number(file[1]),
    takenAtMs: Number(file[2]) * 1000,
  };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
