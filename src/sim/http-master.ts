/**
 * A master's HTTP endpoints: Exhibitor (:8181; HTTPS with client certificates on Enterprise),
 * the Mesos master (:5050; 401 without a token in strict mode); Marathon (:8080) and Mesos-DNS
 * (:8123) are in their own modules. Each is its own server so a stopped unit closes exactly its port.
 */
import {
  createServer as createHttp,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import { type AuthMaterial, authorized, login } from './auth';
import { applyEndpointFault, guarded, metricsJson, pathOf, readBody, sendJson, sendText } from './http-util';
import type { MarathonApps } from './marathon-apps';
import { masterMetrics, masterSlaves, masterState, masterTasks, versionJson } from './mesos-state';
import type { ClusterModel, HostState } from './model';
import type { TlsMaterial } from './tls';
import type { MarathonApp } from './types';

export interface MasterHttpOptions {
  model: ClusterModel;
  host: HostState;
  tls?: TlsMaterial;
  /** Exhibitor over HTTPS with client-certificate verification (Enterprise). */
  exhibitorTls: boolean;
  mesosHttps: boolean;
  /** Strict mode: Mesos endpoints need `Authorization: token=<JWT>`. */
  auth?: AuthMaterial;
  marathon: { eventSubscriber: boolean; apps: MarathonApp[] };
  marathonVersion: string;
  /** Marathon's apps and their tasks (shared by every master: any master proxies to the leader). */
  marathonApps: MarathonApps;
}

export function server(raw: RequestListener, tls?: TlsMaterial, clientCerts = false): Server {
  const handler = guarded(raw);
  if (!tls) return createHttp({ keepAliveTimeout: 5000 }, handler);
  return createHttps(
    {
      key: tls.serverKey,
      cert: tls.serverCert,
      ca: tls.caCert,
      requestCert: clientCerts,
      rejectUnauthorized: clientCerts,
      keepAliveTimeout: 5000,
    },
    handler
  );
}

function notFound(res: ServerResponse): void {
  sendText(res, 404, '');
}

export function createExhibitorServer(o: MasterHttpOptions): Server {
  const { model, host } = o;
  return server(
    (req, res) => {
      if (applyEndpointFault(host.faults, 'exhibitor', req, res)) return;
      const { path } = pathOf(req);
      if (path === '/exhibitor/v1/cluster/status') {
        sendJson(
          res,
          200,
          model.masters.map((m) => ({
            ...model.exhibitorStatusOf(m),
            hostname: m.spec.address,
            isLeader: model.zkLeader === m,
          }))
        );
      } else if (path === '/exhibitor/v1/cluster/state') {
        const s = model.exhibitorStatusOf(host);
        sendJson(res, 200, {
          response: {
            switches: { restarts: true, cleanup: true, backups: true },
            state: s.code,
            description: s.description,
            isLeader: model.zkLeader === host,
          },
          errorMessage: '',
          success: true,
        });
      } else if (path.startsWith('/exhibitor/v1/ui')) {
        sendText(
          res,
          200,
          '<html><head><title>Exhibitor for ZooKeeper</title></head><body>Exhibitor (simulated)</body></html>',
          'text/html'
        );
      } else notFound(res);
    },
    o.exhibitorTls ? o.tls : undefined,
    true
  );
}

export function createMesosMasterServer(o: MasterHttpOptions): Server {
  const { model, host } = o;
  const cache = { rev: -1, body: '' };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (applyEndpointFault(host.faults, 'mesosMaster', req, res)) return;
    const { path, query } = pathOf(req);
    if (path === '/acs/api/v1/auth/login' && req.method === 'POST') {
      if (!o.auth) {
        sendJson(res, 404, { title: 'Not Found', description: 'authentication is not enabled on this cluster' });
        return;
      }
      const result = login(o.auth, await readBody(req));
      if ('token' in result) sendJson(res, 200, { token: result.token });
      else sendJson(res, 401, { title: 'Unauthorized', description: result.error, code: 'ERR_INVALID_CREDENTIALS' });
      return;
    }
    if (path === '/health' || path === '/master/health') {
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
    switch (path) {
      case '/metrics/snapshot':
        sendText(res, 200, metricsJson(masterMetrics(model, host)), 'application/json');
        return;
      case '/state':
      case '/state.json':
      case '/master/state':
      case '/master/state.json': {
        if (cache.rev !== model.rev) {
          cache.body = JSON.stringify(masterState(model, host));
          cache.rev = model.rev;
        }
        sendText(res, 200, cache.body, 'application/json');
        return;
      }
      case '/slaves':
      case '/master/slaves':
        sendJson(res, 200, masterSlaves(model, host, query.get('slave_id')));
        return;
      case '/tasks':
      case '/master/tasks':
        sendJson(res, 200, masterTasks(model, host, query));
        return;
      case '/redirect':
      case '/master/redirect': {
        const leader = model.mesosLeader;
        if (!leader) {
          sendText(res, 503, 'No leader elected');
          return;
        }
        res.writeHead(307, {
          Location: `//${leader.spec.address}:${leader.spec.ports.mesosMaster}`,
          'Content-Length': 0,
        });
        res.end();
        return;
      }
      default:
        notFound(res);
    }
  };
  return server(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      });
    },
    o.mesosHttps ? o.tls : undefined
  );
}
