/** An agent's Mesos endpoint (:5051): `/metrics/snapshot` with `slave/registered`, `/state`, `/version`. */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { type AuthMaterial, authorized } from './auth';
import { applyEndpointFault, guarded, metricsJson, pathOf, sendJson, sendText } from './http-util';
import { agentMetrics, agentState, versionJson } from './mesos-state';
import type { ClusterModel, HostState } from './model';
import type { TlsMaterial } from './tls';

export interface AgentHttpOptions {
  model: ClusterModel;
  host: HostState;
  tls?: TlsMaterial;
  mesosHttps: boolean;
  auth?: AuthMaterial;
}

export function createMesosAgentServer(o: AgentHttpOptions): Server {
  const { model, host } = o;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (applyEndpointFault(host.faults, 'mesosAgent', req, res)) return;
    const { path } = pathOf(req);
    if (path === '/health' || path === '/slave(1)/health') {
      sendText(res, 200, '');
      return;
    }
    if (path === '/version') {
      sendJson(res, 200, versionJson(model.mesosVersionOf(host)));
      return;
    }
    if (o.auth && !authorized(o.auth, req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'acsjwt');
      sendText(res, 401, 'Unauthorized: authentication required (Authorization: token=<JWT>)');
      return;
    }
    if (path === '/metrics/snapshot') sendText(res, 200, metricsJson(agentMetrics(model, host)), 'application/json');
    else if (path === '/state' || path === '/state.json' || path === '/slave(1)/state')
      sendJson(res, 200, agentState(model, host));
    else sendText(res, 404, '');
  };
  if (o.mesosHttps && o.tls) {
    return createHttps({ key: o.tls.serverKey, cert: o.tls.serverCert, keepAliveTimeout: 5000 }, guarded(handler));
  }
  return createHttp({ keepAliveTimeout: 5000 }, guarded(handler));
}
