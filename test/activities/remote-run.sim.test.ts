// The node patch script against the simulator: detached, never started twice, survives SSH drops.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describeRemoteRun, prepareAgent, prepareBootstrap, runPatchScript } from '../../src/activities';
import { type RunProgress, runPaths } from '../../src/activities/remote-run';
import { mockEnv, runIn, type Sim, startSim, waitFor } from './helpers';

let sim: Sim;
let url: string;
const agent = (i: number) => sim.plan.agents[i]!.id;

before(async () => {
  sim = await startSim({ masters: 1, agents: 6 });
  url = (await runIn(mockEnv().env, prepareBootstrap, { plan: sim.plan })).scriptUrl;
  for (const a of sim.plan.agents) await runIn(mockEnv().env, prepareAgent, sim.target(a.id));
});
after(() => sim.stop());

function failure(type: string, check: (f: ApplicationFailure) => void = () => undefined) {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    check(err);
    return true;
  };
}

describe('the node patch script run', () => {
  test('a run cancelled mid-way is attached to by the next activity, never started twice', async () => {
    const id = agent(0);
    const key = { workflowId: 'patch-sim-agent-0', attempt: 1 };
    assert.deepEqual(await runIn(mockEnv().env, describeRemoteRun, sim.target(id), key), { state: 'not-started' });

    const first = mockEnv();
    const running = runIn(first.env, runPatchScript, sim.target(id), url, key, 30_000);
    await waitFor(() => sim.cluster.truth().hosts[id]!.scriptRuns === 1, 'the script to start');
    first.env.cancel();
    await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);

    const during = await runIn(mockEnv().env, describeRemoteRun, sim.target(id), key);
    assert.equal(during.state, 'running', 'cancelling the activity leaves the script running on the host');

    const second = mockEnv();
    const r = await runIn(second.env, runPatchScript, sim.target(id), url, key, 30_000);
    assert.equal(r.exitCode, 0);
    assert.equal(r.attached, true);
    assert.ok(r.startedAtMs > 0 && r.finishedAtMs >= r.startedAtMs);
    assert.match(r.outputTail, /complete/);
    const truth = sim.cluster.truth();
    assert.equal(truth.hosts[id]!.scriptRuns, 1);
    assert.equal(truth.scriptRuns.filter((s) => s.node === id).length, 1);

    // Heartbeats carry progress only: phase, start time, output size.
    const beats = second.beats as RunProgress[];
    assert.ok(beats.length > 0);
    for (const b of beats)
      assert.deepEqual(
        Object.keys(b)
          .sort()
          .filter((k) => k !== 'startedAtMs'),
        ['outputBytes', 'phase']
      );

    const after = await runIn(mockEnv().env, describeRemoteRun, sim.target(id), key);
    assert.equal(after.state, 'finished');
    assert.equal(after.exitCode, 0);
  });

  test('SSH connections dropped while launching and while polling are survived', async () => {
    const id = agent(1);
    sim.cluster.inject(id, { kind: 'ssh-drop', afterMs: 5, match: 'setsid nohup', times: 1 });
    sim.cluster.inject(id, { kind: 'ssh-drop', afterMs: 1, match: 'output tail', times: 3 });
    const r = await runIn(
      mockEnv().env,
      runPatchScript,
      sim.target(id),
      url,
      { workflowId: 'wf-drop', attempt: 1 },
      30_000
    );
    assert.equal(r.exitCode, 0);
    assert.equal(r.attached, false, 'the retried launch recognised its own claim');
    const truth = sim.cluster.truth();
    assert.equal(truth.hosts[id]!.scriptRuns, 1);
    assert.deepEqual(
      truth.hosts[id]!.faults.filter((f) => f.kind === 'ssh-drop'),
      [],
      'every injected drop happened'
    );
  });

  test('the exit is observed as it happens: the watcher waits on the host, it does not sleep and re-poll', async () => {
    const id = agent(5);
    const watcher = mockEnv();
    const r = await runIn(
      watcher.env,
      runPatchScript,
      sim.target(id),
      url,
      { workflowId: 'wf-exit-seen', attempt: 1 },
      30_000
    );
    assert.equal(r.exitCode, 0);
    const whileRunning = (watcher.beats as RunProgress[]).filter(
      (b) => b.phase === 'running' || b.phase === 'fetching'
    );
    // A 1.5 s script: one read that waited for the exit on the host (polling with back-off read it 3–4 times).
    assert.ok(whileRunning.length <= 1, `the state was read ${whileRunning.length} times while the script ran`);
    assert.equal(sim.cluster.truth().hosts[id]!.scriptRuns, 1);
  });

  test('a non-zero exit is ScriptFailed with the exit code and output tail', async () => {
    const id = agent(2);
    sim.cluster.inject(id, { kind: 'script-exit', code: 3 });
    const key = { workflowId: 'wf-exit', attempt: 1 };
    await assert.rejects(
      runIn(mockEnv().env, runPatchScript, sim.target(id), url, key, 30_000),
      failure('ScriptFailed', (f) => {
        assert.equal(f.nonRetryable, true);
        assert.match(f.message, new RegExp(`^${id}: dcos_node_upgrade.sh exited 3 \\(expected 0\\)`));
        const d = f.details?.[0] as { exitCode: number; outputTail: string; host: string };
        assert.equal(d.exitCode, 3);
        assert.equal(d.host, id);
        assert.match(d.outputTail, /ERROR: upgrade failed/);
      })
    );
    const state = await runIn(mockEnv().env, describeRemoteRun, sim.target(id), key);
    assert.equal(state.state, 'finished');
    assert.equal(state.exitCode, 3);
  });

  test('a script running past its time limit is ScriptTimeout and is left running', async () => {
    const id = agent(3);
    sim.cluster.inject(id, { kind: 'script-hang' });
    const key = { workflowId: 'wf-hang', attempt: 1 };
    await assert.rejects(
      runIn(mockEnv().env, runPatchScript, sim.target(id), url, key, 1_000),
      failure('ScriptTimeout', (f) => assert.match(f.message, /STILL RUNNING on the host/))
    );
    assert.equal((await runIn(mockEnv().env, describeRemoteRun, sim.target(id), key)).state, 'running');
  });
});

describe('the host lease: one node script per host, whatever the attempt or patch', () => {
  test("a retry after ScriptTimeout waits for attempt 1's script and takes its exit code, never starting a second", async () => {
    const id = agent(4);
    const first = { workflowId: 'patch-lease/agent/attempt-1', attempt: 1 };
    await assert.rejects(
      runIn(mockEnv().env, runPatchScript, sim.target(id), url, first, 200),
      failure('ScriptTimeout', (f) => assert.match(f.message, /STILL RUNNING/))
    );
    // The operator's retry: a new attempt, a new run key, while attempt 1 still runs on the host.
    const retry = mockEnv();
    const second = { workflowId: 'patch-lease/agent/attempt-2', attempt: 2 };
    const running = runIn(retry.env, runPatchScript, sim.target(id), url, second, 30_000);
    const during = await runIn(mockEnv().env, describeRemoteRun, sim.target(id), second);
    assert.equal(during.state, 'running', 'the abort report names the run that holds the host');
    assert.match(during.runName ?? '', /^patch-lease_agent_attempt-1-[0-9a-f]{10}\/attempt-1$/);
    const r = await running;
    assert.equal(r.exitCode, 0);
    assert.equal(r.waitedFor, during.runName);
    assert.ok((retry.beats as RunProgress[]).some((b) => b.waitingFor === r.waitedFor));
    const truth = sim.cluster.truth().hosts[id]!;
    assert.equal(truth.scriptRuns, 1, 'the script ran once on the host');
    assert.equal(truth.maxConcurrentScriptRuns, 1);
    assert.equal(truth.version, '2.1.5');
  });

  test('a retry after an earlier attempt finished with exit 0 takes that result and starts nothing', async () => {
    const id = agent(0); // patched by the first test of this file: reset it to the old version
    sim.cluster.resetTruth();
    const first = { workflowId: 'patch-done/agent/attempt-1', attempt: 1 };
    const host = sim.cluster.host(id);
    const versionFile = `${host.root}/opt/mesosphere/etc/dcos-version.json`;
    writeFileSync(versionFile, readFileSync(versionFile, 'utf8').replace('2.1.5', '2.1.4'));
    await assert.rejects(
      runIn(mockEnv().env, runPatchScript, sim.target(id), url, first, 200),
      failure('ScriptTimeout')
    );
    await waitFor(
      async () => (await runIn(mockEnv().env, describeRemoteRun, sim.target(id), first)).state === 'finished',
      'attempt 1 to finish'
    );
    const second = { workflowId: 'patch-done/agent/attempt-2', attempt: 2, earlierAttempts: [first.workflowId] };
    const r = await runIn(mockEnv().env, runPatchScript, sim.target(id), url, second, 30_000);
    assert.equal(r.exitCode, 0);
    assert.match(r.waitedFor ?? '', /attempt-1$/);
    assert.equal(sim.cluster.truth().hosts[id]!.scriptInvocations, 1, 'attempt 2 never invoked the script');
  });

  test('two patches on one host: the second waits for the first run instead of starting beside it', async () => {
    const id = agent(1); // patched before: reset it
    sim.cluster.resetTruth();
    const host = sim.cluster.host(id);
    const versionFile = `${host.root}/opt/mesosphere/etc/dcos-version.json`;
    writeFileSync(versionFile, readFileSync(versionFile, 'utf8').replace('2.1.5', '2.1.4'));
    const a = runIn(
      mockEnv().env,
      runPatchScript,
      sim.target(id),
      url,
      { workflowId: 'patch-A/n', attempt: 1 },
      30_000
    );
    await waitFor(() => sim.cluster.truth().hosts[id]!.scriptRuns === 1, 'patch A to start');
    const b = await runIn(
      mockEnv().env,
      runPatchScript,
      sim.target(id),
      url,
      { workflowId: 'patch-B/n', attempt: 1 },
      30_000
    );
    assert.equal((await a).exitCode, 0);
    assert.equal(b.exitCode, 0);
    assert.match(b.waitedFor ?? '', /^patch-A_n-/);
    assert.equal(sim.cluster.truth().hosts[id]!.maxConcurrentScriptRuns, 1);
    assert.equal(sim.cluster.truth().hosts[id]!.scriptInvocations, 1);
  });

  test('after a reboot a run is known dead at once, even when its pid now belongs to a live process', async () => {
    const id = agent(2); // its script failed (exit 3) in an earlier test: the host is still at 2.1.4
    sim.cluster.clearFaults(id);
    const key = { workflowId: 'patch-reboot/agent/attempt-1', attempt: 1 };
    const first = mockEnv();
    const running = runIn(first.env, runPatchScript, sim.target(id), url, key, 30_000);
    await waitFor(() => sim.cluster.truth().hosts[id]!.scriptRuns === 1, 'the script to start');
    first.env.cancel();
    await assert.rejects(running);
    sim.cluster.reboot(id);
    // A process the host started after the reboot got the runner's pid (here: its pid is written
    // where the runner's was, and it even sits in the run directory).
    const runDir = path.join(sim.cluster.host(id).root, runPaths(sim.plan.remoteWorkDir, key).dir.replace(/^\//, ''));
    const squatter = spawn('sleep', ['30'], { cwd: runDir, stdio: 'ignore' });
    try {
      writeFileSync(path.join(runDir, 'pid'), `${squatter.pid}\n`);
      const started = Date.now();
      await assert.rejects(
        runIn(mockEnv().env, runPatchScript, sim.target(id), url, key, 20_000),
        failure('ScriptFailed', (f) => assert.match(f.message, /was killed/))
      );
      assert.ok(Date.now() - started < 10_000, 'not after the whole script timeout');
    } finally {
      squatter.kill('SIGKILL');
    }
  });
});
