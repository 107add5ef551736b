/**
 * The health baseline without Temporal: preflight's findings of what was already broken become the
 * baseline (an inactive agent left as found, unhealthy apps not counted), strict keeps them
 * failures, and app health reads Marathon's counts as Marathon means them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cockroachReplicated } from '../../src/activities/parsers';
import {
  appProblem,
  evaluateAppHealth,
  evaluateCockroach,
  parseAppHealth,
  regressions,
} from '../../src/preflight/workloads';
import { PatchState } from '../../src/workflows/patch-state';
import { fakePlan } from '../helpers/fake-plan';

function withFindings(health: 'baseline' | 'strict') {
  const s = PatchState.begin(fakePlan({ masters: 1, agents: 2, policy: { health } }), 'wf-1');
  const agent = s.agents()[1]!.id;
  s.preflightFound([
    { check: 'agents-registered', host: agent, status: 'fail', message: 'not registered' },
    { check: 'marathon-apps-healthy', status: 'warn', message: 'not healthy: /a', baseline: ['/a'] },
  ]);
  return { s, agent };
}

describe('the health baseline', { timeout: 10_000 }, () => {
  test('baseline: an inactive agent is left as found, not a failure; unhealthy apps are recorded', () => {
    const { s, agent } = withFindings('baseline');
    assert.deepEqual(s.failingPreflight(), []);
    assert.equal(s.node(agent).state, 'skipped');
    assert.match(s.node(agent).note!, /inactive before the patch \(the baseline\): left as found/);
    assert.deepEqual(s.status.baseline?.agentsInactive, [agent]);
    assert.deepEqual(s.status.baseline?.appsUnhealthy, ['/a']);
  });

  test('a preflight retried once the agent is back patches it after all', () => {
    const { s, agent } = withFindings('baseline');
    s.preflightFound([{ check: 'agents-registered', host: agent, status: 'pass', message: 'registered' }]);
    assert.equal(s.node(agent).state, 'pending');
    assert.deepEqual(s.status.baseline?.agentsInactive, []);
    assert.equal(s.status.baseline?.appsUnknown, true, 'no app health reported: no workloads gate');
  });

  test('strict: the inactive agent fails the preflight; no baseline', () => {
    const { s } = withFindings('strict');
    assert.deepEqual(
      s.failingPreflight().map((f) => f.check),
      ['agents-registered']
    );
    assert.equal(s.status.baseline, undefined);
  });

  test('more than half the agents inactive is an outage, not a baseline: the preflight fails', () => {
    const s = PatchState.begin(fakePlan({ masters: 1, agents: 3, policy: { health: 'baseline' } }), 'wf-1');
    const [a1, a2] = s.agents();
    s.preflightFound([
      { check: 'agents-registered', host: a1!.id, status: 'fail', message: 'not registered' },
      { check: 'agents-registered', host: a2!.id, status: 'fail', message: 'not registered' },
    ]);
    assert.equal(s.failingPreflight().length, 2);
    assert.deepEqual(s.status.baseline?.agentsInactive, []);
    assert.equal(s.node(a1!.id).state, 'pending');
  });

  test('app health: instances running, and health checks passing where there are any', () => {
    const apps = parseAppHealth({
      apps: [
        { id: '/ok', instances: 2, tasksRunning: 2, tasksHealthy: 2, tasksUnhealthy: 0, healthChecks: [{}] },
        { id: '/short', instances: 2, tasksRunning: 1, tasksHealthy: 1, tasksUnhealthy: 0, healthChecks: [{}] },
        { id: '/sick', instances: 1, tasksRunning: 1, tasksHealthy: 0, tasksUnhealthy: 1, healthChecks: [{}] },
        { id: '/nochecks', instances: 1, tasksRunning: 1, tasksHealthy: 0, tasksUnhealthy: 0, healthChecks: [] },
      ],
    });
    assert.deepEqual(apps.map(appProblem), [undefined, '1/2 running', '0/1 passing health checks', undefined]);
    assert.deepEqual(regressions(apps, ['/short']), ['/sick (0/1 passing health checks)']);
    assert.deepEqual(
      regressions(apps, [], true),
      ['/sick (1 task(s) failing health checks)'],
      'agents in flight: checks only'
    );
    const f = evaluateAppHealth(apps);
    assert.equal(f.status, 'warn');
    assert.deepEqual(f.baseline, ['/short', '/sick']);
  });

  test('CockroachDB: the gate allows the baseline of under-replicated ranges, never more; the preflight records it', () => {
    const table = (under: number[], unavailable = 0) =>
      `id\taddress\tranges_unavailable\tranges_underreplicated\tis_live\n${under
        .map((u, i) => `${i + 1}\t10.0.0.1${i}:26257\t${i === 0 ? unavailable : 0}\t${u}\ttrue`)
        .join('\n')}\n`;
    assert.equal(cockroachReplicated(table([0, 0, 0])).ok, true);
    assert.equal(cockroachReplicated(table([2, 0, 0])).ok, false, 'strict: 0 allowed');
    assert.equal(cockroachReplicated(table([1, 1, 0]), 2).ok, true);
    assert.match(cockroachReplicated(table([1, 1, 0]), 2).observation, /2 before the patch, not counted/);
    assert.equal(cockroachReplicated(table([2, 1, 0]), 2).ok, false, 'one more than before');
    assert.equal(cockroachReplicated(table([1, 0, 0], 1), 5).ok, false, 'an unavailable range is never a baseline');
    const seen = { ok: true as const, text: table([2, 0, 0]), master: 'master-10.0.0.11' };
    assert.deepEqual(
      [evaluateCockroach(seen, 'baseline').status, evaluateCockroach(seen, 'baseline').figure],
      ['warn', 2]
    );
    assert.equal(evaluateCockroach(seen, 'strict').status, 'fail');
    assert.equal(evaluateCockroach({ ...seen, text: table([0, 0, 0], 1) }, 'baseline').status, 'fail');
    const s = PatchState.begin(fakePlan({ masters: 1, agents: 1, policy: { health: 'baseline' } }), 'wf-1');
    s.preflightFound([{ ...evaluateCockroach(seen, 'baseline') }]);
    assert.equal(s.status.baseline?.cockroachUnderreplicated, 2);
    assert.deepEqual(s.failingPreflight(), []);
  });
});
