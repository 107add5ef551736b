/**
 * The runbook's validation of one node after its script (or of a node found at the target):
 * masters — Exhibitor converged, dcos-mesos-master active, registrar recovered, the expected
 * Mesos version, CockroachDB replicated where it runs; agents — registered again and every task
 * back, inside the window the masters allow. All of a node's gates are checked together under
 * one shared stability hold (good together for `stablePolls` polls in a row).
 */
import { patched } from '@temporalio/workflow';
import type { GateResult, HealthCheck } from '../shared/activity-types';
import { mesosVersionFor, runsIamDatabase } from '../shared/dcos-releases';
import type { NodeRun } from './node-run';

/** The patch id of the shared stability hold: histories from before it replay one gate after another. */
export const SHARED_HOLD_PATCH = 'shared-stability-hold';

export async function verifyHealthy(n: NodeRun, windowStartMs: number): Promise<void> {
  const master = n.input.target.node.role === 'master';
  if (!patched(SHARED_HOLD_PATCH)) {
    await (master ? verifyMasterOneByOne(n) : verifyAgentOneByOne(n, windowStartMs));
    return;
  }
  const results = await n.gates(master ? masterChecks(n) : agentChecks(n, windowStartMs), Date.now());
  const version = results.find((r) => r.gate === 'mesos-version');
  if (version) noteSameMesos(n, version);
}

/** Mesos recovers once ZooKeeper does: its gates' time counts from Exhibitor converged; CockroachDB's from the registrar. */
function masterChecks(n: NodeRun): HealthCheck[] {
  const { gates, expectedMesosVersion, variant, toVersion } = n.input;
  const mesos = { timeoutMs: gates.mesosMasterTimeoutMs, after: 'exhibitor-converged' } as const;
  const checks: HealthCheck[] = [
    { gate: 'exhibitor-converged', timeoutMs: gates.exhibitorTimeoutMs },
    { gate: 'mesos-master-unit-active', ...mesos },
    { gate: 'registrar-recovered', ...mesos },
    { gate: 'mesos-version', ...mesos, ...(expectedMesosVersion ? { expect: expectedMesosVersion } : {}) },
  ];
  if (n.input.appsUnhealthyBefore) checks.push({ gate: 'workloads-healthy', ...mesos });
  if (runsIamDatabase(variant, toVersion)) {
    checks.push({
      gate: 'cockroach-replicated',
      timeoutMs: gates.cockroachTimeoutMs,
      after: 'registrar-recovered',
      pollIntervalMs: gates.cockroachPollIntervalMs,
    });
  }
  return checks;
}

/**
 * The masters give up on an agent that misses their health pings for agentWindow, counted from
 * when its unit stopped (windowStart): both gates share that deadline.
 */
function agentChecks(n: NodeRun, windowStartMs: number): HealthCheck[] {
  const { agentWindowMs } = n.input.gates;
  const window = { timeoutMs: agentWindowMs, deadlineMs: windowStartMs + agentWindowMs };
  const checks: HealthCheck[] = [
    { gate: 'agent-registered', ...window },
    { gate: 'agent-tasks-reconciled', ...window },
  ];
  // Its tasks are back within the window: so are the apps they belong to.
  if (n.input.appsUnhealthyBefore) checks.push({ gate: 'workloads-healthy', ...window });
  return checks;
}

function noteSameMesos(n: NodeRun, version: GateResult): void {
  const { expectedMesosVersion, fromVersion, toVersion } = n.input;
  if (expectedMesosVersion === mesosVersionFor(fromVersion) && fromVersion !== toVersion) {
    version.observation += ` (the same Mesos as ${fromVersion}: this gate proves nothing; dcos-version.json re-read after the script shows ${toVersion})`;
  }
}

// ---- before the shared hold: one gate after another (kept for the histories of running patches) ----

async function verifyMasterOneByOne(n: NodeRun): Promise<void> {
  const { gates, expectedMesosVersion, variant, toVersion } = n.input;
  await n.gate('exhibitor-converged', { timeoutMs: gates.exhibitorTimeoutMs });
  const mesos = { timeoutMs: gates.mesosMasterTimeoutMs, deadlineMs: Date.now() + gates.mesosMasterTimeoutMs };
  await n.gate('mesos-master-unit-active', mesos);
  await n.gate('registrar-recovered', mesos);
  noteSameMesos(n, await n.gate('mesos-version', { ...mesos, expect: expectedMesosVersion }));
  if (runsIamDatabase(variant, toVersion)) {
    await n.gate('cockroach-replicated', {
      timeoutMs: gates.cockroachTimeoutMs,
      pollIntervalMs: gates.cockroachPollIntervalMs,
    });
  }
}

async function verifyAgentOneByOne(n: NodeRun, windowStartMs: number): Promise<void> {
  const { agentWindowMs } = n.input.gates;
  const window = { timeoutMs: agentWindowMs, deadlineMs: windowStartMs + agentWindowMs };
  await n.gate('agent-registered', window);
  await n.gate('agent-tasks-reconciled', window);
}
