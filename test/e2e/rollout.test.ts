/**
 * Rollout control on the simulator: the canary ramp and maintenance windows, proven by the
 * simulator's ground truth (when each host's script started and ended).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Plan } from '../../src/shared/plan';
import { setPolicyUpdate, statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import {
  pendingFor,
  type Run,
  SHORT_GATES,
  scriptRuns,
  scriptSpan,
  scriptStarted,
  withPatch,
} from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { waitFor } from '../helpers/sim-patch';

const sim = useSimEnvironment();

/** Each agent's script runs (start, end), in plan order. */
function runsOf(r: Run) {
  return r.cluster.agents.map((a) => ({ id: a.id, ...scriptSpan(r.cluster, a.id) }));
}

describe('the canary ramp', { timeout: 300_000 }, () => {
  test('one agent alone, then two at once, then the window: each step starts after the one before ended', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 6 },
      async (r) => {
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        const [a1, a2, a3, ...rest] = runsOf(r);
        assert.ok(a2!.start > a1!.end && a3!.start > a1!.end, 'the second step waited for the canary');
        for (const a of rest) assert.ok(a.start > Math.max(a2!.end, a3!.end), `${a.id} waited for step 2`);
        assert.ok(r.cluster.truth().maxAgentsDownAtOnce <= 3);
      },
      SHORT_GATES,
      (_c, plan: Plan) => {
        plan.policy.agentConcurrency = 3;
        plan.policy.agentRamp = [1, 2, '100%'];
      }
    );
  });

  test('a ramp whose first agent fails stops before a second agent starts, whatever the failure budget', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 3 },
      async (r) => {
        const [canary, ...others] = r.cluster.agents;
        r.cluster.inject(canary!.id, { kind: 'script-exit', code: 3 });
        const q = await pendingFor(r.h, canary!.id);
        assert.match(q.reason, /a canary of the ramp step 1\/2/);
        await new Promise((res) => setTimeout(res, 2_000));
        for (const a of others) assert.equal(scriptRuns(r.cluster, a.id), 0, `${a.id} did not start`);
        r.cluster.clearFaults(canary!.id);
        await answer(r.h, canary!.id, 'retry');
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      },
      SHORT_GATES,
      (_c, plan: Plan) => {
        plan.policy.agentConcurrency = 3;
        plan.policy.agentFailureBudget = 3;
        plan.policy.agentRamp = [1, '100%'];
      }
    );
  });
});

describe('maintenance windows', { timeout: 300_000 }, () => {
  test('a window that closes mid-agents waits and resumes at the next opening from the next agent; none starts too late', async () => {
    const minNodeMs = 3_000;
    await withPatch(
      sim.env,
      { masters: 1, agents: 4 },
      async (r) => {
        await scriptStarted(r.cluster, r.cluster.agents[0]!.id, 'the first agent to start');
        // The window closes in 4 s and opens again 15 s later.
        const closesAt = Date.now() + 4_000;
        const opensAt = closesAt + 15_000;
        const policy = await r.h.executeUpdate(setPolicyUpdate, {
          args: [
            {
              windows: [
                { fromMs: closesAt - 3_600_000, toMs: closesAt },
                { fromMs: opensAt, toMs: opensAt + 3_600_000 },
              ],
            },
          ],
        });
        assert.equal(policy.windows?.length, 2);
        await waitFor(
          async () => (await r.h.query(statusQuery)).windowWait !== undefined,
          'the wait for the opening',
          60_000
        ).catch(async (e) => {
          const st = await r.h.query(statusQuery);
          throw new Error(
            `${e}: ${JSON.stringify({ policy: st.policy, log: st.log.slice(-12), pending: st.pending, closesAt })}`
          );
        });
        const st = await r.h.query(statusQuery);
        assert.match(
          st.windowWait!.reason,
          new RegExp(`waiting for the window opening at ${new Date(opensAt).toISOString().slice(0, 19)}`)
        );
        assert.ok(st.pending.some((p) => p.subject === 'window' && p.allowed.includes('approve')));
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        const runs = runsOf(r);
        for (const a of runs) {
          const inFirst = a.start + minNodeMs <= closesAt;
          assert.ok(
            inFirst || a.start >= opensAt,
            `${a.id} started at ${a.start}: inside the closed gap or too late in the first window`
          );
        }
        assert.ok(
          runs.some((a) => a.start >= opensAt),
          'the rest went on at the opening'
        );
      },
      SHORT_GATES,
      (_c, plan: Plan) => {
        plan.policy.windows = [{ fromMs: Date.now() - 3_600_000, toMs: Date.now() + 3_600_000 }];
        plan.policy.windowMinNodeMs = minNodeMs;
      }
    );
  });

  test('a master never starts when the estimate says it cannot finish; `decide window approve` starts it now', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 1 },
      async (r) => {
        const q = await pendingFor(r.h, 'window');
        assert.equal(q.kind, 'window-wait');
        assert.match(
          q.reason,
          /the window closes at .* and a master takes about 1 h: waiting for the window opening at 20/
        );
        assert.equal(scriptRuns(r.cluster, r.cluster.masters[0]!.id), 0, 'the master did not start');
        await answer(r.h, 'window', 'approve');
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
      },
      SHORT_GATES,
      (_c, plan: Plan) => {
        const now = Date.now();
        // Open for 10 more minutes, then again tomorrow: not enough for a master estimated at an hour.
        plan.policy.windows = [
          { fromMs: now - 3_600_000, toMs: now + 600_000 },
          {
            days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
            start: '00:00',
            end: '00:01',
            timeZone: 'Europe/Berlin',
          },
        ];
        plan.policy.windowMinNodeMs = 3_600_000;
      }
    );
  });
});
