// One status answer stays cheap whatever the window: one query of the patch, a bounded few node reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CliContext } from '../../src/cli/connection';
import { readSnapshot } from '../../src/cli/snapshot';
import type { PatchStatus } from '../../src/shared/status';

function statusWith(agentsInFlight: number): PatchStatus {
  const nodes = Array.from({ length: agentsInFlight }, (_, i) => ({
    id: `agent-${i}`,
    role: 'agent' as const,
    address: `10.0.1.${i}`,
    state: 'verifying' as const,
    attempts: 1,
    workflowId: `p/agent-${i}/attempt-1`,
    startedAtMs: 1_000 + i,
  }));
  return { workflowId: 'p', phase: 'agents', nodes } as unknown as PatchStatus;
}

function countingContext(status: PatchStatus): { ctx: CliContext; calls: string[] } {
  const calls: string[] = [];
  const handle = (id: string) => ({
    describe: async () => {
      calls.push(`describe ${id}`);
      return {
        runId: 'r',
        taskQueue: 'q',
        status: { name: 'RUNNING' },
        startTime: new Date(0),
        raw: { pendingActivities: [] },
        memo: {},
      };
    },
    query: async () => {
      calls.push(`query ${id}`);
      return id === 'p' ? status : { node: id, state: 'verifying', step: 'gates together', sinceMs: 0 };
    },
  });
  const client = { workflow: { getHandle: handle } };
  const ctx = { getClient: async () => client, withDeadline: (_ms: number, fn: () => unknown) => fn() };
  return { ctx: ctx as unknown as CliContext, calls };
}

test('status with 50 agents in flight reads the patch once and at most 3 node workflows', {
  timeout: 60_000,
}, async () => {
  const { ctx, calls } = countingContext(statusWith(50));
  const snap = await readSnapshot(ctx, 'p');
  assert.equal(snap.status?.nodes.length, 50);
  assert.deepEqual(
    calls.filter((c) => c.endsWith(' p')),
    ['describe p', 'query p']
  );
  const nodeReads = new Set(calls.filter((c) => !c.endsWith(' p')).map((c) => c.split(' ')[1]));
  assert.ok(nodeReads.size <= 3, `${nodeReads.size} node workflows read for one status answer`);
  // The ones read in detail are those in flight longest (most likely stuck).
  assert.deepEqual([...nodeReads].sort(), ['p/agent-0/attempt-1', 'p/agent-1/attempt-1', 'p/agent-2/attempt-1']);
});
