/**
 * The Mesos views of the model in the real Mesos JSON shapes (the subset dcos-patch reads):
 * master `/state`, `/slaves`, `/tasks`, `/metrics/snapshot`, `/version`, and the agent's
 * `/metrics/snapshot` and `/state`. Only the leading master knows agents and frameworks.
 */
import type { ClusterModel, HostState, TaskState } from './model';

const secs = (ms: number): number => ms / 1000;

export function versionJson(mesosVersion: string): Record<string, unknown> {
  return {
    build_date: '2020-06-25 18:04:40',
    build_time: 1593108280,
    build_user: 'dcos',
    git_sha: 'a4a7ac3e96be1e4db4fd7ad82b4baa93a1a81cfc',
    git_tag: mesosVersion,
    version: mesosVersion,
  };
}

function taskJson(model: ClusterModel, agent: HostState, t: TaskState): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    framework_id: model.marathonFrameworkId,
    executor_id: t.executorId ?? '',
    slave_id: t.slaveId ?? agent.agentId,
    state: t.state,
    resources: { cpus: 0.1, mem: 128, disk: 0, gpus: 0 },
    role: 'slave_public',
    statuses: [{ state: t.state, timestamp: secs(t.updatedAt) }],
    labels: [{ key: 'MARATHON_APP_ID', value: t.appId }],
  };
}

function slaveJson(model: ClusterModel, a: HostState): Record<string, unknown> {
  return {
    id: a.agentId,
    pid: `slave(1)@${a.spec.address}:${a.spec.ports.mesosAgent}`,
    hostname: a.spec.address,
    port: a.spec.ports.mesosAgent,
    registered_time: secs(a.registeredAt),
    active: model.agentActive(a),
    version: model.mesosVersionOf(a),
    attributes: a.role === 'public-agent' ? { public_ip: 'true' } : {},
    resources: {
      cpus: 4,
      mem: 14019,
      disk: 35572,
      gpus: 0,
      ports: '[1025-2180, 2182-3887, 3889-5049, 5052-8079, 8082-8180, 8182-32000]',
    },
    reserved_resources: {},
    unreserved_resources: { cpus: 4, mem: 14019, disk: 35572, gpus: 0 },
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
  };
}

/** Agents the leading master knows: all except those removed after the ping timeout and not back. */
function knownAgents(model: ClusterModel): HostState[] {
  return model.agents.filter((a) => !a.removed);
}

export function masterState(model: ClusterModel, m: HostState): Record<string, unknown> {
  const leader = model.mesosLeader;
  const isLeader = leader === m;
  const base: Record<string, unknown> = {
    ...versionJson(model.mesosVersionOf(m)),
    start_time: secs(m.masterStartedAt),
    id: `${model.masterId}-${m.spec.address}`,
    pid: `master@${m.spec.address}:${m.spec.ports.mesosMaster}`,
    hostname: m.spec.address,
    cluster: 'sim',
    log_dir: '/var/log/mesos',
    flags: { port: String(m.spec.ports.mesosMaster), quorum: String(model.quorum()), zk: 'zk://zk-1.zk:2181/mesos' },
  };
  if (leader) {
    base.leader = model.leaderPid();
    base.leader_info = {
      id: `${model.masterId}-${leader.spec.address}`,
      pid: model.leaderPid(),
      port: leader.spec.ports.mesosMaster,
      hostname: leader.spec.address,
      address: { hostname: leader.spec.address, ip: leader.spec.address, port: leader.spec.ports.mesosMaster },
    };
  }
  if (!isLeader) {
    return {
      ...base,
      activated_slaves: 0,
      deactivated_slaves: 0,
      unreachable_slaves: 0,
      slaves: [],
      frameworks: [],
      completed_frameworks: [],
      orphan_tasks: [],
      unregistered_frameworks: [],
    };
  }
  base.elected_time = secs(m.masterStartedAt);
  const agents = knownAgents(model);
  const tasks: Record<string, unknown>[] = [];
  const completed: Record<string, unknown>[] = [];
  const executors: Record<string, unknown>[] = [];
  for (const a of model.agents) {
    const seen = new Set<string>();
    for (const t of a.tasks) {
      (t.state === 'TASK_LOST' ? completed : tasks).push(taskJson(model, a, t));
      if (t.executorId && t.state !== 'TASK_LOST' && !seen.has(t.executorId)) {
        seen.add(t.executorId);
        executors.push({
          executor_id: t.executorId,
          name: t.appId,
          framework_id: model.marathonFrameworkId,
          slave_id: a.agentId,
          type: 'DEFAULT',
          command: { shell: false },
          resources: { cpus: 0.1, mem: 32, disk: 10 },
        });
      }
    }
  }
  const active = agents.filter((a) => model.agentActive(a)).length;
  return {
    ...base,
    activated_slaves: active,
    deactivated_slaves: agents.length - active,
    unreachable_slaves: model.agents.length - agents.length,
    slaves: agents.map((a) => slaveJson(model, a)),
    frameworks: [
      {
        id: model.marathonFrameworkId,
        name: 'marathon',
        pid: `scheduler-${model.masterId}@${leader!.spec.address}:15101`,
        hostname: leader!.spec.address,
        webui_url: `http://${leader!.spec.address}:8080`,
        active: true,
        connected: true,
        recovered: false,
        role: 'slave_public',
        capabilities: [{ type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }, { type: 'GPU_RESOURCES' }],
        tasks,
        unreachable_tasks: [],
        completed_tasks: completed,
        executors,
      },
    ],
    completed_frameworks: [],
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

export function masterSlaves(model: ClusterModel, m: HostState, slaveId?: string | null): Record<string, unknown> {
  if (model.mesosLeader !== m) return { slaves: [], recovered_slaves: [] };
  const agents = knownAgents(model).filter((a) => !slaveId || a.agentId === slaveId);
  return { slaves: agents.map((a) => slaveJson(model, a)), recovered_slaves: [] };
}

export function masterTasks(model: ClusterModel, m: HostState, query: URLSearchParams): Record<string, unknown> {
  if (model.mesosLeader !== m) return { tasks: [] };
  const all = model.agents.flatMap((a) => a.tasks.map((t) => taskJson(model, a, t)));
  const offset = Number(query.get('offset') ?? '0');
  const limit = Number(query.get('limit') ?? '100');
  return { tasks: all.slice(offset, offset + limit) };
}

export function masterMetrics(model: ClusterModel, m: HostState): Record<string, number> {
  const isLeader = model.mesosLeader === m;
  const agents = isLeader ? knownAgents(model) : [];
  const active = agents.filter((a) => model.agentActive(a)).length;
  const count = (s: string): number =>
    isLeader ? model.agents.reduce((n, a) => n + a.tasks.filter((t) => t.state === s).length, 0) : 0;
  return {
    'master/elected': isLeader ? 1 : 0,
    'master/uptime_secs': secs(Date.now() - m.masterStartedAt),
    'registrar/log/recovered': m.registrarRecovered ? 1 : 0,
    'registrar/queued_operations': 0,
    'master/slaves_active': active,
    'master/slaves_inactive': agents.length - active,
    'master/slaves_connected': active,
    'master/slaves_disconnected': agents.length - active,
    'master/slaves_unreachable': isLeader ? model.agents.length - agents.length : 0,
    'master/frameworks_active': isLeader ? 1 : 0,
    'master/tasks_running': count('TASK_RUNNING'),
    'master/tasks_unreachable': count('TASK_UNREACHABLE'),
    'master/tasks_lost': count('TASK_LOST'),
    'system/cpus_total': 4,
    'system/mem_total_bytes': 16_000_000_000,
  };
}

export function agentMetrics(model: ClusterModel, a: HostState): Record<string, number> {
  const running = a.tasks.filter((t) => t.state === 'TASK_RUNNING').length;
  return {
    'slave/registered': model.agentActive(a) ? 1 : 0,
    'slave/uptime_secs': secs(
      Date.now() -
        (a.units.get(a.role === 'public-agent' ? 'dcos-mesos-slave-public' : 'dcos-mesos-slave')?.since ?? Date.now())
    ),
    'slave/tasks_running': a.reconciled ? running : 0,
    'slave/tasks_lost': a.tasks.filter((t) => t.state === 'TASK_LOST').length,
    'slave/executors_running': a.reconciled
      ? new Set(a.tasks.filter((t) => t.state === 'TASK_RUNNING').map((t) => t.executorId ?? t.id)).size
      : 0,
    'slave/recovery_errors': 0,
    'system/cpus_total': 4,
  };
}

export function agentState(model: ClusterModel, a: HostState): Record<string, unknown> {
  return {
    ...versionJson(model.mesosVersionOf(a)),
    id: a.agentId,
    pid: `slave(1)@${a.spec.address}:${a.spec.ports.mesosAgent}`,
    hostname: a.spec.address,
    master_hostname: model.agentActive(a) ? model.mesosLeader?.spec.address : undefined,
    frameworks: a.reconciled
      ? [
          {
            id: model.marathonFrameworkId,
            name: 'marathon',
            executors: a.tasks
              .filter((t) => t.state === 'TASK_RUNNING')
              .map((t) => ({ id: t.executorId ?? t.id, tasks: [taskJson(model, a, t)] })),
          },
        ]
      : [],
  };
}
