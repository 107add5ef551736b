/**
 * Exact decisions on the simulator: an agent that failed within the failure budget retried while
 * the patch runs; the closing question about failed agents (retry them / finish); gate timings
 * changed live by setPolicy reaching the nodes started after. The simulator's ground truth says
 * what ran on each host.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Plan } from '../../src/shared/plan';
import { decideUpdate, setPolicyUpdate, statusQuery } from '../../src/workflows/messages';
import type { PatchNodeInput } from '../../src/workflows/node-input';
import { answer } from '../helpers/decide';
import { failedReport, pendingFor, type Run, SHORT_GATES, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { useSimEnvironment } from '../helpers/sim-env';
import { waitFor } from '../helpers/sim-patch';

const sim = useSimEnvironment();

const budgetOne = (_c: unknown, plan: Plan) => {
  plan.policy.agentFailureBudget = 1;
};

function hostTruth(r: Run, id: string) {
  return r.cluster.truth().hosts[id]!;
}

/** The input the node's patchNode attempt was started with (its first history event). */
async function nodeInput(r: Run, node: string): Promise<PatchNodeInput> {
  const history = await sim.env.client.workflow.getHandle(`${r.workflowId}/${node}/attempt-1`).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  return JSON.parse(Buffer.from(payload!).toString()) as PatchNodeInput;
}

describe('exact decisions on a simulated cluster', { timeout: 240_000 }, () => {
  test('an agent failed within the budget is retried while the patch runs, by the id its status shows; the repeat is refused', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 3 },
      async (r) => {
        const agent = r.cluster.agents[0]!;
        r.cluster.inject(agent.id, { kind: 'script-exit', code: 3 });
        let retryQuestion: string | undefined;
        await waitFor(async () => {
          retryQuestion = (await r.h.query(statusQuery)).nodes.find((n) => n.id === agent.id)?.retryQuestion;
          return retryQuestion !== undefined;
        }, 'the agent to fail within the budget');
        r.cluster.clearFaults(agent.id);
        const retry = { subject: agent.id, decision: 'retry' as const, question: retryQuestion };
        assert.match(await r.h.executeUpdate(decideUpdate, { args: [retry] }), /retry accepted/);
        await assert.rejects(
          r.h.executeUpdate(decideUpdate, { args: [retry] }),
          (e: unknown) => e instanceof WorkflowUpdateFailedError && /already answered/.test(String(e.cause?.message))
        );
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        assert.equal(hostTruth(r, agent.id).version, '2.1.5', 'the retried agent is patched');
        assert.equal(hostTruth(r, agent.id).scriptInvocations, 2, 'its script ran twice: exit 3, then 0');
        for (const other of r.cluster.agents.slice(1)) assert.equal(hostTruth(r, other.id).scriptInvocations, 1);
      },
      SHORT_GATES,
      budgetOne
    );
  });

  test('before the agent phase ends it asks once about agents failed within the budget; retry patches them', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 2 },
      async (r) => {
        const [bad, good] = r.cluster.agents;
        r.cluster.inject(bad!.id, { kind: 'script-exit', code: 3 });
        const q = await pendingFor(r.h, 'agents');
        assert.equal(q.kind, 'agents-failed');
        assert.match(q.reason, new RegExp(`1 agents failed within the budget \\(${bad!.id}\\)`));
        assert.equal(hostTruth(r, good!.id).version, '2.1.5', 'asked once every other agent was done');
        r.cluster.clearFaults(bad!.id);
        await answer(r.h, 'agents', 'retry');
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        assert.equal(hostTruth(r, bad!.id).version, '2.1.5');
        assert.equal(hostTruth(r, bad!.id).scriptInvocations, 2);
      },
      SHORT_GATES,
      budgetOne
    );
  });

  test('finish closes the patch with the failed agent listed and untouched after its failure', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 2 },
      async (r) => {
        const bad = r.cluster.agents[0]!;
        r.cluster.inject(bad.id, { kind: 'script-exit', code: 3 });
        await pendingFor(r.h, 'agents');
        await answer(r.h, 'agents', 'finish');
        const report = await failedReport(r.h);
        assert.equal(report.outcome, 'completed-with-failures');
        assert.match(report.message, new RegExp(bad.id));
        assert.equal(hostTruth(r, bad.id).version, '2.1.4');
        assert.equal(hostTruth(r, bad.id).scriptInvocations, 1, 'not run again');
      },
      SHORT_GATES,
      budgetOne
    );
  });

  test('setPolicy changes gate timings for the nodes started after it, and refuses the agent window', async () => {
    await withPatch(
      sim.env,
      { masters: 1, agents: 1 },
      async (r) => {
        await pendingFor(r.h, 'agents');
        await assert.rejects(
          r.h.executeUpdate(setPolicyUpdate, { args: [{ gates: { agentWindowMs: 60_000 } as never }] }),
          (e: unknown) => e instanceof WorkflowUpdateFailedError && /agent ping timeout/.test(String(e.cause?.message))
        );
        const policy = await r.h.executeUpdate(setPolicyUpdate, { args: [{ gates: { pollIntervalMs: 321 } }] });
        assert.equal(policy.gates.pollIntervalMs, 321, 'the answer shows the policy in force');
        await answer(r.h, 'agents', 'approve');
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        const master = await nodeInput(r, r.cluster.masters[0]!.id);
        const agent = await nodeInput(r, r.cluster.agents[0]!.id);
        assert.notEqual(master.gates.pollIntervalMs, 321, 'the master started before the change');
        assert.equal(agent.gates.pollIntervalMs, 321, 'the agent started after it');
        assert.equal(agent.gates.agentWindowMs, master.gates.agentWindowMs);
      },
      SHORT_GATES,
      (_c, plan) => {
        plan.policy.approveBeforeAgents = true;
      }
    );
  });
});
