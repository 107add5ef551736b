// The bootstrap node against the simulator: genconf, the generator, the URL that must answer.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { request } from 'undici';
import { prepareBootstrap } from '../../src/activities';
import type { BootstrapInput } from '../../src/shared/activity-types';

import { mockEnv, runIn, type Sim, startSim } from './helpers';

let sim: Sim;
before(async () => {
  sim = await startSim({ masters: 1, agents: 0 });
});
after(() => sim.stop());

function bootstrapFailed(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, 'BootstrapFailed', err.message);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('the bootstrap node', { timeout: 180_000 }, () => {
  test('genconf is filled, the generator runs, and its URL serves the node script', async () => {
    const { env, beats } = mockEnv();
    const r = await runIn(env, prepareBootstrap, { plan: sim.plan });
    assert.match(r.scriptUrl, /^http:\/\/[\d.]+:8080\/upgrade\/[0-9a-f]{32}\/dcos_node_upgrade\.sh$/);
    assert.match(r.generatorOutputTail, /Node upgrade script URL:/);
    const res = await request(r.scriptUrl);
    assert.equal(res.statusCode, 200);
    assert.match(await res.body.text(), /^#!/);

    const genconf = path.join(sim.cluster.bootstrap.root, sim.plan.bootstrap.installerDir, 'genconf');
    assert.equal(
      readFileSync(path.join(genconf, 'config.yaml'), 'utf8'),
      readFileSync(sim.plan.config.newConfigPath, 'utf8')
    );
    assert.ok(readFileSync(path.join(genconf, 'ip-detect')).length > 0);
    const runs = sim.cluster.truth().generatorRuns;
    assert.deepEqual(runs.at(-1)!.args, ['--generate-node-upgrade-script', '2.1.4']);
    // Heartbeats say what phase it is in, nothing more.
    assert.ok(beats.some((b) => (b as { phase?: string }).phase === 'generating'));
    assert.ok(!JSON.stringify(beats).includes('BEGIN'));
  });

  test('a generator that prints no URL line fails with BootstrapFailed and its output tail', async () => {
    const dir = path.join(sim.cluster.bootstrap.root, sim.plan.bootstrap.installerDir);
    const fake = path.join(dir, 'quiet_generate.sh');
    writeFileSync(
      fake,
      '#!/bin/bash\n[ "$1" = --version ] && { echo \'{"version": "2.1.5", "variant": ""}\'; exit 0; }\necho "====> EXECUTING UPGRADE SCRIPT GENERATION"\necho "all done, no URL today"\n'
    );
    chmodSync(fake, 0o755);
    const plan: BootstrapInput['plan'] = {
      ...sim.plan,
      bootstrap: { ...sim.plan.bootstrap, installerName: 'quiet_generate.sh' },
    };
    await assert.rejects(
      runIn(mockEnv().env, prepareBootstrap, { plan }),
      bootstrapFailed(/no line starting with "Node upgrade script URL:".*[\s\S]*all done, no URL today/)
    );
  });

  test('a generator that refuses (another minor installed) fails with BootstrapFailed and its reason', async () => {
    await assert.rejects(
      runIn(mockEnv().env, prepareBootstrap, { plan: { ...sim.plan, fromVersion: '2.0.8' } }),
      bootstrapFailed(/--generate-node-upgrade-script 2\.0\.8 exited 1[\s\S]*Configuration validation failed/)
    );
  });

  test('Enterprise: license.txt goes to genconf/ too, and no secret reaches the result or heartbeats', async () => {
    const ee = await startSim({ masters: 1, agents: 0, variant: 'enterprise' });
    try {
      const { env, beats } = mockEnv();
      const r = await runIn(env, prepareBootstrap, { plan: ee.plan });
      const license = readFileSync(ee.plan.config.licensePath!, 'utf8');
      const genconf = path.join(ee.cluster.bootstrap.root, ee.plan.bootstrap.installerDir, 'genconf');
      assert.equal(readFileSync(path.join(genconf, 'license.txt'), 'utf8'), license);
      assert.match(ee.plan.bootstrap.installerName, /\.ee\.sh$/);
      const history = JSON.stringify({ r, beats });
      assert.ok(!history.includes(license.trim()));
      assert.ok(!history.includes(readFileSync(ee.plan.ssh.privateKeyPath, 'utf8').split('\n')[1]!));
    } finally {
      await ee.stop();
    }
  });

  test('a URL that nothing serves fails with BootstrapFailed saying to serve genconf/serve', async () => {
    sim.cluster.inject(sim.cluster.bootstrap.id, { kind: 'endpoint', port: 'bootstrap', mode: 'refuse' });
    try {
      await assert.rejects(
        runIn(mockEnv().env, prepareBootstrap, { plan: sim.plan }),
        bootstrapFailed(/does not answer on the bootstrap node itself \(curl exit 7.*Serve genconf\/serve over HTTP/)
      );
    } finally {
      sim.cluster.clearFaults(sim.cluster.bootstrap.id);
    }
  });
});
