// One node's steps against the simulator: read state, stage, libltdl, diagnostics.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  agentDownSince,
  collectDiagnostics,
  prepareAgent,
  prepareBootstrap,
  readNodeState,
  runPatchScript,
  stageScript,
} from '../../src/activities';
import { mockEnv, runIn, type Sim, startSim } from './helpers';

let sim: Sim;
let url: string;
before(async () => {
  sim = await startSim({ masters: 1, agents: 2, publicAgents: 1 });
  url = (await runIn(mockEnv().env, prepareBootstrap, { plan: sim.plan })).scriptUrl;
});
after(() => sim.stop());
const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
  runIn(mockEnv().env, fn, ...args);

describe('a node', () => {
  test('its state: installed version, roles, config hash, and whether the config matches the plan', async () => {
    const m = sim.plan.masters[0]!.id;
    const s = await run(readNodeState, sim.target(m), sim.plan.config.newConfigPath);
    assert.equal(s.installedVersion, '2.1.4');
    assert.deepEqual(s.roles, ['master']);
    assert.match(s.configHash, /^[0-9a-f]{64}$/);
    assert.equal(s.configMatches, true);
    const other = path.join(sim.cluster.dir, 'other-config.yaml');
    writeFileSync(other, 'cluster_name: other\nbootstrap_url: http://x\n');
    assert.equal((await run(readNodeState, sim.target(m), other)).configMatches, false);
    const pub = await run(readNodeState, sim.target(sim.plan.publicAgents[0]!.id));
    assert.deepEqual(pub.roles, ['slave_public']);
    assert.equal(pub.configMatches, undefined);
  });

  test('libltdl.so.7 is removed once, then reported absent', async () => {
    const a = sim.target(sim.plan.agents[0]!.id);
    assert.deepEqual(await run(prepareAgent, a), { removed: true });
    assert.deepEqual(await run(prepareAgent, a), { removed: false });
  });

  test('the script is staged on the node before the run, and the run uses it', async () => {
    const a = sim.plan.agents[0]!.id;
    const key = { workflowId: 'wf-staged', attempt: 1 };
    const staged = await run(stageScript, sim.target(a), url, key);
    assert.equal(staged.alreadyStarted, false);
    assert.equal(staged.path, '/var/lib/dcos-patch/runs/wf-staged/attempt-1.staged/dcos_node_upgrade.sh');
    assert.ok(staged.bytes > 100);
    const r = await run(runPatchScript, sim.target(a), url, key, 30_000);
    assert.match(r.outputTail, /using the script staged/);
    assert.deepEqual(await run(stageScript, sim.target(a), url, key), { path: '', bytes: 0, alreadyStarted: true });
  });

  test('staging fails fast and clearly when the bootstrap server does not answer, touching nothing', async () => {
    const a = sim.plan.agents[1]!.id;
    sim.cluster.inject(sim.cluster.bootstrap.id, { kind: 'endpoint', port: 'bootstrap', mode: 'refuse' });
    const t0 = Date.now();
    try {
      await assert.rejects(
        run(stageScript, sim.target(a), url, { workflowId: 'wf-nobootstrap', attempt: 1 }),
        (err) => {
          assert.ok(err instanceof ApplicationFailure);
          assert.equal(err.type, 'BootstrapFailed');
          assert.equal(err.nonRetryable, true);
          assert.match(err.message, /does not answer from the node \(curl exit 7/);
          assert.match(err.message, /Nothing was changed on the node/);
          return true;
        }
      );
    } finally {
      sim.cluster.clearFaults(sim.cluster.bootstrap.id);
    }
    assert.ok(Date.now() - t0 < 15_000);
    assert.equal(sim.cluster.truth().hosts[a]!.scriptRuns, 0);
  });

  test('diagnostics are collected from a node whose script failed, section by section', async () => {
    const a = sim.plan.agents[1]!.id;
    sim.cluster.inject(a, { kind: 'script-exit', code: 3 });
    const key = { workflowId: 'wf-diag', attempt: 1 };
    await run(prepareAgent, sim.target(a));
    await assert.rejects(run(runPatchScript, sim.target(a), url, key, 30_000), /exited 3/);
    const d = await run(collectDiagnostics, sim.target(a), key);
    assert.equal(d.node, a);
    assert.equal(d.role, 'agent');
    const byCommand = new Map(d.sections.map((s) => [s.command, s]));
    for (const cmd of [
      'cat /opt/mesosphere/etc/dcos-version.json',
      'sudo -n journalctl -u dcos-download --no-pager -n 50',
      'sudo -n journalctl -u dcos-net --no-pager -n 50',
      'systemctl | grep dcos',
      'sudo -n /opt/mesosphere/bin/dcos-check-runner check node-poststart',
      'sudo -n journalctl -u dcos-mesos-slave --no-pager -n 50',
    ]) {
      assert.ok(byCommand.has(cmd), `missing section ${cmd}: ${[...byCommand.keys()].join(' | ')}`);
    }
    const tail = d.sections.find((s) => s.command.includes('output.log'))!;
    assert.equal(tail.exitCode, 0);
    assert.match(tail.output, /ERROR: upgrade failed/);
    assert.match(byCommand.get('systemctl | grep dcos')!.output, /dcos-mesos-slave/);
    assert.ok(d.sections.every((s) => s.output.length <= 3_100));
  });

  test('master diagnostics cover Exhibitor, ZooKeeper, Mesos master and DNS; an unreachable host gives one section', async () => {
    const m = sim.plan.masters[0]!.id;
    const d = await run(collectDiagnostics, sim.target(m));
    const commands = d.sections.map((s) => s.command).join('\n');
    for (const unit of ['dcos-exhibitor', 'dcos-mesos-master', 'dcos-mesos-dns'])
      assert.match(commands, new RegExp(unit));
    assert.match(commands, /zookeeper\.out/);

    const p = sim.plan.publicAgents[0]!.id;
    assert.match(
      (await run(collectDiagnostics, sim.target(p))).sections.map((s) => s.command).join('\n'),
      /dcos-mesos-slave-public/
    );
    sim.cluster.inject(p, { kind: 'ssh-refuse', forMs: 5_000 });
    try {
      const down = await run(collectDiagnostics, sim.target(p));
      assert.equal(down.sections.length, 1);
      assert.equal(down.sections[0]!.exitCode, -1);
      assert.match(down.sections[0]!.output, /could not run it: SSH .*cannot connect/);
    } finally {
      sim.cluster.clearFaults(p);
    }
  });
});

describe("the masters' agent window", () => {
  test('starts when the agent unit stopped (read on the host, on its monotonic clock), not when the script began', async () => {
    const a = sim.plan.agents[0]!.id;
    sim.cluster.stopUnits(a);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    sim.cluster.startUnits(a);
    const { sinceMs } = await runIn(mockEnv().env, agentDownSince, sim.target(a));
    assert.ok(sinceMs !== undefined);
    assert.ok(Math.abs(sinceMs - stoppedAt) < 300, `down since ${sinceMs - stoppedAt} ms off`);
  });
});
