// nodeStateFrom: the config verdict, computed once per (installed config, new config) pair per worker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeStateFrom } from '../../src/activities/node';

const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: '' });
const version = ok('{"version": "2.1.4", "dcos-image-commit": "abc", "bootstrap-id": "def"}');
const roles = ok('master\n');

describe('the installed config against the new one', { timeout: 10_000 }, () => {
  test('the same pair gives the same verdict again; another text is compared afresh; an unusable new config always throws', () => {
    const installed = ok('cluster_name: prod\ndns_search: corp\n');
    const same = { path: '/genconf/config.yaml', text: 'cluster_name: prod\ndns_search: corp\n' };
    const other = { path: '/genconf/config.yaml', text: 'cluster_name: prod\ndns_search: other\n' };
    assert.equal(nodeStateFrom('m1', version, roles, installed, same).configMatches, true);
    assert.equal(nodeStateFrom('m2', version, roles, installed, same).configMatches, true);
    assert.equal(nodeStateFrom('m3', version, roles, installed, other).configMatches, false);
    assert.equal(
      nodeStateFrom('m4', version, roles, ok('cluster_name: prod\ndns_search: other\n'), other).configMatches,
      true
    );
    const broken = { path: '/genconf/config.yaml', text: '- not\n- a mapping\n' };
    for (const host of ['m5', 'm6'])
      assert.throws(() => nodeStateFrom(host, version, roles, installed, broken), /not usable/);
  });
});
