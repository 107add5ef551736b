/**
 * The worker's Prometheus endpoint during a real patch: the SDK's metrics and ours (nodes patched
 * by role, gate waits, script run time, agents in flight, decisions pending), scraped over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePorts } from '../../src/sim/layout';
import { asReport } from '../helpers/report';
import { type Env, simWithPlan, waitFor } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { killWorker, startWorkerProcess } from '../helpers/worker-process';

let env: Env;
before(async () => {
  env = await startTestEnvironment();
});
after(async () => {
  await env?.teardown();
});

async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200);
  return await res.text();
}

/** The value of the first sample whose name and labels match. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([\w:]+)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

test('a patch shows on the worker’s /metrics: nodes patched by role, gate waits, script runs, agents in flight', async () => {
  const { cluster, plan } = await simWithPlan(
    { masters: 1, agents: 2, timings: { scriptMs: 1_500 } },
    { agentConcurrency: 2 }
  );
  const taskQueue = uniqueTaskQueue('metrics');
  const [port] = await freePorts('127.0.0.1', 1);
  const url = `http://127.0.0.1:${port}/metrics`;
  const worker = await startWorkerProcess(env.address, taskQueue, { DCOS_PATCH_METRICS_ADDRESS: `127.0.0.1:${port}` });
  try {
    const h = await env.client.workflow.start('patchCluster', {
      taskQueue,
      workflowId: `metrics-${taskQueue}`,
      args: [{ plan }],
    });
    // Mid-patch: the SDK's own metrics are already there.
    await waitFor(
      () => (cluster.truth().hosts[cluster.masters[0]!.id]?.scriptRuns ?? 0) > 0,
      'the master script',
      120_000
    );
    const during = await scrape(url);
    assert.ok((sample(during, 'temporal_workflow_task_execution_latency_count') ?? 0) >= 1, 'SDK: workflow tasks');
    assert.ok((sample(during, 'temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' }) ?? 0) > 0);
    assert.ok(
      (sample(during, 'dcos_patch_gate_wait_seconds_count', { gate: 'masters-healthy', held: 'true' }) ?? 0) >= 1,
      'our gate wait, mid-patch'
    );
    const report = asReport(await h.result());
    assert.equal(report.outcome, 'succeeded', report.message);
    let text = '';
    await waitFor(
      async () => {
        text = await scrape(url);
        return (sample(text, 'dcos_patch_nodes_patched_total', { role: 'agent' }) ?? 0) >= 2;
      },
      'the patched agents to be counted',
      30_000
    ).catch((err) => {
      console.log(
        text
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .slice(0, 200)
          .join('\n')
      );
      throw err;
    });
    console.log(
      text
        .split('\n')
        .filter((l) => l.includes('dcos_patch'))
        .join('\n')
    );
    assert.equal(sample(text, 'dcos_patch_nodes_patched_total', { role: 'master', cluster: plan.cluster }), 1);
    assert.equal(sample(text, 'dcos_patch_nodes_patched_total', { role: 'agent' }), 2);
    assert.equal(sample(text, 'dcos_patch_agents_in_flight'), 0, 'the window is empty at the end');
    assert.equal(sample(text, 'dcos_patch_decisions_pending'), 0);
    assert.ok(
      (sample(text, 'dcos_patch_gate_wait_seconds_count', { gate: 'registrar-recovered', held: 'true' }) ?? 0) >= 1
    );
    assert.equal(sample(text, 'dcos_patch_script_run_seconds_count', { role: 'agent', exit: '0' }), 2);
    assert.ok(
      (sample(text, 'dcos_patch_script_run_seconds_sum', { role: 'master' }) ?? 0) >= 1,
      'the master script ran ≥ 1.5 s'
    );
  } finally {
    await killWorker(worker);
    await cluster.stop();
  }
});
