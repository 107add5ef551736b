/**
 * The README's promise that the `temporal` CLI drives a patch as well as ours: a simulated
 * cluster, the real worker (workflows + activities), the patch started with
 * `temporal workflow start` from the input `dcos-patch check --json` prints, steered with
 * `temporal workflow signal/query/update execute`, and followed to the end with `dcos-patch watch`
 * and `report` — the commands exactly as the README shows them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { closeAllSsh } from '../../src/activities/ssh';
import type { PatchStatus } from '../../src/shared/status';
import type { SimCluster } from '../../src/sim';
import { type Env, patchWorker, simWithPlan, waitFor } from '../helpers/sim-patch';
import { startTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';
import { cli } from './helpers';

const run = promisify(execFile);
let env: Env;
let cluster: SimCluster;
before(async () => {
  env = await startTestEnvironment();
  ({ cluster } = await simWithPlan({ masters: 3, agents: 4, timings: { scriptMs: 1_500 } }));
});
after(async () => {
  closeAllSsh();
  await cluster?.stop();
  await env?.teardown();
});

test('a patch started, paused, resumed, queried and re-tuned with the temporal CLI, followed by dcos-patch', {
  timeout: 240_000,
}, async () => {
  const temporal = process.env.TEMPORAL_CLI_PATH;
  assert.ok(temporal, 'TEMPORAL_CLI_PATH is set by npm test');
  const address = process.env.TEMPORAL_TEST_ADDRESS ?? env.address;
  const taskQueue = uniqueTaskQueue('temporal-cli');
  const e = { address, taskQueue };
  const tctl = async (...args: string[]) => (await run(temporal, [...args, '--address', address])).stdout;
  const id = `patch-tcli-${taskQueue}`;

  const worker = await patchWorker(env.nativeConnection, taskQueue);
  await worker.runUntil(async () => {
    const checked = await cli(['check', cluster.planPath, '--json'], e);
    assert.equal(checked.code, 0, checked.stderr);
    const input = join(cluster.dir, 'input.json');
    const plan = JSON.parse(checked.stdout).plan;
    writeFileSync(input, JSON.stringify({ plan }));
    await tctl(
      'workflow',
      'start',
      '--type',
      'patchCluster',
      '--task-queue',
      taskQueue,
      '--workflow-id',
      id,
      '--input-file',
      input,
      '--search-attribute',
      `DcosCluster="${plan.cluster}"`,
      '--search-attribute',
      'DcosFromVersion="2.1.4"',
      '--search-attribute',
      'DcosToVersion="2.1.5"'
    );
    const query = async (): Promise<PatchStatus> =>
      JSON.parse(await tctl('workflow', 'query', '--workflow-id', id, '--type', 'status', '-o', 'json')).queryResult[0];

    await waitFor(async () => (await query()).phase === 'masters', 'the masters phase', 60_000);
    await tctl('workflow', 'signal', '--workflow-id', id, '--name', 'pause', '--input', '{"reason":"change freeze"}');
    await waitFor(async () => (await query()).paused, 'the pause to be seen by the workflow');
    const shown = await cli(['status', id], e);
    assert.match(shown.stdout, /PAUSED/, 'dcos-patch sees the pause sent by the temporal CLI');

    const policy = JSON.parse(
      await tctl(
        'workflow',
        'update',
        'execute',
        '--workflow-id',
        id,
        '--name',
        'setPolicy',
        '--input',
        '{"agentConcurrency":2}',
        '-o',
        'json'
      )
    );
    assert.equal(JSON.stringify(policy).includes('"agentConcurrency":2'), true, JSON.stringify(policy));
    const nothing = await run(temporal, [
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      id,
      '--name',
      'decide',
      '--input',
      '{"subject":"agents","decision":"approve"}',
      '--address',
      address,
    ]).then(
      () => 'accepted',
      (err: { stderr?: string }) => err.stderr ?? ''
    );
    assert.match(nothing, /no decision is pending/, 'a decide with nothing pending is rejected by the validator');

    await tctl('workflow', 'signal', '--workflow-id', id, '--name', 'resume');
    const watched = await cli(['watch', id, '--plain'], e, 180_000);
    assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
    // Visibility (what list reads) follows the history by a moment.
    await waitFor(
      async () =>
        (await tctl('workflow', 'list', '--query', `DcosCluster='${plan.cluster}' AND WorkflowId='${id}'`)).includes(
          id
        ),
      'temporal workflow list to find the patch by its search attribute'
    );
    const report = await cli(['report', id], e);
    assert.equal(report.code, 0, report.stderr);
    for (const h of [...cluster.masters, ...cluster.agents]) assert.match(report.stdout, new RegExp(h.id));
    assert.ok(
      Object.values(cluster.truth().hosts).every((h) => h.role === 'bootstrap' || h.version === '2.1.5'),
      'every host at 2.1.5'
    );
  });
});
