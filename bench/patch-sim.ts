/**
 * A whole patch through the real stack: the simulator's SSH/HTTP/bash hosts, the real activities
 * and workflows on a worker, a real dev server. Reports the wall time, the time per node and per
 * phase, the worker's memory and CPU, and the simulator's ground truth. Prints numbers; asserts nothing.
 *
 *   tsx bench/patch-sim.ts [agents=50] [concurrency=10]
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as activities from '../src/activities';
import { closeAllSsh } from '../src/activities/ssh';
import { ALL_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { asReport } from '../test/helpers/report';
import { simWithPlan } from '../test/helpers/sim-patch';

async function main(): Promise<void> {
  const agents = Number(process.argv[2] ?? 50);
  const concurrency = Number(process.argv[3] ?? 10);
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is not set (npm run bench sets it)');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path }, searchAttributes: ALL_SEARCH_ATTRIBUTES },
  });
  const { cluster, plan } = await simWithPlan({ masters: 3, agents }, { agentConcurrency: concurrency });
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-patch',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflows'),
        logger: new DefaultLogger('ERROR'),
      }),
      activities,
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = asReport(
      await worker.runUntil(
        env.client.workflow.execute('patchCluster', {
          taskQueue: 'bench-patch',
          workflowId: `bench-patch-${Date.now()}`,
          args: [{ plan }],
        })
      )
    );
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const truth = cluster.truth();
    const hosts = Object.values(truth.hosts).filter((h) => h.role !== 'bootstrap');
    const dur = (role: string) => {
      const ns = report.nodes.filter((n) => (role === 'master' ? n.role === 'master' : n.role !== 'master'));
      const ms = ns.map((n) => (n.finishedAtMs ?? 0) - (n.startedAtMs ?? 0)).filter((x) => x > 0);
      return ms.length
        ? `${(ms.reduce((a, b) => a + b, 0) / ms.length / 1000).toFixed(1)} s mean, ${(Math.max(...ms) / 1000).toFixed(1)} s max`
        : 'n/a';
    };
    console.log(`3 masters + ${agents} agents through SSH/HTTP on the simulator, agent concurrency ${concurrency}`);
    console.log(`  outcome              ${report.outcome}`);
    console.log(`  wall time            ${(wallMs / 1000).toFixed(1)} s (simulated script ${1.2} s per node)`);
    console.log(`  per master           ${dur('master')}`);
    console.log(`  per agent            ${dur('agent')}`);
    console.log(
      `  worker CPU           ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (this process also hosts the simulator)`
    );
    console.log(`  RSS                  ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    console.log(
      `  ground truth         ${hosts.filter((h) => h.version === plan.toVersion).length}/${hosts.length} at ${plan.toVersion}; ` +
        `script runs per host max ${Math.max(...hosts.map((h) => h.scriptRuns))}; masters down at once max ${truth.maxMastersDownAtOnce}; ` +
        `agents down at once max ${truth.maxAgentsDownAtOnce}; tasks lost ${truth.tasksLost.length}; longest agent outage ${(truth.agentDowntimeMaxMs / 1000).toFixed(1)} s`
    );
  } finally {
    closeAllSsh();
    await cluster.stop();
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
