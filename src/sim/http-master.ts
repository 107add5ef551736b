/**
 * A master's HTTP endpoints: Exhibitor (:8181; HTTPS with client certificates on Enterprise),
 * the Mesos master (:5050; 401 without a token in strict mode) and Marathon (:8080). Each is its own
 * server so a stopped unit closes exactly its port.
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
}

function server(raw: RequestListener, tls?: TlsMaterial, clientCerts = false): Server {
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

/**
 * An app as Marathon's /v2/apps shows it: tasksRunning from the agents' tasks; with health checks,
 * each running task is healthy or unhealthy (Marathon leaves both at 0 for an app without any).
 */
function appJson(app: MarathonApp, runningTasks: number, unhealthy: boolean): Record<string, unknown> {
  const checked = Array.isArray(app.healthChecks) && app.healthChecks.length > 0;
  return {
    cmd: 'sleep 3600',
    cpus: 0.1,
    mem: 128,
    disk: 0,
    instances: 1,
    constraints: [],
    container: null,
    healthChecks: [],
    labels: {},
    version: '2020-06-01T10:00:00.000Z',
    ...app,
    tasksStaged: 0,
    tasksRunning: runningTasks,
    tasksHealthy: checked && !unhealthy ? runningTasks : 0,
    tasksUnhealthy: checked && unhealthy ? runningTasks : 0,
    deployments: [],
  };
}

export function createMarathonServer(o: MasterHttpOptions): Server {
  const { model, host } = o;
  return server((req, res) => {
    if (applyEndpointFault(host.faults, 'marathon', req, res)) return;
    const { path } = pathOf(req);
    const leader = model.mesosLeader ?? host;
    switch (path) {
      case '/ping':
        sendText(res, 200, 'pong');
        return;
      case '/v2/leader':
        sendJson(res, 200, { leader: `${leader.spec.address}:${leader.spec.ports.marathon}` });
        return;
      case '/v2/info':
        sendJson(res, 200, {
          name: 'marathon',
          version: o.marathonVersion,
          buildref: 'a1b2c3d4',
          elected: model.mesosLeader === host,
          leader: `${leader.spec.address}:${leader.spec.ports.marathon}`,
          frameworkId: model.marathonFrameworkId,
          marathon_config: {
            master: 'zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181,zk-4.zk:2181,zk-5.zk:2181/mesos',
            hostname: host.spec.address,
            mesos_role: 'slave_public',
            mesos_user: 'root',
            task_launch_timeout: 86400000,
            features: ['vips', 'task_killing', 'external_volumes', 'gpu_resources'],
          },
          zookeeper_config: { zk: 'zk://zk-1.zk:2181/marathon', zk_timeout: 10000 },
          event_subscriber: o.marathon.eventSubscriber ? { type: 'http_callback', http_endpoints: [] } : null,
          http_config: { http_port: host.spec.ports.marathon, https_port: 8443 },
        });
        return;
      case '/v2/apps': {
        const running = (id: string): number =>
          model.agents.reduce(
            (n, a) => n + a.tasks.filter((t) => t.appId === id && t.state === 'TASK_RUNNING').length,
            0
          );
        sendJson(res, 200, {
          apps: o.marathon.apps.map((a) => appJson(a, running(a.id), model.unhealthyApps.has(a.id))),
        });
        return;
      }
      default:
        sendJson(res, 404, { message: `Not found: ${path}` });
    }
  });
}
