/**
 * The patch's own metrics, from workflow code (the SDK drops them during replay, so each is
 * counted once): nodes patched and failed by role, agents in flight, decisions pending and since
 * when. Tagged with the cluster. Names end up prefixed `temporal_` by the worker's exporter.
 */
import { metricMeter } from '@temporalio/workflow';
import type { NodeStateName, PendingDecision } from '../shared/status';

export interface PatchMetrics {
  nodeDone(role: string, outcome: NodeStateName | 'ended'): void;
  agentsInFlight(n: number): void;
  pending(questions: PendingDecision[]): void;
}

export function patchMetrics(cluster: string): PatchMetrics {
  const meter = metricMeter.withTags({ cluster });
  const patched = meter.createCounter('dcos_patch_nodes_patched', 'nodes', 'nodes patched (or verified at the target)');
  const failed = meter.createCounter('dcos_patch_nodes_failed', 'nodes', 'node attempts that did not end patched');
  const inFlight = meter.createGauge('dcos_patch_agents_in_flight', 'int', 'agents', 'agents being patched now');
  const pending = meter.createGauge(
    'dcos_patch_decisions_pending',
    'int',
    'decisions',
    'questions waiting for the operator'
  );
  const since = meter.createGauge(
    'dcos_patch_decision_pending_since_seconds',
    'float',
    's',
    'Unix time the oldest open question was asked (0: none); its age is time() minus this'
  );
  return {
    nodeDone: (role, outcome) =>
      outcome === 'patched' || outcome === 'skipped' ? patched.add(1, { role }) : failed.add(1, { role, outcome }),
    agentsInFlight: (n) => inFlight.set(n),
    pending: (questions) => {
      pending.set(questions.length);
      const oldest = Math.min(...questions.map((q) => q.sinceMs));
      since.set(questions.length ? oldest / 1000 : 0);
    },
  };
}
