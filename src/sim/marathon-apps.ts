/**
 * Marathon's app lifecycle in the simulator, as far as a workload canary needs it: an app PUT
 * under its id gets its instances launched on private agents (honouring `hostname:UNIQUE`), a
 * DELETE kills its tasks and forgets it, a killed task is replaced by a new one (a new task id:
 * Marathon's restart), and Mesos-DNS answers `<app>.marathon.mesos` with the agents of its
 * running tasks — or, in its outage mode, with nothing (as when it cannot read the leader's state).
 */
import { randomUUID } from 'node:crypto';
import type { ClusterModel, HostState, TaskState } from './model';
import type { MarathonApp } from './types';

/** What Mesos-DNS answers for a name it has no record of (its HTTP API's own shape). */
export const NO_RECORD = [{ host: '', ip: '' }];

/** `/group/app` → `app-group.marathon.mesos` (Mesos-DNS joins the id's segments in reverse). */
export function mesosDnsName(appId: string): string {
  return `${appId.split('/').filter(Boolean).reverse().join('-')}.marathon.mesos`;
}

export class MarathonApps {
  /** Mesos-DNS answers no name while this is on (helpers: dns-outage). */
  dnsOutage = false;
  /** Every app created, replaced or removed through the API, in order (ground truth). */
  readonly changes: { appId: string; action: 'created' | 'replaced' | 'removed'; at: number }[] = [];

  constructor(
    private readonly model: ClusterModel,
    readonly apps: MarathonApp[]
  ) {}

  find(id: string): MarathonApp | undefined {
    return this.apps.find((a) => a.id === id);
  }

  /** Create or replace an app; its missing instances are launched at once. */
  put(def: MarathonApp): { created: boolean } {
    const i = this.apps.findIndex((a) => a.id === def.id);
    const created = i < 0;
    if (created) this.apps.push(def);
    else this.apps[i] = def;
    this.scale(def);
    this.changes.push({ appId: def.id, action: created ? 'created' : 'replaced', at: Date.now() });
    this.model.changed();
    return { created };
  }

  /** Kill every task of the app and forget it. */
  remove(id: string): boolean {
    const i = this.apps.findIndex((a) => a.id === id);
    if (i < 0) return false;
    this.apps.splice(i, 1);
    for (const a of this.model.agents) a.tasks = a.tasks.filter((t) => t.appId !== id);
    this.model.setAppUnhealthy(id, false);
    this.changes.push({ appId: id, action: 'removed', at: Date.now() });
    this.model.changed();
    return true;
  }

  /** Kill one running task of the app (the first, or `taskId`); Marathon launches a replacement. */
  killTask(appId: string, taskId?: string): { killed: string; agent: string; replacement?: string } | undefined {
    for (const a of this.model.agents) {
      const t = a.tasks.find((x) => x.appId === appId && x.state === 'TASK_RUNNING' && (!taskId || x.id === taskId));
      if (!t) continue;
      a.tasks = a.tasks.filter((x) => x !== t);
      this.model.journalLine(a, 'dcos-mesos-slave', 'mesos-agent', `Task ${t.id} killed (TASK_KILLED)`);
      const app = this.find(appId);
      const launched = app ? this.scale(app) : [];
      this.model.changed();
      return { killed: t.id, agent: a.spec.id, ...(launched[0] ? { replacement: launched[0] } : {}) };
    }
    return undefined;
  }

  /** The app's tasks with the agent each runs on. */
  tasksOf(appId: string): { task: TaskState; agent: HostState }[] {
    return this.model.agents.flatMap((agent) =>
      agent.tasks.filter((t) => t.appId === appId && t.slaveId === undefined).map((task) => ({ task, agent }))
    );
  }

  /** Mesos-DNS's A records for a name: the agents of the app's running tasks. */
  dnsAnswer(name: string): { host: string; ip: string }[] {
    const wanted = name.toLowerCase().replace(/\.$/, '');
    if (this.dnsOutage) return NO_RECORD;
    const app = this.apps.find((a) => mesosDnsName(a.id) === wanted);
    if (!app) return NO_RECORD;
    const ips = this.tasksOf(app.id)
      .filter(({ task }) => task.state === 'TASK_RUNNING')
      .map(({ agent }) => agent.spec.address);
    return ips.length ? ips.map((ip) => ({ host: `${wanted}.`, ip })) : NO_RECORD;
  }

  /** Launch the instances the app is short of; returns the new task ids. */
  private scale(app: MarathonApp): string[] {
    const want = Math.max(0, Math.floor(Number(app.instances ?? 1)));
    const have = this.tasksOf(app.id).filter(({ task }) => task.state !== 'TASK_LOST');
    const launched: string[] = [];
    for (let n = have.length; n < want; n++) {
      const agent = this.placeFor(app);
      if (!agent) break; // Marathon waits for offers that fit
      const task: TaskState = {
        id: `${app.id.replace(/^\//, '').replace(/\//g, '_')}.${randomUUID()}`,
        name: app.id.split('/').pop() ?? app.id,
        appId: app.id,
        state: 'TASK_RUNNING',
        updatedAt: Date.now(),
      };
      agent.tasks.push(task);
      launched.push(task.id);
    }
    return launched;
  }

  /** A registered agent of the app's roles, without one of its tasks under `hostname:UNIQUE`, least busy first. */
  private placeFor(app: MarathonApp): HostState | undefined {
    const roles = Array.isArray(app.acceptedResourceRoles) ? (app.acceptedResourceRoles as string[]) : ['*'];
    const unique = (app.constraints ?? []).some((c) => c[0] === 'hostname' && c[1] === 'UNIQUE');
    const taken = new Set(this.tasksOf(app.id).map(({ agent }) => agent.spec.id));
    const fits = this.model.agents.filter(
      (a) =>
        this.model.agentActive(a) &&
        (a.role === 'public-agent' ? roles.includes('slave_public') : roles.includes('*')) &&
        !(unique && taken.has(a.spec.id))
    );
    return fits.sort((a, b) => a.tasks.length - b.tasks.length)[0];
  }
}
