import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { type HostProcess, spawnViaSpawner } from '../../src/sim/host-process';

function bash(script: string): HostProcess {
  return spawnViaSpawner({ file: 'bash', args: ['-c', script], cwd: tmpdir(), env: { PATH: process.env.PATH } });
}

async function outcome(child: HostProcess): Promise<{ out: string; code: number | null; signal: string | null }> {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // Not events.once: it would listen for 'error' too, which a lost spawner also emits.
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ out, code, signal })));
}

/** The parent pid of a live process, from /proc/<pid>/stat (the field after the command name). */
function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function pidOf(child: HostProcess): Promise<number> {
  for (let i = 0; i < 200 && child.pid === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(child.pid, 'the spawner reports the pid');
  return child.pid;
}

describe('host commands started by the spawner process', { timeout: 30_000 }, () => {
  test('stdin in, stdout out, the exit status back, in its own process group', async () => {
    const child = bash('read line; echo "got $line"; echo "group $(ps -o pgid= $$ | tr -d " ") self $$"; exit 3');
    child.stdin.end('hello\n');
    const r = await outcome(child);
    assert.equal(r.code, 3);
    const [got, group] = r.out.split('\n');
    assert.equal(got, 'got hello');
    const [, pgid, , self] = group!.split(' ');
    assert.equal(pgid, self, 'the command leads its own process group');
  });

  test('a signal sent before the pid is known still reaches the command', async () => {
    const child = bash('sleep 20');
    child.signal('SIGTERM');
    const r = await outcome(child);
    assert.equal(r.signal, 'SIGTERM');
  });

  test('a spawner that dies fails its running commands and the next command gets a new one', async () => {
    const child = bash('sleep 20');
    const spawnerPid = parentPid(await pidOf(child));
    assert.notEqual(spawnerPid, process.pid, 'the simulator process does not fork the command itself');
    process.kill(spawnerPid, 'SIGKILL');
    const r = await outcome(child);
    assert.equal(r.code, 255);
    child.signal('SIGKILL');
    const next = await outcome(bash('echo again'));
    assert.deepEqual([next.out, next.code], ['again\n', 0]);
  });
});
