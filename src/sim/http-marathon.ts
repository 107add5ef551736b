/**
 * A master's Marathon (:8080): `/ping`, `/v2/leader`, `/v2/info`, the app list, and one app by id
 * (GET with its tasks, PUT to create or replace it, DELETE to remove it) — the shapes Marathon 1.x
 * answers with. Any master answers for the leader (Marathon proxies).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { MasterHttpOptions } from './http-master';
import { server } from './http-master';
import { applyEndpointFault, pathOf, readBody, sendJson, sendText } from './http-util';
import type { MarathonApps } from './marathon-apps';
import type { ClusterModel } from './model';
import type { MarathonApp } from './types';

/** One Marathon path segment (lower-case letters, digits, dashes, dots). */
const APP_SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

/**
 * An app as Marathon's /v2/apps shows it: tasksRunning from the agents' tasks; with health checks,
 * each running task is healthy or unhealthy (Marathon leaves both at 0 for an app without any).
 */
function appJson(app: MarathonApp, runningTasks: number, unhealthy: boolean): Record<string, unknown> {
  const checked = hasHealthChecks(app);
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

function hasHealthChecks(app: MarathonApp): boolean {
  return Array.isArray(app.healthChecks) && app.healthChecks.length > 0;
}

/** `GET /v2/apps/<id>`: the app with its tasks (host, state, health check results). */
function appWithTasks(model: ClusterModel, apps: MarathonApps, app: MarathonApp): Record<string, unknown> {
  const unhealthy = model.unhealthyApps.has(app.id);
  const tasks = apps.tasksOf(app.id).map(({ task, agent }) => ({
    id: task.id,
    appId: app.id,
    host: agent.spec.address,
    slaveId: agent.agentId,
    state: task.state,
    startedAt: new Date(task.updatedAt).toISOString(),
    ...(hasHealthChecks(app) && task.state === 'TASK_RUNNING'
      ? { healthCheckResults: [{ alive: !unhealthy, consecutiveFailures: unhealthy ? 3 : 0, taskId: task.id }] }
      : {}),
  }));
  const running = tasks.filter((t) => t.state === 'TASK_RUNNING').length;
  return { app: { ...appJson(app, running, unhealthy), tasks } };
}

/** Why Marathon refuses this definition for `id` (HTTP 422), or undefined. */
function definitionProblem(id: string, def: unknown): string | undefined {
  if (!def || typeof def !== 'object' || Array.isArray(def)) return 'the body is not a JSON object';
  const d = def as Record<string, unknown>;
  if (d.id !== undefined && d.id !== id) return `id ${String(d.id)} does not match the path ${id}`;
  if (
    !id
      .split('/')
      .filter(Boolean)
      .every((s) => APP_SEGMENT.test(s))
  )
    return `${id} is not a valid app id`;
  if (d.instances !== undefined && (!Number.isInteger(d.instances) || (d.instances as number) < 0))
    return 'instances must be a non-negative integer';
  if (typeof d.cmd !== 'string' && !d.container && !Array.isArray(d.args))
    return 'an app needs cmd, args or a container';
  return undefined;
}

function deployment(): Record<string, string> {
  return { version: new Date().toISOString(), deploymentId: randomUUID() };
}

export function createMarathonServer(o: MasterHttpOptions): Server {
  const { model, host, marathonApps: apps } = o;
  return server(async (req, res) => {
    if (applyEndpointFault(host.faults, 'marathon', req, res)) return;
    const { path } = pathOf(req);
    const leader = model.mesosLeader ?? host;
    const method = req.method ?? 'GET';
    if (path.startsWith('/v2/apps/')) {
      const id = decodeURIComponent(path.slice('/v2/apps'.length));
      const app = apps.find(id);
      if (method === 'GET') {
        if (!app) return sendJson(res, 404, { message: `App '${id}' does not exist` });
        return sendJson(res, 200, appWithTasks(model, apps, app));
      }
      if (method === 'PUT') {
        let def: unknown;
        try {
          def = JSON.parse(await readBody(req));
        } catch {
          return sendJson(res, 400, { message: 'Invalid JSON' });
        }
        const problem = definitionProblem(id, def);
        if (problem) return sendJson(res, 422, { message: 'Object is not valid', details: [{ errors: [problem] }] });
        const { created } = apps.put({ ...(def as MarathonApp), id });
        return sendJson(res, created ? 201 : 200, deployment());
      }
      if (method === 'DELETE') {
        if (!apps.remove(id)) return sendJson(res, 404, { message: `App '${id}' does not exist` });
        return sendJson(res, 200, deployment());
      }
      return sendJson(res, 405, { message: `${method} is not allowed on ${path}` });
    }
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
          apps.tasksOf(id).filter(({ task }) => task.state === 'TASK_RUNNING').length;
        sendJson(res, 200, {
          apps: apps.apps.map((a) => appJson(a, running(a.id), model.unhealthyApps.has(a.id))),
        });
        return;
      }
      default:
        sendJson(res, 404, { message: `Not found: ${path}` });
    }
  });
}
