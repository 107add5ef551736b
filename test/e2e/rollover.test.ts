/**
 * Continue-as-new during the agent phase, on the simulator: the agents in flight are handed to
 * the next run instead of draining the window, proven by the simulator's ground truth (when each
 * host's script started and ended, agents down at once).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Plan } from '../../src/shared/plan';
import type { SimCluster } from '../../src/sim';
import { abortSignal } from '../../src/workflows/messages';
import { failedReport, type Run, SHORT_GATES, scriptSpan, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { waitFor } from '../helpers/sim-patch';

const sim = useSimEnvironment();

/** The first agent's script takes this long; every other one the simulator's 1.2 s. */
const SLOW_MS = 14_000;
/** Deadlines that leave the slow script, and its agent's time away from the masters, room. */
const GATES = { ...SHORT_GATES, scriptTimeoutMs: 40_000, agentWindowMs: 30_000 };

function slowFirstAgent(cluster: SimCluster, plan: Plan): void {
  cluster.inject(cluster.agents[0]!.id, { kind: 'script-slow', ms: SLOW_MS });
  plan.policy.agentConcurrency = 2;
}

function runOf(r: Run, id: string): { start: number; end: number } {
  return scriptSpan(r.cluster, id);
}

async function continuedAsNew(r: Run): Promise<boolean> {
  return (await r.h.describe()).runId !== r.h.firstExecutionRunId;
}

describe('continue-as-new in the agent phase', { timeout: 300_000 }, () => {
  test('does not drain the window: agents start beside a slow one handed to the next run, never more than the window', {
    timeout: 150_000,
  }, async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 6 },
      async (r) => {
        const report = asReport(await r.h.result());
        assert.equal(report.outcome, 'succeeded', report.message);
        assert.ok(await continuedAsNew(r), 'the workflow continued as new');
        const [slow, second, ...rest] = r.cluster.agents.map((a) => a.id);
        const slowRun = runOf(r, slow!);
        const beside = rest.filter((id) => runOf(r, id).start < slowRun.end);
        assert.ok(
          beside.length >= 2,
          `agents after the first two started while the slow one ran (a run rolled over with it in flight): ${beside.join(', ') || 'none'}`
        );
        const truth = r.cluster.truth();
        for (const id of [slow!, second!, ...rest]) assert.equal(truth.hosts[id]?.scriptRuns, 1, `${id} patched once`);
        assert.ok(truth.maxAgentsDownAtOnce <= 2, `never more than the window down (${truth.maxAgentsDownAtOnce})`);
        const node = report.nodes.find((n) => n.id === slow)!;
        assert.equal(node.state, 'patched', 'the slow agent is reported from its own workflow, in the later run');
        assert.equal(node.attempts, 1);
      },
      GATES,
      slowFirstAgent,
      { rolloverAfterNodes: 2 }
    );
  });

  test('an abort reaches an agent handed to a later run: it reports where its script was left and nothing new starts', {
    timeout: 150_000,
  }, async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 6 },
      async (r) => {
        const slow = r.cluster.agents[0]!.id;
        await waitFor(
          async () => (await continuedAsNew(r)) && runOf(r, slow).end === Infinity && runOf(r, slow).start < Infinity,
          'a rollover while the slow agent runs its script',
          60_000
        );
        await r.h.signal(abortSignal, { reason: 'e2e abort after a rollover' });
        const report = await failedReport(r.h);
        assert.equal(report.outcome, 'aborted');
        const node = report.nodes.find((n) => n.id === slow)!;
        assert.equal(node.state, 'aborted', node.note);
        assert.match(node.note ?? '', /script/i, 'its report says where the script was left');
        for (const a of r.cluster.agents) {
          const attempt = sim.env.client.workflow.getHandle(`${r.workflowId}/${a.id}/attempt-1`);
          const status = await attempt.describe().then(
            (d) => d.status.name,
            () => 'never started'
          );
          assert.notEqual(status, 'RUNNING', `${a.id}'s node workflow is not left running`);
        }
        const runs = r.cluster.truth().scriptRuns.length;
        await new Promise((res) => setTimeout(res, 1_500));
        assert.equal(r.cluster.truth().scriptRuns.length, runs, 'no script starts after the abort');
      },
      GATES,
      slowFirstAgent,
      { rolloverAfterNodes: 2 }
    );
  });
});
