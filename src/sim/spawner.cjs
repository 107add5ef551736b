// The simulator's spawner: a small process that starts the hosts' bash commands for it and
// relays their stdio over IPC (see host-process.ts).
// Why: spawning forks the spawning process, and a fork costs in proportion to the forker's memory
// and blocks its event loop. Forked from a simulator of 1,000 hosts, each spawn held every host's
// SSH and HTTP answers for ~8 ms; this process stays small. Plain JavaScript so it starts with no
// loader and the smallest heap.
'use strict';
const { spawn } = require('node:child_process');

const children = new Map();
const send = (m) => {
  if (process.connected) process.send(m);
};

function start({ id, file, args, cwd, env }) {
  const c = spawn(file, args, { cwd, env, detached: true, stdio: 'pipe' });
  children.set(id, c);
  if (c.pid !== undefined) send({ t: 'pid', id, pid: c.pid });
  c.stdin.on('error', () => {});
  c.stdout.on('data', (data) => send({ t: 'out', id, data }));
  c.stderr.on('data', (data) => send({ t: 'err', id, data }));
  c.on('error', (err) => send({ t: 'error', id, message: err.message, code: err.code }));
  c.on('exit', (code, signal) => send({ t: 'exit', id, code, signal }));
  c.on('close', (code, signal) => {
    children.delete(id);
    send({ t: 'close', id, code, signal });
  });
}

process.on('message', (m) => {
  if (m.t === 'spawn') start(m);
  else if (m.t === 'in') children.get(m.id)?.stdin.write(m.data);
  else if (m.t === 'end') children.get(m.id)?.stdin.end();
});
// The simulator is gone: its hosts' detached commands stay, as they would have without us.
process.on('disconnect', () => process.exit(0));
