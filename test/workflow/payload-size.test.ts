/**
 * What a 5,000-agent patch stores in its history: the workflow input (the plan) and the state a
 * continue-as-new carries must stay under Temporal's 512 KiB payload warning (the full plan was
 * 867 KB and the carried state 1.45 MB), and the compact forms must lose nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Plan } from '../../src/shared/plan';
import { compactPlan, expandPlan } from '../../src/shared/plan-wire';
import { readReport } from '../../src/shared/report-wire';
import type { NodeResult } from '../../src/shared/status';
import { allNodesOf } from '../../src/workflows/patch-carry';
import { PatchState } from '../../src/workflows/patch-state';
import { rolloverInput } from '../../src/workflows/rollover-input';
import { fakePlan } from '../helpers/fake-plan';
import { startTestEnvironment, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { FakeCluster } from './fake-activities';

const PAYLOAD_WARNING = 512 * 1024;

/** A state in which every node went through a turn, as it is late in a big patch. */
function patchedState(agents: number): PatchState {
  const plan = fakePlan({ masters: 3, agents });
  const s = PatchState.begin(plan, 'wf-big');
  for (const node of [...plan.masters, ...plan.agents]) {
    const { attempt } = s.nodeStarted(node);
    const r: NodeResult = {
      node: node.id,
      role: node.role,
      outcome: 'patched',
      attempt,
      summary: 'patched',
      gates: [],
      startedAtMs: 0,
      finishedAtMs: 0,
      versionBefore: '2.1.4',
      versionAfter: '2.1.5',
    };
    s.nodeFinished(node, r);
  }
  return s;
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const allIds = (plan: Plan) => allNodesOf(plan).map((n) => n.id);

describe('payloads of a 5,000-agent patch', { timeout: 60_000 }, () => {
  test('the plan as the workflow input is under the payload warning', () => {
    const size = JSON.stringify({ plan: compactPlan(fakePlan({ agents: 5_000 })) }).length;
    assert.ok(size < PAYLOAD_WARNING / 4, `input of ${size} bytes`);
  });

  test('the continue-as-new input (plan and carried state) is under the payload warning', () => {
    const s = patchedState(5_000);
    const size = JSON.stringify(rolloverInput(s, undefined, {})).length;
    assert.ok(size < PAYLOAD_WARNING / 2, `continue-as-new input of ${size} bytes`);
  });

  test('the compact plan expands to the plan it was made from, overrides kept', () => {
    const plan = fakePlan({ masters: 3, agents: 5, publicAgents: 2 });
    plan.agents[1]!.sshPort = 2222;
    plan.agents[2]!.ports = { ...plan.agents[2]!.ports, mesosAgent: 5052 };
    plan.masters[0]!.id = 'master-one';
    assert.deepEqual(expandPlan(json(compactPlan(plan))), plan);
    assert.deepEqual(expandPlan(plan), plan, 'a full plan (as `check --json` prints it) is taken as is');
  });

  test('the carried state resumes to the same status (a failed node, decisions, attempt logs kept)', () => {
    const s = patchedState(20);
    const plan = fakePlan({ masters: 3, agents: 20 });
    const failing = plan.agents[3]!;
    s.nodeStarted(failing);
    s.nodeEnded(failing, 'worker lost', false);
    const pending = plan.agents.at(-1)!;
    s.node(pending.id).note = 'survey: host unreachable';
    const input = json(rolloverInput(s, undefined, {}));
    const resumed = PatchState.resume(expandPlan(input.plan), input.carried, 'wf-big');
    assert.deepEqual(json(resumed.status), json(s.status));
  });
});

describe('what a patch stores, on a real Temporal server', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await startTestEnvironment();
  });
  after(async () => {
    await env?.teardown();
  });

  /** A worker on its own task queue whose activities are the stand-in cluster's. */
  async function standInWorker(c: FakeCluster, prefix: string, options: Partial<WorkerOptions> = {}) {
    const taskQueue = uniqueTaskQueue(prefix);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(require.resolve('../../src/workflows')),
      activities: c.activities(),
      ...options,
    });
    return { worker, taskQueue };
  }

  test('preflight, backups and the generator get inputs no bigger than the compact plan', async () => {
    const plan = fakePlan({ masters: 3, agents: 5_000 });
    const c = new FakeCluster(allIds(plan), '2.1.4', '2.1.5');
    const { worker, taskQueue } = await standInWorker(c, 'payload');
    const compactBytes = JSON.stringify({ plan: compactPlan(plan) }).length;
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('patchCluster', {
        taskQueue,
        workflowId: `payload-${taskQueue}`,
        args: [{ plan: compactPlan(plan) }],
      });
      const end = Date.now() + 150_000;
      const seen = () => ['runPreflight', 'takeBackups', 'prepareBootstrap'].every((a) => c.inputBytes.has(a));
      while (!seen() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      await handle.terminate('measured');
    });
    for (const name of ['runPreflight', 'takeBackups', 'prepareBootstrap']) {
      const bytes = c.inputBytes.get(name);
      assert.ok(bytes !== undefined, `${name} was called`);
      assert.ok(bytes <= compactBytes + 1024, `${name} input of ${bytes} bytes (compact plan ${compactBytes})`);
    }
    const largest = Math.max(...c.inputBytes.values());
    assert.ok(largest < PAYLOAD_WARNING / 4, `largest activity input ${largest} bytes`);
  });

  test('the result stores under 64 bytes a node, and reads back as the full report', async () => {
    const plan = fakePlan({ masters: 3, agents: 200, policy: { agentConcurrency: 50 } });
    const c = new FakeCluster(allIds(plan), '2.1.4', '2.1.5');
    c.scriptMs = 5;
    const { worker, taskQueue } = await standInWorker(c, 'payload-result', {
      maxConcurrentActivityTaskExecutions: 100,
    });
    const stored: unknown = await worker.runUntil(
      env.client.workflow.execute('patchCluster', {
        taskQueue,
        workflowId: `payload-result-${taskQueue}`,
        args: [{ plan: compactPlan(plan) }],
      })
    );
    const perNode = JSON.stringify(stored).length / allIds(plan).length;
    assert.ok(perNode < 64, `${perNode.toFixed(0)} bytes a node`);
    const report = readReport(stored);
    assert.ok(report, 'the result reads as a report');
    assert.equal(report.outcome, 'succeeded');
    assert.deepEqual(
      report.nodes.map((n) => n.id),
      allIds(plan)
    );
    const agent = report.nodes.find((n) => n.id === plan.agents[7]!.id)!;
    assert.equal(agent.state, 'patched');
    assert.equal(agent.address, plan.agents[7]!.address);
    assert.equal(agent.role, 'agent');
    assert.equal(agent.workflowId, `payload-result-${taskQueue}/${agent.id}/attempt-1`);
    assert.ok(agent.startedAtMs! >= report.startedAtMs && agent.finishedAtMs! >= agent.startedAtMs!);
  });
});
