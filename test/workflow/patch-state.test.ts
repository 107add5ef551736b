/**
 * The patch state's transitions, driven without Temporal: questions and decisions, pause and
 * abort, the failure budget, what a node's result does to its status, and how a patch ends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeResult } from '../../src/shared/status';
import { closePatch } from '../../src/workflows/patch-outcome';
import { type PatchEffects, PatchState } from '../../src/workflows/patch-state';
import { fakePlan } from '../helpers/fake-plan';

function fresh(opts: Parameters<typeof fakePlan>[0] = {}, effects: PatchEffects = {}): PatchState {
  return PatchState.begin(fakePlan({ masters: 3, agents: 4, ...opts }), 'wf-1', effects);
}

function result(node: string, outcome: NodeResult['outcome'], extra: Partial<NodeResult> = {}): NodeResult {
  return {
    node,
    role: 'agent',
    outcome,
    attempt: 1,
    summary: `${outcome} here`,
    gates: [],
    startedAtMs: 0,
    finishedAtMs: 0,
    ...extra,
  };
}

describe('PatchState', { timeout: 10_000 }, () => {
  test('a new patch: every node pending, phase plan, the plan policy in force', () => {
    const s = fresh({ policy: { agentConcurrency: 3 } });
    assert.equal(s.phase, 'plan');
    assert.equal(s.status.nodes.length, 7);
    assert.ok(s.status.nodes.every((n) => n.state === 'pending' && n.attempts === 0));
    assert.equal(s.status.policy.agentConcurrency, 3);
  });

  test('entering a phase tells the effects once, and logs it', () => {
    const phases: string[] = [];
    const s = fresh({}, { phaseEntered: (p) => phases.push(p) });
    s.enterPhase('survey');
    s.enterPhase('survey');
    s.enterPhase('preflight');
    assert.deepEqual(phases, ['survey', 'preflight']);
    assert.equal(s.status.log.filter((l) => l.endsWith('phase survey')).length, 1);
  });

  test('a decision is refused unless its question is open, allowed, and (override) names every failing check', () => {
    const s = fresh();
    assert.match(
      s.decisionProblem({ subject: 'preflight', decision: 'retry' })!,
      /no decision is pending for preflight; waiting on: nothing/
    );
    s.preflightFound([
      { check: 'a', status: 'fail', message: 'x' },
      { check: 'b', status: 'fail', message: 'y' },
      { check: 'c', status: 'pass', message: 'ok' },
    ]);
    const q = s.ask({
      subject: 'preflight',
      kind: 'preflight-failed',
      reason: 'two failed',
      allowed: ['retry', 'override', 'abort'],
    });
    assert.match(
      s.decisionProblem({ subject: 'preflight', decision: 'skip', question: q })!,
      /skip is not allowed here; choose one of retry, override, abort/
    );
    assert.match(
      s.decisionProblem({ subject: 'preflight', decision: 'override', checks: ['a'], question: q })!,
      /not named: b/
    );
    assert.equal(
      s.decisionProblem({ subject: 'preflight', decision: 'override', checks: ['a', 'b'], question: q }),
      undefined
    );
    assert.equal(
      s.decide({ subject: 'preflight', decision: 'override', checks: ['a', 'b'], question: q }),
      `override accepted for preflight (${q})`
    );
    assert.deepEqual(s.failingPreflight(), []);
    assert.equal(s.isAsking('preflight'), false);
    assert.equal(s.decisions.length, 1);
  });

  test('checks overridden in the plan never fail the preflight', () => {
    const s = PatchState.begin({ ...fakePlan(), preflightOverrides: ['a'] }, 'wf-1');
    s.preflightFound([{ check: 'a', status: 'fail', message: 'x' }]);
    assert.deepEqual(s.failingPreflight(), []);
  });

  test('retry of a failed node makes it pending; skip marks it skipped, named as the operator’s', () => {
    const s = fresh();
    const [a1, a2] = s.agents();
    const asked = [a1!, a2!].map((a) => {
      s.nodeStarted(a);
      s.nodeFinished(a, result(a.id, 'failed'));
      return s.ask({ subject: a.id, kind: 'node-failed', reason: 'failed', allowed: ['retry', 'skip', 'abort'] });
    });
    s.decide({ subject: a1!.id, decision: 'retry', question: asked[0] });
    s.decide({ subject: a2!.id, decision: 'skip', question: asked[1] });
    assert.equal(s.node(a1!.id).state, 'pending');
    assert.equal(s.node(a2!.id).state, 'skipped');
    assert.match(s.node(a2!.id).note!, /^skipped by the operator after failing/);
    assert.deepEqual(s.node(a2!.id).decisions, ['skip']);
  });

  test('an abort decision requests the abort once, names its phase, and cancels what is in flight', () => {
    let cancels = 0;
    const s = fresh({}, { abortRequested: () => cancels++ });
    s.enterPhase('masters');
    const q = s.ask({ subject: 'agents', kind: 'approve-agents', reason: 'approve', allowed: ['approve', 'abort'] });
    s.decide({ subject: 'agents', decision: 'abort', question: q });
    s.requestAbort('abort signal');
    assert.equal(cancels, 1);
    assert.equal(s.aborting, true);
    assert.equal(s.abortPhase, 'masters');
  });

  test('pause holds every subject until resume; an abort frees them all', () => {
    const s = fresh();
    s.pause('lunch');
    assert.equal(s.isHeld('master-10.0.0.1'), true);
    s.resume();
    assert.equal(s.isHeld('master-10.0.0.1'), false);
    s.pause();
    s.requestAbort('stop');
    assert.equal(s.isHeld('master-10.0.0.1'), false);
  });

  test('agent failures within the budget go on; the one beyond it asks retry / skip / abort', () => {
    const s = fresh({ policy: { agentFailureBudget: 1 } });
    const [a1, a2] = s.agents();
    s.nodeStarted(a1!);
    s.nodeFinished(a1!, result(a1!.id, 'failed'));
    s.agentFailed(a1!.id);
    assert.equal(s.status.pending.length, 0);
    s.nodeStarted(a2!);
    s.nodeFinished(a2!, result(a2!.id, 'failed'));
    s.agentFailed(a2!.id);
    assert.deepEqual(
      s.status.pending.map((p) => [p.subject, p.allowed]),
      [[a2!.id, ['retry', 'skip', 'abort']]]
    );
    assert.equal(s.node(a2!.id).state, 'waiting-decision');
    assert.match(s.status.pending[0]!.reason, /agent failures 2 > budget 1/);
  });

  test('a master that failed waits for the operator: retry or abort only', () => {
    const s = fresh();
    const m = s.plan.masters[0]!;
    s.nodeStarted(m);
    s.nodeFinished(m, result(m.id, 'failed', { role: 'master' }));
    s.masterFailed(m.id);
    assert.deepEqual(s.status.pending[0]!.allowed, ['retry', 'abort']);
    assert.equal(s.node(m.id).state, 'waiting-decision');
  });

  test('attempts get their own child ids; a retry found at the target after its script ran counts as patched', () => {
    const s = fresh();
    const a = s.agents()[0]!;
    const first = s.nodeStarted(a);
    assert.deepEqual(first, { attempt: 1, workflowId: `wf-1/${a.id}/attempt-1`, earlierAttempts: [] });
    s.nodeFinished(a, result(a.id, 'failed', { script: { exitCode: 0 } as NodeResult['script'] }));
    const second = s.nodeStarted(a);
    assert.deepEqual(second.earlierAttempts, [`wf-1/${a.id}/attempt-1`]);
    s.nodeFinished(a, result(a.id, 'skipped', { attempt: 2 }));
    assert.equal(s.node(a.id).state, 'patched');
    assert.match(s.node(a.id).note!, /by an earlier attempt; verified healthy on attempt 2/);
    assert.deepEqual(
      s.node(a.id).attemptLog!.map((x) => x.outcome),
      ['failed', 'skipped']
    );
  });

  test('a node workflow that ended without a result is failed, or aborted when the patch aborts', () => {
    const s = fresh();
    const [a1, a2] = s.agents();
    s.nodeStarted(a1!);
    s.nodeEnded(a1!, 'child terminated', false);
    assert.equal(s.node(a1!.id).state, 'failed');
    s.requestAbort('stop');
    s.nodeStarted(a2!);
    s.nodeEnded(a2!, 'cancelled', false);
    assert.equal(s.node(a2!.id).state, 'aborted');
  });

  test('setPolicy is refused out of bounds and applied within them', () => {
    const s = fresh();
    assert.match(s.policyProblem({ agentConcurrency: 0 })!, /from 1 to 1000/);
    assert.match(s.policyProblem({ agentConcurrency: 2.5 })!, /whole number/);
    assert.match(s.policyProblem({ agentFailureBudget: 5 })!, /from 0 to 4 \(the number of agents\)/);
    assert.equal(s.policyProblem({ agentConcurrency: 2, agentFailureBudget: 4 }), undefined);
    assert.equal(s.changePolicy({ agentConcurrency: 2 }).agentConcurrency, 2);
  });

  test('setPolicy refuses what is not the policy: unknown keys, wrong types, not an object', () => {
    const s = fresh();
    assert.match(
      s.policyProblem({ agentConcurency: 2 } as never)!,
      /unknown policy key agentConcurency; the keys are agentConcurrency, agentRamp, agentFailureBudget, approveEachMaster, approveBeforeAgents, gates, windows, windowMinNodeMs/
    );
    assert.match(s.policyProblem({ approveEachMaster: 'yes' } as never)!, /approveEachMaster must be true or false/);
    assert.match(s.policyProblem({ agentConcurrency: '4' } as never)!, /agentConcurrency must be a whole number/);
    assert.match(s.policyProblem(null as never)!, /a policy change is an object/);
    assert.match(s.policyProblem([] as never)!, /a policy change is an object/);
    assert.match(s.policyProblem({})!, /names nothing to change/);
  });

  test('decide refuses a malformed answer: subject not a string, checks not a list of names', () => {
    const s = fresh();
    s.preflightFound([{ check: 'a', status: 'fail', message: 'x' }]);
    const q = s.ask({
      subject: 'preflight',
      kind: 'preflight-failed',
      reason: 'failed',
      allowed: ['retry', 'override', 'abort'],
    });
    assert.match(
      s.decisionProblem({ subject: 7, decision: 'retry' } as never)!,
      /subject must be a node id or phase name/
    );
    assert.match(
      s.decisionProblem({ subject: 'preflight', decision: 'override', checks: 'a', question: q } as never)!,
      /checks must be a list of check names/
    );
    assert.match(
      s.decisionProblem({ subject: 'preflight', decision: 'override', checks: [1], question: q } as never)!,
      /checks must be a list of check names/
    );
    assert.equal(
      s.decisionProblem({ subject: 'preflight', decision: 'override', checks: ['a'], question: q }),
      undefined
    );
  });

  test('the survey counts hosts at the target and keeps the reason a host could not be read', () => {
    const s = fresh();
    const [m1, m2] = s.plan.masters;
    assert.equal(s.surveyed(m1!.id, { node: m1!.id, installedVersion: '2.1.5', configMatches: true } as never), true);
    assert.equal(s.surveyed(m2!.id, { node: m2!.id, error: 'ssh refused' }), false);
    assert.match(s.node(m1!.id).note!, /verified through its gates in its turn/);
    assert.equal(s.node(m2!.id).note, 'survey: ssh refused');
  });

  test('the log keeps the newest 60 lines', () => {
    const s = fresh();
    for (let i = 0; i < 100; i++) s.note(`line ${i}`);
    assert.equal(s.status.log.length, 60);
    assert.match(s.status.log.at(-1)!, /line 99$/);
  });

  test('carried over a continue-as-new, the state is the same', () => {
    const s = fresh();
    const a = s.agents()[0]!;
    s.nodeStarted(a);
    s.nodeFinished(a, result(a.id, 'patched'));
    const again = PatchState.resume(s.plan, JSON.parse(JSON.stringify(s.carry())), 'wf-1');
    assert.deepEqual(again.status, s.status);
  });
});

describe('closePatch', { timeout: 10_000 }, () => {
  test('every node patched: succeeded, phase done', () => {
    const s = fresh({ masters: 1, agents: 1 });
    for (const n of s.status.nodes) n.state = 'patched';
    const c = closePatch(s);
    assert.equal(c.failureType, undefined);
    assert.equal(c.report.outcome, 'succeeded');
    assert.equal(s.phase, 'done');
  });

  test('nothing patched, everything already there: nothing-to-do', () => {
    const s = fresh({ masters: 1, agents: 1 });
    for (const n of s.status.nodes) n.state = 'skipped';
    assert.equal(closePatch(s).report.outcome, 'nothing-to-do');
  });

  test('a node failed or skipped after failing: PatchIncomplete naming it', () => {
    const s = fresh({ masters: 1, agents: 2 });
    for (const n of s.status.nodes) n.state = 'patched';
    const [a1, a2] = s.agents();
    Object.assign(s.node(a1!.id), { state: 'failed', note: 'gate' });
    Object.assign(s.node(a2!.id), { state: 'skipped', decisions: ['skip'] });
    const c = closePatch(s);
    assert.equal(c.failureType, 'PatchIncomplete');
    assert.match(c.report.message, /^2 of 3 nodes not patched/);
    assert.equal(s.phase, 'failed');
  });

  test('aborted: PatchAborted naming the phase and the nodes in flight', () => {
    const s = fresh({ masters: 1, agents: 1 });
    s.enterPhase('agents');
    const a = s.agents()[0]!;
    s.nodeStarted(a);
    s.requestAbort('stop');
    s.nodeEnded(a, 'cancelled', true);
    const c = closePatch(s);
    assert.equal(c.failureType, 'PatchAborted');
    assert.match(c.report.message, /^aborted in phase agents after 0 node\(s\) patched; in flight: agent-/);
  });
});
