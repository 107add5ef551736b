/**
 * The backups the runbook asks for before patching: `dcos-shell dcos-zk backup <file> -v` (a
 * ZooKeeper snapshot, masters) and `dcos-shell iam-database-backup` (Enterprise: SQL on stdout).
 * Both are recorded in the ground truth.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { hostPath, pathInsideRoot } from '../exec';
import { type CmdContext, type CmdResult, fail, ok } from './context';

function stamp(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

export function zkBackup(ctx: CmdContext): CmdResult {
  const { model, host, args } = ctx;
  const verbose = args.includes('-v') || args.includes('--verbose');
  const positional = args.filter((a) => !a.startsWith('-'));
  if (positional[0] !== 'backup' && positional[0] !== 'restore') {
    return fail(
      2,
      'usage: dcos-zk [-h] [-v] {backup,restore} ...\ndcos-zk: error: the following arguments are required: command\n'
    );
  }
  if (positional[0] === 'restore') return fail(1, 'dcos-zk restore: not supported by the simulator\n');
  const file = positional[1];
  if (!file)
    return fail(
      2,
      'usage: dcos-zk backup [-h] [-v] backup\ndcos-zk backup: error: the following arguments are required: backup\n'
    );
  if (ctx.euid !== 0)
    return fail(1, "PermissionError: [Errno 13] Permission denied: '/var/lib/dcos/exhibitor/zookeeper'\n");
  if (host.role !== 'master') return fail(1, 'dcos-zk: ZooKeeper runs on masters only; run this on a master node\n');
  const real = pathInsideRoot(file, ctx.cwd, host.spec.root);
  if (!real) return fail(1, `PermissionError: [Errno 13] Permission denied: '${file}'\n`);
  const stoppedEverywhere = model.masters.every((m) => !model.unitActive(m, 'dcos-exhibitor'));
  const content = [
    `# ZooKeeper snapshot (dcos-patch simulator) of cluster ${ctx.env.clusterName}`,
    `# taken on ${host.spec.address} at ${new Date().toISOString()}`,
    '/dcos/exhibitor',
    '/mesos/log_replicas',
    '/marathon/state',
    `/cluster-id ${model.masterId}`,
    '',
  ].join('\n');
  mkdirSync(path.dirname(real), { recursive: true });
  writeFileSync(real, gzipSync(Buffer.from(content)));
  const shown = hostPath(real, host.spec.root);
  model.truth.backups.zookeeper.push({
    node: host.spec.id,
    path: shown,
    at: Date.now(),
    exhibitorStoppedOnAllMasters: stoppedEverywhere,
  });
  const log = verbose
    ? [
        `[${stamp()}] INFO dcos_zk: Backing up ZooKeeper data from /var/lib/dcos/exhibitor/zookeeper`,
        `[${stamp()}] INFO dcos_zk: Writing backup to ${shown}`,
        `[${stamp()}] INFO dcos_zk: ZooKeeper backup taken successfully and stored in ${shown}`,
        '',
      ].join('\n')
    : '';
  return { code: 0, stdout: '', stderr: log };
}

export function iamBackup(ctx: CmdContext): CmdResult {
  const { model, host, env } = ctx;
  if (env.variant !== 'enterprise' && !iamOnOpen(ctx.host.version))
    return fail(127, 'iam-database-backup: command not found\n');
  if (ctx.euid !== 0) return fail(1, 'ERROR: cannot read /run/dcos/pki/bouncer: Permission denied\n');
  if (host.role !== 'master') return fail(1, 'iam-database-backup: run this on a master node\n');
  if (!model.unitActive(host, model.cockroachUnit(host))) {
    return fail(1, 'ERROR: cannot dial server: CockroachDB on this master is not running\n');
  }
  model.truth.backups.iam.push({ node: host.spec.id, at: Date.now() });
  return ok(
    [
      '-- IAM database backup (dcos-patch simulator)',
      `-- cluster ${env.clusterName}, taken on ${host.spec.address} at ${new Date().toISOString()}`,
      'CREATE TABLE users (uid STRING PRIMARY KEY, description STRING, passw_hash STRING, is_remote BOOL, utype STRING);',
      "INSERT INTO users (uid, description, passw_hash, is_remote, utype) VALUES ('bootstrapuser', 'superuser', '$6$rounds=656000$sim', false, 'regular');",
      'CREATE TABLE groups (gid STRING PRIMARY KEY, description STRING);',
      "INSERT INTO groups (gid, description) VALUES ('superusers', 'Superusers');",
      '',
    ].join('\n')
  );
}

/** Open DC/OS runs the IAM service on CockroachDB since 1.13. */
function iamOnOpen(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return !m || Number(m[1]) > 1 || Number(m[2]) >= 13;
}
