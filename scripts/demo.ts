/**
 * `npm run demo`: a simulated DC/OS 2.1.4 cluster (3 masters, 8 private + 2 public agents; real
 * SSH, HTTP and bash) patched to 2.1.5 end to end by the real workflows and activities on a local
 * Temporal dev server with the Web UI, started and watched with the operator's own commands
 * (`dcos-patch start --watch`, then `report`). The dev server keeps running afterwards so the
 * history can be read in the Web UI (`npm run dev-server -- stop` ends it). While the patch runs,
 * a second terminal can steer it: `npx dcos-patch pause <id>`, `resume`, `status`, `watch`.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { closeAllSsh } from '../src/activities/ssh';
import { startCommand } from '../src/cli/commands/plan';
import { reportCommand } from '../src/cli/commands/report';
import { CliContext } from '../src/cli/connection';
import { stdio } from '../src/cli/runner';
import { startCluster } from '../src/sim';
import { createWorker } from '../src/worker';

const root = join(__dirname, '..');
const address = `127.0.0.1:${process.env.TEMPORAL_PORT ?? '7233'}`;
const ui = `http://127.0.0.1:${process.env.TEMPORAL_UI_PORT ?? '8233'}`;

async function main(): Promise<number> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log('== 1. Temporal dev server (persistent, Web UI on)');
  execFileSync('bash', [join(root, 'scripts/dev-server.sh'), 'start'], { stdio: 'inherit' });

  console.log('\n== 2. A simulated DC/OS 2.1.4 cluster: 3 masters, 8 private + 2 public agents');
  const cluster = await startCluster({
    masters: 3,
    agents: 8,
    publicAgents: 2,
    version: '2.1.4',
    dir: join(root, '.sim', `demo-${Date.now()}`),
    // Minutes on a real cluster; seconds here, with the same order of events.
    timings: { scriptMs: 3_000, exhibitorRecoveryMs: 1_500, registrarRecoveryMs: 1_000, agentReregisterMs: 800 },
  });
  console.log(`plan file: ${cluster.planPath}`);
  const env = { ...process.env, DCOS_PATCH_UI_URL: ui };
  const ctx = new CliContext({ address }, env);
  const { worker, close } = await createWorker({ address });
  const running = worker.run();
  try {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const workflowId = `patch-demo-2.1.4-to-2.1.5-${stamp}`;
    console.log(
      '\n== 3. dcos-patch start --watch (plan check, survey, preflight, backups, bootstrap, masters, agents)'
    );
    console.log(`steer it from another terminal: npx dcos-patch pause ${workflowId}   (then: resume)\n`);
    const watched = await startCommand(ctx, stdio, cluster.planPath, { id: workflowId, watch: true });

    console.log('\n== 4. dcos-patch report');
    await reportCommand(ctx, stdio, workflowId, { format: 'md' });

    const truth = cluster.truth();
    const hosts = Object.values(truth.hosts).filter((h) => h.role !== 'bootstrap');
    console.log(
      `\nsimulator ground truth: ${hosts.filter((h) => h.version === '2.1.5').length}/${hosts.length} hosts at 2.1.5, ` +
        `patch script runs per host at most ${Math.max(...hosts.map((h) => h.scriptRuns))}, ` +
        `masters down at once at most ${truth.maxMastersDownAtOnce}, tasks lost ${truth.tasksLost.length}`
    );
    console.log(`\nThe history in the Web UI: ${ctx.uiUrl(workflowId)}`);
    console.log(`Listed by: ${join(root, '.tools/venv/bin/temporal')} workflow list --address ${address}`);
    console.log('The dev server keeps running for that; stop it with: npm run dev-server -- stop');
    return watched;
  } finally {
    await ctx.close();
    worker.shutdown();
    await running;
    await close();
    closeAllSsh();
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  }
);
