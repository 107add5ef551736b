/**
 * The link `dcos-patch start` prints opens the patch in the Temporal Web UI, where an operator
 * finds the node workflows by host and each step by its summary. A dev server with the UI on,
 * a simulated cluster patched to completion through the CLI by the real workflows and
 * activities (the demo, smaller), and headless Chromium reading the pages.
 * Screenshots land in test/artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { closeAllSsh } from '../../src/activities/ssh';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { patchWorker, simWithPlan } from '../helpers/sim-patch';
import { installTestRuntime, uniqueTaskQueue } from '../helpers/temporal';
import { cli, ROOT } from './helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
// CI installs Chromium (.ci/run): there a missing browser fails the test instead of skipping it.
const skip =
  existsSync(CHROMIUM) || process.env.CI
    ? false
    : `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;

let env: TestWorkflowEnvironment | undefined;
let uiPort = 0;
const stops: (() => Promise<void>)[] = [];

before(async () => {
  if (skip) return;
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is not set (npm run setup installs the Temporal CLI)');
  installTestRuntime();
  uiPort = await freePort();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      ui: true,
      uiPort,
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
});
after(async () => {
  await Promise.all(stops.map((s) => s()));
  await env?.teardown();
});

test('the Web UI link shows the patch, its node workflows named by host and each step by its summary', {
  skip,
}, async () => {
  const { chromium } = await import('playwright-core');
  const e = env!;
  const taskQueue = uniqueTaskQueue('ui');
  // The demo's patch, smaller: a simulated cluster patched by the real workflows and activities.
  const { cluster } = await simWithPlan({ masters: 3, agents: 1 });
  stops.push(() => cluster.stop());
  const worker = await patchWorker(e.nativeConnection, taskQueue);
  const running = worker.run();
  stops.push(async () => {
    worker.shutdown();
    await running;
    closeAllSsh();
  });
  const id = `patch-ui-${taskQueue}`;
  const started = await cli(
    ['start', cluster.planPath, '--watch', '--id', id],
    {
      address: e.address,
      taskQueue,
      extra: { DCOS_PATCH_UI_URL: `http://127.0.0.1:${uiPort}` },
    },
    180_000
  );
  assert.equal(started.code, 0, started.stderr);
  const link = /Web UI: (\S+)/.exec(started.stdout)?.[1];
  assert.equal(link, `http://127.0.0.1:${uiPort}/namespaces/default/workflows/${id}`);
  const [m1, m2, m3] = cluster.masters.map((m) => m.address);
  const agent = cluster.agents[0]!;

  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    page.setDefaultTimeout(10_000);
    await page.goto(link!);
    await page.getByText(id, { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.getByText('COMPLETED').first().waitFor();
    await page.getByText(`master ${m1} · patch 2.1.4 → 2.1.5 (attempt 1)`).first().waitFor();
    assert.match(page.url(), new RegExp(`/workflows/${id}/[0-9a-f-]+/`), 'the link opens the latest run');
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-patch.png'), fullPage: true });

    await page.goto(page.url().replace(/\/[a-z-]+$/, '/relationships'));
    for (const host of [`master-${m1}`, `master-${m2}`, `master-${m3}`, agent.id]) {
      await page.getByText(`${id}/${host}/attempt-1`).first().waitFor({ timeout: 10_000 });
    }
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-relationships.png'), fullPage: true });

    const child = `${id}/master-${m1}/attempt-1`;
    await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${encodeURIComponent(child)}`);
    await page.getByText('patchNode').first().waitFor({ timeout: 20_000 });
    for (const summary of ['every master healthy', 'exhibitor converged', 'run dcos_node_upgrade.sh']) {
      await page.getByText(`master ${m1} · ${summary}`).first().waitFor({ timeout: 10_000 });
    }
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-master-node.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
