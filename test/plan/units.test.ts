/**
 * The small pure pieces: durations, release paths, the config comparison, "did you mean".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffConfigs, displayConfigValue, sameConfigValue } from '../../src/plan/config-yaml';
import { formatDuration, parseDuration } from '../../src/plan/durations';
import { suggest } from '../../src/plan/fields';
import { isPathKey, looksSecret } from '../../src/plan/rules';
import { classifyPatchPath, isAtLeast, parseRelease } from '../../src/plan/versions';

describe('durations are a whole number and one unit, or milliseconds', () => {
  const good: [unknown, number][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    [250, 250],
    [0, 0],
  ];
  for (const [input, ms] of good) {
    test(`${JSON.stringify(input)} is ${ms} ms`, { timeout: 30_000 }, () =>
      assert.deepEqual(parseDuration(input), { ok: true, ms })
    );
  }
  const bad: unknown[] = ['5 minutes', '1.5s', '-5s', '500', '5d', '', true, null, -1, 1.5, ['5s']];
  for (const input of bad) {
    test(`${JSON.stringify(input)} is refused with a reason`, { timeout: 30_000 }, () => {
      const r = parseDuration(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.problem.length > 10);
    });
  }
  test('formatDuration prints the shortest exact unit', { timeout: 30_000 }, () => {
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(1_500), '1500ms');
    assert.equal(formatDuration(7_200_000), '2h');
  });
});

describe('patch paths', () => {
  const path = (a: string, b: string) => classifyPatchPath(parseRelease(a)!, parseRelease(b)!);
  test('the next patch of the same minor', { timeout: 30_000 }, () =>
    assert.deepEqual(path('2.1.4', '2.1.5'), { kind: 'next' })
  );
  test('the identical release', { timeout: 30_000 }, () => assert.deepEqual(path('2.1.4', '2.1.4'), { kind: 'same' }));
  test('a later patch names the releases skipped', { timeout: 30_000 }, () =>
    assert.deepEqual(path('2.1.2', '2.1.5'), { kind: 'skips', skipped: ['2.1.3', '2.1.4'] })
  );
  test('a minor change', { timeout: 30_000 }, () => assert.deepEqual(path('2.0.9', '2.1.0'), { kind: 'minor-change' }));
  test('a major change', { timeout: 30_000 }, () =>
    assert.deepEqual(path('1.13.9', '2.0.0'), { kind: 'major-change' })
  );
  test('a downgrade across minors is still a downgrade', { timeout: 30_000 }, () =>
    assert.deepEqual(path('2.1.0', '2.0.9'), { kind: 'downgrade' })
  );
  test('1.10 sorts after 1.9', { timeout: 30_000 }, () => {
    assert.ok(isAtLeast('1.10.0', '1.9'));
    assert.ok(!isAtLeast('1.11.5', '1.12'));
    assert.equal(parseRelease('2.1'), undefined);
  });
});

describe('config.yaml is compared by meaning', () => {
  test('gen stringifies scalars: false equals "false", 5 equals "5"', { timeout: 30_000 }, () => {
    assert.ok(sameConfigValue(false, 'false'));
    assert.ok(sameConfigValue(5, '5'));
    assert.ok(!sameConfigValue('true', 'yes'));
  });
  test('mapping order does not matter, list order does', { timeout: 30_000 }, () => {
    assert.ok(sameConfigValue({ a: 1, b: 2 }, { b: 2, a: 1 }));
    assert.ok(!sameConfigValue(['8.8.8.8', '8.8.4.4'], ['8.8.4.4', '8.8.8.8']));
  });
  test('diffConfigs names added, removed and changed keys', { timeout: 30_000 }, () => {
    assert.deepEqual(
      diffConfigs({ a: 1, b: 2 }, { b: 3, c: 4 }).map((c) => `${c.change}:${c.key}`),
      ['removed:a', 'changed:b', 'added:c']
    );
  });
  test('secret-looking keys are masked, whatever their value', { timeout: 30_000 }, () => {
    for (const k of ['exhibitor_admin_password', 'aws_secret_access_key', 'license_key_contents', 'aws_region']) {
      assert.ok(looksSecret(k), k);
      assert.equal(displayConfigValue(k, 'value'), '(masked)');
    }
    assert.equal(displayConfigValue('dns_search', 'example.com'), 'example.com');
  });
  test('path keys: the known list and the suffixes', { timeout: 30_000 }, () => {
    for (const k of ['bootstrap_url', 'exhibitor_fs_config_dir', 'ip6_detect_filename', 'mesos_agent_work_dir']) {
      assert.ok(isPathKey(k), k);
    }
    assert.ok(!isPathKey('dns_search'));
  });
});

describe('"did you mean"', () => {
  test('case and separators are ignored', { timeout: 30_000 }, () =>
    assert.equal(suggest('private_key', ['privateKey', 'port']), 'privateKey')
  );
  test('small typos are matched', { timeout: 30_000 }, () =>
    assert.equal(suggest('knwonHosts', ['knownHosts', 'user']), 'knownHosts')
  );
  test('unrelated names get no suggestion', { timeout: 30_000 }, () =>
    assert.equal(suggest('colour', ['user', 'port']), undefined)
  );
});
