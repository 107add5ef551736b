/**
 * Runbook step 1, "Mesos, frameworks, Marathon … stable": the cluster-health preconditions as pure
 * evaluators over what the HTTP endpoints answered (Exhibitor status, Mesos metrics, the leading
 * master's /state). When a check cannot be evaluated because another check already failed for the
 * same root cause (no leading master), it says "not checked" as a warning instead of failing too,
 * so one broken thing is reported once.
 */
import type { ExhibitorMember } from '../activities/parsers';
import type { PreflightFinding } from '../shared/activity-types';
import { fail, pass, warn } from './catalog';

/** What one endpoint answered: a parsed body, or why there is none. */
export type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

export interface MasterRef {
  id: string;
  address: string;
}

// ---- Exhibitor --------------------------------------------------------------------------------

export type { ExhibitorMember };

/** Serving as the exhibitor-converged gate reads it: code 3 or the word "serving". */
function serving(e: ExhibitorMember): boolean {
  return e.code === 3 || e.description.toLowerCase() === 'serving';
}

/** `exhibitor-serving`, per master: its own endpoint answers, and no view of the ensemble says it is not serving. */
export function evaluateExhibitor(
  masters: readonly MasterRef[],
  answers: ReadonlyMap<string, Answer<ExhibitorMember[]>>
): PreflightFinding[] {
  const views = masters.flatMap((m) => {
    const a = answers.get(m.id);
    return a?.ok ? [{ from: m, members: a.value }] : [];
  });
  return masters.map((m) => {
    const own = answers.get(m.id);
    if (!own?.ok) {
      return fail(
        'exhibitor-serving',
        `Exhibitor on ${m.address} does not answer /exhibitor/v1/cluster/status: ${own?.error ?? 'not asked'}`,
        m.id
      );
    }
    const seen = views.flatMap((v) => v.members.filter((e) => e.hostname === m.address).map((e) => ({ v, e })));
    if (seen.length === 0) {
      return fail(
        'exhibitor-serving',
        `${m.address} is not a member of the ZooKeeper ensemble Exhibitor reports`,
        m.id
      );
    }
    const bad = seen.find(({ e }) => !serving(e));
    if (bad) {
      return fail(
        'exhibitor-serving',
        `Exhibitor on ${bad.v.from.address} reports ${m.address} as "${bad.e.description}" (code ${bad.e.code}), not serving`,
        m.id
      );
    }
    const total = own.value.length;
    const good = own.value.filter(serving).length;
    return pass('exhibitor-serving', `serving (${good}/${total} ensemble members serving)`, m.id);
  });
}

// ---- Mesos leader -----------------------------------------------------------------------------

/** The two metrics the leader check reads from a master's /metrics/snapshot. */
export interface LeaderMetrics {
  elected?: number;
  recovered?: number;
}

export function leaderMetricsFrom(snapshot: Record<string, number>): LeaderMetrics {
  return { elected: snapshot['master/elected'], recovered: snapshot['registrar/log/recovered'] };
}

/** `mesos-leader`: exactly one elected master, whose registrar has recovered. Returns the leader too. */
export function evaluateLeader(
  masters: readonly MasterRef[],
  answers: ReadonlyMap<string, Answer<LeaderMetrics>>
): { finding: PreflightFinding; leader?: MasterRef } {
  const leaders = masters.filter((m) => {
    const a = answers.get(m.id);
    return a?.ok && a.value.elected === 1;
  });
  const seen = masters
    .map((m) => {
      const a = answers.get(m.id);
      return `${m.id}: ${!a ? 'not asked' : a.ok ? `master/elected=${a.value.elected ?? '(absent)'}` : a.error}`;
    })
    .join('; ');
  if (leaders.length === 0) {
    return { finding: fail('mesos-leader', `no master reports master/elected = 1 (${seen})`) };
  }
  if (leaders.length > 1) {
    return {
      finding: fail(
        'mesos-leader',
        `${leaders.length} masters report master/elected = 1 (${leaders.map((m) => m.id).join(', ')}): split brain`,
        undefined,
        'stop and investigate the masters before patching (journalctl -u dcos-mesos-master)'
      ),
    };
  }
  const leader = leaders[0]!;
  const a = answers.get(leader.id);
  const recovered = a?.ok ? a.value.recovered : undefined;
  if (recovered !== 1) {
    return {
      finding: fail(
        'mesos-leader',
        `the leading master's registrar has not recovered (registrar/log/recovered = ${recovered ?? '(absent)'})`,
        leader.id
      ),
      leader,
    };
  }
  return { finding: pass('mesos-leader', 'leading master; registrar/log/recovered = 1', leader.id), leader };
}

// ---- the leading master's /state --------------------------------------------------------------

export interface MesosAgent {
  id: string;
  hostname: string;
  /** `slave(1)@10.0.1.5:5051` */
  pid: string;
  active: boolean;
}

export interface MesosTask {
  id: string;
  name: string;
  state: string;
  /** Empty for tasks on the (HTTP) command executor. */
  executorId: string;
  agentId: string;
}

export interface MesosFramework {
  id: string;
  name: string;
  tasks: MesosTask[];
  executors: { executorId: string; type?: string; name?: string }[];
}

export interface MesosState {
  agents: MesosAgent[];
  frameworks: MesosFramework[];
}

function rec(x: unknown): Record<string, unknown> {
  return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}
function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

/** Read the parts of a Mesos master's /state that preflight uses; refuses anything without `slaves`. */
export function parseMesosState(body: unknown): MesosState {
  const root = rec(body);
  if (!Array.isArray(root.slaves)) throw new Error('the answer has no "slaves" list: not a Mesos master /state');
  return {
    agents: root.slaves.map((s) => {
      const r = rec(s);
      return { id: str(r.id), hostname: str(r.hostname), pid: str(r.pid), active: r.active !== false };
    }),
    frameworks: list(root.frameworks).map((f) => {
      const r = rec(f);
      return {
        id: str(r.id),
        name: str(r.name),
        tasks: list(r.tasks).map((t) => {
          const tr = rec(t);
          return {
            id: str(tr.id),
            name: str(tr.name),
            state: str(tr.state),
            executorId: str(tr.executor_id),
            agentId: str(tr.slave_id) || str(tr.agent_id),
          };
        }),
        executors: list(r.executors).map((e) => {
          const er = rec(e);
          const type = str(er.type);
          const name = str(er.name);
          return { executorId: str(er.executor_id), ...(type ? { type } : {}), ...(name ? { name } : {}) };
        }),
      };
    }),
  };
}

/** The address an agent registered from: the host of its pid, else its hostname. */
export function agentAddress(a: MesosAgent): string {
  const m = /@(.+):\d+$/.exec(a.pid);
  return m?.[1] ?? a.hostname;
}

/** `agents-registered`, per agent in the plan; plus a warning for registered agents the plan leaves out. */
export function evaluateAgents(
  planAgents: readonly MasterRef[],
  state: Answer<MesosState> | undefined,
  leaderId: string | undefined
): PreflightFinding[] {
  if (planAgents.length === 0) return [pass('agents-registered', 'the plan lists no agents')];
  if (!state) {
    return [
      warn(
        'agents-registered',
        'not checked: there is no leading master to ask (see mesos-leader)',
        undefined,
        'fix mesos-leader first'
      ),
    ];
  }
  if (!state.ok) {
    return [fail('agents-registered', `cannot read /state from the leading master ${leaderId ?? ''}: ${state.error}`)];
  }
  const byAddress = new Map<string, MesosAgent>();
  for (const a of state.value.agents) {
    byAddress.set(agentAddress(a), a);
    if (a.hostname) byAddress.set(a.hostname, a);
  }
  const findings = planAgents.map((n) => {
    const a = byAddress.get(n.address);
    if (!a) return fail('agents-registered', `${n.address} is not registered with the leading master`, n.id);
    if (!a.active) return fail('agents-registered', `${n.address} is registered but not active`, n.id);
    return pass('agents-registered', `registered and active (agent id ${a.id})`, n.id);
  });
  const planned = new Set(planAgents.map((n) => n.address));
  const extra = state.value.agents.filter((a) => !planned.has(agentAddress(a)) && !planned.has(a.hostname));
  if (extra.length > 0) {
    findings.push(
      warn(
        'agents-registered',
        `${extra.length} registered agent(s) are not in the plan and will not be patched: ${extra
          .map(agentAddress)
          .slice(0, 20)
          .join(', ')}${extra.length > 20 ? ', …' : ''}`,
        undefined,
        'add them to agents/publicAgents in the plan, or patch them separately'
      )
    );
  }
  return findings;
}

// ---- strict mode ------------------------------------------------------------------------------

const TERMINAL_TASK_STATES = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export interface RestartingWork {
  /** `framework: task name (task id)` of tasks on the Mesos (HTTP) command executor. */
  commandTasks: string[];
  /** `framework: executor id` of pods (DEFAULT executors). */
  pods: string[];
}

/** Tasks and pods that restart when the masters are patched into strict mode. */
export function restartingWork(state: MesosState): RestartingWork {
  const commandTasks: string[] = [];
  const pods = new Set<string>();
  for (const f of state.frameworks) {
    const defaultExecutors = new Set(f.executors.filter((e) => e.type === 'DEFAULT').map((e) => e.executorId));
    for (const t of f.tasks) {
      if (TERMINAL_TASK_STATES.has(t.state)) continue;
      if (t.executorId === '') commandTasks.push(`${f.name || f.id}: ${t.name || t.id} (${t.id})`);
      else if (defaultExecutors.has(t.executorId)) pods.add(`${f.name || f.id}: ${t.executorId}`);
    }
  }
  return { commandTasks, pods: [...pods] };
}

/**
 * `strict-mode-restarts`. `movingToStrict` is false unless the plan's security is strict and the
 * installed config's is not.
 */
export function evaluateStrictRestarts(
  movingToStrict: boolean,
  state: Answer<MesosState> | undefined
): PreflightFinding {
  if (!movingToStrict) return pass('strict-mode-restarts', 'not moving to strict mode: nothing restarts');
  if (!state) {
    return warn(
      'strict-mode-restarts',
      'not checked: there is no leading master to ask (see mesos-leader)',
      undefined,
      'fix mesos-leader first'
    );
  }
  if (!state.ok) {
    return warn(
      'strict-mode-restarts',
      `moving to strict mode restarts pods and command-executor tasks; cannot list them (/state: ${state.error})`
    );
  }
  const r = restartingWork(state.value);
  if (r.commandTasks.length === 0 && r.pods.length === 0) {
    return pass('strict-mode-restarts', 'moving to strict mode: no pods or command-executor tasks run now');
  }
  const show = (xs: string[]) => `${xs.slice(0, 25).join('; ')}${xs.length > 25 ? `; … (${xs.length} in all)` : ''}`;
  const parts = [
    r.pods.length ? `${r.pods.length} pod(s): ${show(r.pods)}` : '',
    r.commandTasks.length
      ? `${r.commandTasks.length} task(s) on the Mesos command executor: ${show(r.commandTasks)}`
      : '',
  ].filter((p) => p);
  return warn(
    'strict-mode-restarts',
    `moving to strict mode restarts, when the masters are patched, ${parts.join('; and ')}`
  );
}
