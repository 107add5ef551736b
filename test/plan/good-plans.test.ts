/**
 * Good plans become a typed Plan: defaults applied, paths absolute, nodes named, secrets absent.
 * Also the summary, the person-readable and JSON renderings, and loadPlan's exception.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkPlanFile, loadPlan } from '../../src/plan/check';
import { enableIpv6FromConfigFile } from '../../src/plan/config-yaml';
import { PlanError } from '../../src/plan/findings';
import { checkResultJson, renderCheck } from '../../src/plan/render';
import {
  DEFAULT_CANARY,
  DEFAULT_POLICY,
  DEFAULT_PORTS,
  DEFAULT_REMOTE_WORK_DIR,
  NOTIFY_EVENT_KINDS,
} from '../../src/shared/plan';
import { cleanFixtures, fixtureKey, makeFixture } from './fixture';

after(cleanFixtures);

describe('a good plan becomes a typed Plan', () => {
  test('a version patch with an identical config yields a Plan with defaults and absolute paths', () => {
    const f = makeFixture();
    const result = f.check();
    // 2.1.4 and 2.1.5 ship the same Mesos: the one warning a good patch plan gets.
    assert.deepEqual(
      result.findings.map((x) => x.code),
      ['mesos-version-gate-proves-nothing']
    );
    const plan = result.plan;
    assert.ok(plan);
    assert.equal(plan.source, f.planPath);
    assert.equal(plan.cluster, 'prod-east');
    assert.equal(plan.variant, 'open');
    assert.equal(plan.fromVersion, '2.1.4');
    assert.equal(plan.toVersion, '2.1.5');
    assert.equal(plan.expectedMesosVersion, '1.10.1');
    assert.equal(plan.security, 'disabled');
    assert.deepEqual(plan.policy, DEFAULT_POLICY);
    assert.equal(plan.remoteWorkDir, DEFAULT_REMOTE_WORK_DIR);
    assert.deepEqual(plan.backups, { zookeeper: 'take', iam: 'take' });
    assert.deepEqual(plan.preflightOverrides, []);
    assert.deepEqual(plan.bootstrap, {
      address: '10.0.0.5',
      sshPort: 22,
      installerDir: '/home/centos/dcos-2.1.5',
      installerName: 'dcos_generate_config.sh',
    });
    assert.deepEqual(plan.config, {
      oldConfigPath: join(f.dir, 'genconf-2.1.4/config.yaml'),
      newConfigPath: join(f.dir, 'genconf/config.yaml'),
      ipDetectPath: join(f.dir, 'genconf/ip-detect'),
    });
    assert.deepEqual(plan.ssh, {
      user: 'centos',
      port: 22,
      privateKeyPath: join(f.dir, 'keys/dcos_patch'),
      knownHostsPath: join(f.dir, 'keys/known_hosts'),
      connectTimeoutMs: 10_000,
    });
    assert.deepEqual(plan.http, { probes: 'ssh', mesosHttps: false });
    assert.deepEqual(
      plan.masters.map((m) => m.id),
      ['master-10.0.0.11', 'master-10.0.0.12', 'master-10.0.0.13']
    );
    assert.deepEqual(plan.masters[0], {
      id: 'master-10.0.0.11',
      role: 'master',
      address: '10.0.0.11',
      sshPort: 22,
      ports: DEFAULT_PORTS,
    });
    assert.deepEqual(plan.masters[1], {
      id: 'master-10.0.0.12',
      role: 'master',
      address: '10.0.0.12',
      sshPort: 2222,
      ports: { ...DEFAULT_PORTS, exhibitor: 18181 },
    });
    assert.deepEqual(
      plan.agents.map((a) => a.id),
      ['agent-10.0.1.1', 'agent-10.0.1.2', 'agent-10.0.1.3']
    );
    assert.deepEqual(plan.publicAgents[0], {
      id: 'public-agent-10.0.2.1',
      role: 'public-agent',
      address: '10.0.2.1',
      sshPort: 22,
      ports: DEFAULT_PORTS,
    });
    assert.equal(result.summary.kind, 'patch');
    assert.equal(result.enableIpv6, false);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(plan)), 'the plan is plain JSON');
  });

  test('a config-only change of an allowed parameter yields a config-change Plan', () => {
    const f = makeFixture({
      variant: 'enterprise',
      plan: (p) => {
        p.cluster.to = '2.1.4';
      },
      newConfig: (c) => {
        c.dns_search = 'corp.example.com';
      },
    });
    const result = f.check();
    assert.deepEqual(result.findings, []);
    assert.ok(result.plan);
    assert.equal(result.plan.fromVersion, result.plan.toVersion);
    assert.equal(result.plan.security, 'permissive');
    assert.equal(result.plan.bootstrap.installerName, 'dcos_generate_config.ee.sh');
    assert.equal(result.plan.config.licensePath, join(f.dir, 'genconf/license.txt'));
    assert.equal(result.plan.http.tokenPath, join(f.dir, 'secrets/dcos-token'));
    assert.deepEqual(result.plan.backups, { zookeeper: 'take', iam: 'take' });
    assert.equal(result.summary.kind, 'config-change');
    assert.deepEqual(result.summary.configChanges, [
      { key: 'dns_search', old: 'example.com', new: 'corp.example.com' },
    ]);
  });

  test('permissive → strict on the installed version, alone, is valid and records strict', () => {
    const f = makeFixture({
      variant: 'enterprise',
      plan: (p) => {
        p.cluster.to = '2.1.4';
      },
      newConfig: (c) => {
        c.security = 'strict';
      },
    });
    const result = f.check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    assert.equal(result.plan.security, 'strict');
    assert.deepEqual(
      result.findings.map((x) => x.code),
      ['security-strict-restarts-tasks']
    );
    assert.deepEqual(result.summary.security, { from: 'permissive', to: 'strict' });
  });

  test('formatting, key order, comments, quoting and YAML 1.1 booleans are not config changes', () => {
    const f = makeFixture({
      newConfigText: [
        '# merged into the 2.1.5 format',
        "telemetry_enabled: 'false'",
        'enable_ipv6: no',
        'process_timeout: "10000"',
        'dns_search: example.com',
        'resolvers:',
        '  - 8.8.8.8',
        '  - 8.8.4.4',
        'master_list: ["10.0.0.11", "10.0.0.12", "10.0.0.13"]',
        'master_discovery: static',
        'exhibitor_storage_backend: static',
        "bootstrap_url: 'http://10.0.0.5:8080'",
        'cluster_name: prod-east',
        'use_proxy: false  # gen default, added by the merge',
        '',
      ].join('\n'),
    });
    const result = f.check();
    // 2.1.4 and 2.1.5 ship the same Mesos: the one warning a good patch plan gets.
    assert.deepEqual(
      result.findings.map((x) => x.code),
      ['mesos-version-gate-proves-nothing']
    );
    assert.ok(result.plan);
  });

  test('a skipped patch release is only a warning: the plan stays valid', () => {
    const result = makeFixture({
      plan: (p) => {
        p.cluster.from = '2.1.2';
      },
    }).check();
    assert.ok(result.plan);
    assert.equal(result.findings.length, 1);
  });

  test('cluster.mesosVersion covers a release the built-in table does not know', () => {
    const result = makeFixture({
      planText: (t) => t.replace('from: 2.1.4', 'from: 2.3.0').replace('to: 2.1.5', 'to: 2.3.1\n  mesosVersion: 1.12'),
    }).check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    assert.equal(result.plan.expectedMesosVersion, '1.12');
  });

  test('canary: {} takes every default; check shows it; a window as wide as it warns', () => {
    const result = makeFixture({
      plan: (p) => {
        p.canary = {};
        p.policy = { agentConcurrency: 3 };
      },
    }).check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    assert.deepEqual(result.plan.canary, { ...DEFAULT_CANARY, instances: 3 });
    assert.deepEqual(
      result.findings.filter((f) => f.field.startsWith('canary')).map((f) => [f.code, f.severity]),
      [['canary-window-too-wide', 'warning']]
    );
    assert.match(
      renderCheck(result),
      /canary {4}\/dcos-patch-canary: 3 instance\(s\) on private agents .* resolved as dcos-patch-canary\.marathon\.mesos; deployed before the first master/
    );
    assert.deepEqual(JSON.parse(checkResultJson(result)).summary.canary, result.plan.canary);
  });

  test('canary: every field given', () => {
    const result = makeFixture({
      plan: (p) => {
        p.canary = {
          app: '/smoke',
          instances: 2,
          cmd: '/opt/bin/serve $PORT0',
          deployTimeout: '2m',
          pollInterval: '2s',
        };
      },
    }).check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    assert.deepEqual(result.plan.canary, {
      ...DEFAULT_CANARY,
      appId: '/smoke',
      instances: 2,
      cmd: '/opt/bin/serve $PORT0',
      deployTimeoutMs: 120_000,
      pollIntervalMs: 2_000,
    });
    assert.deepEqual(
      result.findings.filter((f) => f.field.startsWith('canary')),
      []
    );
  });

  test('notify: webhooks with absolute file paths, every event by default; the header never read into the plan', () => {
    const f = makeFixture({
      plan: (p) => {
        p.notify = [
          { url: 'https://alerts.example.com/hooks/dcos-patch', headerFile: 'secrets/webhook-header' },
          { urlFile: 'secrets/slack-url', events: ['decision-needed', 'finished', 'finished'] },
        ];
      },
      files: (dir) => {
        writeFileSync(join(dir, 'secrets/webhook-header'), 'Authorization: Bearer s3cret\n');
        writeFileSync(join(dir, 'secrets/slack-url'), 'https://hooks.slack.com/services/T0/B0/XXXX\n');
      },
    });
    const result = f.check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    assert.deepEqual(result.plan.notify, [
      {
        url: 'https://alerts.example.com/hooks/dcos-patch',
        headerFile: join(f.dir, 'secrets/webhook-header'),
        events: [...NOTIFY_EVENT_KINDS],
      },
      { urlFile: join(f.dir, 'secrets/slack-url'), events: ['decision-needed', 'finished'] },
    ]);
    assert.ok(!JSON.stringify(result.plan).includes('s3cret') && !JSON.stringify(result.plan).includes('XXXX'));
    const shown = renderCheck(result);
    assert.match(shown, /notify {4}webhook alerts\.example\.com \(headers from .*webhook-header\): every event/);
    assert.match(shown, /webhook from .*slack-url: decision-needed, finished/);
    assert.ok(
      !shown.includes('hooks.slack.com') && !checkResultJson(result).includes('XXXX'),
      'the URL in the file is never shown'
    );
  });

  test('a ramp and maintenance windows: in the Plan, in the summary and in check --json', () => {
    const f = makeFixture({
      plan: (p) => {
        p.policy = {
          agentConcurrency: 4,
          agentRamp: [1, '50%'],
          windows: [
            { days: ['Monday', 'tue'], start: '22:00', end: '05:00', timeZone: 'Europe/Berlin' },
            { from: '2026-12-24T22:00:00Z', to: '2026-12-25T06:00:00+01:00' },
          ],
          windowMinNodeTime: '10m',
        };
      },
    });
    const result = f.check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    const pol = result.plan.policy;
    assert.deepEqual(pol.agentRamp, [1, '50%']);
    assert.deepEqual(pol.windows, [
      { days: ['mon', 'tue'], start: '22:00', end: '05:00', timeZone: 'Europe/Berlin' },
      { fromMs: Date.parse('2026-12-24T22:00:00Z'), toMs: Date.parse('2026-12-25T05:00:00Z') },
    ]);
    assert.equal(pol.windowMinNodeMs, 600_000);
    const shown = renderCheck(result);
    assert.match(
      shown,
      /ramp {6}1 → 50% \(2\), each step after every agent of the one before passed; then sliding 2 at once/
    );
    assert.match(shown, /windows {3}a node starts only inside one, with its estimate \(at least 10m\) left/);
    assert.match(shown, /mon,tue 22:00–05:00 Europe\/Berlin/);
    assert.match(shown, /2026-12-24T22:00:00\.000Z → 2026-12-25T05:00:00\.000Z/);
    const json = JSON.parse(checkResultJson(result));
    assert.deepEqual(json.summary.policy.agentRamp, [1, '50%']);
    assert.equal(json.summary.policy.windows.length, 2);
  });

  test('~ in a local path expands to the home directory', () => {
    const f = makeFixture();
    const home = join(f.dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh/dcos_patch'), fixtureKey());
    writeFileSync(join(home, '.ssh/known_hosts'), '');
    const text = 'ssh:\n  user: centos\n  privateKey: ~/.ssh/dcos_patch\n';
    const planPath = join(f.dir, 'tilde.yaml');
    const base = readFileSync(f.planPath, 'utf8');
    writeFileSync(planPath, base.replace(/ssh:\n(?: {2}.*\n)+/, text));
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const result = checkPlanFile(planPath);
      assert.ok(result.plan, JSON.stringify(result.findings));
      assert.equal(result.plan.ssh.privateKeyPath, join(home, '.ssh/dcos_patch'));
      assert.equal(result.plan.ssh.knownHostsPath, join(home, '.ssh/known_hosts'), 'knownHosts defaults to ~/.ssh');
    } finally {
      process.env.HOME = saved;
    }
  });

  test('agents are listed in the order they start, private agents first', () => {
    const result = makeFixture({
      plan: (p) => {
        p.policy = { agentConcurrency: 2 };
      },
    }).check();
    assert.deepEqual(result.summary.agentOrder, [
      'agent-10.0.1.1',
      'agent-10.0.1.2',
      'agent-10.0.1.3',
      'public-agent-10.0.2.1',
    ]);
    assert.match(renderCheck(result), /4 agents, a sliding window of up to 2 at a time, in this order:/);
    assert.doesNotMatch(renderCheck(result), /batch/);
    assert.deepEqual(result.summary.masters, ['master-10.0.0.11', 'master-10.0.0.12', 'master-10.0.0.13']);
  });
});

describe('secrets stay out of the plan and the summary', () => {
  test('values of secret-looking parameters are masked in findings and the summary', () => {
    const result = makeFixture({
      plan: (p) => {
        p.cluster.to = '2.1.4';
      },
      oldConfig: (c) => {
        c.exhibitor_admin_password = 'old-hunter2';
      },
      newConfig: (c) => {
        c.exhibitor_admin_password = 'new-hunter2';
      },
    }).check();
    const text = JSON.stringify(result);
    assert.doesNotMatch(text, /hunter2/);
    assert.deepEqual(result.summary.configChanges, [
      { key: 'exhibitor_admin_password', old: '(masked)', new: '(masked)' },
    ]);
  });

  test('credentials inside a proxy URL are masked', () => {
    const result = makeFixture({
      plan: (p) => {
        p.cluster.to = '2.1.4';
      },
      newConfig: (c) => {
        c.use_proxy = true;
        c.http_proxy = 'http://ops:s3cret@proxy.example.com:3128';
      },
    }).check();
    assert.ok(result.plan, JSON.stringify(result.findings));
    assert.doesNotMatch(JSON.stringify(result), /s3cret/);
    assert.ok(result.summary.configChanges.some((c) => c.new === 'http://(masked)@proxy.example.com:3128'));
  });

  test('a pasted private key never appears in the result', () => {
    const result = makeFixture({
      plan: (p) => {
        p.ssh.privateKey =
          '-----BEGIN OPENSSH PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END OPENSSH PRIVATE KEY-----\n';
      },
    }).check();
    assert.doesNotMatch(JSON.stringify(result), /TOPSECRETMATERIAL/);
  });
});

describe('the check result for a person and for scripts', () => {
  test('renderCheck shows the order of work, then each finding with its fix, then the counts', () => {
    const f = makeFixture({
      plan: (p) => {
        p.agents = ['10.0.1.1', '10.0.1.1'];
        p.policy = { gates: { agentWindow: '10m' } };
      },
    });
    const out = renderCheck(f.check());
    assert.match(out, /masters\s+one at a time: master-10\.0\.0\.11, master-10\.0\.0\.12, master-10\.0\.0\.13/);
    assert.match(out, /version\s+2\.1\.4 → 2\.1\.5 \(patch\)/);
    assert.ok(
      out.includes(
        `ERROR ${f.planPath}: agents[1] — 10.0.1.1 is listed twice in agents (also at agents[0]). Fix: list each host once.`
      ),
      out
    );
    assert.ok(out.includes(`WARNING ${f.planPath}: policy.gates.agentWindow — `), out);
    assert.ok(out.indexOf('ERROR') < out.indexOf('WARNING'), 'errors first');
    assert.match(
      out.trim().split('\n').at(-1) ?? '',
      /^1 error, 2 warnings: the plan is not valid; nothing was started\.$/
    );
  });

  test('a newline inside a value is printed escaped, so it cannot fake a line of its own', () => {
    const out = renderCheck(
      makeFixture({
        plan: (p) => {
          p.cluster.name = 'prod\n0 errors, 0 warnings: the plan is valid.';
        },
      }).check()
    );
    assert.ok(!out.split('\n').some((l) => l.startsWith('0 errors')), out);
    assert.match(out, /cluster\.name "prod\\n0 errors, 0 warnings: the plan is valid\." may hold only/);
  });

  test('IPv6 addresses are hosts too, ::1 included', () => {
    const result = makeFixture({
      plan: (p) => {
        p.agents = ['::1', 'fd00::21'];
      },
    }).check();
    assert.deepEqual(
      result.findings.filter((f) => f.severity === 'error'),
      []
    );
    assert.deepEqual(
      result.plan?.agents.map((a) => a.address),
      ['::1', 'fd00::21']
    );
  });

  test('renderCheck of a valid plan ends by saying so', () => {
    const out = renderCheck(makeFixture().check());
    assert.match(
      out.trim().split('\n').at(-1) ?? '',
      /^0 errors, 1 warning: the plan is valid \(read the warnings before starting\)\.$/
    );
  });

  test('a large cluster lists the first agents and counts the rest', () => {
    const result = makeFixture({
      plan: (p) => {
        p.agents = Array.from({ length: 100 }, (_, i) => `10.0.${Math.floor(i / 200) + 1}.${(i % 200) + 1}`);
        p.policy = { agentConcurrency: 4 };
      },
    }).check();
    const out = renderCheck(result);
    assert.match(out, /101 agents, a sliding window of up to 4 at a time, in this order:/);
    assert.match(out, /… and 53 more agents/);
  });

  test('checkResultJson is one JSON object with counts, summary, findings and the plan', () => {
    const json = JSON.parse(
      checkResultJson(
        makeFixture({
          plan: (p) => {
            p.masters = ['10.0.0.11'];
          },
        }).check()
      )
    );
    assert.equal(json.ok, false);
    assert.equal(json.errors, 1);
    assert.equal(json.warnings, 2);
    assert.equal(json.plan, null);
    assert.deepEqual(json.findings.map((x: { code: string }) => x.code).sort(), [
      'master-list-mismatch',
      'mesos-version-gate-proves-nothing',
      'single-master',
    ]);
    const good = JSON.parse(checkResultJson(makeFixture().check()));
    assert.equal(good.ok, true);
    assert.equal(good.plan.cluster, 'prod-east');
    assert.equal(good.enableIpv6, false);
  });

  test('loadPlan returns the Plan, or throws a PlanError carrying every finding', () => {
    assert.equal(loadPlan(makeFixture().planPath).cluster, 'prod-east');
    const bad = makeFixture({
      plan: (p) => {
        p.masters = ['10.0.0.11', '10.0.0.12'];
      },
    });
    assert.throws(
      () => loadPlan(bad.planPath),
      (err: unknown) =>
        err instanceof PlanError &&
        err.findings.some((f) => f.code === 'master-count') &&
        /masters — 2 masters listed/.test(err.message)
    );
  });

  test('preflight can read whether the new config enables IPv6', () => {
    const on = makeFixture({
      newConfig: (c) => {
        delete c.enable_ipv6;
      },
    });
    assert.equal(enableIpv6FromConfigFile(on.newConfigPath, '2.1.5'), true);
    assert.equal(enableIpv6FromConfigFile(on.newConfigPath, '1.10.9'), false, 'no IPv6 overlay before 1.11');
    const off = makeFixture();
    assert.equal(enableIpv6FromConfigFile(off.newConfigPath, '2.1.5'), false);
    assert.equal(enableIpv6FromConfigFile(join(off.dir, 'missing.yaml'), '2.1.5'), undefined);
    assert.equal(on.check().enableIpv6, true);
  });
});
