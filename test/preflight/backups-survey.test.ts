/**
 * The backups taken before the first master is touched, and the survey of what every host runs,
 * against the simulated cluster (its ground truth records the backups).
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { takeBackups } from '../../src/activities/backups';
import { closeAllHttp } from '../../src/activities/http';
import { closeAllSsh } from '../../src/activities/ssh';
import { surveyNodes } from '../../src/activities/survey';
import { checkPlanFile } from '../../src/plan/check';
import { backupFiles, backupKey, parseBackupOutput, zookeeperBackupScript } from '../../src/preflight/backups';
import type { NodeTarget } from '../../src/shared/activity-types';

import type { Plan } from '../../src/shared/plan';
import { type SimCluster, type SimOptions, startCluster } from '../../src/sim';

/** MockActivityEnvironment.run with the activity's own argument and result types. */
function runIn<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

async function simWithPlan(opts: Partial<SimOptions>): Promise<{ c: SimCluster; plan: Plan }> {
  const c = await startCluster({
    masters: 3,
    agents: 1,
    version: '2.1.4',
    timings: { exhibitorRecoveryMs: 300 },
    ...opts,
  });
  const checked = checkPlanFile(c.planPath);
  if (!checked.plan) {
    await c.stop();
    throw new Error(`the simulator's plan does not check: ${JSON.stringify(checked.findings)}`);
  }
  const gates = { ...checked.plan.policy.gates, pollIntervalMs: 100, stablePolls: 2 };
  return { c, plan: { ...checked.plan, policy: { ...checked.plan.policy, gates } } };
}

function activityEnv(workflowId: string): MockActivityEnvironment {
  return new MockActivityEnvironment({
    workflowExecution: { workflowId, runId: 'f3c1a2b4-0000-4000-8000-000000000001' },
  });
}

after(
  async () => {
    closeAllSsh();
    await closeAllHttp();
  },
  { timeout: 30_000 }
);

describe('backups before the first master is touched', () => {
  test('Enterprise: a ZooKeeper snapshot and the IAM database land on the first master; a retry reuses them', {
    timeout: 120_000,
  }, async () => {
    const { c, plan } = await simWithPlan({ variant: 'enterprise', security: 'permissive' });
    try {
      const withBackups: Plan = { ...plan, backups: { zookeeper: 'take', iam: 'take' } };
      const first = plan.masters[0]!;
      const env = activityEnv('patch/enterprise 1');
      const r = await runIn(env, takeBackups, { plan: withBackups });
      const key = backupKey('patch/enterprise 1', 'f3c1a2b4-0000-4000-8000-000000000001');
      assert.equal(r.zookeeper, `/var/lib/dcos-patch/backups/zk-${key}.tar.gz`);
      assert.equal(r.iam, `/var/lib/dcos-patch/backups/iam-${key}.sql`);
      assert.match(r.summary, new RegExp(`ZooKeeper snapshot on ${first.id}: .*taken .*IAM database on ${first.id}`));
      const root = c.host(first.id).root;
      for (const p of [r.zookeeper!, r.iam!]) assert.ok(statSync(path.join(root, p)).size > 0, `${p} is not empty`);
      const truth = c.truth();
      assert.equal(truth.backups.zookeeper.length, 1);
      assert.equal(truth.backups.zookeeper[0]?.node, first.id);
      assert.deepEqual(
        truth.backups.iam.map((b) => b.node),
        [first.id]
      );
      assert.equal(truth.hosts[first.id]?.exhibitor, 'serving', 'Exhibitor serves again when the activity returns');
      const stopped = truth.hosts[first.id]?.unitDownIntervals.filter((i) => i.unit === 'dcos-exhibitor') ?? [];
      assert.equal(stopped.length, 1, 'the ZooKeeper instance of the first master was stopped once, for the snapshot');
      for (const m of plan.masters.slice(1)) {
        assert.deepEqual(truth.hosts[m.id]?.unitDownIntervals, [], `${m.id} untouched`);
      }

      const again = await runIn(env, takeBackups, { plan: withBackups });
      assert.equal(again.zookeeper, r.zookeeper);
      assert.equal(again.iam, r.iam);
      assert.match(again.summary, /reused.*reused/);
      assert.equal(c.truth().backups.zookeeper.length, 1, 'no second snapshot');
      assert.equal(c.truth().backups.iam.length, 1, 'no second IAM backup');

      const other = await runIn(activityEnv('patch/enterprise 2'), takeBackups, { plan: withBackups });
      assert.notEqual(other.zookeeper, r.zookeeper, 'another workflow run takes its own');
      assert.equal(c.truth().backups.zookeeper.length, 2);
    } finally {
      await c.stop();
    }
  });

  test('open DC/OS: only the ZooKeeper snapshot; "confirmed" takes nothing', { timeout: 120_000 }, async () => {
    const { c, plan } = await simWithPlan({ masters: 1 });
    try {
      const r = await runIn(activityEnv('patch/open'), takeBackups, {
        plan: { ...plan, backups: { zookeeper: 'take', iam: 'not-applicable' } },
      });
      assert.ok(r.zookeeper);
      assert.equal(r.iam, undefined);
      assert.deepEqual(
        c.truth().backups.zookeeper.map((b) => b.node),
        [plan.masters[0]!.id]
      );
      const none = await runIn(activityEnv('patch/open-2'), takeBackups, {
        plan: { ...plan, backups: { zookeeper: 'confirmed', iam: 'not-applicable' } },
      });
      assert.deepEqual(none, { summary: 'no backups to take (the plan confirms them)' });
      assert.equal(c.truth().backups.zookeeper.length, 1);
    } finally {
      await c.stop();
    }
  });

  test('a DC/OS without dcos-zk fails for good with what to do, and Exhibitor runs again', {
    timeout: 120_000,
  }, async () => {
    const { c, plan } = await simWithPlan({ masters: 1 });
    try {
      const first = plan.masters[0]!;
      unlinkSync(path.join(c.host(first.id).root, 'opt/mesosphere/bin/dcos-shell'));
      await assert.rejects(
        runIn(activityEnv('patch/no-tool'), takeBackups, { plan }),
        (err: unknown) =>
          err instanceof ApplicationFailure &&
          err.nonRetryable === true &&
          err.type === 'BackupToolMissing' &&
          /set backups\.zookeeper: confirmed/.test(err.message)
      );
      const truth = c.truth();
      assert.equal(truth.backups.zookeeper.length, 0);
      const stops = truth.hosts[first.id]?.unitDownIntervals.filter((i) => i.unit === 'dcos-exhibitor') ?? [];
      assert.equal(stops.length, 1);
      assert.ok(stops[0]?.to !== undefined, 'the trap started dcos-exhibitor again');
    } finally {
      await c.stop();
    }
  });

  test('the ZooKeeper script restarts Exhibitor whatever happens and reports the file', { timeout: 120_000 }, () => {
    const script = zookeeperBackupScript(backupFiles('/var/lib/dcos-patch/', 'zk', 'k'));
    assert.match(script, /trap 'sudo -n systemctl start dcos-exhibitor' EXIT HUP INT TERM/);
    assert.match(script, /sudo -n \/opt\/mesosphere\/bin\/dcos-shell dcos-zk backup "\$partial" -v/);
    assert.match(script, /final='\/var\/lib\/dcos-patch\/backups\/zk-k\.tar\.gz'/);
    assert.ok(script.trimEnd().endsWith('sudo -n systemctl start dcos-exhibitor'));
    assert.deepEqual(parseBackupOutput('@@dcos-patch-backup reused\n@@dcos-patch-backup file 202 1700000000\n'), {
      reused: true,
      sizeBytes: 202,
      takenAtMs: 1_700_000_000_000,
    });
    assert.equal(parseBackupOutput('Permission denied'), undefined);
    assert.equal(backupKey('patch/c1 x', 'abcdef0123'), 'patch_c1_x-abcdef01');
  });
});

describe('the survey of what every host runs', () => {
  let c: SimCluster;
  let plan: Plan;
  let targets: NodeTarget[];
  before(
    async () => {
      ({ c, plan } = await simWithPlan({ agents: 2, publicAgents: 1 }));
      targets = [...plan.masters, ...plan.agents, ...plan.publicAgents].map((node) => ({
        node,
        ssh: plan.ssh,
        http: plan.http,
        remoteWorkDir: plan.remoteWorkDir,
      }));
    },
    { timeout: 120_000 }
  );
  after(
    async () => {
      await c?.stop();
    },
    { timeout: 60_000 }
  );

  test('every host: its version, roles and whether its config is the target config, in the targets’ order', {
    timeout: 120_000,
  }, async () => {
    const beats: unknown[] = [];
    const env = activityEnv('survey');
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const entries = await runIn(env, surveyNodes, targets, plan.config.newConfigPath);
    assert.equal(entries.length, targets.length);
    const roles = entries.map((e) => ('roles' in e ? e.roles.join(',') : e.error));
    assert.deepEqual(roles, ['master', 'master', 'master', 'slave', 'slave', 'slave_public']);
    for (const e of entries) {
      assert.ok('installedVersion' in e);
      assert.equal(e.installedVersion, '2.1.4');
      assert.equal(e.configMatches, true);
      assert.match(e.configHash, /^[0-9a-f]{64}$/);
    }
    assert.equal(beats.length, targets.length);
  });

  test('an unreachable host is an entry with the error; a patched host with another config does not match', {
    timeout: 120_000,
  }, async () => {
    const down = plan.agents[0]!.id;
    const patched = plan.agents[1]!.id;
    const root = c.host(patched).root;
    const versionFile = path.join(root, 'opt/mesosphere/etc/dcos-version.json');
    const configFile = path.join(root, 'opt/mesosphere/etc/user.config.yaml');
    const [version, config] = [readFileSync(versionFile, 'utf8'), readFileSync(configFile, 'utf8')];
    c.setFacts(down, { reachable: false });
    writeFileSync(versionFile, version.replace('"2.1.4"', '"2.1.5"'));
    writeFileSync(configFile, config.replace(/^dns_search:.*$/m, 'dns_search: other.example'));
    try {
      const entries = await surveyNodes(targets, plan.config.newConfigPath);
      const byId = new Map(targets.map((t, i) => [t.node.id, entries[i]!]));
      const unreachable = byId.get(down);
      assert.ok(unreachable && 'error' in unreachable, JSON.stringify(unreachable));
      assert.equal(unreachable.node, down);
      assert.match(
        unreachable.error,
        new RegExp(
          `SSH core@${plan.agents[0]!.address}:${plan.agents[0]!.sshPort}: cannot connect \\(connection refused\\)`
        )
      );
      const p = byId.get(patched);
      assert.ok(p && 'installedVersion' in p);
      assert.equal(p.installedVersion, '2.1.5');
      assert.equal(p.configMatches, false);
    } finally {
      c.setFacts(down, { reachable: true });
      writeFileSync(versionFile, version);
      writeFileSync(configFile, config);
    }
  });
});
