/**
 * History bound: a 3-master + 2,000-agent patch on the real dev server, with stand-in hosts (the
 * workflows and Temporal are real; the activities answer at once), so what is measured is the
 * workflows' own cost. Reports the wall time, the continue-as-new generations, and per run the
 * history length, history size and largest payload, against the server's warning limits
 * (10,240 events, 10 MiB history, 512 KiB payload). Prints numbers; asserts nothing.
 *
 *   tsx bench/history-2000.ts [agents=2000] [concurrency=50]
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { compactPlan } from '../src/shared/plan-wire';
import { ALL_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { fakePlan } from '../test/helpers/fake-plan';
import { asReport } from '../test/helpers/report';
import { FakeCluster } from '../test/workflow/fake-activities';

const WARN = { events: 10_240, historyBytes: 10 * 1024 * 1024, payloadBytes: 512 * 1024 };

async function main(): Promise<void> {
  const agents = Number(process.argv[2] ?? 2000);
  const concurrency = Number(process.argv[3] ?? 50);
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is not set (npm run bench sets it)');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path }, searchAttributes: ALL_SEARCH_ATTRIBUTES },
  });
  try {
    const plan = fakePlan({ masters: 3, agents, policy: { agentConcurrency: concurrency } });
    const cluster = new FakeCluster(
      [...plan.masters, ...plan.agents, ...plan.publicAgents].map((n) => n.id),
      '2.1.4',
      '2.1.5'
    );
    cluster.scriptMs = 5;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-history',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflows'),
        logger: new DefaultLogger('ERROR'),
      }),
      activities: cluster.activities(),
      maxConcurrentActivityTaskExecutions: 200,
    });
    const workflowId = `bench-history-${Date.now()}`;
    const t0 = performance.now();
    const report = asReport(
      await worker.runUntil(
        env.client.workflow.execute('patchCluster', {
          taskQueue: 'bench-history',
          workflowId,
          args: [{ plan: compactPlan(plan) }],
        })
      )
    );
    const wallMs = performance.now() - t0;

    const connection = await Connection.connect({ address: env.address });
    const client = new Client({ connection });
    const runs: { runId: string; events: number; bytes: number; maxPayload: number }[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push({ runId: w.runId, ...(await measureRun(connection, workflowId, w.runId)) });
    }
    await connection.close();

    const patched = report.nodes.filter((n) => n.state === 'patched').length;
    const maxEvents = Math.max(...runs.map((r) => r.events));
    const maxBytes = Math.max(...runs.map((r) => r.bytes));
    const maxPayload = Math.max(...runs.map((r) => r.maxPayload));
    const scriptRunsMax = Math.max(...[...cluster.hosts.values()].map((h) => h.scriptRuns));
    console.log(`3 masters + ${agents} agents, agent concurrency ${concurrency} (stand-in hosts, real workflows)`);
    console.log(`  outcome                ${report.outcome}: ${patched}/${report.nodes.length} patched`);
    console.log(
      `  wall time              ${(wallMs / 1000).toFixed(1)} s (${(wallMs / report.nodes.length).toFixed(1)} ms per node)`
    );
    console.log(`  parent runs            ${runs.length} (continue-as-new generations: ${runs.length - 1})`);
    console.log(`  max events per run     ${maxEvents} (warning at ${WARN.events})`);
    console.log(
      `  max history per run    ${(maxBytes / 1024).toFixed(0)} KiB (warning at ${WARN.historyBytes / 1024} KiB)`
    );
    console.log(
      `  largest event          ${(maxPayload / 1024).toFixed(0)} KiB (payload warning at ${WARN.payloadBytes / 1024} KiB)`
    );
    console.log(`  script runs per host   max ${scriptRunsMax}; masters at once max ${cluster.maxMastersAtOnce}`);
    const within = maxEvents < WARN.events && maxBytes < WARN.historyBytes && maxPayload < WARN.payloadBytes;
    console.log(`  within the warning limits: ${within ? 'yes' : 'NO'}`);
  } finally {
    await env.teardown();
  }
}

/** One run's history, read in small pages: one page of a big run can pass gRPC's 4 MB message limit. */
async function measureRun(
  connection: Connection,
  workflowId: string,
  runId: string
): Promise<{ events: number; bytes: number; maxPayload: number }> {
  let events = 0;
  let bytes = 0;
  let maxPayload = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId, runId },
      maximumPageSize: 100,
      nextPageToken,
    });
    for (const ev of page.history?.events ?? []) {
      const size = temporal.api.history.v1.HistoryEvent.encode(ev).finish().length;
      events += 1;
      bytes += size;
      maxPayload = Math.max(maxPayload, size);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events, bytes, maxPayload };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
