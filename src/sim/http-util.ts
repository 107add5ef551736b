/** Shared pieces of the simulated HTTP endpoints: JSON answers, endpoint faults, strict-mode auth. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FaultSet } from './faults';
import type { PortName } from './types';

export function sendText(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, typeof body === 'string' ? body : JSON.stringify(body), 'application/json');
}

/** Mesos prints metrics as floats (`1.0`); JSON.stringify would print `1`. */
export function metricsJson(metrics: Record<string, number>): string {
  const parts = Object.entries(metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${JSON.stringify(k)}:${Number.isInteger(v) ? `${v}.0` : String(v)}`);
  return `{${parts.join(',')}}`;
}

/**
 * Apply an endpoint fault to this request, if one matches: `garbage` answers 200 with a body that is
 * not JSON, `500` an Internal Server Error, `timeout` never answers. Returns true when handled.
 */
export function applyEndpointFault(
  faults: FaultSet,
  port: PortName | 'bootstrap',
  req: IncomingMessage,
  res: ServerResponse
): boolean {
  const url = new URL(req.url ?? '/', 'http://sim');
  const fault = faults.takeEndpointFault(port, url.pathname);
  if (!fault) return false;
  if (fault.mode === 'garbage') {
    sendText(res, 200, '{"garbage": <html>502 Bad Gateway</html> \u0000\u0001', 'application/json');
  } else if (fault.mode === '500') {
    sendText(res, 500, 'Internal Server Error');
  }
  // timeout: never answer; the socket is cut when the listener closes or the cluster stops
  return true;
}

export function pathOf(req: IncomingMessage): { path: string; query: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'http://sim');
  return { path: url.pathname.replace(/\/+$/, '') || '/', query: url.searchParams };
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A request handler whose exceptions answer 500 instead of crashing the simulator. */
export function guarded(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): RequestListener {
  return (req, res) => {
    const fail = (): void => {
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error (simulator)');
      else res.destroy();
    };
    try {
      const r = handler(req, res);
      if (r instanceof Promise) r.catch(fail);
    } catch {
      fail();
    }
  };
}
