/**
 * The canary ramp over the agent window, without Temporal: batch widths, widening only once a
 * step's agents all passed, a canary failure asking whatever the budget, the rules of a ramp.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRamp, rampProblem, stepWidth } from '../../src/shared/ramp';
import type { NodeResult } from '../../src/shared/status';
import { PatchState } from '../../src/workflows/patch-state';
import { fakePlan } from '../helpers/fake-plan';

function result(node: string, outcome: NodeResult['outcome']): NodeResult {
  return { node, role: 'agent', outcome, attempt: 1, summary: outcome, gates: [], startedAtMs: 0, finishedAtMs: 0 };
}

function rampState(budget = 0) {
  const s = PatchState.begin(
    fakePlan({
      masters: 1,
      agents: 6,
      policy: { agentConcurrency: 3, agentFailureBudget: budget, agentRamp: [1, 2, '100%'] },
    }),
    'wf-1'
  );
  s.enterPhase('agents');
  return s;
}

function start(s: PatchState, i: number) {
  const a = s.agents()[i]!;
  s.ramp.started(a.id);
  s.nodeStarted(a);
  return a;
}

describe('the canary ramp', { timeout: 10_000 }, () => {
  test('one agent alone, then two at once, then the window; each step only after the one before passed', () => {
    const s = rampState();
    assert.equal(s.ramp.room(0), 1);
    const a1 = start(s, 0);
    assert.equal(s.ramp.room(1), 0, 'the canary runs alone');
    assert.deepEqual(s.ramp.advance(false), [], 'not passed yet');
    s.nodeFinished(a1, result(a1.id, 'patched'));
    assert.match(s.ramp.advance(false)[0]!, /ramp step 1\/3 passed \(agent-10\.0\.1\.1\)/);
    assert.equal(s.ramp.room(0), 2);
    const a2 = start(s, 1);
    const a3 = start(s, 2);
    assert.equal(s.ramp.room(2), 0);
    s.nodeFinished(a2, result(a2.id, 'patched'));
    assert.equal(s.ramp.room(1), 0, 'a batch: the next step waits for every agent of this one');
    assert.deepEqual(s.ramp.advance(false), []);
    s.nodeFinished(a3, result(a3.id, 'patched'));
    s.ramp.advance(false);
    assert.equal(s.ramp.room(0), 3, 'the last step: the sliding window, capped by agentConcurrency');
    assert.equal(s.ramp.describe(), undefined);
  });

  test('a canary that fails asks whatever the failure budget', () => {
    const s = rampState(5);
    const a1 = start(s, 0);
    s.nodeFinished(a1, result(a1.id, 'failed'));
    s.agentFailed(a1.id);
    const q = s.status.pending.find((p) => p.subject === a1.id)!;
    assert.match(
      q.reason,
      /a canary of the ramp step 1\/3: 1 at once, 1 started; the ramp stops whatever the failure budget/
    );
    assert.deepEqual(q.allowed, ['retry', 'skip', 'abort']);
    assert.equal(s.ramp.room(0), 0, 'nothing starts while it asks');
    s.decide({ subject: a1.id, decision: 'retry', question: q.id });
    assert.equal(s.ramp.room(0), 1, 'the retried canary may start again');
    start(s, 0);
    assert.equal(s.ramp.room(1), 0, 'and only it');
  });

  test('past the canary steps, failures count against the budget as before', () => {
    const s = rampState(5);
    s.changePolicy({ agentRamp: ['50%'] });
    const a1 = start(s, 0);
    s.nodeFinished(a1, result(a1.id, 'failed'));
    s.agentFailed(a1.id);
    assert.equal(s.status.pending.length, 0);
    assert.equal(s.ramp.room(0), 3, '50% of 6 agents');
  });

  test('widths: numbers and percentages of all agents, rounded up, capped by the concurrency', () => {
    assert.equal(stepWidth(5, 100, 10), 5);
    assert.equal(stepWidth('20%', 100, 10), 10);
    assert.equal(stepWidth('1%', 30, 10), 1);
    assert.equal(stepWidth('20%', 12, 10), 3);
    assert.match(describeRamp([1, 5, '20%'], 100, 10), /^1 → 5 → 20% \(10\), .*then sliding 10 at once$/);
  });

  test('a ramp is a short list of widths or percentages', () => {
    assert.equal(rampProblem([1, 5, '20%'], 1000), undefined);
    assert.match(rampProblem([0], 1000)!, /step 0 is neither/);
    assert.match(rampProblem(['120%'], 1000)!, /"120%"/);
    assert.match(rampProblem('1,5', 1000)!, /must be a list/);
    assert.match(rampProblem(Array(11).fill(1), 1000)!, /at most 10 steps/);
    const s = rampState();
    assert.match(s.policyProblem({ agentRamp: [1, 'x'] } as never)!, /agentRamp step "x"/);
    assert.equal(s.policyProblem({ agentRamp: [] }), undefined, 'an empty ramp removes it');
  });
});
