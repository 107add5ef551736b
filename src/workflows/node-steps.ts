/**
 * The per-node runbook steps before and after the script: read what the host runs, stage the
 * script, (agents) remove the conflicting library and record the agent's tasks, run the script,
 * re-read what the host runs, and find when the agent went quiet.
 */
import type { ScriptRunResult } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import { scriptRun } from './activities';
import { type NodeRun, StepFailed } from './node-run';

const DCOS_VERSION_FILE = '/opt/mesosphere/etc/dcos-version.json';

/** What the host runs before anything: 'at-target' (verify only) or 'to-patch'; anything else fails. */
export async function checkHost(n: NodeRun): Promise<'at-target' | 'to-patch'> {
  const { target, newConfigPath, fromVersion, toVersion, scriptUrl } = n.input;
  const state = await n.step('checking', 'reading installed version and config', () =>
    n.hostSteps.readNodeState.executeWithOptions({ summary: `${n.label} · read installed version` }, [
      target,
      newConfigPath,
    ])
  );
  n.result.versionBefore = state.installedVersion;
  const configCurrent = state.configMatches !== false;
  const installed = state.installedVersion;
  // Not patched again, but never passed over unhealthy: a retry after a failed gate lands here
  // too, and the next master must not start while this one is down.
  if (installed === toVersion && configCurrent) return 'at-target';
  const refuse = (message: string) => new StepFailed('checking', message, FailureTypes.InvalidPlan);
  if (installed !== fromVersion && installed !== toVersion) {
    throw refuse(`host runs DC/OS ${installed}, the plan patches ${fromVersion} → ${toVersion}`);
  }
  if (installed === toVersion && fromVersion !== toVersion) {
    // At the target version but with another config: a config update, not this plan's job.
    throw refuse(`host already runs ${toVersion} but its config differs from the plan's new config.yaml`);
  }
  if (!scriptUrl) {
    // Every host was at the target at the survey, so no script was generated: this one changed since.
    throw refuse(
      `host runs DC/OS ${installed} now, but it ran ${toVersion} at the survey and no node script was generated; re-run the patch`
    );
  }
  return 'to-patch';
}

/** Fetch the script before the disruptive part: an unreachable bootstrap fails here, the node untouched. */
export async function stageScript(n: NodeRun): Promise<void> {
  const { target, scriptUrl } = n.input;
  await n.step('staging', `downloading the node patch script from ${scriptUrl}`, () =>
    n.hostSteps.stageScript.executeWithOptions({ summary: `${n.label} · stage patch script` }, [
      target,
      scriptUrl,
      n.runKey,
    ])
  );
}

/** Agents: the runbook's library removal, and the agent id and tasks to compare after. */
export async function prepareAgent(n: NodeRun): Promise<void> {
  const { target, masters } = n.input;
  await n.step('preparing', 'removing /opt/mesosphere/lib/libltdl.so.7', () =>
    n.hostSteps.prepareAgent.executeWithOptions({ summary: `${n.label} · remove libltdl.so.7` }, [target])
  );
  n.baseline = await n.step('preparing', 'recording the agent id and its running tasks', () =>
    n.hostSteps.readAgentBaseline.executeWithOptions({ summary: `${n.label} · record agent id and tasks` }, [
      { target, masters },
    ])
  );
  n.result.baseline = { agentId: n.baseline.agentId, tasks: n.baseline.taskIds.length };
}

/** dcos_node_upgrade.sh, detached on the host; exit 0 or the step fails. */
export async function runScript(n: NodeRun): Promise<ScriptRunResult> {
  const { target, scriptUrl, gates } = n.input;
  const script = await n.step(
    'patching',
    'running dcos_node_upgrade.sh (detached on the host)',
    () =>
      scriptRun(gates).runPatchScript.executeWithOptions({ summary: `${n.label} · run dcos_node_upgrade.sh` }, [
        target,
        scriptUrl,
        n.runKey,
        gates.scriptTimeoutMs,
      ]),
    Date.now() + gates.scriptTimeoutMs
  );
  n.result.script = script;
  return script;
}

/** "Patched" is measured: dcos-version.json (and for a config change, the active config) re-read after exit 0. */
export async function verifyInstalled(n: NodeRun): Promise<void> {
  const { target, newConfigPath, toVersion } = n.input;
  const after = await n.step('verifying', 're-reading the installed version after the script', () =>
    n.hostSteps.readNodeState.executeWithOptions({ summary: `${n.label} · re-read installed version` }, [
      target,
      newConfigPath,
    ])
  );
  n.result.versionAfter = after.installedVersion;
  if (after.installedVersion !== toVersion) {
    throw new StepFailed(
      'verifying',
      `dcos_node_upgrade.sh exited 0 but ${DCOS_VERSION_FILE} says ${after.installedVersion}, not ${toVersion}: the node was not patched. Read the script output in the diagnostics`,
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

/**
 * Agents: the masters' 5-minute window starts when they stopped hearing from the agent (its
 * unit stopped during the swap), not when the script (and its download) began.
 */
export async function windowStart(n: NodeRun, script: ScriptRunResult): Promise<number> {
  const fallback = script.startedAtMs || n.startedAtMs;
  if (n.input.target.node.role === 'master') return fallback;
  const down = await n.hostSteps.agentDownSince
    .executeWithOptions({ summary: `${n.label} · when the agent went quiet` }, [n.input.target])
    .catch(() => ({ sinceMs: undefined }));
  return down.sinceMs ?? fallback;
}
