/**
 * The CLI's pure views: what `watch` / `status` draw from a snapshot, and the Markdown report.
 * No server: snapshots are built by hand.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderReportMarkdown } from '../../src/cli/render/report';
import { estimateRemainingMs, plainEvents, renderView } from '../../src/cli/render/watch-view';
import type { Snapshot } from '../../src/cli/snapshot';
import { describeHeartbeat } from '../../src/cli/snapshot';
import { DEFAULT_POLICY } from '../../src/shared/plan';
import type { NodeStatus, PatchReport, PatchStatus } from '../../src/shared/status';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const ID = 'patch-prod-east-2.1.4-to-2.1.5';

function node(id: string, state: NodeStatus['state'], extra: Partial<NodeStatus> = {}): NodeStatus {
  const [role, address] = id.startsWith('master-')
    ? ['master' as const, id.slice(7)]
    : id.startsWith('public-agent-')
      ? ['public-agent' as const, id.slice(13)]
      : ['agent' as const, id.slice(6)];
  return { id, role, address, state, attempts: state === 'pending' ? 0 : 1, ...extra };
}

function status(over: Partial<PatchStatus> = {}): PatchStatus {
  return {
    workflowId: ID,
    cluster: 'prod-east',
    fromVersion: '2.1.4',
    toVersion: '2.1.5',
    phase: 'masters',
    paused: false,
    abortRequested: false,
    startedAtMs: T0,
    phaseStartedAtMs: T0,
    policy: {
      agentConcurrency: 2,
      agentFailureBudget: 0,
      approveEachMaster: false,
      approveBeforeAgents: false,
      gates: DEFAULT_POLICY.gates,
    },
    nodes: [
      node('master-10.0.0.11', 'patched', { startedAtMs: T0, finishedAtMs: T0 + 60_000 }),
      node('master-10.0.0.12', 'patching', {
        startedAtMs: T0 + 60_000,
        workflowId: `${ID}/master-10.0.0.12/attempt-1`,
      }),
      node('master-10.0.0.13', 'pending'),
      node('agent-10.0.1.1', 'pending'),
      node('agent-10.0.1.2', 'pending'),
    ],
    pending: [],
    activity: 'patching master 10.0.0.12 (2/3); the other masters stay up',
    preflight: [],
    generation: 0,
    log: [],
    ...over,
  };
}

function snap(st: PatchStatus | undefined, over: Partial<Snapshot> = {}): Snapshot {
  return {
    workflowId: ID,
    runId: 'r1',
    taskQueue: 'dcos-patch-v1',
    execution: 'RUNNING',
    startMs: T0,
    status: st,
    live: {
      'master-10.0.0.12': {
        progress: {
          node: 'master-10.0.0.12',
          role: 'master',
          attempt: 1,
          state: 'verifying',
          step: 'exhibitor converged',
          sinceMs: T0 + 80_000,
          deadlineMs: T0 + 80_000 + 15 * 60_000,
        },
        activities: [{ type: 'gateExhibitorConverged', attempt: 1, heartbeat: '2/3 serving (1 good poll in a row)' }],
      },
    },
    activities: [],
    ...over,
  };
}

describe('the watch view', () => {
  test('a step whose worker went quiet says so, and when the server will retry it', () => {
    const quiet = snap(status());
    quiet.live['master-10.0.0.12']!.activities = [
      { type: 'gateNodeHealthy', attempt: 1, heartbeat: '2/3 serving', heartbeatAtMs: T0 + 86_000 },
    ];
    const row = renderView(quiet, { nowMs: T0 + 90_000, watching: true }).find((l) =>
      l.startsWith('master-10.0.0.12')
    )!;
    assert.match(row, /no heartbeat for 4s: its worker is probably gone; the server retries it in 1s/);
    const fresh = snap(status());
    fresh.live['master-10.0.0.12']!.activities = [
      { type: 'gateNodeHealthy', attempt: 1, heartbeat: '2/3 serving', heartbeatAtMs: T0 + 88_000 },
    ];
    const ok = renderView(fresh, { nowMs: T0 + 90_000, watching: true }).find((l) => l.startsWith('master-10.0.0.12'))!;
    assert.doesNotMatch(ok, /no heartbeat/);
  });

  test('shows phase, progress per phase, the node in flight with its gate, deadline and last observation', () => {
    const lines = renderView(snap(status()), { nowMs: T0 + 90_000, watching: true });
    assert.equal(lines[0], `PATCH ${ID}  prod-east 2.1.4 → 2.1.5  [RUNNING]`);
    assert.match(
      lines[1]!,
      /^phase: masters {3}survey ✓ › preflight ✓ › backups ✓ › bootstrap ✓ › \[masters\] › agents › done$/
    );
    assert.match(lines[2]!, /^elapsed 1m30s · remaining ~\d+m\d\ds \(est\. from 1 finished node\)/);
    assert.match(lines.join('\n'), /^masters \[█{8}░{16}\] 1\/3 done · 1 in flight$/m);
    assert.match(lines.join('\n'), /^agents {2}\[░{24}\] 0\/2 done · window 2 · failure budget 0$/m);
    const row = lines.find((l) => l.startsWith('master-10.0.0.12'))!;
    assert.match(
      row,
      /verifying\s+30s {2}exhibitor converged · gives up in 14m50s · last: 2\/3 serving \(1 good poll in a row\)/
    );
    assert.equal(lines.filter((l) => l.startsWith('PATCH ')).length, 1);
    assert.match(lines.at(-1)!, /^Ctrl-C detaches \(the patch goes on\)/);
  });

  test('estimates the time left from finished nodes: masters one at a time, agents by the window', () => {
    const nodes = [
      node('master-1', 'patched', { startedAtMs: 0, finishedAtMs: 100_000 }),
      node('master-2', 'patching', { startedAtMs: 100_000 }),
      node('master-3', 'pending'),
      node('agent-1', 'patched', { startedAtMs: 0, finishedAtMs: 40_000 }),
      node('agent-2', 'pending'),
      node('agent-3', 'pending'),
      node('agent-4', 'skipped'),
    ];
    // master-2: 100 s expected, 30 s run → 70 s; master-3: 100 s; agents 2 × 40 s / window 2 → 40 s.
    assert.deepEqual(estimateRemainingMs(nodes, 2, 130_000), { ms: 70_000 + 100_000 + 40_000, basis: 2 });
    assert.equal(estimateRemainingMs([node('master-1', 'pending')], 1, 0), undefined);
  });

  test('what needs the operator comes with the exact command, naming the failing checks for override', () => {
    const st = status({
      phase: 'preflight',
      preflight: [
        { check: 'marathon-constraints', status: 'fail', message: 'unique constraint' },
        { check: 'disk-space', host: '10.0.1.1', status: 'fail', message: '2 GB free' },
        { check: 'ntp', status: 'pass', message: 'ok' },
      ],
      pending: [
        {
          id: 'q4',
          subject: 'preflight',
          kind: 'preflight-failed',
          reason: '2 preflight check(s) failed',
          allowed: ['retry', 'override', 'abort'],
          sinceMs: T0,
        },
      ],
    });
    const text = renderView(snap(st, { live: {} }), { nowMs: T0 + 5_000, command: 'dcos-patch --address t:7233' }).join(
      '\n'
    );
    assert.match(
      text,
      /NEEDS YOU \(blocked until you decide\):\n {2}q4 preflight — preflight-failed: 2 preflight check\(s\) failed \(waiting 5s\)/
    );
    assert.match(text, new RegExp(`^ {4}dcos-patch --address t:7233 decide ${ID} preflight retry --question q4$`, 'm'));
    assert.match(
      text,
      new RegExp(
        `^ {4}dcos-patch --address t:7233 decide ${ID} preflight override --checks marathon-constraints,disk-space --question q4$`,
        'm'
      )
    );
  });

  test('agents failed within the budget come with their retry command; attempts and webhook failures are shown', () => {
    const st = status({
      phase: 'agents',
      nodes: [
        node('master-10.0.0.11', 'patched'),
        node('agent-10.0.1.1', 'failed', { note: 'script exited 3', attempts: 1, retryQuestion: 'q7' }),
        node('agent-10.0.1.2', 'patched', {
          attempts: 2,
          note: 'patched 2.1.4 → 2.1.5',
          attemptLog: [
            { attempt: 1, outcome: 'failed', reason: 'agent-registered: not registered after 5m' },
            { attempt: 2, outcome: 'patched', reason: 'patched 2.1.4 → 2.1.5' },
          ],
        }),
      ],
      notifications: {
        hooks: 2,
        sent: 9,
        failed: 1,
        queued: 2,
        seq: 12,
        lastFailure: 'webhook 2, message 3 (phase): answered HTTP 404',
      },
    });
    const text = renderView(snap(st, { live: {} }), { nowMs: T0 + 5_000 }).join('\n');
    assert.match(text, /FAILED WITHIN THE BUDGET \(the patch goes on; retry any while it runs\):/);
    assert.match(text, new RegExp(`^ {4}dcos-patch decide ${ID} agent-10\\.0\\.1\\.1 retry --question q7$`, 'm'));
    assert.match(text, /agent-10\.0\.1\.2 .* earlier: #1 failed: agent-registered: not registered after 5m/);
    assert.match(
      text,
      /notifications: 9 sent · 2 waiting · 1 failed \(last: webhook 2, message 3 \(phase\): answered HTTP 404\)/
    );
    const plain = plainEvents(snap(st, { live: {} })).map((e) => e.text);
    assert.ok(
      plain.includes(`failed within the budget: dcos-patch decide ${ID} agent-10.0.1.1 retry --question q7`),
      plain.join('\n')
    );
  });

  test('the workload canary: its last look and its figures, then what its removal did', () => {
    const canary = {
      appId: '/dcos-patch-canary',
      dnsName: 'dcos-patch-canary.marathon.mesos',
      instances: 3,
      state: 'watching' as const,
      figures: { polls: 40, restarts: 1, lost: 0, unhealthy: 0, dnsFailures: 2, longestOutageMs: 12_000 },
      incidents: [],
      observation: '3/3 task(s) running, 3 healthy; dcos-patch-canary.marathon.mesos → 3 address(es)',
    };
    const text = renderView(snap(status({ phase: 'agents', canary }), { live: {} }), { nowMs: T0 }).join('\n');
    assert.match(
      text,
      /canary \/dcos-patch-canary: watching · 3\/3 task\(s\) running, 3 healthy; .* · restarts 1, lost 0, health check failures 0, DNS failures 2, longest outage 12 s \(40 looks\)/
    );
    const removed = { ...canary, state: 'removed' as const, removal: '/dcos-patch-canary removed from Marathon' };
    const after = renderView(snap(status({ phase: 'agents', canary: removed }), { live: {} }), { nowMs: T0 }).join(
      '\n'
    );
    assert.match(
      after,
      /canary \/dcos-patch-canary: removed · restarts 1.* · \/dcos-patch-canary removed from Marathon/
    );
    assert.ok(!after.includes('3/3 task(s)'), 'no last look once it is gone');
  });

  test('a cluster of a thousand agents fits the terminal: the nodes that matter first, the rest counted', () => {
    const nodes = [
      node('master-10.0.0.11', 'patched'),
      ...Array.from({ length: 1000 }, (_, i) =>
        node(`agent-10.1.${Math.floor(i / 250)}.${i % 250}`, i < 400 ? 'patched' : i < 410 ? 'patching' : 'pending')
      ),
    ];
    nodes[500] = { ...nodes[500]!, state: 'waiting-decision', note: 'script exited 1' };
    const lines = renderView(snap(status({ phase: 'agents', nodes }), { live: {} }), {
      nowMs: T0,
      height: 40,
      width: 100,
    });
    assert.ok(lines.length <= 40, `${lines.length} lines`);
    assert.ok(lines.every((l) => l.length <= 100));
    const rows = lines.filter((l) => /^(agent|master)-/.test(l));
    assert.match(rows[0]!, /waiting-decision/, 'the node waiting for a decision comes first');
    assert.ok(
      rows.slice(1, 11).every((r) => /patching/.test(r)),
      'then the nodes in flight'
    );
    assert.match(lines.find((l) => l.startsWith('… '))!, /^… \d+ more nodes: \d+ patched, \d+ pending$/);
  });

  test('plain events: facts without clocks, so only changes print; pause and decisions say when they end', () => {
    const paused = plainEvents(snap(status({ paused: true })));
    const keys = paused.map((e) => e.key);
    assert.deepEqual(keys.slice(0, 6), ['exec', 'phase', 'paused', 'masters', 'agents', 'activity']);
    assert.equal(paused.find((e) => e.key === 'paused')!.gone, 'resumed');
    assert.equal(
      paused.find((e) => e.key === 'node:master-10.0.0.12')!.text,
      'master-10.0.0.12 verifying · exhibitor converged'
    );
    assert.equal(
      paused.find((e) => e.key === 'hb:master-10.0.0.12')!.text,
      'master-10.0.0.12 · last observation: 2/3 serving (1 good poll in a row)'
    );
    assert.ok(!paused.some((e) => e.key === 'node:master-10.0.0.13'), 'untouched pending nodes are not listed');
    assert.deepEqual(plainEvents(snap(status({ paused: true }))), paused, 'the same state gives the same lines');
  });

  test('a closed patch shows its result from the report', () => {
    const report: PatchReport = {
      workflowId: ID,
      cluster: 'prod-east',
      fromVersion: '2.1.4',
      toVersion: '2.1.5',
      outcome: 'aborted',
      message: 'aborted in phase masters after 1 node(s) patched',
      startedAtMs: T0,
      finishedAtMs: T0 + 125_000,
      nodes: status().nodes.map((n) => (n.state === 'patching' ? { ...n, state: 'aborted' as const } : n)),
      preflight: [],
      decisions: [],
    };
    const text = renderView(snap(undefined, { execution: 'FAILED', report, live: {} }), { nowMs: T0 + 999_999 }).join(
      '\n'
    );
    assert.match(text, /\[FAILED\]/);
    assert.match(text, /^phase: aborted .*\[aborted\]$/m);
    assert.match(text, /elapsed 2m05s · finished/);
    assert.match(text, /^RESULT aborted: aborted in phase masters/m);
    assert.match(text, /^masters .* 1\/3 done · 1 failed$/m);
  });

  test('heartbeat details in words: strings, observations with poll counts, anything else as JSON', () => {
    assert.equal(describeHeartbeat('3/3 serving'), '3/3 serving');
    assert.equal(
      describeHeartbeat({ observation: '2/3 serving', goodPolls: 1, polls: 7 }),
      '2/3 serving (1 good poll in a row, 7 polls)'
    );
    assert.equal(
      describeHeartbeat({ observation: 'registrar/log/recovered=0', polls: 3 }),
      'registrar/log/recovered=0 (3 polls)'
    );
    assert.equal(describeHeartbeat({ bytes: 10 }), '{"bytes":10}');
    assert.equal(describeHeartbeat(undefined), undefined);
  });
});

describe('the Markdown report', () => {
  test('a row per node with versions, time, attempts and decisions; failures with their diagnostics', () => {
    const report: PatchReport = {
      workflowId: ID,
      cluster: 'prod-east',
      fromVersion: '2.1.4',
      toVersion: '2.1.5',
      outcome: 'completed-with-failures',
      message: '1 of 2 nodes not patched',
      startedAtMs: T0,
      finishedAtMs: T0 + 61_000,
      scriptUrl: 'http://10.0.0.5:8080/upgrade/abc/dcos_node_upgrade.sh',
      nodes: [
        node('master-10.0.0.11', 'patched', {
          startedAtMs: T0,
          finishedAtMs: T0 + 30_000,
          attempts: 2,
          decisions: ['retry'],
        }),
        node('agent-10.0.1.1', 'failed', { startedAtMs: T0 + 30_000, finishedAtMs: T0 + 60_000, note: 'a | b' }),
      ],
      preflight: [{ check: 'ntp', status: 'warn', message: 'offset 80ms' }],
      decisions: [{ atMs: T0 + 20_000, subject: 'master-10.0.0.11', decision: 'retry' }],
    };
    const md = renderReportMarkdown({
      report,
      nodeResults: {
        'agent-10.0.1.1': [
          {
            node: 'agent-10.0.1.1',
            role: 'agent',
            outcome: 'failed',
            attempt: 1,
            summary: 'failed at patching: dcos_node_upgrade.sh exited 1',
            failedStep: 'patching',
            failureType: 'ScriptFailed',
            versionBefore: '2.1.4',
            gates: [],
            diagnostics: {
              node: 'agent-10.0.1.1',
              role: 'agent',
              collectedAtMs: T0 + 59_000,
              sections: [{ command: 'journalctl -u dcos-mesos-slave -n 100', exitCode: 0, output: 'x ``` y' }],
            },
            startedAtMs: T0 + 30_000,
            finishedAtMs: T0 + 60_000,
          },
        ],
      },
    });
    assert.match(md, /^# Patch report: patch-prod-east-2\.1\.4-to-2\.1\.5$/m);
    assert.match(md, /^\| outcome \| \*\*completed-with-failures\*\* — 1 of 2 nodes not patched \|$/m);
    assert.match(md, /^\| finished \| .* \(took 1m01s\) \|$/m);
    assert.match(
      md,
      /^\| master-10\.0\.0\.11 \| master \| patched \| 2\.1\.4 → 2\.1\.5 \| 30s \| 2 \| retry \| {2}\|$/m
    );
    assert.match(
      md,
      /^\| agent-10\.0\.1\.1 \| agent \| failed \| 2\.1\.4 \(unchanged\) \| 30s \| 1 \| {2}\| a \\\| b \|$/m
    );
    assert.match(md, /^- 2026-01-01T12:00:20\.000Z \*\*master-10\.0\.0\.11\*\*: retry$/m);
    assert.match(md, /^### agent-10\.0\.1\.1 \(attempt 1\): failed at patching$/m);
    assert.match(md, /^#### `journalctl -u dcos-mesos-slave -n 100` \(exit 0\)\n````text\nx ``` y\n````$/m);
  });
});
