/**
 * Preflight against the simulated cluster: a healthy cluster passes; each broken prerequisite is
 * reported as exactly that check on exactly that host, and nothing else fails.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { closeAllHttp } from '../../src/activities/http';
import { runPreflight } from '../../src/activities/preflight';
import { closeAllSsh } from '../../src/activities/ssh';
import { checkPlanFile } from '../../src/plan/check';
import { CHECK_NAMES } from '../../src/preflight/catalog';
import type { PreflightFinding } from '../../src/shared/activity-types';
import type { Plan } from '../../src/shared/plan';
import { type MarathonApp, type SimCluster, type SimOptions, startCluster } from '../../src/sim';

/** MockActivityEnvironment.run with the activity's own argument and result types. */
function runIn<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

async function simWithPlan(opts: Partial<SimOptions> = {}): Promise<{ c: SimCluster; plan: Plan }> {
  const c = await startCluster({ masters: 1, agents: 1, version: '2.1.4', ...opts });
  const checked = checkPlanFile(c.planPath);
  if (!checked.plan) {
    await c.stop();
    throw new Error(`the simulator's plan does not check: ${JSON.stringify(checked.findings)}`);
  }
  return { c, plan: checked.plan };
}

/** `check@host` of every failing finding (`-` for cluster-wide ones), in report order. */
function failures(findings: PreflightFinding[]): string[] {
  return findings.filter((f) => f.status === 'fail').map((f) => `${f.check}@${f.host ?? '-'}`);
}

function finding(findings: PreflightFinding[], check: string, host?: string): PreflightFinding {
  const f = findings.find((x) => x.check === check && x.host === host);
  assert.ok(f, `no ${check} finding for ${host ?? 'the cluster'} in ${JSON.stringify(findings, null, 1)}`);
  return f;
}

/** Listeners reopen asynchronously after a fault is cleared: wait until preflight is clean again. */
async function untilClean(plan: Plan, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  let last: string[] = [];
  while (Date.now() < end) {
    last = failures(await runPreflight({ plan }));
    if (last.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`preflight still fails after restoring: ${last.join(', ')}`);
}

after(async () => {
  closeAllSsh();
  await closeAllHttp();
});

describe('preflight on a simulated 3-master cluster', () => {
  let c: SimCluster;
  let plan: Plan;
  let ids: { boot: string; m: string[]; a: string[]; pa: string[] };
  before(async () => {
    ({ c, plan } = await simWithPlan({ masters: 3, agents: 2, publicAgents: 1 }));
    ids = {
      boot: `bootstrap-${plan.bootstrap.address}`,
      m: plan.masters.map((n) => n.id),
      a: plan.agents.map((n) => n.id),
      pa: plan.publicAgents.map((n) => n.id),
    };
  });
  after(async () => {
    await c?.stop();
  });

  test('a healthy cluster passes every check on every host, heartbeating as it goes', async () => {
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'preflight-test', runId: 'r1' } });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const findings = await runIn(env, runPreflight, { plan });
    assert.deepEqual(failures(findings), []);
    assert.deepEqual(
      findings.filter((f) => f.status === 'warn'),
      []
    );
    for (const check of CHECK_NAMES)
      assert.ok(
        findings.some((f) => f.check === check),
        `${check} is reported`
      );
    for (const host of [ids.boot, ...ids.m, ...ids.a, ...ids.pa]) {
      assert.equal(finding(findings, 'ssh-reachable', host).status, 'pass');
      assert.equal(finding(findings, 'sudo', host).status, 'pass');
    }
    for (const host of [...ids.a, ...ids.pa]) assert.equal(finding(findings, 'agents-registered', host).status, 'pass');
    assert.equal(finding(findings, 'mesos-leader', c.truth().mesosLeader).status, 'pass');
    assert.ok(beats.length >= ids.m.length + ids.a.length + ids.pa.length + 1, `heartbeats: ${beats.length}`);
  });

  interface Case {
    name: string;
    /** Break one thing; returns the plan to check with (default: the cluster's) and how to undo it. */
    setup: () => { plan?: Plan; undo: () => void };
    expect: () => string[];
    message?: RegExp;
    also?: (f: PreflightFinding[]) => void;
  }
  const cases: Case[] = [
    {
      name: 'an agent that refuses SSH fails ssh-reachable on that agent only',
      setup: () => {
        c.setFacts(ids.a[0]!, { reachable: false });
        return { undo: () => c.setFacts(ids.a[0]!, { reachable: true }) };
      },
      expect: () => [`ssh-reachable@${ids.a[0]}`],
      message:
        /cannot connect \(connection refused\)\. Check that the host is up.*; the other host checks were not run/,
    },
    {
      name: 'a master presenting a different host key fails ssh-reachable with the man-in-the-middle warning',
      setup: () => {
        // The worker caches SSH connections; a new one is where a changed key shows.
        closeAllSsh();
        c.inject(ids.m[1]!, { kind: 'host-key-change' });
        return { undo: () => c.clearFaults(ids.m[1]!) };
      },
      expect: () => [`ssh-reachable@${ids.m[1]}`],
      message: /HOST KEY MISMATCH: expected .* seen .*man in the middle.*ssh-keygen -R/,
    },
    {
      name: 'a bootstrap node missing from known_hosts fails ssh-reachable as an unknown host',
      setup: () => {
        closeAllSsh();
        const file = path.join(c.dir, 'known_hosts.no-bootstrap');
        const lines = readFileSync(plan.ssh.knownHostsPath, 'utf8').split('\n');
        writeFileSync(file, lines.filter((l) => !l.startsWith(`[${plan.bootstrap.address}]`)).join('\n'));
        return { plan: { ...plan, ssh: { ...plan.ssh, knownHostsPath: file } }, undo: () => {} };
      },
      expect: () => [`ssh-reachable@${ids.boot}`],
      message: /host key .* is not in .*unknown host.*ssh-keyscan/,
    },
    {
      name: 'sudo asking for a password on the bootstrap node fails sudo there',
      setup: () => {
        c.setFacts(c.bootstrap.id, { sudoNeedsPassword: true });
        return { undo: () => c.setFacts(c.bootstrap.id, { sudoNeedsPassword: false }) };
      },
      expect: () => [`sudo@${ids.boot}`],
      message: /a password is required/,
    },
    {
      name: 'systemd 217 on a master fails systemd-version there',
      setup: () => {
        c.setFacts(ids.m[2]!, { systemdVersion: 217 });
        return { undo: () => c.setFacts(ids.m[2]!, { systemdVersion: 219 }) };
      },
      expect: () => [`systemd-version@${ids.m[2]}`],
      message: /systemd 217 is older than 218/,
    },
    {
      name: 'a CentOS agent without ipset fails ipset there',
      setup: () => {
        c.setFacts(ids.a[1]!, { ipsetInstalled: false });
        return { undo: () => c.setFacts(ids.a[1]!, { ipsetInstalled: true }) };
      },
      expect: () => [`ipset@${ids.a[1]}`],
      message: /not installed on CentOS/,
    },
    {
      name: 'an Ubuntu agent without ipset passes: only CentOS/RHEL need it',
      setup: () => {
        c.setFacts(ids.a[1]!, { ipsetInstalled: false, os: 'ubuntu' });
        return { undo: () => c.setFacts(ids.a[1]!, { ipsetInstalled: true, os: 'centos' }) };
      },
      expect: () => [],
      also: (f) => assert.match(finding(f, 'ipset', ids.a[1]).message, /not required on Ubuntu/),
    },
    {
      name: 'IPv6 disabled in the kernel fails ipv6 when the new config leaves enable_ipv6 at its default',
      setup: () => {
        const file = path.join(c.dir, 'config.ipv6-default.yaml');
        const text = readFileSync(plan.config.newConfigPath, 'utf8');
        writeFileSync(file, text.replace(/^enable_ipv6:.*\n/m, ''));
        c.setFacts(ids.pa[0]!, { ipv6Disabled: true });
        return {
          plan: { ...plan, config: { ...plan.config, newConfigPath: file } },
          undo: () => c.setFacts(ids.pa[0]!, { ipv6Disabled: false }),
        };
      },
      expect: () => [`ipv6@${ids.pa[0]}`],
      message: /kernel has IPv6 disabled/,
      also: (f) =>
        assert.match(finding(f, 'ipv6', undefined).message, /not set \(DC\/OS defaults it to true\).*advisory/),
    },
    {
      name: 'IPv6 disabled in the kernel passes when the new config has enable_ipv6: false',
      setup: () => {
        c.setFacts(ids.pa[0]!, { ipv6Disabled: true });
        return { undo: () => c.setFacts(ids.pa[0]!, { ipv6Disabled: false }) };
      },
      expect: () => [],
    },
    {
      name: 'an agent on another DC/OS version fails installed-version there',
      setup: () => {
        const file = path.join(c.host(ids.a[0]!).root, 'opt/mesosphere/etc/dcos-version.json');
        const original = readFileSync(file, 'utf8');
        writeFileSync(file, original.replace('"2.1.4"', '"2.1.3"'));
        return { undo: () => writeFileSync(file, original) };
      },
      expect: () => [`installed-version@${ids.a[0]}`],
      message: /runs 2\.1\.3; the plan patches 2\.1\.4 → 2\.1\.5/,
    },
    {
      name: 'an agent already at the target passes installed-version with "will be skipped"',
      setup: () => {
        const file = path.join(c.host(ids.a[0]!).root, 'opt/mesosphere/etc/dcos-version.json');
        const original = readFileSync(file, 'utf8');
        writeFileSync(file, original.replace('"2.1.4"', '"2.1.5"'));
        return { undo: () => writeFileSync(file, original) };
      },
      expect: () => [],
      also: (f) => assert.match(finding(f, 'installed-version', ids.a[0]).message, /will be skipped/),
    },
    {
      name: 'a master Exhibitor reports as not serving fails exhibitor-serving on that master only',
      setup: () => {
        c.makeMasterNotServing(ids.m[1]!);
        return { undo: () => c.makeMasterNotServing(ids.m[1]!, false) };
      },
      expect: () => [`exhibitor-serving@${ids.m[1]}`],
      message: /"not serving"/,
    },
    {
      name: 'a master whose Exhibitor endpoint errors fails exhibitor-serving with the HTTP error',
      setup: () => {
        c.inject(ids.m[2]!, { kind: 'endpoint', port: 'exhibitor', mode: '500' });
        return { undo: () => c.clearFaults(ids.m[2]!) };
      },
      expect: () => [`exhibitor-serving@${ids.m[2]}`],
      message: /does not answer .*HTTP 500/,
    },
    {
      name: 'no master reporting itself elected fails mesos-leader once; agents are "not checked", not failed',
      setup: () => {
        const leader = c.truth().mesosLeader!;
        c.inject(leader, { kind: 'endpoint', port: 'mesosMaster', path: '/metrics', mode: '500' });
        return { undo: () => c.clearFaults(leader) };
      },
      expect: () => ['mesos-leader@-'],
      message: /no master reports master\/elected = 1/,
      also: (f) => assert.match(finding(f, 'agents-registered', undefined).message, /not checked/),
    },
    {
      name: 'an inactive agent fails agents-registered on that agent',
      setup: () => {
        c.makeAgentUnregistered(ids.a[1]!);
        return { undo: () => c.makeAgentUnregistered(ids.a[1]!, false) };
      },
      expect: () => [`agents-registered@${ids.a[1]}`],
      message: /not active/,
    },
    {
      name: 'an inactive public agent fails agents-registered on that public agent',
      setup: () => {
        c.makeAgentUnregistered(ids.pa[0]!);
        return { undo: () => c.makeAgentUnregistered(ids.pa[0]!, false) };
      },
      expect: () => [`agents-registered@${ids.pa[0]}`],
    },
    {
      name: 'Marathon answering on no master fails both Marathon app checks with the error',
      setup: () => {
        for (const m of ids.m) c.inject(m, { kind: 'endpoint', port: 'marathon', path: '/v2/apps', mode: 'garbage' });
        return {
          undo: () => {
            for (const m of ids.m) c.clearFaults(m);
          },
        };
      },
      expect: () => ['marathon-constraints@-', 'marathon-on-marathon@-', 'marathon-apps-healthy@-'],
      message: /cannot read Marathon's \/v2\/apps from any master/,
    },
  ];

  for (const k of cases) {
    test(k.name, async () => {
      const { plan: withPlan, undo } = k.setup();
      let findings: PreflightFinding[];
      try {
        findings = await runPreflight({ plan: withPlan ?? plan });
      } finally {
        undo();
      }
      const expected = k.expect();
      assert.deepEqual(
        failures(findings),
        expected,
        JSON.stringify(
          findings.filter((f) => f.status !== 'pass'),
          null,
          1
        )
      );
      if (k.message) {
        const failing = findings.filter((f) => f.status === 'fail');
        assert.ok(failing.length > 0);
        for (const f of failing) assert.match(f.message, k.message);
      }
      k.also?.(findings);
      await untilClean(plan);
    });
  }
});

describe('preflight on Marathon prerequisites', () => {
  test('the http_callback event subscriber in /opt/mesosphere/bin/marathon.sh (where the runbook looks; the unit only calls it) fails marathon-event-subscribers on the master', async () => {
    const { c, plan } = await simWithPlan({ marathon: { eventSubscriber: true } });
    try {
      const findings = await runPreflight({ plan });
      assert.deepEqual(failures(findings), [`marathon-event-subscribers@${plan.masters[0]!.id}`]);
      assert.match(
        finding(findings, 'marathon-event-subscribers', plan.masters[0]!.id).message,
        /marathon\.sh passes --event_subscriber http_callback/
      );
    } finally {
      await c.stop();
    }
  });

  test('invalid constraints are reported per app and constraint; an old Marathon-on-Marathon fails; others pass', async () => {
    const apps: MarathonApp[] = [
      {
        id: '/good',
        constraints: [
          ['hostname', 'UNIQUE'],
          ['rack', 'GROUP_BY', '2'],
        ],
      },
      { id: '/bad/regex', constraints: [['hostname', 'LIKE', '*']] },
      { id: '/bad/max-per', constraints: [['hostname', 'MAX_PER']] },
      { id: '/mom-old', labels: { DCOS_PACKAGE_NAME: 'marathon', DCOS_PACKAGE_VERSION: '1.3.4' } },
      { id: '/mom-new', container: { type: 'DOCKER', docker: { image: 'mesosphere/marathon:v1.8.194' } } },
      { id: '/lb', container: { type: 'DOCKER', docker: { image: 'mesosphere/marathon-lb:v1.14.1' } } },
    ];
    const { c, plan } = await simWithPlan({ marathon: { apps } });
    try {
      const findings = await runPreflight({ plan });
      assert.deepEqual(failures(findings), [
        'marathon-constraints@-',
        'marathon-constraints@-',
        'marathon-on-marathon@-',
      ]);
      const bad = findings.filter((f) => f.status === 'fail').map((f) => f.message);
      assert.match(
        bad[0]!,
        /app \/bad\/regex: constraint \["hostname","LIKE","\*"\]: .*not a valid regular expression/
      );
      assert.match(bad[1]!, /app \/bad\/max-per: constraint \["hostname","MAX_PER"\]: MAX_PER needs a value/);
      assert.match(bad[2]!, /app \/mom-old runs Marathon 1\.3\.4; the patch needs 1\.3\.5 or later/);
      assert.ok(
        findings.some((f) => f.check === 'marathon-on-marathon' && f.status === 'pass' && /\/mom-new/.test(f.message))
      );
    } finally {
      await c.stop();
    }
  });
});

describe('preflight on DC/OS Enterprise', () => {
  test('over HTTPS Exhibitor with client certificates it passes; moving to strict lists the pods and tasks that restart', async () => {
    const { c, plan } = await simWithPlan({ variant: 'enterprise', security: 'permissive', agents: 3 });
    try {
      const same = await runPreflight({ plan });
      assert.deepEqual(failures(same), []);
      assert.match(finding(same, 'strict-mode-restarts').message, /not moving to strict/);
      const toStrict = await runPreflight({ plan: { ...plan, security: 'strict' } });
      assert.deepEqual(failures(toStrict), []);
      const w = finding(toStrict, 'strict-mode-restarts');
      assert.equal(w.status, 'warn');
      assert.match(w.message, /1 pod\(s\): marathon: instance-/);
      assert.match(w.message, /task\(s\) on the Mesos command executor: marathon: /);
    } finally {
      await c.stop();
    }
  });
});
