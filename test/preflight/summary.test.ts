import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PER_HOST_PASSES_UP_TO, summarizePasses } from '../../src/preflight/summary';
import type { PreflightFinding } from '../../src/shared/activity-types';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `agent-10.0.${Math.floor(i / 250)}.${i % 250}`);
const perHost = (ids: string[]): PreflightFinding[] =>
  ids.flatMap((host) => [
    { check: 'ssh-reachable', host, status: 'pass' as const, message: 'SSH login works' },
    { check: 'systemd', host, status: 'pass' as const, message: 'systemd 219' },
  ]);

test('at 1,000 hosts the passing per-host checks are one finding per check; warnings, failures and cluster checks stay', {
  timeout: 10_000,
}, () => {
  const ids = hosts(1_000);
  const findings: PreflightFinding[] = [
    ...perHost(ids),
    { check: 'systemd', host: ids[7], status: 'fail', message: 'systemd 218' },
    { check: 'ipset', host: ids[9], status: 'warn', message: 'no ipset' },
    { check: 'mesos-leader', status: 'pass', message: 'one leader' },
  ];
  const out = summarizePasses(findings, ids.length);
  assert.deepEqual(out, [
    { check: 'ssh-reachable', status: 'pass', message: `passed on 1000 hosts (e.g. ${ids[0]}: SSH login works)` },
    { check: 'systemd', status: 'pass', message: `passed on 1000 hosts (e.g. ${ids[0]}: systemd 219)` },
    { check: 'systemd', host: ids[7], status: 'fail', message: 'systemd 218' },
    { check: 'ipset', host: ids[9], status: 'warn', message: 'no ipset' },
    { check: 'mesos-leader', status: 'pass', message: 'one leader' },
  ]);
  assert.ok(JSON.stringify(out).length < 1_000, `${JSON.stringify(out).length} bytes`);
});

test(`up to ${PER_HOST_PASSES_UP_TO} hosts every finding is kept per host`, { timeout: 10_000 }, () => {
  const findings = perHost(hosts(PER_HOST_PASSES_UP_TO));
  assert.deepEqual(summarizePasses(findings, PER_HOST_PASSES_UP_TO), findings);
});
