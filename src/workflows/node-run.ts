/**
 * One attempt at one node, as patchNode runs it: its progress (the `nodeStatus` query and the Web
 * UI details), its result, and the two ways it calls activities — a step, and a health gate.
 */
import { isCancellation, log, patched, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type {
  AgentBaseline,
  GateInput,
  GateName,
  GateResult,
  HealthCheck,
  NodeHealthInput,
  RunKey,
} from '../shared/activity-types';
import { runsIamDatabase } from '../shared/dcos-releases';
import type { NodeProgress, NodeResult, NodeStateName } from '../shared/status';
import { healthGate, hostStep, localHostStep } from './activities';
import { describeFailure } from './failures';
import type { PatchNodeInput } from './node-input';
import { nodeLabel } from './patch-state';

export const GATE_LABEL: Record<GateName, string> = {
  'masters-healthy': 'every master healthy before this one goes down',
  'exhibitor-converged': 'exhibitor converged',
  'mesos-master-unit-active': 'dcos-mesos-master active',
  'registrar-recovered': 'registrar recovered',
  'mesos-version': 'mesos version',
  'cockroach-replicated': 'cockroach replicated',
  'agent-registered': 'agent registered',
  'agent-tasks-reconciled': 'tasks reconciled',
  'workloads-healthy': 'Marathon apps healthy again',
};

/** The patch id of the local host steps (see localHostStep). */
export const LOCAL_HOST_STEPS_PATCH = 'local-host-steps';

/** A gate in a list of gates checked together (one terminal line). */
const GATE_SHORT: Record<GateName, string> = {
  'masters-healthy': 'masters healthy',
  'exhibitor-converged': 'exhibitor',
  'mesos-master-unit-active': 'mesos unit',
  'registrar-recovered': 'registrar',
  'mesos-version': 'mesos version',
  'cockroach-replicated': 'cockroach',
  'agent-registered': 'registered',
  'agent-tasks-reconciled': 'tasks',
  'workloads-healthy': 'apps',
};

/** A step or gate that did not hold: where, what was seen, and the activity's failure type. */
export class StepFailed extends Error {
  constructor(
    readonly step: NodeStateName | GateName,
    message: string,
    readonly failureType?: string
  ) {
    super(message);
  }
}

export interface GateCall {
  timeoutMs: number;
  expect?: string;
  /** A deadline shared with other gates (the agent window); default: now + timeoutMs. */
  deadlineMs?: number;
  pollIntervalMs?: number;
}

export class NodeRun {
  readonly label: string;
  readonly runKey: RunKey;
  readonly progress: NodeProgress;
  readonly result: NodeResult;
  /** Agents: the agent id and running tasks before the script; the tasks gate wants them all back. */
  baseline?: AgentBaseline;
  /** The short host steps: local activities (histories from before them: regular ones). */
  readonly hostSteps: typeof hostStep;

  constructor(readonly input: PatchNodeInput) {
    const node = input.target.node;
    this.label = nodeLabel(node);
    const { workflowId, parent } = workflowInfo();
    this.runKey = {
      workflowId,
      attempt: input.attempt,
      ...(input.earlierAttempts?.length ? { earlierAttempts: input.earlierAttempts } : {}),
      ...(parent ? { patchWorkflowId: parent.workflowId } : {}),
    };
    this.hostSteps = patched(LOCAL_HOST_STEPS_PATCH) ? (localHostStep as unknown as typeof hostStep) : hostStep;
    const startedAtMs = Date.now();
    const base = { node: node.id, role: node.role, attempt: input.attempt };
    this.progress = { ...base, state: 'checking', step: 'reading installed version', sinceMs: startedAtMs };
    this.result = { ...base, outcome: 'failed', summary: '', gates: [], startedAtMs, finishedAtMs: 0 };
  }

  get startedAtMs(): number {
    return this.result.startedAtMs;
  }

  enter(state: NodeStateName, step: string, deadlineMs?: number): void {
    Object.assign(this.progress, { state, step, sinceMs: Date.now(), deadlineMs });
    const until = deadlineMs ? ` (gives up at ${new Date(deadlineMs).toISOString()})` : '';
    setCurrentDetails(`**${this.label}** · ${state}: ${step}${until}`);
    log.info(`${this.label}: ${state} — ${step}`);
  }

  /** An activity as one named step: its failure becomes a StepFailed naming the step. */
  async step<T>(state: NodeStateName, what: string, run: () => Promise<T>, deadlineMs?: number): Promise<T> {
    this.enter(state, what, deadlineMs);
    try {
      return await run();
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeFailure(err);
      throw new StepFailed(state, `${what}: ${f.message}`, f.type);
    }
  }

  /** A health gate: polls until its signal holds stablePolls times, or fails at its deadline. */
  async gate(name: Exclude<GateName, 'workloads-healthy'>, call: GateCall): Promise<GateResult> {
    const { gates } = this.input;
    const deadline = call.deadlineMs ?? Date.now() + call.timeoutMs;
    const gateInput: GateInput = {
      target: this.input.target,
      masters: this.input.masters,
      pollIntervalMs: call.pollIntervalMs ?? gates.pollIntervalMs,
      stablePolls: gates.stablePolls,
      deadlineMs: deadline,
      expect: call.expect,
      variant: this.input.variant,
      cockroach: runsIamDatabase(this.input.variant, this.input.toVersion),
      ...(name === 'agent-tasks-reconciled' && this.baseline ? { baseline: this.baseline } : {}),
      ...(this.input.cockroachUnderreplicatedBefore
        ? { cockroachUnderreplicatedBefore: this.input.cockroachUnderreplicatedBefore }
        : {}),
    };
    this.enter('verifying', GATE_LABEL[name], deadline);
    try {
      const acts = healthGate(Math.max(1_000, deadline - Date.now()));
      const r = await gateActivity(acts, name).executeWithOptions({ summary: `${this.label} · ${GATE_LABEL[name]}` }, [
        gateInput,
      ]);
      this.result.gates.push(r);
      return r;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeFailure(err);
      throw new StepFailed(name, `${GATE_LABEL[name]}: ${f.message}`, f.type);
    }
  }

  /** Every check at once under one shared stability hold (gateNodeHealthy); a failure names its gate. */
  async gates(checks: HealthCheck[], startedAtMs: number): Promise<GateResult[]> {
    const { gates, target, masters, variant, toVersion } = this.input;
    const input: NodeHealthInput = {
      target,
      masters,
      pollIntervalMs: gates.pollIntervalMs,
      stablePolls: gates.stablePolls,
      variant,
      cockroach: runsIamDatabase(variant, toVersion),
      ...(this.baseline ? { baseline: this.baseline } : {}),
      ...(this.input.appsUnhealthyBefore ? { appsUnhealthyBefore: this.input.appsUnhealthyBefore } : {}),
      ...(this.input.cockroachUnderreplicatedBefore
        ? { cockroachUnderreplicatedBefore: this.input.cockroachUnderreplicatedBefore }
        : {}),
      checks,
      startedAtMs,
    };
    const giveUpAtMs = Math.max(...checks.map((c) => latestDeadline(c, checks, startedAtMs)));
    const names = checks.map((c) => GATE_SHORT[c.gate]).join(', ');
    this.enter('verifying', `gates together: ${names}`, giveUpAtMs);
    try {
      const results = await healthGate(Math.max(1_000, giveUpAtMs - Date.now())).gateNodeHealthy.executeWithOptions(
        { summary: `${this.label} · ${checks.map((c) => GATE_LABEL[c.gate]).join(', ')}` },
        [input]
      );
      this.result.gates.push(...results);
      return results;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeFailure(err);
      const gate = checks.find((c) => c.gate === f.gate)?.gate;
      throw new StepFailed(gate ?? 'verifying', gate ? `${GATE_LABEL[gate]}: ${f.message}` : f.message, f.type);
    }
  }

  gateSummary(): string {
    return this.result.gates.map((g) => `${g.gate}: ${g.observation}`).join('; ');
  }

  finish(outcome: NodeResult['outcome'], summary: string): NodeResult {
    Object.assign(this.result, { outcome, summary, finishedAtMs: Date.now() });
    this.enter(outcome, summary);
    return this.result;
  }
}

/** The latest a check can fail: its own deadline, or its timeout after the gate it waits on at its latest. */
function latestDeadline(c: HealthCheck, checks: HealthCheck[], startedAtMs: number): number {
  if (c.deadlineMs !== undefined) return c.deadlineMs;
  const after = c.after ? checks.find((x) => x.gate === c.after) : undefined;
  return (after ? latestDeadline(after, checks, startedAtMs) : startedAtMs) + c.timeoutMs;
}

function gateActivity(acts: ReturnType<typeof healthGate>, name: Exclude<GateName, 'workloads-healthy'>) {
  return {
    'masters-healthy': acts.gateMastersHealthy,
    'exhibitor-converged': acts.gateExhibitorConverged,
    'mesos-master-unit-active': acts.gateMesosMasterUnitActive,
    'registrar-recovered': acts.gateRegistrarRecovered,
    'mesos-version': acts.gateMesosVersion,
    'cockroach-replicated': acts.gateCockroachReplicated,
    'agent-registered': acts.gateAgentRegistered,
    'agent-tasks-reconciled': acts.gateAgentTasksReconciled,
  }[name];
}
