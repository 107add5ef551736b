/**
 * The preflight rules without a network: Marathon constraints, Java regular expressions, versions,
 * /etc/os-release, the host probe's framing, and each evaluator's verdicts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECK_NAMES, sortFindings } from '../../src/preflight/catalog';
import {
  type Answer,
  type ExhibitorMember,
  evaluateAgents,
  evaluateExhibitor,
  evaluateLeader,
  evaluateStrictRestarts,
  type LeaderMetrics,
  type MesosState,
  parseMesosState,
  restartingWork,
} from '../../src/preflight/cluster';
import {
  evaluateInstalledVersion,
  evaluateIpset,
  evaluateIpv6,
  evaluateProbe,
  evaluateSudo,
  evaluateSystemd,
  isRhelFamily,
  parseOsRelease,
  parseProbeOutput,
  parseSystemdVersion,
  probeScript,
} from '../../src/preflight/host-facts';
import {
  compareVersions,
  constraintProblem,
  enablesHttpCallback,
  evaluateConstraints,
  evaluateMarathonOnMarathon,
  isMarathonInstance,
  javaRegexProblem,
  type MarathonApp,
  marathonInstanceVersion,
  parseMarathonApps,
  splitImage,
} from '../../src/preflight/marathon';

describe('Marathon constraints follow Marathon’s own validation', () => {
  const valid: unknown[][] = [
    ['hostname', 'UNIQUE'],
    ['@hostname', 'unique'],
    ['rack_id', 'CLUSTER'],
    ['rack_id', 'CLUSTER', 'rack-1'],
    ['rack_id', 'CLUSTER', ''],
    ['rack_id', 'GROUP_BY'],
    ['rack_id', 'GROUP_BY', '3'],
    ['hostname', 'MAX_PER', '2'],
    ['hostname', 'MAX_PER', '+2'],
    ['hostname', 'LIKE', 'agent-[0-9]+'],
    ['hostname', 'UNLIKE', '.*'],
    ['hostname', 'LIKE', '(?i)Agent.*'],
    ['hostname', 'LIKE', '(?i:agent)-\\d++'],
    ['hostname', 'LIKE', '\\Qa.b\\E.*'],
    ['hostname', 'LIKE', '\\p{Alpha}+\\pL'],
    ['hostname', 'LIKE', 'a{2,3}'],
    ['hostname', 'LIKE', '[]a]'],
    ['gpu', 'IS', 'true'],
    ['version', 'IS', '1.5'],
    ['dc', 'IS'],
    ['zone', 'IN', '{a,b,c}'],
    ['zone', 'IN', '{us-east-1a}'],
  ];
  for (const c of valid) {
    test(`${JSON.stringify(c)} is valid`, () => assert.equal(constraintProblem(c), undefined));
  }

  const invalid: [unknown, RegExp][] = [
    ['hostname', /a list/],
    [['hostname'], /2 or 3 elements/],
    [['hostname', 'UNIQUE', 'x', 'y'], /2 or 3 elements/],
    [['', 'UNIQUE'], /field name is empty/],
    [['hostname', 'SPREAD'], /unknown operator "SPREAD"/],
    [['hostname', 'UNIQUE', 'x'], /UNIQUE does not take a value/],
    [['hostname', 'UNIQUE', 3], /string/],
    [['rack', 'GROUP_BY', 'three'], /not an integer/],
    [['rack', 'GROUP_BY', '1.5'], /not an integer/],
    [['hostname', 'MAX_PER'], /MAX_PER needs a value/],
    [['hostname', 'MAX_PER', '99999999999'], /not an integer/],
    [['hostname', 'LIKE'], /LIKE needs a value/],
    [['hostname', 'LIKE', '*'], /not a valid regular expression/],
    [['hostname', 'UNLIKE', '[a-z'], /not a valid regular expression/],
    [['hostname', 'LIKE', 'a{'], /illegal repetition/],
    [['hostname', 'LIKE', '{a,b}'], /illegal repetition/],
    [['hostname', 'LIKE', '\\y'], /unknown escape/],
    [['hostname', 'LIKE', '(?q)a'], /unknown inline flag/],
    [['hostname', 'LIKE', 'a\\'], /trailing backslash/],
    [['gpu', 'IS', '[0-9]'], /Mesos text/],
    [['zone', 'IN'], /IN needs a value/],
    [['zone', 'IN', 'a,b'], /Mesos set/],
    [['zone', 'IN', '{a,,b}'], /Mesos set/],
  ];
  for (const [c, why] of invalid) {
    test(`${JSON.stringify(c)} is refused (${why.source})`, () => assert.match(constraintProblem(c) ?? '(valid)', why));
  }

  test('Java-only regex syntax compiles; Java errors are errors', () => {
    assert.equal(javaRegexProblem('\\Aabc\\z'), undefined);
    assert.equal(javaRegexProblem('(?>a+)b'), undefined);
    assert.equal(javaRegexProblem('\\x{41}\\u0041\\x41\\cA\\0101'), undefined);
    assert.match(javaRegexProblem('\\u12') ?? '', /Unicode/);
    assert.match(javaRegexProblem('[abc') ?? '', /unclosed/);
    assert.match(javaRegexProblem('a{3,1}') ?? '', /range/);
    assert.match(javaRegexProblem('(ab') ?? '', /./);
  });

  test('every bad constraint is reported with its app id; good apps give one pass', () => {
    const apps: MarathonApp[] = [
      { id: '/ok', constraints: [['hostname', 'UNIQUE']] },
      {
        id: '/bad',
        constraints: [
          ['hostname', 'LIKE', '*'],
          ['rack', 'GROUP_BY', 'x'],
          ['hostname', 'UNIQUE'],
        ],
      },
      { id: '/none' },
    ];
    const f = evaluateConstraints(apps);
    assert.equal(f.length, 2);
    assert.ok(f.every((x) => x.status === 'fail' && x.check === 'marathon-constraints'));
    assert.match(f[0]!.message, /app \/bad: constraint \["hostname","LIKE","\*"\]/);
    assert.match(f[1]!.message, /app \/bad: constraint \["rack","GROUP_BY","x"\]/);
    const ok = evaluateConstraints([apps[0]!, apps[2]!]);
    assert.deepEqual(
      ok.map((x) => x.status),
      ['pass']
    );
  });

  test('/v2/apps is parsed leniently but refuses a body without apps', () => {
    const apps = parseMarathonApps({
      apps: [{ id: '/a', labels: { X: 'y', N: 3 }, container: { docker: { image: 'mesosphere/marathon:v1.4.0' } } }],
    });
    assert.deepEqual(apps[0]?.labels, { X: 'y' });
    assert.equal(apps[0]?.container?.docker?.image, 'mesosphere/marathon:v1.4.0');
    assert.throws(() => parseMarathonApps({ message: 'nope' }), /no "apps"/);
  });
});

describe('Marathon-on-Marathon needs 1.3.5 or later', () => {
  test('versions compare numerically, pre-releases before releases', () => {
    assert.ok(compareVersions('1.3.5', '1.3.5') === 0);
    assert.ok(compareVersions('v1.10.0', '1.3.5') > 0);
    assert.ok(compareVersions('1.3.4', '1.3.5') < 0);
    assert.ok(compareVersions('1.3.5-RC1', '1.3.5') < 0);
    assert.ok(compareVersions('1.4', '1.3.5') > 0);
    assert.throws(() => compareVersions('latest', '1.3.5'), /not a version/);
  });
  test('images are split into repository and tag, registries dropped', () => {
    assert.deepEqual(splitImage('mesosphere/marathon:v1.4.2'), { repository: 'mesosphere/marathon', tag: 'v1.4.2' });
    assert.deepEqual(splitImage('registry.local:5000/mesosphere/marathon:1.6.322'), {
      repository: 'mesosphere/marathon',
      tag: '1.6.322',
    });
    assert.deepEqual(splitImage('docker.io/mesosphere/marathon'), { repository: 'mesosphere/marathon' });
  });
  test('instances are found by label or image, not marathon-lb', () => {
    assert.ok(isMarathonInstance({ id: '/m', labels: { DCOS_PACKAGE_NAME: 'marathon' } }));
    assert.ok(isMarathonInstance({ id: '/m', container: { docker: { image: 'mesosphere/marathon:v1.3.0' } } }));
    assert.ok(!isMarathonInstance({ id: '/lb', container: { docker: { image: 'mesosphere/marathon-lb:v1.12.0' } } }));
    assert.ok(!isMarathonInstance({ id: '/lb', labels: { DCOS_PACKAGE_NAME: 'marathon-lb' } }));
  });
  test('label first, then image tag', () => {
    const app: MarathonApp = {
      id: '/m',
      labels: { DCOS_PACKAGE_NAME: 'marathon', DCOS_PACKAGE_VERSION: '1.4.6' },
      container: { docker: { image: 'mesosphere/marathon:v1.3.0' } },
    };
    assert.equal(marathonInstanceVersion(app), '1.4.6');
    assert.equal(marathonInstanceVersion({ ...app, labels: { DCOS_PACKAGE_NAME: 'marathon' } }), 'v1.3.0');
  });
  test('verdicts: old fails, new passes, unreadable warns, none passes', () => {
    const f = evaluateMarathonOnMarathon([
      { id: '/old', container: { docker: { image: 'mesosphere/marathon:v1.3.4' } } },
      { id: '/new', labels: { DCOS_PACKAGE_NAME: 'marathon', DCOS_PACKAGE_VERSION: '1.8.194' } },
      { id: '/latest', container: { docker: { image: 'mesosphere/marathon:latest' } } },
      { id: '/web' },
    ]);
    assert.deepEqual(
      f.map((x) => x.status),
      ['fail', 'pass', 'warn']
    );
    assert.match(f[0]!.message, /\/old runs Marathon v1.3.4/);
    assert.equal(evaluateMarathonOnMarathon([{ id: '/web' }])[0]?.status, 'pass');
  });
});

describe('Marathon event subscribers', () => {
  const unit = (execStart: string) =>
    `# /etc/systemd/system/dcos-marathon.service\n[Service]\nEnvironmentFile=/opt/mesosphere/environment\nExecStart=${execStart}\n`;
  test('the flag in any spelling is found; comments are not', () => {
    assert.ok(enablesHttpCallback(unit('/opt/mesosphere/bin/marathon --event_subscriber http_callback --zk x')));
    assert.ok(enablesHttpCallback(unit('/opt/mesosphere/bin/marathon --event_subscriber="http_callback"')));
    assert.ok(enablesHttpCallback('Environment=MARATHON_EVENT_SUBSCRIBER=http_callback'));
    assert.ok(!enablesHttpCallback(unit('/opt/mesosphere/bin/marathon --zk zk://x')));
    assert.ok(!enablesHttpCallback('# ExecStart=marathon --event_subscriber http_callback'));
  });
});

describe('host facts', () => {
  test('/etc/os-release: quoted values, ID_LIKE, comments', () => {
    const centos = parseOsRelease(
      'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n# c\nPRETTY_NAME="CentOS Linux 7 (Core)"\n'
    );
    assert.deepEqual(centos, {
      id: 'centos',
      idLike: ['rhel', 'fedora'],
      versionId: '7',
      prettyName: 'CentOS Linux 7 (Core)',
    });
    assert.ok(isRhelFamily(centos));
    assert.ok(isRhelFamily(parseOsRelease('ID=rhel\n')));
    assert.ok(isRhelFamily(parseOsRelease("ID='rocky'\nID_LIKE='rhel centos fedora'\n")));
    assert.ok(!isRhelFamily(parseOsRelease('ID=ubuntu\nID_LIKE=debian\n')));
    assert.ok(!isRhelFamily(parseOsRelease('ID=coreos\n')));
    assert.equal(parseOsRelease('').id, 'linux');
  });

  test('systemd versions', () => {
    assert.equal(parseSystemdVersion('systemd 219\n+PAM +AUDIT'), 219);
    assert.equal(parseSystemdVersion('systemd 252 (252.5-2ubuntu3)\n'), 252);
    assert.equal(parseSystemdVersion('bash: systemctl: command not found'), undefined);
    const ok = (o: string) => ({ exitCode: 0, output: o });
    assert.equal(evaluateSystemd('h', ok('systemd 218')).status, 'pass');
    assert.equal(evaluateSystemd('h', ok('systemd 217')).status, 'fail');
    assert.match(evaluateSystemd('h', ok('systemd 217')).message, /217 is older than 218/);
    assert.equal(evaluateSystemd('h', undefined).status, 'fail');
  });

  test('the probe frames each section with its exit status, whatever it prints', () => {
    const script = probeScript(['sudo', 'ipv6']);
    assert.match(script, /sudo -n true/);
    const out = [
      '@@dcos-patch-preflight begin sudo',
      'sudo: a password is required',
      '',
      '@@dcos-patch-preflight end sudo 1',
      '@@dcos-patch-preflight begin ipv6',
      '0',
      '@@dcos-patch-preflight end ipv6 0',
      '@@dcos-patch-preflight begin version',
      '{"version": "2.1.4"',
    ].join('\n');
    assert.deepEqual(parseProbeOutput(out), {
      sudo: { exitCode: 1, output: 'sudo: a password is required\n' },
      ipv6: { exitCode: 0, output: '0' },
    });
  });

  test('evaluators', () => {
    const r = (exitCode: number, output: string) => ({ exitCode, output });
    assert.equal(evaluateSudo('h', r(0, '')).status, 'pass');
    assert.match(evaluateSudo('h', r(1, 'sudo: a password is required')).message, /password/);
    assert.equal(evaluateIpset('h', r(0, 'ID=ubuntu'), r(1, '')).status, 'pass');
    assert.equal(evaluateIpset('h', r(0, 'ID=centos'), r(0, '/usr/sbin/ipset')).status, 'pass');
    assert.equal(evaluateIpset('h', r(0, 'ID="rhel"'), r(1, '')).status, 'fail');
    assert.equal(evaluateIpv6('h', true, r(0, '0')).status, 'pass');
    assert.equal(evaluateIpv6('h', true, r(0, '1')).status, 'fail');
    assert.equal(
      evaluateIpv6('h', true, r(255, 'sysctl: cannot stat /proc/sys/net/ipv6/conf/all/disable_ipv6: No such file'))
        .status,
      'fail'
    );
    assert.equal(evaluateIpv6('h', false, r(0, '1')).status, 'pass');
    assert.equal(evaluateInstalledVersion('h', r(0, '{"version": "2.1.4"}'), '2.1.4', '2.1.5').status, 'pass');
    const skipped = evaluateInstalledVersion('h', r(0, '{"version": "2.1.5"}'), '2.1.4', '2.1.5');
    assert.equal(skipped.status, 'pass');
    assert.match(skipped.message, /will be skipped/);
    assert.equal(evaluateInstalledVersion('h', r(0, '{"version": "2.1.3"}'), '2.1.4', '2.1.5').status, 'fail');
    assert.equal(evaluateInstalledVersion('h', r(1, 'No such file'), '2.1.4', '2.1.5').status, 'fail');
  });

  test('a bootstrap host is only asked about sudo; a master also about Marathon', () => {
    const plan = { fromVersion: '2.1.4', toVersion: '2.1.5', ipv6Enabled: false };
    assert.deepEqual(
      evaluateProbe('b', 'bootstrap', { sudo: { exitCode: 0, output: '' } }, plan).map((f) => f.check),
      ['sudo']
    );
    const master = evaluateProbe('m', 'master', {}, plan);
    assert.ok(master.some((f) => f.check === 'marathon-event-subscribers'));
    assert.ok(master.every((f) => f.host === 'm'));
  });
});

describe('cluster health', () => {
  const masters = [
    { id: 'master-a', address: '10.0.0.1' },
    { id: 'master-b', address: '10.0.0.2' },
    { id: 'master-c', address: '10.0.0.3' },
  ];
  const member = (hostname: string, description = 'serving'): ExhibitorMember => ({
    hostname,
    code: description === 'serving' ? 3 : description === 'down' ? 1 : 2,
    description,
    isLeader: false,
  });
  test('Exhibitor: one master down is reported on that master only', () => {
    const view = [member('10.0.0.1'), member('10.0.0.2', 'down'), member('10.0.0.3')];
    const answers = new Map<string, Answer<ExhibitorMember[]>>([
      ['master-a', { ok: true, value: view }],
      ['master-b', { ok: false, error: 'connect ECONNREFUSED' }],
      ['master-c', { ok: true, value: view }],
    ]);
    const f = evaluateExhibitor(masters, answers);
    assert.deepEqual(
      f.map((x) => `${x.host}:${x.status}`),
      ['master-a:pass', 'master-b:fail', 'master-c:pass']
    );
    assert.match(f[1]!.message, /ECONNREFUSED/);
  });

  test('Mesos leader: none, two, unrecovered, good', () => {
    const m = (xs: (LeaderMetrics | string)[]) =>
      new Map<string, Answer<LeaderMetrics>>(
        xs.map((x, i) => [masters[i]!.id, typeof x === 'string' ? { ok: false, error: x } : { ok: true, value: x }])
      );
    assert.equal(evaluateLeader(masters, m([{ elected: 0 }, { elected: 0 }, 'timeout'])).finding.status, 'fail');
    assert.match(
      evaluateLeader(masters, m([{ elected: 1, recovered: 1 }, { elected: 1, recovered: 1 }, { elected: 0 }])).finding
        .message,
      /split brain/
    );
    const unrec = evaluateLeader(masters, m([{ elected: 0 }, { elected: 1, recovered: 0 }, { elected: 0 }]));
    assert.equal(unrec.finding.status, 'fail');
    assert.equal(unrec.finding.host, 'master-b');
    const good = evaluateLeader(masters, m([{ elected: 0 }, { elected: 0 }, { elected: 1, recovered: 1 }]));
    assert.equal(good.finding.status, 'pass');
    assert.equal(good.leader?.id, 'master-c');
  });

  const state: MesosState = parseMesosState({
    slaves: [
      { id: 'S1', hostname: '10.0.1.1', pid: 'slave(1)@10.0.1.1:5051', active: true },
      { id: 'S2', hostname: 'agent-2.example', pid: 'slave(1)@10.0.1.2:5051', active: false },
      { id: 'S9', hostname: '10.0.1.9', pid: 'slave(1)@10.0.1.9:5051', active: true },
    ],
    frameworks: [
      {
        id: 'F1',
        name: 'marathon',
        tasks: [
          { id: 'web.1', name: 'web', state: 'TASK_RUNNING', executor_id: '', slave_id: 'S1' },
          { id: 'old.1', name: 'old', state: 'TASK_FINISHED', executor_id: '', slave_id: 'S1' },
          { id: 'pod.c1', name: 'c1', state: 'TASK_RUNNING', executor_id: 'instance-pod.1', slave_id: 'S1' },
          { id: 'pod.c2', name: 'c2', state: 'TASK_RUNNING', executor_id: 'instance-pod.1', slave_id: 'S1' },
          { id: 'custom.1', name: 'custom', state: 'TASK_RUNNING', executor_id: 'my-exec', slave_id: 'S1' },
        ],
        executors: [
          { executor_id: 'instance-pod.1', type: 'DEFAULT' },
          { executor_id: 'my-exec', type: 'CUSTOM' },
        ],
      },
    ],
  });

  test('agents: missing and inactive fail on that agent; agents outside the plan warn', () => {
    const f = evaluateAgents(
      [
        { id: 'agent-1', address: '10.0.1.1' },
        { id: 'agent-2', address: '10.0.1.2' },
        { id: 'agent-3', address: '10.0.1.3' },
      ],
      { ok: true, value: state },
      'master-a'
    );
    assert.deepEqual(
      f.map((x) => `${x.host ?? '-'}:${x.status}`),
      ['agent-1:pass', 'agent-2:fail', 'agent-3:fail', '-:warn']
    );
    assert.match(f[1]!.message, /not active/);
    assert.match(f[3]!.message, /10\.0\.1\.9/);
    assert.equal(evaluateAgents([{ id: 'a', address: 'x' }], undefined, undefined)[0]?.status, 'warn');
  });

  test('strict mode: pods and command-executor tasks are listed, finished tasks are not', () => {
    assert.deepEqual(restartingWork(state), {
      commandTasks: ['marathon: web (web.1)'],
      pods: ['marathon: instance-pod.1'],
    });
    const w = evaluateStrictRestarts(true, { ok: true, value: state });
    assert.equal(w.status, 'warn');
    assert.match(w.message, /1 pod\(s\).*1 task\(s\)/);
    assert.equal(evaluateStrictRestarts(false, undefined).status, 'pass');
  });

  test('findings are ordered by check, then host order', () => {
    const sorted = sortFindings(
      [
        { check: 'ipset', host: 'b', status: 'pass', message: '' },
        { check: 'sudo', host: 'b', status: 'pass', message: '' },
        { check: 'sudo', host: 'a', status: 'pass', message: '' },
        { check: 'ipv6', status: 'warn', message: '' },
      ],
      ['a', 'b']
    );
    assert.deepEqual(
      sorted.map((f) => `${f.check}@${f.host ?? '-'}`),
      ['sudo@a', 'sudo@b', 'ipset@b', 'ipv6@-']
    );
    assert.equal(new Set(CHECK_NAMES).size, CHECK_NAMES.length);
    for (const n of CHECK_NAMES) assert.match(n, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
