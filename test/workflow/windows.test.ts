/**
 * Maintenance windows as pure functions: recurring windows in their time zone (overnight, DST),
 * absolute ones, merged back-to-back windows, and whether a node may start given its estimate.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openSpans, windowProblem, windowState } from '../../src/shared/windows';
import { PatchState } from '../../src/workflows/patch-state';
import { nodeEstimateMs, windowHold } from '../../src/workflows/window-gate';
import { fakePlan } from '../helpers/fake-plan';

const at = (iso: string) => Date.parse(iso);
const berlinNights = { days: ['wed' as const], start: '22:00', end: '05:00', timeZone: 'Europe/Berlin' };

describe('maintenance windows', { timeout: 10_000 }, () => {
  test('a recurring window past midnight, in its own time zone', () => {
    assert.deepEqual(windowState([berlinNights], at('2026-12-02T21:30:00Z')), {
      open: true,
      closesAtMs: at('2026-12-03T04:00:00Z'),
    });
    assert.deepEqual(windowState([berlinNights], at('2026-12-03T12:00:00Z')), {
      open: false,
      opensAtMs: at('2026-12-09T21:00:00Z'),
    });
    // Summer time: 22:00 in Berlin is 20:00 UTC.
    assert.deepEqual(windowState([berlinNights], at('2026-07-01T12:00:00Z')), {
      open: false,
      opensAtMs: at('2026-07-01T20:00:00Z'),
    });
  });

  test('a start time that DST skips begins just after the jump', () => {
    const w = { days: ['sun' as const], start: '02:30', end: '04:00', timeZone: 'America/New_York' };
    assert.deepEqual(openSpans([w], at('2026-03-07T00:00:00Z'), at('2026-03-09T00:00:00Z')), [
      [at('2026-03-08T07:30:00Z'), at('2026-03-08T08:00:00Z')],
    ]);
  });

  test('back-to-back windows are one; an absolute window far ahead is found', () => {
    const a = { fromMs: at('2026-12-24T22:00:00Z'), toMs: at('2026-12-25T02:00:00Z') };
    const b = { fromMs: at('2026-12-25T02:00:00Z'), toMs: at('2026-12-25T06:00:00Z') };
    assert.deepEqual(windowState([a, b], at('2026-12-24T23:00:00Z')), { open: true, closesAtMs: b.toMs });
    assert.deepEqual(windowState([a], at('2026-06-01T00:00:00Z')), { open: false, opensAtMs: a.fromMs });
    assert.deepEqual(windowState([a], at('2027-01-01T00:00:00Z')), { open: false });
  });

  test('the rules of a window', () => {
    assert.equal(windowProblem(berlinNights), undefined);
    assert.match(windowProblem({ ...berlinNights, timeZone: 'Mars/Olympus' })!, /IANA time zone/);
    assert.match(windowProblem({ ...berlinNights, start: '25:00' })!, /start must be a time HH:MM/);
    assert.match(windowProblem({ ...berlinNights, days: ['someday'] })!, /days must list/);
    assert.match(windowProblem({ ...berlinNights, end: '22:00' })!, /the same time/);
    assert.match(windowProblem({ fromMs: 5, toMs: 5 })!, /from must be a time before to/);
  });

  test('a node starts only when its estimate fits before the close; the estimate learns from finished nodes', () => {
    const now = at('2026-12-02T21:30:00Z');
    const s = PatchState.begin(fakePlan({ masters: 2, agents: 2 }), 'wf-1');
    s.changePolicy({ windows: [{ fromMs: now - 60_000, toMs: now + 20 * 60_000 }], windowMinNodeMs: 5 * 60_000 });
    assert.equal(windowHold(s.status, 'master', now), undefined, '20 min left, 5 min needed');
    const m = s.status.nodes[0]!;
    Object.assign(m, { state: 'patched', startedAtMs: now - 30 * 60_000, finishedAtMs: now });
    assert.equal(nodeEstimateMs(s.status, 'master'), 30 * 60_000);
    assert.match(
      windowHold(s.status, 'master', now)!.reason,
      /closes at 2026-12-02T21:50:00Z and a master takes about 30 min/
    );
    assert.equal(windowHold(s.status, 'agent', now), undefined, 'agents have their own estimate');
    s.changePolicy({ windows: [] });
    assert.equal(windowHold(s.status, 'master', now), undefined, 'no windows: any time');
  });
});
