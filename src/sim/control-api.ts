/**
 * The simulator's control API on 127.0.0.1 (random port): used by the host shims (live state) and
 * for run-time fault injection and ground truth (tests, the CLI, the demo).
 *
 *   GET    /ping                          liveness (hung host scripts exit when it stops answering)
 *   GET    /truth                         ground truth (JSON)
 *   GET    /cluster                       hosts, addresses, ports
 *   POST   /faults        {node, fault}   inject a fault
 *   DELETE /faults/<node>                 clear a host's faults
 *   POST   /facts         {node, facts}   change host facts
 *   POST   /hosts/<node>/units/<stop|start>
 *   POST   /helpers/agent-unregistered {node, on}   /helpers/master-not-serving {node, on}
 *   POST   /helpers/app-unhealthy {app, on}   /helpers/kill-task {app, task?}   /helpers/dns-outage {on}
 *   POST   /helpers/cockroach-underreplicated {ranges}
 *   POST   /hosts/<node>/cmd/<name>       a shim's command (body: NUL-separated args;
 *                                         headers x-sim-cwd, x-sim-euid; reply: code, base64 stderr, stdout)
 *   POST   /shutdown                      stop the cluster (the CLI's `down`)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CmdResult } from './commands/context';
import { parseFault } from './faults';
import { readBody, sendJson, sendText } from './http-util';
import type { Fault, GroundTruth, HostFacts, SimHost } from './types';

export interface ControlTarget {
  truth(): GroundTruth;
  hosts(): SimHost[];
  inject(node: string, fault: Fault): void;
  clearFaults(node: string): void;
  setFacts(node: string, facts: Partial<HostFacts>): void;
  stopUnits(node: string): void;
  startUnits(node: string): void;
  makeAgentUnregistered(node: string, on?: boolean): void;
  makeMasterNotServing(node: string, on?: boolean): void;
  makeAppUnhealthy(appId: string, on?: boolean): void;
  killTask(appId: string, taskId?: string): { killed: string; agent: string; replacement?: string };
  setDnsOutage(on?: boolean): void;
  setCockroachUnderreplicated(ranges: number): void;
  runCommand(node: string, name: string, args: string[], cwd: string, euid: number): Promise<CmdResult>;
  shutdown(): void;
}

function jsonObject(text: string): Record<string, unknown> {
  const v = JSON.parse(text || '{}') as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('body must be a JSON object');
  return v as Record<string, unknown>;
}

function nodeOf(body: Record<string, unknown>): string {
  if (typeof body.node !== 'string') throw new Error('body.node (a node id) is required');
  return body.node;
}

async function route(t: ControlTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';

  if (method === 'POST' && parts[0] === 'hosts' && parts[2] === 'cmd' && parts[1] && parts[3]) {
    const raw = await readBody(req, 16 << 20);
    const args = raw.length === 0 ? [] : raw.split('\0');
    if (args.length > 0 && args[args.length - 1] === '') args.pop();
    const cwd = String(req.headers['x-sim-cwd'] ?? '/');
    const euid = Number(req.headers['x-sim-euid'] ?? '1000');
    let result: CmdResult;
    try {
      result = await t.runCommand(parts[1], parts[3], args, cwd, euid);
    } catch (err) {
      result = { code: 1, stderr: `${parts[3]}: ${(err as Error).message}\n` };
    }
    const stdout = typeof result.stdout === 'string' ? Buffer.from(result.stdout) : (result.stdout ?? Buffer.alloc(0));
    const head = Buffer.from(`${result.code}\n${Buffer.from(result.stderr ?? '').toString('base64')}\n`);
    const body = Buffer.concat([head, stdout]);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  if (method === 'GET' && parts[0] === 'ping') return sendText(res, 200, 'pong\n');
  if (method === 'GET' && parts[0] === 'truth') return sendJson(res, 200, t.truth());
  if (method === 'GET' && parts[0] === 'cluster') return sendJson(res, 200, { hosts: t.hosts() });
  if (method === 'POST' && parts[0] === 'faults' && parts.length === 1) {
    const body = jsonObject(await readBody(req));
    t.inject(nodeOf(body), parseFault(body.fault));
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'DELETE' && parts[0] === 'faults' && parts[1]) {
    t.clearFaults(parts[1]);
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && parts[0] === 'facts') {
    const body = jsonObject(await readBody(req));
    const facts = body.facts;
    if (typeof facts !== 'object' || facts === null) throw new Error('body.facts (an object) is required');
    t.setFacts(nodeOf(body), facts as Partial<HostFacts>);
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && parts[0] === 'hosts' && parts[2] === 'units' && parts[1]) {
    if (parts[3] === 'stop') t.stopUnits(parts[1]);
    else if (parts[3] === 'start') t.startUnits(parts[1]);
    else return sendJson(res, 404, { error: 'units/stop or units/start' });
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && parts[0] === 'helpers') {
    const body = jsonObject(await readBody(req));
    const on = body.on !== false;
    if (parts[1] === 'agent-unregistered') t.makeAgentUnregistered(nodeOf(body), on);
    else if (parts[1] === 'master-not-serving') t.makeMasterNotServing(nodeOf(body), on);
    else if (parts[1] === 'app-unhealthy' && typeof body.app === 'string') t.makeAppUnhealthy(body.app, on);
    else if (parts[1] === 'kill-task' && typeof body.app === 'string')
      return sendJson(res, 200, t.killTask(body.app, typeof body.task === 'string' ? body.task : undefined));
    else if (parts[1] === 'dns-outage') t.setDnsOutage(on);
    else if (parts[1] === 'cockroach-underreplicated' && typeof body.ranges === 'number')
      t.setCockroachUnderreplicated(body.ranges);
    else return sendJson(res, 404, { error: `unknown helper ${parts[1]}` });
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && parts[0] === 'shutdown') {
    sendJson(res, 200, { ok: true });
    setImmediate(() => t.shutdown());
    return;
  }
  sendText(res, 404, `no such control endpoint: ${method} ${url.pathname}\n`);
}

export function createControlServer(target: ControlTarget): Server {
  return createServer((req, res) => {
    route(target, req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 400, { error: err.message });
    });
  });
}
