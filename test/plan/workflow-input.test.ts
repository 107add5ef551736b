/**
 * The workflow checks its own input: `patchCluster` started by hand (as `temporal workflow start
 * --input-file` would) with a hostile plan is refused before its first activity, and no host
 * sees a command. Plus the address and bound rules of that check, as plain functions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { closeAllSsh } from '../../src/activities/ssh';
import { isHostAddress, planInputProblems } from '../../src/shared/plan-input';
import { refuseBadInput } from '../../src/workflows/input-check';
import { fakePlan } from '../helpers/fake-plan';
import { withPatch } from '../helpers/patch-run';
import type { Env } from '../helpers/sim-patch';
import { startTestEnvironment } from '../helpers/temporal';

let env: Env;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  closeAllSsh();
  await env?.teardown();
});

describe('the workflow refuses input that never went through the plan check', () => {
  test('a remoteWorkDir with a shell command in it and an installer that is an option: refused, no activity, no command on any host', {
    timeout: 120_000,
  }, async () => {
    await withPatch(
      env,
      { masters: 1, agents: 1 },
      async (r) => {
        const err = await r.h.result().then(
          () => undefined,
          (e) => e
        );
        assert.ok(err instanceof WorkflowFailedError, String(err));
        assert.ok(err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'InvalidPlan');
        assert.match(err.cause.message, /remoteWorkDir: /);
        assert.match(err.cause.message, /bootstrap\.installer: must be a plain file name/);
        assert.match(err.cause.message, /masters\[0\]\.host: /);
        const history = await r.h.fetchHistory();
        assert.equal(
          history.events?.filter((e) => e.activityTaskScheduledEventAttributes).length,
          0,
          'no activity ran'
        );
        const truth = r.cluster.truth();
        for (const h of Object.values(truth.hosts)) assert.deepEqual(h.commands, [], `${h.id} got no command`);
      },
      undefined,
      (_c, plan) => {
        plan.remoteWorkDir = '/var/lib/x;touch /tmp/pwned';
        plan.bootstrap.installerName = '-c';
        plan.masters[0]!.address = '010.0.0.1';
      }
    );
  });
});

describe('the rules of the input check', () => {
  test('addresses: dotted-quad IPv4 without leading zeros, IPv6, host names; nothing else', () => {
    for (const ok of [
      '10.0.0.1',
      '::1',
      'fe80::1',
      '2001:db8::8a2e:370:7334',
      '::ffff:10.0.0.1',
      'master-1.dcos.local',
    ])
      assert.ok(isHostAddress(ok), ok);
    for (const no of ['010.0.0.1', '999.1.1.1', '10.0.1', '1:2:3', 'host:22', '10.0.0.1:22', '-x', 'a..b', ''])
      assert.ok(!isHostAddress(no), no);
  });

  test('canary: a shell line in the command, an id Mesos-DNS cannot name, more instances than agents, unbounded timings', () => {
    const problems = planInputProblems({
      agents: [{}, {}],
      canary: {
        appId: '/a/b',
        instances: 3,
        cmd: 'x\nrm -rf /',
        cpus: 2,
        memMb: 8,
        deployTimeoutMs: 0,
        pollIntervalMs: 1e9,
      },
    });
    const canary = problems.filter((p) => p.field.startsWith('canary')).map((p) => p.field);
    assert.deepEqual(canary, [
      'canary.app',
      'canary.instances',
      'canary.cmd',
      'canary.cpus',
      'canary.memMb',
      'canary.deployTimeout',
      'canary.pollInterval',
    ]);
  });

  test('notify: a URL with credentials, a relative header file, an unknown event are each named', () => {
    const problems = planInputProblems({
      notify: [
        { url: 'https://user:pw@alerts.example.com/x', events: ['finished'] },
        { url: 'https://alerts.example.com/x', headerFile: 'rel/header', events: ['finished'] },
        { urlFile: '/etc/dcos-patch/slack-url', events: ['nodes-failed'] },
      ],
    });
    const notify = problems.filter((p) => p.field.startsWith('notify')).map((p) => p.field);
    assert.deepEqual(notify, ['notify.0', 'notify.1.headerFile', 'notify.2.events']);
  });

  test('an unbounded duration or count is named with its bounds', () => {
    const problems = planInputProblems({
      cluster: 'c',
      variant: 'open',
      fromVersion: '2.1.4',
      toVersion: '2.1.5',
      remoteWorkDir: '/tmp/x',
      bootstrap: {
        address: '10.0.0.5',
        sshPort: 22,
        installerDir: '/home/c/d',
        installerName: 'dcos_generate_config.sh',
      },
      ssh: { user: 'centos', port: 22, privateKeyPath: '/k', knownHostsPath: '/kh', connectTimeoutMs: 3_600_000_000 },
      masters: [],
      agents: [],
      publicAgents: [],
      policy: { agentConcurrency: 1e20, agentFailureBudget: 0, gates: { stablePolls: 3 } },
      preflightOverrides: [],
    });
    const fields = problems.map((p) => p.field);
    for (const f of [
      'remoteWorkDir',
      'ssh.connectTimeout',
      'masters',
      'policy.agentConcurrency',
      'policy.gates.exhibitorTimeout',
    ])
      assert.ok(fields.includes(f), `${f} in ${fields.join(', ')}`);
    assert.match(problems.find((p) => p.field === 'ssh.connectTimeout')!.problem, /from 500 ms to 300000 ms/);
  });
});

describe('the refusal of a plan with thousands of bad fields', () => {
  test('names the first problems and how many more, within a few KiB (it is stored in the history)', () => {
    const plan = fakePlan({ agents: 5_000 });
    for (const a of plan.agents) a.address = `-${a.address}`;
    const err = (() => {
      try {
        refuseBadInput(plan);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, 'InvalidPlan');
    assert.match(err.message, /agents\[0\]\.host: /);
    assert.match(err.message, /and 4,9\d\d more/);
    assert.match(err.message, /dcos-patch check plan\.yaml/);
    assert.ok(err.message.length < 4_096, `message of ${err.message.length} characters`);
    assert.ok(
      JSON.stringify(err.details).length < 64 * 1024,
      `details of ${JSON.stringify(err.details).length} characters`
    );
  });
});
