/**
 * Exact decisions, without Temporal: every question has an id and an answer names it (a late or
 * repeated answer to an older question is refused, never applied to a newer one); agents that
 * failed within the budget can be retried while the patch runs, and before the agent phase ends
 * the patch asks once about them; setPolicy changes gate timings live, within the plan's bounds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeResult } from '../../src/shared/status';
import { PatchState } from '../../src/workflows/patch-state';
import { fakePlan } from '../helpers/fake-plan';

function fresh(opts: Parameters<typeof fakePlan>[0] = {}): PatchState {
  return PatchState.begin(fakePlan({ masters: 3, agents: 4, ...opts }), 'wf-1');
}

function failed(node: string, attempt = 1): NodeResult {
  return {
    node,
    role: 'agent',
    outcome: 'failed',
    attempt,
    summary: 'script exited 3',
    gates: [],
    startedAtMs: 0,
    finishedAtMs: 0,
  };
}

/** A master fails on `attempt` and its question opens; returns the question's id. */
function masterFails(s: PatchState, id: string): string {
  const m = s.plan.masters.find((x) => x.id === id)!;
  s.nodeStarted(m);
  s.nodeFinished(m, { ...failed(m.id), role: 'master' });
  s.masterFailed(m.id);
  return s.status.pending.find((p) => p.subject === id)!.id;
}

describe('decisions name their question', { timeout: 10_000 }, () => {
  test('each question gets its own id, shown in the status and in the decide command', () => {
    const s = fresh();
    const m = s.plan.masters[0]!.id;
    const q1 = masterFails(s, m);
    assert.match(q1, /^q\d+$/);
    assert.match(s.status.activity, new RegExp(`decide wf-1 ${m} retry\\|abort --question ${q1}`));
    s.decide({ subject: m, decision: 'retry', question: q1 });
    const q2 = masterFails(s, m);
    assert.notEqual(q2, q1, 'a new failure is a new question');
  });

  test('a late or repeated answer to an older question is refused, not applied to the newer one', () => {
    const s = fresh();
    const m = s.plan.masters[0]!.id;
    const q1 = masterFails(s, m);
    assert.equal(s.decisionProblem({ subject: m, decision: 'retry', question: q1 }), undefined);
    s.decide({ subject: m, decision: 'retry', question: q1 });
    const q2 = masterFails(s, m);
    const repeated = s.decisionProblem({ subject: m, decision: 'retry', question: q1 });
    assert.match(repeated!, new RegExp(`question ${q1} was already answered \\(retry for ${m}\\)`));
    assert.match(repeated!, new RegExp(`the open question on ${m} is ${q2}`));
    assert.equal(s.decisionProblem({ subject: m, decision: 'abort', question: q2 }), undefined);
  });

  test('an answer that names no question, or one that does not exist, is refused with the open one', () => {
    const s = fresh();
    const m = s.plan.masters[0]!.id;
    const q1 = masterFails(s, m);
    assert.match(
      s.decisionProblem({ subject: m, decision: 'retry' })!,
      new RegExp(`name the question you answer: ${q1} \\(${m}`)
    );
    assert.match(s.decisionProblem({ subject: m, decision: 'retry', question: 'q999' })!, /no question q999/);
    const other = s.plan.masters[1]!.id;
    assert.match(
      s.decisionProblem({ subject: other, decision: 'retry', question: q1 })!,
      new RegExp(`question ${q1} is about ${m}, not ${other}`)
    );
    assert.match(s.decisionProblem({ subject: m, decision: 'retry', question: 7 } as never)!, /question must be/);
  });

  test('question ids survive a continue-as-new: the next run never reuses one', () => {
    const s = fresh();
    const m = s.plan.masters[0]!.id;
    const q1 = masterFails(s, m);
    s.decide({ subject: m, decision: 'retry', question: q1 });
    const again = PatchState.resume(s.plan, JSON.parse(JSON.stringify(s.carry())), 'wf-1');
    const q2 = masterFails(again, m);
    assert.notEqual(q2, q1);
    assert.match(again.decisionProblem({ subject: m, decision: 'retry', question: q1 })!, /already answered/);
  });
});

describe('agents that failed within the failure budget', { timeout: 10_000 }, () => {
  function agentFailsWithinBudget(s: PatchState, idx = 0): string {
    const a = s.agents()[idx]!;
    s.nodeStarted(a);
    s.nodeFinished(a, failed(a.id));
    s.agentFailed(a.id);
    assert.equal(s.status.pending.length, 0, 'within the budget nothing is asked');
    return a.id;
  }

  test('can be retried while the patch runs, naming the failed attempt; a repeat is refused', () => {
    const s = fresh({ policy: { agentFailureBudget: 2 } });
    s.enterPhase('agents');
    const a = agentFailsWithinBudget(s);
    const retryId = s.node(a).retryQuestion!;
    assert.match(retryId, /^q\d+$/, 'the failed agent carries the id a retry names');
    assert.equal(s.decisionProblem({ subject: a, decision: 'retry', question: retryId }), undefined);
    assert.match(s.decisionProblem({ subject: a, decision: 'skip', question: retryId })!, /retry is the only decision/);
    s.decide({ subject: a, decision: 'retry', question: retryId });
    assert.equal(s.node(a).state, 'pending');
    assert.equal(s.node(a).retryQuestion, undefined);
    assert.match(s.decisionProblem({ subject: a, decision: 'retry', question: retryId })!, /already answered/);
  });

  test('a retry is refused for a node that did not fail, and outside the agent phase', () => {
    const s = fresh({ policy: { agentFailureBudget: 2 } });
    s.enterPhase('agents');
    const a = agentFailsWithinBudget(s);
    const retryId = s.node(a).retryQuestion!;
    s.enterPhase('postflight');
    assert.match(
      s.decisionProblem({ subject: a, decision: 'retry', question: retryId })!,
      /only during the agent phase/
    );
  });

  test('before the agent phase ends, it asks once: retry them / finish', () => {
    const s = fresh({ policy: { agentFailureBudget: 2 } });
    s.enterPhase('agents');
    const a1 = agentFailsWithinBudget(s, 0);
    const a2 = agentFailsWithinBudget(s, 1);
    assert.equal(s.askAboutFailedAgents(), true);
    const q = s.status.pending.find((p) => p.subject === 'agents')!;
    assert.equal(q.kind, 'agents-failed');
    assert.deepEqual(q.allowed, ['retry', 'finish', 'abort']);
    assert.match(q.reason, /2 agents failed within the budget/);
    assert.equal(s.askAboutFailedAgents(), false, 'asked once');
    s.decide({ subject: 'agents', decision: 'retry', question: q.id });
    assert.deepEqual([s.node(a1).state, s.node(a2).state], ['pending', 'pending']);
    // They fail again: the patch asks again (a new round), and `finish` ends the phase.
    for (const [i, id] of [a1, a2].entries()) {
      const spec = s.agents()[i]!;
      s.nodeStarted(spec);
      s.nodeFinished(spec, failed(id, 2));
      s.agentFailed(id);
    }
    assert.equal(s.askAboutFailedAgents(), true);
    const q2 = s.status.pending.find((p) => p.subject === 'agents')!;
    s.decide({ subject: 'agents', decision: 'finish', question: q2.id });
    assert.equal(s.askAboutFailedAgents(), false, 'finish is final');
    assert.equal(s.node(a1).state, 'failed');
  });

  test('no closing question when no agent failed, or when aborting', () => {
    const s = fresh({ policy: { agentFailureBudget: 2 } });
    s.enterPhase('agents');
    assert.equal(s.askAboutFailedAgents(), false);
    agentFailsWithinBudget(s);
    s.requestAbort('stop');
    assert.equal(s.askAboutFailedAgents(), false);
  });
});

describe('setPolicy changes gate timings live', { timeout: 10_000 }, () => {
  test('the timings in force start as the plan’s and change for the nodes started after', () => {
    const s = fresh();
    assert.deepEqual(s.gates(), s.plan.policy.gates);
    assert.equal(s.policyProblem({ gates: { pollIntervalMs: 2_000, stablePolls: 2 } }), undefined);
    const policy = s.changePolicy({ gates: { pollIntervalMs: 2_000, stablePolls: 2 } });
    assert.equal(policy.gates.pollIntervalMs, 2_000);
    assert.equal(s.gates().stablePolls, 2);
    assert.equal(s.gates().exhibitorTimeoutMs, s.plan.policy.gates.exhibitorTimeoutMs, 'the rest unchanged');
  });

  test('refused: unknown gate keys, wrong types, values out of the plan check’s bounds, the agent window', () => {
    const s = fresh();
    assert.match(s.policyProblem({ gates: { pollInterval: 5 } } as never)!, /unknown gate timing pollInterval/);
    assert.match(
      s.policyProblem({ gates: { pollIntervalMs: '5s' } } as never)!,
      /gates.pollIntervalMs must be a whole number of milliseconds from 50 to 600000/
    );
    assert.match(s.policyProblem({ gates: { scriptTimeoutMs: 100 } })!, /gates.scriptTimeoutMs must be .* from 500/);
    assert.match(
      s.policyProblem({ gates: { stablePolls: 0 } })!,
      /gates.stablePolls must be a whole number from 1 to 100/
    );
    assert.match(
      s.policyProblem({ gates: { agentWindowMs: 60_000 } } as never)!,
      /agentWindowMs is the masters' agent ping timeout/
    );
    assert.match(s.policyProblem({ gates: [] } as never)!, /gates is an object/);
    assert.match(s.policyProblem({ gates: {} })!, /names nothing to change/);
  });
});

describe('the closing question and a single retry', { timeout: 10_000 }, () => {
  test('retrying the last failed agent by its own id withdraws the closing question', () => {
    const s = fresh({ policy: { agentFailureBudget: 2 } });
    s.enterPhase('agents');
    const a = s.agents()[0]!;
    s.nodeStarted(a);
    s.nodeFinished(a, failed(a.id));
    s.agentFailed(a.id);
    assert.equal(s.askAboutFailedAgents(), true);
    s.decide({ subject: a.id, decision: 'retry', question: s.node(a.id).retryQuestion });
    assert.deepEqual(s.status.pending, [], 'nothing left to ask');
    assert.equal(s.node(a.id).state, 'pending');
  });
});
