/**
 * probes: ssh — a DC/OS endpoint read on the node itself, the runbook's way: `curl` over the
 * cached SSH connection. Exhibitor is asked at `localhost`, Mesos and Marathon at the node's own
 * address (where they listen). TLS uses the node's own files (Exhibitor's client certificate,
 * root only, hence `sudo -n`; the cluster CA bundle for Mesos HTTPS): no key material on the
 * worker. The DC/OS token goes through curl's config on stdin, never on a command line.
 */
import type { NodeTarget } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import type { HttpAuth, NodeSpec } from '../shared/plan';
import { NODE_CA_BUNDLE, NODE_EXHIBITOR_TLS_DIR } from '../shared/remote-paths';
import { shq } from '../shared/shell';
import { type DcosEndpoint, endpointUrl } from './dcos-endpoints';
import { excerpt } from './parsers';
import { runCommand } from './ssh';
import { nonRetryable, retryable } from './util';

/** Enough for the leading master's /state of a large cluster (the tail would not parse). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** What SSH itself may add to curl's own limit (connect, session, exit). */
const SSH_MARGIN_MS = 10_000;
/** A JWT: base64url parts and dots; anything else is refused before it reaches a config file. */
const TOKEN_TEXT = /^[A-Za-z0-9._~+/=-]+$/;

/** A request that changes something (Marathon's app API): its method and JSON body. */
export interface NodeWrite {
  method: 'PUT' | 'DELETE' | 'POST';
  json?: string;
}

export interface NodeCurl {
  url: string;
  command: string;
  /** curl's config on stdin (the token header), when there is one. */
  stdin?: string;
}

/** The curl command for one GET on the node: body, then a last line with the HTTP status. */
export function nodeCurl(
  node: Pick<NodeSpec, 'id' | 'address' | 'ports'>,
  http: HttpAuth,
  which: DcosEndpoint,
  path: string,
  timeoutMs: number,
  token?: string,
  write?: NodeWrite
): NodeCurl {
  const url = endpointUrl(node, http, which, path, 'node');
  const args = [
    'curl',
    '-sS',
    '--max-time',
    String(Math.max(1, Math.ceil(timeoutMs / 1000))),
    '-w',
    shq('\\n%{http_code}'),
  ];
  if (write) {
    args.push('-X', write.method);
    // The body is no secret (an app definition): quoted on the command line like every argument.
    if (write.json !== undefined)
      args.push('-H', shq('Content-Type: application/json'), '--data-binary', shq(write.json));
  }
  let sudo = false;
  if (which === 'exhibitor' && http.exhibitorTlsOnNode) {
    const f = (name: string) => shq(`${NODE_EXHIBITOR_TLS_DIR}/${name}`);
    args.push('--cacert', f('root-cert.pem'), '--cert', f('client-cert.pem'), '--key', f('client-key.pem'));
    sudo = true;
  } else if ((which === 'mesosMaster' || which === 'mesosAgent') && http.mesosHttps) {
    args.push('--cacert', shq(NODE_CA_BUNDLE));
  }
  let stdin: string | undefined;
  if (token !== undefined && which !== 'exhibitor') {
    if (!TOKEN_TEXT.test(token)) {
      throw nonRetryable(
        `the DC/OS token file ${http.tokenPath} does not hold a token (a JWT: letters, digits and . _ - only)`,
        FailureTypes.InvalidPlan,
        { path: http.tokenPath }
      );
    }
    args.push('-K', '-');
    stdin = `header = "Authorization: token=${token}"\n`;
  }
  args.push(shq(url));
  return { url, command: `${sudo ? 'sudo -n ' : ''}${args.join(' ')}`, ...(stdin ? { stdin } : {}) };
}

/** curl's exit codes that retrying cannot fix. */
function curlCannotRun(exitCode: number, stderr: string): string | undefined {
  if (exitCode === 127)
    return 'curl is not installed on the node (the runbook needs it: install curl, or set probes: http)';
  if (/sudo: .*password is required|no tty present/.test(stderr)) {
    return 'sudo asks for a password: the SSH user needs passwordless sudo to read the Exhibitor TLS files';
  }
  if (exitCode === 58) return `curl cannot use the node's client certificate (${excerpt(stderr)})`;
  return undefined;
}

/** One request on the node over SSH (a GET unless `write`): any HTTP status resolves; no answer rejects retryable. */
export async function nodeRequest(
  target: Pick<NodeTarget, 'node' | 'http' | 'ssh'>,
  which: DcosEndpoint,
  path: string,
  timeoutMs: number,
  token: string | undefined,
  signal?: AbortSignal,
  write?: NodeWrite
): Promise<{ url: string; status: number; body: string }> {
  const c = nodeCurl(target.node, target.http, which, path, timeoutMs, token, write);
  const r = await runCommand(target, c.command, {
    timeoutMs: timeoutMs + SSH_MARGIN_MS,
    label: `curl ${c.url} on the node`,
    maxOutputBytes: MAX_BODY_BYTES,
    ...(c.stdin ? { stdin: c.stdin } : {}),
    ...(signal ? { signal } : {}),
  });
  const who = target.node.id;
  const fatal = curlCannotRun(r.exitCode, r.stderr);
  if (fatal) {
    throw nonRetryable(`${who}: GET ${c.url} on the node: ${fatal}`, FailureTypes.InvalidPlan, {
      host: who,
      url: c.url,
      seen: `curl exit ${r.exitCode}`,
    });
  }
  if (r.exitCode !== 0) {
    const why = `curl exit ${r.exitCode}: ${excerpt(r.stderr) || '(no output)'}`;
    throw retryable(`${who}: GET ${c.url} on the node: ${why}`, FailureTypes.HttpUnavailable, {
      host: who,
      url: c.url,
      seen: why,
    });
  }
  const cut = r.stdout.lastIndexOf('\n');
  const status = Number(r.stdout.slice(cut + 1).trim());
  return {
    url: c.url,
    status: Number.isInteger(status) ? status : 0,
    body: cut < 0 ? '' : r.stdout.slice(0, cut),
  };
}
