import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  agentTasksReconciled,
  cockroachReplicated,
  exhibitorConverged,
  leaderOfState,
  metricEquals,
  parseCockroachTable,
  parseDcosVersion,
  parseExhibitorStatus,
  parseMesosMetrics,
  parseMesosVersion,
  parseNodeScriptUrl,
  parseRoles,
  parseSystemctlIsActive,
  stateIsLeader,
  tail,
} from '../../src/activities/parsers';

const MASTERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

describe('Exhibitor status', { timeout: 10_000 }, () => {
  test('every master serving is converged, and the leader is named', () => {
    const body = JSON.parse(
      '[{"code":3,"description":"serving","hostname":"10.0.0.11","isLeader":true},' +
        '{"code":3,"description":"serving","hostname":"10.0.0.12","isLeader":false},' +
        '{"code":3,"description":"serving","hostname":"10.0.0.13","isLeader":false}]'
    );
    assert.deepEqual(exhibitorConverged(parseExhibitorStatus(body), MASTERS), {
      ok: true,
      observation: '3/3 serving (leader 10.0.0.11)',
    });
  });

  test('a master down or missing is not converged and is named in the observation', () => {
    const members = parseExhibitorStatus([
      { code: 3, description: 'serving', hostname: '10.0.0.11', isLeader: true },
      { code: 1, description: 'down', hostname: '10.0.0.12', isLeader: false },
    ]);
    const r = exhibitorConverged(members, MASTERS);
    assert.equal(r.ok, false);
    assert.equal(r.observation, '1/3 serving; 10.0.0.12 down, 10.0.0.13 missing');
  });

  test('a code without a description is described by its meaning', () => {
    const members = parseExhibitorStatus([{ code: 2, hostname: '10.0.0.11' }]);
    assert.equal(members[0]!.description, 'not serving');
    assert.equal(exhibitorConverged(members, ['10.0.0.11']).observation, '0/1 serving; 10.0.0.11 not serving');
  });

  test('a member the plan does not list must be serving too', () => {
    const members = parseExhibitorStatus([
      { code: 3, description: 'serving', hostname: '10.0.0.11' },
      { code: 0, description: 'latent', hostname: '10.0.0.99' },
    ]);
    const r = exhibitorConverged(members, ['10.0.0.11']);
    assert.equal(r.ok, false);
    assert.match(r.observation, /10\.0\.0\.99 \(not in the plan\) latent/);
  });

  test('a body that is not an array is an error, not a pass', () => {
    assert.throws(() => parseExhibitorStatus({ error: 'x' }), /not a JSON array/);
  });
});

describe('Mesos metrics', { timeout: 10_000 }, () => {
  test('floats compare numerically, and escaped slashes in keys decode', () => {
    const m = parseMesosMetrics('{"registrar\\/log\\/recovered": 1.0, "master\\/elected": 0.0}');
    assert.deepEqual(metricEquals(m, 'registrar/log/recovered', 1), {
      ok: true,
      observation: 'registrar/log/recovered=1',
    });
    assert.equal(metricEquals(m, 'master/elected', 1).ok, false);
  });

  test('an absent metric is a bad observation that says so', () => {
    assert.deepEqual(metricEquals(parseMesosMetrics({}), 'slave/registered', 1), {
      ok: false,
      observation: 'slave/registered absent from /metrics/snapshot',
    });
  });

  test('a snapshot that is not an object is refused', () => {
    assert.throws(() => parseMesosMetrics([1, 2]), /not a JSON object/);
  });
});

describe('versions, roles, units', { timeout: 10_000 }, () => {
  test('mesos-master --version gives the version from its "mesos X.Y.Z" line', () => {
    assert.equal(parseMesosVersion('mesos 1.10.1\n'), '1.10.1');
    assert.equal(parseMesosVersion('WARNING: Logging before InitGoogleLogging()\nmesos 1.9.1'), '1.9.1');
    assert.equal(parseMesosVersion('command not found'), undefined);
  });

  test('dcos-version.json gives the installed version, and garbage is an error', () => {
    assert.equal(parseDcosVersion('{"version": "2.1.4", "dcos-image-commit": "abc", "bootstrap-id": "x"}'), '2.1.4');
    assert.throws(() => parseDcosVersion('<html>'), /not JSON/);
    assert.throws(() => parseDcosVersion('{"foo": 1}'), /no "version"/);
  });

  test('roles come sorted from ls output', () => {
    assert.deepEqual(parseRoles('slave_public\nmaster\n'), ['master', 'slave_public']);
    assert.deepEqual(parseRoles(''), []);
  });

  test('systemctl is-active prints one state per line', () => {
    assert.equal(parseSystemctlIsActive('active\n'), 'active');
    assert.equal(parseSystemctlIsActive('\nactivating\n'), 'activating');
    assert.equal(parseSystemctlIsActive(''), 'no answer');
  });
});

const PIPE = `+----+-----------------+---------+---------------------+---------------------+------------------+-----------------------+--------+--------------------+------------------------+
| id |     address     |  build  |     updated_at      |     started_at      | replicas_leaders | replicas_leaseholders | ranges | ranges_unavailable | ranges_underreplicated |
+----+-----------------+---------+---------------------+---------------------+------------------+-----------------------+--------+--------------------+------------------------+
|  1 | 10.0.0.11:26257 | v2.1.11 | 2020-07-01 10:00:00 | 2020-07-01 09:00:00 |                8 |                     8 |     24 |                  0 |                      0 |
|  2 | 10.0.0.12:26257 | v2.1.11 | 2020-07-01 10:00:00 | 2020-07-01 09:00:00 |                8 |                     8 |     24 |                  0 |                      4 |
|  3 | 10.0.0.13:26257 | v2.1.11 | 2020-07-01 10:00:00 | 2020-07-01 09:00:00 |                8 |                     8 |     24 |                  0 |                      0 |
+----+-----------------+---------+---------------------+---------------------+------------------+-----------------------+--------+--------------------+------------------------+
(3 rows)
`;

describe('cockroach node status --ranges', { timeout: 10_000 }, () => {
  test('a pipe table is read by header name and any under-replicated row fails', () => {
    const t = parseCockroachTable(PIPE);
    assert.equal(t.format, 'pipe');
    assert.equal(t.rows.length, 3);
    assert.equal(t.rows[1]!.ranges_underreplicated, '4');
    assert.deepEqual(cockroachReplicated(PIPE), {
      ok: false,
      observation: 'ranges_underreplicated 4 (node 2: 4) on 3 nodes',
    });
  });

  test('TSV with an "N rows" line first, columns in another order, all zero passes', () => {
    const tsv =
      '2 rows\nid\tranges_underreplicated\taddress\tis_live\n1\t0\t10.0.0.11:26257\ttrue\n2\t0\t10.0.0.12:26257\ttrue\n';
    assert.equal(parseCockroachTable(tsv).format, 'tsv');
    assert.deepEqual(cockroachReplicated(tsv), { ok: true, observation: 'ranges_underreplicated 0 on 2 nodes' });
  });

  test('CSV with quoted cells is read, and a dead node fails even with zero ranges', () => {
    const csv =
      'id,address,build,ranges_underreplicated,is_live\n1,10.0.0.11:26257,"v19.2,x",0,true\n2,10.0.0.12:26257,v19.2,0,false\n';
    const t = parseCockroachTable(csv);
    assert.equal(t.format, 'csv');
    assert.equal(t.rows[0]!.build, 'v19.2,x');
    assert.deepEqual(cockroachReplicated(csv), { ok: false, observation: 'not live: node 2 on 2 nodes' });
  });

  test('the 19.x table form without outer pipes is read', () => {
    const table =
      '  id |     address     | ranges_underreplicated\n+----+-----------------+----\n   1 | 10.0.0.11:26257 | 0\n(1 row)\n';
    assert.deepEqual(cockroachReplicated(table), { ok: true, observation: 'ranges_underreplicated 0 on 1 node' });
  });

  test('output without the column (an error message) is a bad observation that quotes it', () => {
    const r = cockroachReplicated('Error: cannot dial server.\nIs the server running?');
    assert.equal(r.ok, false);
    assert.match(r.observation, /no ranges_underreplicated column in: Error: cannot dial server/);
  });
});

describe('the generator URL line', { timeout: 10_000 }, () => {
  const url = 'http://10.0.0.2:8080/upgrade/0123456789abcdef0123456789abcdef/dcos_node_upgrade.sh';

  test('"Node upgrade script URL:" is found by prefix with lines after it (Enterprise 2.x)', () => {
    const out = `Extracting image\n====> EXECUTING UPGRADE SCRIPT GENERATION\nNode upgrade script URL: ${url}\n====> DONE\n====> cleanup\n`;
    assert.deepEqual(parseNodeScriptUrl(out), { url });
  });

  test('"Node patch script URL:" is accepted, behind a log prefix and colours, and the last line wins', () => {
    const older = url.replace('0123', '9999');
    const out = `Node upgrade script URL: ${older}\n\x1b[1m2020-07-01 INFO Node patch script URL: ${url}\x1b[0m\n`;
    assert.deepEqual(parseNodeScriptUrl(out), { url });
  });

  test('no URL line says so', () => {
    const r = parseNodeScriptUrl('====> Configuration validation failed');
    assert.ok('problem' in r);
    assert.match(r.problem, /no line starting with "Node upgrade script URL:"/);
  });

  test('a URL that is not http(s) or does not end in dcos_node_upgrade.sh is refused', () => {
    const a = parseNodeScriptUrl('Node upgrade script URL: ftp://x/dcos_node_upgrade.sh');
    assert.ok('problem' in a && /not http/.test(a.problem));
    const b = parseNodeScriptUrl('Node upgrade script URL: http://x/upgrade/abc/other.sh');
    assert.ok('problem' in b && /does not end in dcos_node_upgrade.sh/.test(b.problem));
  });
});

describe('Mesos /state', { timeout: 10_000 }, () => {
  const agentId = 'S1';
  const leader = {
    pid: 'master@10.0.0.11:5050',
    leader: 'master@10.0.0.11:5050',
    slaves: [{ id: agentId, pid: 'slave(1)@10.0.1.5:5051', hostname: '10.0.1.5', port: 5051, active: true }],
    frameworks: [
      {
        tasks: [
          { id: 'a', slave_id: agentId, state: 'TASK_RUNNING' },
          { id: 'b', slave_id: agentId, state: 'TASK_RUNNING' },
          { id: 'c', slave_id: 'other', state: 'TASK_STAGING' },
        ],
        unreachable_tasks: [],
        completed_tasks: [],
      },
    ],
  };

  test('the leader is found from a follower and recognised on itself', () => {
    assert.deepEqual(leaderOfState({ pid: 'master@10.0.0.12:5050', leader: 'master@10.0.0.11:5050' }), {
      address: '10.0.0.11',
      port: 5050,
    });
    assert.equal(stateIsLeader(leader), true);
    assert.equal(stateIsLeader({ ...leader, pid: 'master@10.0.0.12:5050' }), false);
  });

  test('an active agent whose tasks all run is reconciled (other agents do not count)', () => {
    assert.deepEqual(agentTasksReconciled(leader, { address: '10.0.1.5', port: 5051 }), {
      ok: true,
      observation: 'agent active, 2/2 tasks TASK_RUNNING',
    });
  });

  test('an unreachable or staging task, an inactive or unknown agent is not reconciled', () => {
    const st = structuredClone(leader);
    st.frameworks[0]!.tasks[1]!.state = 'TASK_UNREACHABLE';
    assert.deepEqual(agentTasksReconciled(st, { address: '10.0.1.5', port: 5051 }), {
      ok: false,
      observation: 'agent active, 1/2 tasks TASK_RUNNING; 1 TASK_UNREACHABLE',
    });
    const inactive = structuredClone(leader);
    inactive.slaves[0]!.active = false;
    assert.match(agentTasksReconciled(inactive, { address: '10.0.1.5', port: 5051 }).observation, /not active/);
    assert.match(
      agentTasksReconciled(leader, { address: '10.0.1.9', port: 5051 }).observation,
      /not registered with the leading master/
    );
  });
});

test('tail keeps the last lines within the byte limit', () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
  assert.equal(tail(text, 2), 'line 98\nline 99');
  assert.equal(tail('x'.repeat(100), 5, 10).length, 10);
});
