/**
 * The runbook's validation of one node after its script (or of a node found at the target):
 * masters — Exhibitor converged, dcos-mesos-master active, registrar recovered, the expected
 * Mesos version, CockroachDB replicated where it runs; agents — registered again and every task
 * back, inside the window the masters allow. Each gate holds before the next starts.
 */
import { mesosVersionFor, runsIamDatabase } from '../shared/dcos-releases';
import type { NodeRun } from './node-run';

export async function verifyHealthy(n: NodeRun, windowStartMs: number): Promise<void> {
  if (n.input.target.node.role === 'master') await verifyMaster(n);
  else await verifyAgent(n, windowStartMs);
}

async function verifyMaster(n: NodeRun): Promise<void> {
  const { gates, expectedMesosVersion, fromVersion, toVersion, variant } = n.input;
  await n.gate('exhibitor-converged', { timeoutMs: gates.exhibitorTimeoutMs });
  const mesos = { timeoutMs: gates.mesosMasterTimeoutMs, deadlineMs: Date.now() + gates.mesosMasterTimeoutMs };
  await n.gate('mesos-master-unit-active', mesos);
  await n.gate('registrar-recovered', mesos);
  const version = await n.gate('mesos-version', { ...mesos, expect: expectedMesosVersion });
  if (expectedMesosVersion === mesosVersionFor(fromVersion) && fromVersion !== toVersion) {
    version.observation += ` (the same Mesos as ${fromVersion}: this gate proves nothing; dcos-version.json re-read after the script shows ${toVersion})`;
  }
  if (runsIamDatabase(variant, toVersion)) {
    await n.gate('cockroach-replicated', {
      timeoutMs: gates.cockroachTimeoutMs,
      pollIntervalMs: gates.cockroachPollIntervalMs,
    });
  }
}

/**
 * The masters give up on an agent that misses their health pings for agentWindow, counted from
 * when its unit stopped (windowStart): both gates share that deadline.
 */
async function verifyAgent(n: NodeRun, windowStartMs: number): Promise<void> {
  const { agentWindowMs } = n.input.gates;
  const window = { timeoutMs: agentWindowMs, deadlineMs: windowStartMs + agentWindowMs };
  await n.gate('agent-registered', window);
  await n.gate('agent-tasks-reconciled', window);
}
