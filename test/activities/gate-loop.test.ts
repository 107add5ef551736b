import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  type GateProgress,
  type Probe,
  pollSharer,
  pollUntilStable,
  sharedLeaderState,
} from '../../src/activities/gates';
import { closeAllHttp } from '../../src/activities/http';
import { pollAllUntilStable } from '../../src/activities/node-health';
import type { HealthCheck } from '../../src/shared/activity-types';
import type { NodeSpec } from '../../src/shared/plan';

/** A probe that answers from a script of observations (the last one repeats). */
function scripted(...answers: (boolean | Error)[]): { probe: Probe; calls: () => number } {
  let i = 0;
  return {
    probe: async () => {
      const a = answers[Math.min(i, answers.length - 1)]!;
      i++;
      if (a instanceof Error) throw a;
      return { ok: a, observation: a ? `good #${i}` : `bad #${i}` };
    },
    calls: () => i,
  };
}

const base = { gate: 'test-gate', host: 'master-10.0.0.11', pollIntervalMs: 5 };

describe('the shared gate poll loop', () => {
  test('passes only after stablePolls consecutive good observations; a bad one resets the count', async () => {
    const { probe } = scripted(true, false, true, true, true);
    const beats: GateProgress[] = [];
    const r = await pollUntilStable(probe, {
      ...base,
      stablePolls: 3,
      deadlineMs: Date.now() + 5_000,
      heartbeat: (p) => beats.push(p),
    });
    assert.equal(r.polls, 5);
    assert.equal(r.observation, 'good #5');
    // One beat per poll (a wait between polls may repeat the last one: a loaded machine's timers fire early).
    const perPoll = beats.filter((b, i) => i === 0 || b.polls !== beats[i - 1]!.polls);
    assert.deepEqual(
      perPoll.map((b) => b.good),
      [1, 0, 1, 2, 3]
    );
    assert.ok(beats.every((b) => b.gate === 'test-gate' && b.need === 3 && typeof b.observation === 'string'));
  });

  test('a single lucky poll is not enough', async () => {
    const { probe } = scripted(true, false);
    await assert.rejects(
      pollUntilStable(probe, { ...base, stablePolls: 2, deadlineMs: Date.now() + 60 }),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'GateTimeout'
    );
  });

  test('at the deadline it fails with GateTimeout (non-retryable) naming the last observation', async () => {
    const { probe } = scripted(false);
    const deadlineMs = Date.now() + 50;
    await assert.rejects(
      pollUntilStable(probe, { ...base, stablePolls: 2, deadlineMs, hint: 'Look at the logs.' }),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'GateTimeout');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /^test-gate on master-10\.0\.0\.11 did not hold by \S+Z: last seen bad #\d+/);
        assert.match(err.message, /Look at the logs\.$/);
        return true;
      }
    );
  });

  test('a signal that is good at the deadline (a worker that was away resumes late) gets the polls it still needs', async () => {
    const { probe, calls } = scripted(true);
    const r = await pollUntilStable(probe, { ...base, stablePolls: 3, deadlineMs: Date.now() - 60_000 });
    assert.equal(r.polls, 3);
    assert.equal(calls(), 3);
  });

  test('past the deadline, a bad observation fails the gate at once', async () => {
    const { probe, calls } = scripted(true, false, true);
    await assert.rejects(
      pollUntilStable(probe, { ...base, stablePolls: 3, deadlineMs: Date.now() - 1 }),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'GateTimeout'
    );
    assert.equal(calls(), 2);
  });

  test('a probe error is a bad observation with its message, never a crash', async () => {
    const { probe } = scripted(new Error('GET http://x:5050/metrics/snapshot: connection refused'), true, true);
    const beats: GateProgress[] = [];
    const r = await pollUntilStable(probe, {
      ...base,
      stablePolls: 2,
      deadlineMs: Date.now() + 5_000,
      heartbeat: (p) => beats.push(p),
    });
    assert.equal(r.polls, 3);
    assert.equal(beats[0]!.observation, 'probe failed: GET http://x:5050/metrics/snapshot: connection refused');
  });

  test('a non-retryable probe failure (host key) ends the gate at once', async () => {
    const hk = ApplicationFailure.nonRetryable('HOST KEY MISMATCH', 'HostKeyMismatch');
    const { probe, calls } = scripted(hk);
    await assert.rejects(
      pollUntilStable(probe, { ...base, stablePolls: 2, deadlineMs: Date.now() + 5_000 }),
      (err: unknown) => err === hk
    );
    assert.equal(calls(), 1);
  });

  test('cancellation stops the wait between polls', async () => {
    const { probe } = scripted(false);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by the workflow')), 30);
    const started = Date.now();
    await assert.rejects(
      pollUntilStable(probe, {
        ...base,
        pollIntervalMs: 10_000,
        stablePolls: 2,
        deadlineMs: Date.now() + 60_000,
        signal: ac.signal,
      }),
      /cancelled by the workflow/
    );
    assert.ok(Date.now() - started < 2_000);
  });
});

describe("the leading master's /state, shared by the agents in flight", () => {
  test('agents polling at once share one fetch; a later poll fetches again', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ pid: 'master@127.0.0.1:1', leader: 'master@127.0.0.1:1', slaves: [], frameworks: [] })
        );
      }, 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const master: NodeSpec = {
        id: 'master-127.0.0.1',
        role: 'master',
        address: '127.0.0.1',
        sshPort: 22,
        ports: { exhibitor: 8181, mesosMaster: port, mesosAgent: 5051, marathon: 8080 },
      };
      const via = {
        http: { probes: 'http' as const, mesosHttps: false },
        ssh: {
          user: 'core',
          port: 22,
          privateKeyPath: '/dev/null',
          knownHostsPath: '/dev/null',
          connectTimeoutMs: 1_000,
        },
      };
      const states = await Promise.all(Array.from({ length: 20 }, () => sharedLeaderState([master], via, 1_000)));
      assert.equal(hits, 1, 'twenty agents, one fetch');
      assert.ok(states.every((s) => s === states[0]));
      await new Promise((r) => setTimeout(r, 1_100));
      await sharedLeaderState([master], via, 1_000);
      assert.equal(hits, 2, 'the next poll fetches a fresh one');
    } finally {
      server.close();
      await closeAllHttp();
    }
  });
});

describe('one fetch per poll interval for the nodes polling together', () => {
  test("a node's next poll never sees the fetch its previous poll saw; other nodes share the latest", async () => {
    let fetches = 0;
    const fetch = async () => ++fetches;
    const key = `test ${Math.random()}`;
    // Sleeps only ever make the reuse tests fail late, never pass wrongly: the one upper bound
    // (b sharing after 100 ms) has 900 ms of margin.
    const a = pollSharer(key, 1_000, fetch);
    const b = pollSharer(key, 1_000, fetch);
    assert.equal(await a(), 1);
    assert.equal(await b(), 1, "b's first poll shares a's fresh fetch");
    assert.equal(await a(), 2, "a's next poll is its own observation, however soon");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await b(), 2, 'b shares the fetch begun after its previous one (younger than the interval)');
    assert.equal(await b(), 3, 'and never the same one twice');
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal(await a(), 4, 'a fetch older than one interval is not used');
    const c = pollSharer(key, 1_000, fetch);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await c(), 5, 'a first poll takes at most half an interval');
  });
});

describe("a node's gates under one shared stability hold", () => {
  const check = (gate: HealthCheck['gate'], probe: Probe, extra: Partial<HealthCheck> = {}) => ({
    check: { gate, timeoutMs: 5_000, ...extra },
    probe,
    hint: `fix ${gate}`,
  });
  const hold = (stablePolls: number) => ({
    host: 'master-10.0.0.11',
    pollIntervalMs: 5,
    stablePolls,
    startedAtMs: Date.now(),
  });

  test('every gate good in the same polls: one bad gate resets the hold for all', async () => {
    const a = scripted(true);
    const b = scripted(true, false, true, true);
    const rs = await pollAllUntilStable(
      [check('exhibitor-converged', a.probe), check('registrar-recovered', b.probe)],
      hold(2)
    );
    // Rounds: both good (1), registrar bad (0), both good (1), both good (2).
    assert.equal(a.calls(), 4, 'the gate already good was held again after the other one dipped');
    assert.deepEqual(
      rs.map((r) => [r.gate, r.polls, r.observation]),
      [
        ['exhibitor-converged', 4, 'good #4'],
        ['registrar-recovered', 4, 'good #4'],
      ]
    );
  });

  test('a gate still bad past its deadline fails the node, naming that gate and its hint', async () => {
    await assert.rejects(
      pollAllUntilStable(
        [
          check('exhibitor-converged', scripted(true).probe),
          check('mesos-version', scripted(false).probe, { timeoutMs: 30 }),
        ],
        hold(2)
      ),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure && err.type === 'GateTimeout', String(err));
        assert.equal(err.nonRetryable, true);
        assert.match(
          err.message,
          /^mesos-version on master-10.0.0.11 did not hold by .*: last seen bad #\d+ .* fix mesos-version$/
        );
        assert.equal((err.details?.[0] as { gate?: string } | undefined)?.gate, 'mesos-version');
        return true;
      }
    );
  });

  test('a gate that waits on another counts its time from when that one first held', async () => {
    const o = hold(2);
    const exhibitor = scripted(false, false, false, false, false, false, true);
    let exhibitorGoodAt = 0;
    const probe: Probe = async (s) => {
      const seen = await exhibitor.probe(s);
      if (seen.ok && !exhibitorGoodAt) exhibitorGoodAt = Date.now();
      return seen;
    };
    await assert.rejects(
      pollAllUntilStable(
        [
          check('exhibitor-converged', probe),
          check('registrar-recovered', scripted(false).probe, { timeoutMs: 20, after: 'exhibitor-converged' }),
        ],
        o
      ),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure && err.type === 'GateTimeout', String(err));
        const d = err.details?.[0] as { gate: string; deadlineMs: number };
        assert.equal(d.gate, 'registrar-recovered');
        assert.ok(exhibitorGoodAt > 0, 'Exhibitor held before the registrar gate gave up');
        assert.ok(
          d.deadlineMs >= exhibitorGoodAt + 20,
          'its 20 ms counted from Exhibitor converged, not from the start'
        );
        return true;
      }
    );
  });

  test('a slower gate is polled at its own interval; its last observation stands in between', async () => {
    const fast = scripted(true);
    const slow = scripted(true);
    await pollAllUntilStable(
      [check('registrar-recovered', fast.probe), check('cockroach-replicated', slow.probe, { pollIntervalMs: 60_000 })],
      hold(3)
    );
    assert.equal(fast.calls(), 3);
    assert.equal(slow.calls(), 1);

    // Until it is good it keeps the common pace: its recovery is seen at once, not a minute later.
    const recovering = scripted(false, false, true);
    await pollAllUntilStable(
      [
        check('registrar-recovered', scripted(true).probe),
        check('cockroach-replicated', recovering.probe, { pollIntervalMs: 60_000 }),
      ],
      hold(2)
    );
    assert.equal(recovering.calls(), 3);
  });

  test('a failure retrying cannot fix (tasks lost) ends the hold at once', async () => {
    const lost: Probe = async () => {
      throw ApplicationFailure.nonRetryable('agent-1: 2 tasks lost', 'TasksLost', { gate: 'agent-tasks-reconciled' });
    };
    await assert.rejects(
      pollAllUntilStable(
        [check('agent-registered', scripted(true).probe), check('agent-tasks-reconciled', lost)],
        hold(2)
      ),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'TasksLost'
    );
  });
});
