/**
 * patchNode: patch one DC/OS node, the runbook's per-node procedure as a small state machine.
 *
 *   checking → staging → (agents: preparing) → patching → verifying → patched
 *
 * Guarantees: a host already at the target version and config is skipped, never patched again;
 * the node script is started at most once per attempt (the activity attaches to a run already
 * under way); the node is `patched` only when every health gate held for several consecutive
 * polls; any failure collects the runbook's diagnostics and returns `failed` (the parent asks
 * the operator); cancellation (abort) reports what state the remote script was left in.
 * The workflow never throws for a node problem: its result says what happened.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AgentBaseline,
  GateInput,
  GateName,
  GateResult,
  NodeTarget,
  ScriptRunResult,
} from '../shared/activity-types';

import { mesosVersionFor, runsIamDatabase } from '../shared/dcos-releases';
import { FailureTypes } from '../shared/failure-types';
import type { GateTimings, NodeSpec, Variant } from '../shared/plan';
import type { NodeProgress, NodeResult, NodeStateName } from '../shared/status';
import { healthGate, hostStep, scriptRun } from './activities';
import { nodeStatusQuery } from './messages';

const DCOS_VERSION_FILE = '/opt/mesosphere/etc/dcos-version.json';

export interface PatchNodeInput {
  target: NodeTarget;
  attempt: number;
  /** The workflow ids of this node's earlier attempts (their script runs are looked at first). */
  earlierAttempts?: string[];
  fromVersion: string;
  toVersion: string;
  expectedMesosVersion: string;
  variant: Variant;
  /** The new config.yaml on the worker, to tell whether the host already runs it. */
  newConfigPath: string;
  scriptUrl: string;
  masters: NodeSpec[];
  gates: GateTimings;
}

/** Human label used in summaries: "master 10.0.0.12". */
export function nodeLabel(node: NodeSpec): string {
  return `${node.role} ${node.address}`;
}

const GATE_LABEL: Record<GateName, string> = {
  'masters-healthy': 'every master healthy before this one goes down',
  'exhibitor-converged': 'exhibitor converged',
  'mesos-master-unit-active': 'dcos-mesos-master active',
  'registrar-recovered': 'registrar recovered',
  'mesos-version': 'mesos version',
  'cockroach-replicated': 'cockroach replicated',
  'agent-registered': 'agent registered',
  'agent-tasks-reconciled': 'tasks reconciled',
};

class StepFailed extends Error {
  constructor(
    readonly step: NodeStateName | GateName,
    message: string,
    readonly failureType?: string
  ) {
    super(message);
  }
}

export function describeFailure(err: unknown): { message: string; type?: string } {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return { message: err.cause.message, type: err.cause.type ?? undefined };
  }
  if (err instanceof ActivityFailure && err.cause) return { message: err.cause.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

export async function patchNode(input: PatchNodeInput): Promise<NodeResult> {
  const { target, attempt, gates } = input;
  const node = target.node;
  const label = nodeLabel(node);
  const runKey = {
    workflowId: workflowInfo().workflowId,
    attempt,
    ...(input.earlierAttempts?.length ? { earlierAttempts: input.earlierAttempts } : {}),
  };
  const startedAtMs = Date.now();
  const progress: NodeProgress = {
    node: node.id,
    role: node.role,
    attempt,
    state: 'checking',
    step: 'reading installed version',
    sinceMs: startedAtMs,
  };
  setHandler(nodeStatusQuery, () => progress);

  const result: NodeResult = {
    node: node.id,
    role: node.role,
    outcome: 'failed',
    attempt,
    summary: '',
    gates: [],
    startedAtMs,
    finishedAtMs: 0,
  };

  function enter(state: NodeStateName, step: string, deadlineMs?: number): void {
    progress.state = state;
    progress.step = step;
    progress.sinceMs = Date.now();
    progress.deadlineMs = deadlineMs;
    setCurrentDetails(
      `**${label}** · ${state}: ${step}${deadlineMs ? ` (gives up at ${new Date(deadlineMs).toISOString()})` : ''}`
    );
    log.info(`${label}: ${state} — ${step}`);
  }

  async function step<T>(state: NodeStateName, what: string, run: () => Promise<T>, deadlineMs?: number): Promise<T> {
    enter(state, what, deadlineMs);
    try {
      return await run();
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeFailure(err);
      throw new StepFailed(state, `${what}: ${f.message}`, f.type);
    }
  }

  async function gate(
    name: GateName,
    timeoutMs: number,
    expect?: string,
    deadlineMs?: number,
    pollIntervalMs = gates.pollIntervalMs
  ): Promise<GateResult> {
    const deadline = deadlineMs ?? Date.now() + timeoutMs;
    const acts = healthGate(Math.max(1_000, deadline - Date.now()));
    const gateInput: GateInput = {
      target,
      masters: input.masters,
      pollIntervalMs,
      stablePolls: gates.stablePolls,
      deadlineMs: deadline,
      expect,
      variant: input.variant,
      cockroach: runsIamDatabase(input.variant, input.toVersion),
      ...(name === 'agent-tasks-reconciled' && baseline ? { baseline } : {}),
    };
    const fn = {
      'masters-healthy': acts.gateMastersHealthy,
      'exhibitor-converged': acts.gateExhibitorConverged,
      'mesos-master-unit-active': acts.gateMesosMasterUnitActive,
      'registrar-recovered': acts.gateRegistrarRecovered,
      'mesos-version': acts.gateMesosVersion,
      'cockroach-replicated': acts.gateCockroachReplicated,
      'agent-registered': acts.gateAgentRegistered,
      'agent-tasks-reconciled': acts.gateAgentTasksReconciled,
    }[name];
    enter('verifying', GATE_LABEL[name], deadline);
    try {
      const r = await fn.executeWithOptions({ summary: `${label} · ${GATE_LABEL[name]}` }, [gateInput]);
      result.gates.push(r);
      return r;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeFailure(err);
      throw new StepFailed(name, `${GATE_LABEL[name]}: ${f.message}`, f.type);
    }
  }

  /** The runbook's health gates for this node's role, each held before the next starts. */
  /** Agents: the agent id and running tasks before the script; the tasks gate wants them all back. */
  let baseline: AgentBaseline | undefined;

  async function verify(windowStartMs: number): Promise<void> {
    if (node.role === 'master') {
      await gate('exhibitor-converged', gates.exhibitorTimeoutMs);
      const mesosDeadline = Date.now() + gates.mesosMasterTimeoutMs;
      await gate('mesos-master-unit-active', gates.mesosMasterTimeoutMs, undefined, mesosDeadline);
      await gate('registrar-recovered', gates.mesosMasterTimeoutMs, undefined, mesosDeadline);
      const mesos = await gate('mesos-version', gates.mesosMasterTimeoutMs, input.expectedMesosVersion, mesosDeadline);
      if (input.expectedMesosVersion === mesosVersionFor(input.fromVersion) && input.fromVersion !== input.toVersion) {
        mesos.observation += ` (the same Mesos as ${input.fromVersion}: this gate proves nothing; dcos-version.json re-read after the script shows ${input.toVersion})`;
      }
      if (runsIamDatabase(input.variant, input.toVersion)) {
        await gate(
          'cockroach-replicated',
          gates.cockroachTimeoutMs,
          undefined,
          undefined,
          gates.cockroachPollIntervalMs
        );
      }
    } else {
      // The masters give up on an agent that misses their health pings for agentWindow, counted
      // from when its unit stopped (windowStart).
      const windowEnd = windowStartMs + gates.agentWindowMs;
      await gate('agent-registered', gates.agentWindowMs, undefined, windowEnd);
      await gate('agent-tasks-reconciled', gates.agentWindowMs, undefined, windowEnd);
    }
  }

  /**
   * Agents: the masters' 5-minute window starts when they stopped hearing from the agent (its
   * unit stopped during the swap), not when the script (and its download) began.
   */
  async function windowStart(script: ScriptRunResult): Promise<number> {
    const fallback = script.startedAtMs || startedAtMs;
    if (node.role === 'master') return fallback;
    const down = await hostStep.agentDownSince
      .executeWithOptions({ summary: `${label} · when the agent went quiet` }, [target])
      .catch(() => ({ sinceMs: undefined }));
    return down.sinceMs ?? fallback;
  }

  /** "Patched" is measured: dcos-version.json (and for a config change, the active config) re-read after exit 0. */
  async function verifyInstalled(): Promise<void> {
    const after = await step('verifying', 're-reading the installed version after the script', () =>
      hostStep.readNodeState.executeWithOptions({ summary: `${label} · re-read installed version` }, [
        target,
        input.newConfigPath,
      ])
    );
    result.versionAfter = after.installedVersion;
    if (after.installedVersion !== input.toVersion) {
      throw new StepFailed(
        'verifying',
        `dcos_node_upgrade.sh exited 0 but ${DCOS_VERSION_FILE} says ${after.installedVersion}, not ${input.toVersion}: the node was not patched. Read the script output in the diagnostics`,
        FailureTypes.NotAtTarget
      );
    }
    if (after.configMatches === false) {
      throw new StepFailed(
        'verifying',
        `dcos_node_upgrade.sh exited 0 but the host's user.config.yaml differs from the plan's new config.yaml: the new configuration is not active`,
        FailureTypes.NotAtTarget
      );
    }
  }

  function gateSummary(): string {
    return result.gates.map((g) => `${g.gate}: ${g.observation}`).join('; ');
  }

  try {
    // checking: decide "already done" from the host itself, before anything else.
    const state = await step('checking', 'reading installed version and config', () =>
      hostStep.readNodeState.executeWithOptions({ summary: `${label} · read installed version` }, [
        target,
        input.newConfigPath,
      ])
    );
    result.versionBefore = state.installedVersion;
    const configCurrent = state.configMatches !== false;
    if (state.installedVersion === input.toVersion && (input.fromVersion !== input.toVersion || configCurrent)) {
      if (configCurrent) {
        // Not patched again, but never passed over unhealthy: a retry after a failed gate lands
        // here too, and the next master must not start while this one is down.
        await verify(Date.now());
        return finish(
          'skipped',
          `already at ${input.toVersion} with the target config: not patched again; healthy: ${gateSummary()}`
        );
      }
    }
    if (state.installedVersion !== input.fromVersion && state.installedVersion !== input.toVersion) {
      throw new StepFailed(
        'checking',
        `host runs DC/OS ${state.installedVersion}, the plan patches ${input.fromVersion} → ${input.toVersion}`,
        FailureTypes.InvalidPlan
      );
    }
    if (state.installedVersion === input.toVersion && input.fromVersion !== input.toVersion) {
      // At the target version but with another config: a config update, not this plan's job.
      throw new StepFailed(
        'checking',
        `host already runs ${input.toVersion} but its config differs from the plan's new config.yaml`,
        FailureTypes.InvalidPlan
      );
    }

    if (!input.scriptUrl) {
      // Every host was at the target at the survey, so no script was generated: this one changed since.
      throw new StepFailed(
        'checking',
        `host runs DC/OS ${state.installedVersion} now, but it ran ${input.toVersion} at the survey and no node script was generated; re-run the patch`,
        FailureTypes.InvalidPlan
      );
    }

    // staging: fetch the script before the disruptive part; fails fast if the bootstrap is unreachable.
    await step('staging', `downloading the node patch script from ${input.scriptUrl}`, () =>
      hostStep.stageScript.executeWithOptions({ summary: `${label} · stage patch script` }, [
        target,
        input.scriptUrl,
        runKey,
      ])
    );

    if (node.role === 'master') {
      // Never two masters down: every master is verified healthy right before this one goes down.
      await gate('masters-healthy', gates.exhibitorTimeoutMs);
    }
    if (node.role !== 'master') {
      await step('preparing', 'removing /opt/mesosphere/lib/libltdl.so.7', () =>
        hostStep.prepareAgent.executeWithOptions({ summary: `${label} · remove libltdl.so.7` }, [target])
      );
      baseline = await step('preparing', 'recording the agent id and its running tasks', () =>
        hostStep.readAgentBaseline.executeWithOptions({ summary: `${label} · record agent id and tasks` }, [
          { target, masters: input.masters },
        ])
      );
      result.baseline = { agentId: baseline.agentId, tasks: baseline.taskIds.length };
    }

    const scriptDeadline = Date.now() + gates.scriptTimeoutMs;
    const script: ScriptRunResult = await step(
      'patching',
      'running dcos_node_upgrade.sh (detached on the host)',
      () =>
        scriptRun(gates).runPatchScript.executeWithOptions({ summary: `${label} · run dcos_node_upgrade.sh` }, [
          target,
          input.scriptUrl,
          runKey,
          gates.scriptTimeoutMs,
        ]),
      scriptDeadline
    );
    result.script = script;
    if (script.waitedFor) log.info(`${label}: waited for the earlier run ${script.waitedFor} and took its exit code`);

    await verifyInstalled();
    await verify(await windowStart(script));
    return finish('patched', `patched ${result.versionBefore} → ${input.toVersion}; ${gateSummary()}`);
  } catch (err) {
    if (isCancellation(err)) {
      return await CancellationScope.nonCancellable(async () => {
        const abortedDuring = `${progress.state} (${progress.step})`;
        enter('aborted', 'reading the state the script was left in');
        result.remoteRun = await hostStep.describeRemoteRun
          .executeWithOptions({ summary: `${label} · state after abort` }, [target, runKey])
          .catch(() => undefined);
        const where = result.remoteRun
          ? result.remoteRun.state === 'running'
            ? `the node patch script${result.remoteRun.runName ? ` (run ${result.remoteRun.runName}, which holds the host)` : ''} is STILL RUNNING on the host (not killed: pkgpanda must finish its swap)`
            : result.remoteRun.state === 'finished'
              ? `the node patch script had finished with exit code ${result.remoteRun.exitCode}`
              : 'the node patch script had not been started'
          : 'the host could not be reached to read the script state';
        return finish('aborted', `aborted during ${abortedDuring}: ${where}`);
      });
    }
    const failure = err instanceof StepFailed ? err : new StepFailed(progress.state, describeFailure(err).message);
    result.failedStep = failure.step;
    result.failureType = failure.failureType;
    enter('failed', `collecting diagnostics after: ${failure.message}`);
    result.diagnostics = await hostStep.collectDiagnostics
      .executeWithOptions({ summary: `${label} · collect diagnostics` }, [target, runKey])
      .catch((e) => {
        log.warn(`${label}: diagnostics could not be collected: ${describeFailure(e).message}`);
        return undefined;
      });
    return finish('failed', `failed at ${failure.step}: ${failure.message}`);
  }

  function finish(outcome: NodeResult['outcome'], summary: string): NodeResult {
    result.outcome = outcome;
    result.summary = summary;
    result.finishedAtMs = Date.now();
    enter(
      outcome === 'patched'
        ? 'patched'
        : outcome === 'skipped'
          ? 'skipped'
          : outcome === 'aborted'
            ? 'aborted'
            : 'failed',
      summary
    );
    return result;
  }
}
