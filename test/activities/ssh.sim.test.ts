// SSH to simulated hosts (real ssh2 servers): host keys verified, drops and refusals told apart.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { closeAllSsh, runCommand, sshConnectionCount } from '../../src/activities/ssh';
import { type Sim, startSim } from './helpers';

let sim: Sim;
before(async () => {
  sim = await startSim({ masters: 1, agents: 2 });
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

describe('SSH', () => {
  test('commands run on the host with exit code, stdout, stderr and stdin, over one cached connection', async () => {
    closeAllSsh();
    const t = sim.target(sim.plan.masters[0]!.id);
    const r = await runCommand(t, 'cat /opt/mesosphere/etc/dcos-version.json; echo oops >&2; exit 4', {
      timeoutMs: 10_000,
    });
    assert.equal(r.exitCode, 4);
    assert.match(r.stdout, /"version": "2\.1\.4"/);
    assert.equal(r.stderr, 'oops\n');
    const echo = await runCommand(t, 'cat', { timeoutMs: 10_000, stdin: 'from the worker\n' });
    assert.equal(echo.stdout, 'from the worker\n');
    assert.equal(sshConnectionCount(), 1);
  });

  test('a changed host key is HostKeyMismatch with both fingerprints and what to do', async () => {
    const id = sim.plan.agents[0]!.id;
    closeAllSsh();
    sim.cluster.inject(id, { kind: 'host-key-change' });
    try {
      await assert.rejects(
        runCommand(sim.target(id), 'true', { timeoutMs: 10_000 }),
        failure('HostKeyMismatch', (f) => {
          assert.equal(f.nonRetryable, true);
          assert.match(f.message, /HOST KEY MISMATCH: expected ssh-ed25519 SHA256:\S+ .*seen ssh-ed25519 SHA256:\S+/);
          assert.match(f.message, /ssh-keygen -R/);
          const d = f.details?.[0] as { host: string; expected: string[]; seen: string };
          assert.equal(d.host, id);
          assert.notEqual(d.expected[0], d.seen);
        })
      );
    } finally {
      sim.cluster.clearFaults(id);
    }
    assert.equal((await runCommand(sim.target(id), 'true', { timeoutMs: 10_000 })).exitCode, 0);
  });

  test('a host missing from known_hosts is HostKeyUnknown (non-retryable) with the ssh-keyscan fix', async () => {
    const id = sim.plan.agents[0]!.id;
    const emptyKnownHosts = path.join(sim.cluster.dir, 'known_hosts.empty');
    writeFileSync(emptyKnownHosts, '# nothing here\n');
    closeAllSsh();
    const t = sim.target(id);
    await assert.rejects(
      runCommand({ ...t, ssh: { ...t.ssh, knownHostsPath: emptyKnownHosts } }, 'true', { timeoutMs: 10_000 }),
      failure('HostKeyUnknown', (f) => {
        assert.equal(f.nonRetryable, true);
        assert.match(f.message, /is not in .*known_hosts\.empty .*ssh-keyscan -p 2222/);
      })
    );
  });

  test('refused connections are retryable SshUnreachable; the next command reconnects', async () => {
    const id = sim.plan.agents[1]!.id;
    await runCommand(sim.target(id), 'true', { timeoutMs: 10_000 });
    sim.cluster.inject(id, { kind: 'ssh-refuse', forMs: 400 });
    await assert.rejects(
      runCommand(sim.target(id), 'true', { timeoutMs: 10_000 }),
      failure('SshUnreachable', (f) => assert.equal(f.nonRetryable, false))
    );
    await new Promise((r) => setTimeout(r, 500));
    sim.cluster.clearFaults(id);
    assert.equal((await runCommand(sim.target(id), 'echo back', { timeoutMs: 10_000 })).stdout, 'back\n');
  });

  test('a connection dropped mid-command is retryable SshDropped; the next command reconnects', async () => {
    const id = sim.plan.agents[1]!.id;
    sim.cluster.inject(id, { kind: 'ssh-drop', afterMs: 100, match: 'sleep 2' });
    await assert.rejects(
      runCommand(sim.target(id), 'sleep 2', { timeoutMs: 10_000 }),
      failure('SshDropped', (f) => assert.match(f.message, /may still be running on the host/))
    );
    assert.equal((await runCommand(sim.target(id), 'echo again', { timeoutMs: 10_000 })).stdout, 'again\n');
  });

  test('a command past its time limit, or cancelled, is ended at once', async () => {
    const t = sim.target(sim.plan.masters[0]!.id);
    const t0 = Date.now();
    await assert.rejects(runCommand(t, 'sleep 20', { timeoutMs: 200 }), failure('SshCommandTimeout'));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by the workflow')), 100);
    await assert.rejects(
      runCommand(t, 'sleep 20', { timeoutMs: 10_000, signal: ac.signal }),
      /cancelled by the workflow/
    );
    assert.ok(Date.now() - t0 < 3_000);
  });
});
