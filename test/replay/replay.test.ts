/**
 * Running patches survive a new dcos-patch: the recorded histories of real runs (test/replay/
 * histories, refreshed with `npm run record-histories`) replay against today's workflow code.
 * A change that would break a running patch fails here, naming the history and the event.
 * See docs/versioning.md for how to ship an incompatible change.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installTestRuntime, workflowBundle } from '../helpers/temporal';

const DIR = join(__dirname, 'histories');
/** Each history file and the workflow id it was recorded under (child ids derive from it). */
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as Record<string, string>;
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'index.json')
  .sort();

before(() => installTestRuntime());

async function replayAll(workflowsPath: string): Promise<{ file: string; error?: string }[]> {
  const bundle = await workflowBundle(workflowsPath);
  const histories = files.map((file) => ({
    workflowId: index[file]!,
    history: historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8'))),
  }));
  const results: { file: string; error?: string }[] = [];
  // One result per history, in the order given (runs of one continue-as-new share their id).
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    const file = files[results.length]!;
    assert.equal(r.workflowId, index[file]);
    results.push({ file, ...(r.error ? { error: `${r.error.name}: ${r.error.message}` } : {}) });
  }
  return results;
}

test('every history has its workflow id in index.json', { timeout: 10_000 }, () => {
  assert.deepEqual(
    files.filter((f) => !index[f]),
    []
  );
});

test('the recorded histories cover a plain patch, a retried master, a pause, a continue-as-new, and node workflows', {
  timeout: 10_000,
}, () => {
  for (const name of ['plain', 'master-retry', 'pause-resume', 'continue-as-new']) {
    assert.ok(
      files.some((f) => f.startsWith(`${name}.patchCluster.`)),
      `${name}: a patchCluster history`
    );
    assert.ok(files.includes(`${name}.patchNode.json`), `${name}: a patchNode history`);
  }
  assert.ok(
    files.filter((f) => f.startsWith('continue-as-new.patchCluster.')).length >= 2,
    'runs on both sides of a continue-as-new'
  );
});

test('every recorded history replays against today’s workflows', { timeout: 300_000 }, async () => {
  const results = await replayAll(require.resolve('../../src/workflows'));
  assert.equal(results.length, files.length);
  assert.deepEqual(
    results.filter((r) => r.error),
    []
  );
});

test('a deliberately non-deterministic change fails the replay of every patchCluster history', {
  timeout: 300_000,
}, async () => {
  const results = await replayAll(require.resolve('./nondeterministic-workflows'));
  const cluster = results.filter((r) => r.file.includes('.patchCluster.'));
  assert.ok(cluster.length >= 5);
  for (const r of cluster) assert.match(r.error ?? 'replayed fine', /Determinism|nondetermin/i, r.file);
  assert.ok(
    results.filter((r) => r.file.includes('.patchNode.')).every((r) => !r.error),
    'patchNode is unchanged'
  );
});
