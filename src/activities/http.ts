/**
 * HTTP to DC/OS endpoints with undici: a per-request time limit, optional TLS with a CA and
 * client certificates (files read on the worker; one undici Agent per certificate set), the
 * DC/OS token (`Authorization: token=<JWT>`, read from `http.tokenPath` for every request) and
 * JSON parsing that turns a garbage body into a readable, retryable error.
 */
import { readFileSync, statSync } from 'node:fs';
import { Agent, type Dispatcher, request } from 'undici';
import type { NodeTarget } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import type { HttpAuth, NodePorts } from '../shared/plan';
import { type DcosEndpoint, endpointUrl } from './dcos-endpoints';
import { type NodeWrite, nodeRequest } from './node-curl';
import { excerpt as excerptText } from './parsers';
import { abortReason, errorText, nonRetryable, retryable } from './util';

export interface TlsFiles {
  caCertPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

export interface HttpOptions {
  timeoutMs: number;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** A JSON body (sent with Content-Type: application/json). */
  json?: string;
  signal?: AbortSignal;
  tls?: TlsFiles;
  /** File holding the DC/OS token; sent as `Authorization: token=<JWT>`. */
  tokenPath?: string;
  headers?: Record<string, string>;
  /** Who asks, for messages (the node id). */
  host?: string;
}

export interface HttpResponse {
  status: number;
  body: string;
  contentType: string;
}

const agents = new Map<string, Agent>();

function readTls(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw nonRetryable(
      `cannot read the ${what} ${path} on the worker (${errorText(err)}); make it readable where the worker runs`,
      FailureTypes.InvalidPlan,
      { path }
    );
  }
}

function mtime(path?: string): number {
  if (!path) return 0;
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** The undici Agent for a set of certificate files (cached; a changed file gets a new Agent). */
export function agentFor(tls: TlsFiles | undefined): Dispatcher | undefined {
  if (!tls || (!tls.caCertPath && !tls.clientCertPath)) return undefined;
  const key = JSON.stringify([
    tls.caCertPath,
    tls.clientCertPath,
    tls.clientKeyPath,
    mtime(tls.caCertPath),
    mtime(tls.clientCertPath),
    mtime(tls.clientKeyPath),
  ]);
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: {
        ...(tls.caCertPath ? { ca: readTls(tls.caCertPath, 'CA certificate') } : {}),
        ...(tls.clientCertPath ? { cert: readTls(tls.clientCertPath, 'client certificate') } : {}),
        ...(tls.clientKeyPath ? { key: readTls(tls.clientKeyPath, 'client key') } : {}),
      },
    });
    agents.set(key, agent);
  }
  return agent;
}

function readToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw nonRetryable(
      `cannot read the DC/OS token file ${path} on the worker (${errorText(err)}); put a valid token there (dcos-patch never takes it as an argument)`,
      FailureTypes.InvalidPlan,
      { path }
    );
  }
}

/**
 * One HTTP request. Resolves with any status; rejects (retryable `HttpUnavailable`) when the
 * endpoint does not answer within `timeoutMs`, and with the signal's reason when cancelled.
 */
export async function httpRequest(url: string, opts: HttpOptions): Promise<HttpResponse> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.tokenPath) headers.authorization = `token=${readToken(opts.tokenPath)}`;
  const dispatcher = agentFor(opts.tls);
  // Our own timer (not AbortSignal.timeout) so the limit covers connect, headers and body.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('timed out')), opts.timeoutMs);
  const onCancel = () => abort.abort(abortReason(opts.signal!));
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  const who = opts.host ? `${opts.host}: ` : '';
  try {
    const res = await request(url, {
      method,
      headers,
      ...(opts.json !== undefined ? { body: opts.json } : {}),
      signal: abort.signal,
      ...(dispatcher ? { dispatcher } : {}),
    });
    let body = '';
    if (method === 'HEAD') await res.body.dump();
    else body = await res.body.text();
    const ct = res.headers['content-type'];
    return { status: res.statusCode, body, contentType: Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? '') };
  } catch (err) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    const why = abort.signal.aborted ? `no answer within ${Math.round(opts.timeoutMs / 1000)} s` : errorText(err);
    throw retryable(`${who}${method} ${url}: ${why}`, FailureTypes.HttpUnavailable, {
      host: opts.host,
      url,
      seen: why,
    });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

/** GET a JSON document: HTTP 200 and a parseable body, else a retryable, readable error. */
export async function getJson(url: string, opts: HttpOptions): Promise<unknown> {
  return jsonOf(await httpRequest(url, { ...opts, method: 'GET' }), url, opts.host);
}

/** The JSON of an answer: HTTP 200 and a parseable body, else a retryable, readable error. */
export function jsonOf(res: Pick<HttpResponse, 'status' | 'body'>, url: string, host?: string): unknown {
  const who = host ? `${host}: ` : '';
  if (res.status !== 200) {
    const hint =
      res.status === 401 || res.status === 403
        ? ' (the DC/OS token was refused: refresh the file at http.token)'
        : res.status >= 500
          ? ' (the service is not ready)'
          : '';
    throw retryable(
      `${who}GET ${url}: HTTP ${res.status}${hint}: ${excerptText(res.body)}`,
      FailureTypes.HttpUnavailable,
      { host, url, expected: 'HTTP 200', seen: `HTTP ${res.status}` }
    );
  }
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    throw retryable(
      `${who}GET ${url}: the answer is not JSON: ${excerptText(res.body) || '(empty body)'}`,
      FailureTypes.HttpUnavailable,
      { host, url, expected: 'JSON', seen: excerptText(res.body) }
    );
  }
}

export type { DcosEndpoint };

/**
 * URL and options for a DC/OS endpoint on a node, as the plan's `http` settings say: Exhibitor
 * over HTTPS with client certificates when `exhibitorTls` is set; Mesos over HTTPS (CA bundle)
 * when `mesosHttps`; the token for Mesos endpoints when `tokenPath` is set.
 */
export function endpoint(
  node: { id: string; address: string; ports: NodePorts },
  http: HttpAuth,
  which: DcosEndpoint,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal
): { url: string; opts: HttpOptions } {
  const base = { timeoutMs, host: node.id, ...(signal ? { signal } : {}) };
  const url = endpointUrl(node, http, which, path, 'worker');
  const token = http.tokenPath ? { tokenPath: http.tokenPath } : {};
  if (which === 'exhibitor') {
    const tls = http.exhibitorTls;
    return {
      url,
      opts: tls
        ? {
            ...base,
            tls: { caCertPath: tls.caCertPath, clientCertPath: tls.clientCertPath, clientKeyPath: tls.clientKeyPath },
          }
        : base,
    };
  }
  if (which === 'marathon') return { url, opts: { ...base, ...token } };
  if (which === 'mesosDns') return { url, opts: base };
  return {
    url,
    opts: {
      ...base,
      ...(http.mesosHttps && http.mesosCaCertPath ? { tls: { caCertPath: http.mesosCaCertPath } } : {}),
      ...token,
    },
  };
}

/**
 * GET a DC/OS endpoint of a target node as JSON: on the node over SSH (probes: ssh) or from the
 * worker (probes: http, and the inputs of patches started before probes over SSH existed).
 */
export async function getNodeJson(
  target: Pick<NodeTarget, 'node' | 'http' | 'ssh'>,
  which: DcosEndpoint,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal
): Promise<unknown> {
  if (target.http.probes === 'ssh') {
    const res = await nodeRequest(target, which, path, timeoutMs, tokenFor(target, which), signal);
    return jsonOf(res, res.url, target.node.id);
  }
  const { url, opts } = endpoint(target.node, target.http, which, path, timeoutMs, signal);
  return getJson(url, opts);
}

/** The DC/OS token where the endpoint takes one (never Exhibitor, never Mesos-DNS). */
function tokenFor(target: Pick<NodeTarget, 'http'>, which: DcosEndpoint): string | undefined {
  const needsToken = which !== 'exhibitor' && which !== 'mesosDns' && target.http.tokenPath;
  return needsToken ? readToken(target.http.tokenPath!) : undefined;
}

/**
 * One request to a DC/OS endpoint of a node, a write when `write` says so (Marathon's app API):
 * on the node over SSH (probes: ssh) or from the worker. Any HTTP status resolves; no answer
 * rejects retryable.
 */
export async function requestNode(
  target: Pick<NodeTarget, 'node' | 'http' | 'ssh'>,
  which: DcosEndpoint,
  path: string,
  timeoutMs: number,
  write?: NodeWrite,
  signal?: AbortSignal
): Promise<{ url: string; status: number; body: string }> {
  if (target.http.probes === 'ssh') {
    return nodeRequest(target, which, path, timeoutMs, tokenFor(target, which), signal, write);
  }
  const { url, opts } = endpoint(target.node, target.http, which, path, timeoutMs, signal);
  const res = await httpRequest(url, {
    ...opts,
    method: write?.method ?? 'GET',
    ...(write?.json !== undefined ? { json: write.json } : {}),
  });
  return { url, status: res.status, body: res.body };
}

/** Close the cached TLS agents (worker shutdown, tests). */
export async function closeAllHttp(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close().catch(() => undefined)));
}
