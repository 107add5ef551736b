/**
 * How a patch ends, from its state alone (pure): aborted, completed with failures, done, or
 * nothing to do — with the report the workflow returns or carries in its failure's details.
 */
import { canaryFigures } from '../shared/canary';
import { FailureTypes } from '../shared/failure-types';
import type { CanaryStatus, NodeStatus, PatchOutcome, PatchReport } from '../shared/status';
import { baselineText } from './health-baseline';
import type { PatchState } from './patch-state';

export interface Closing {
  report: PatchReport;
  /** Set when the workflow must fail (PatchAborted / PatchIncomplete), the report in its details. */
  failureType?: typeof FailureTypes.PatchAborted | typeof FailureTypes.PatchIncomplete;
}

/** Enter the final phase and write the report. */
export function closePatch(state: PatchState): Closing {
  const nodes = state.status.nodes;
  const notPatched = nodes.filter(
    (n) => n.state === 'failed' || n.state === 'aborted' || n.decisions?.includes('skip')
  );
  if (state.aborting) {
    state.enterPhase('aborted');
    return ended(state, 'aborted', abortMessage(state), FailureTypes.PatchAborted);
  }
  if (notPatched.length) {
    state.enterPhase('failed');
    const list = notPatched.map((n) => `${n.id} (${n.state}: ${n.note ?? ''})`).join('; ');
    const message = `${notPatched.length} of ${nodes.length} nodes not patched: ${list}`;
    return ended(state, 'completed-with-failures', message, FailureTypes.PatchIncomplete);
  }
  state.enterPhase('done');
  const patched = nodes.filter((n) => n.state === 'patched').length;
  const leftAsFound = state.status.baseline?.agentsInactive.length ?? 0;
  const skipped = nodes.length - patched - leftAsFound;
  const { toVersion } = state.plan;
  const found = baselineText(state.status.baseline);
  return patched === 0
    ? ended(
        state,
        'nothing-to-do',
        `nothing to do: all ${nodes.length - leftAsFound} nodes already run ${toVersion} with the target config${found}`
      )
    : ended(
        state,
        'succeeded',
        `patched ${patched} node(s) to ${toVersion}${skipped ? `; ${skipped} already there, skipped` : ''}${found}`
      );
}

function ended(
  state: PatchState,
  outcome: PatchOutcome,
  message: string,
  failureType?: Closing['failureType']
): Closing {
  const report = reportOf(state, outcome, `${message}${canaryText(state.status.canary)}`);
  state.doing(report.message);
  return { report, ...(failureType ? { failureType } : {}) };
}

function reportOf(state: PatchState, outcome: PatchOutcome, message: string): PatchReport {
  const st = state.status;
  st.finishedAtMs = Date.now();
  return {
    workflowId: st.workflowId,
    cluster: state.plan.cluster,
    fromVersion: state.plan.fromVersion,
    toVersion: state.plan.toVersion,
    outcome,
    message,
    startedAtMs: st.startedAtMs,
    finishedAtMs: st.finishedAtMs,
    scriptUrl: st.scriptUrl,
    nodes: st.nodes,
    preflight: st.preflight,
    ...(st.baseline ? { baseline: st.baseline } : {}),
    ...(st.canary ? { canary: st.canary } : {}),
    decisions: state.decisions,
  };
}

/** "; workload canary /dcos-patch-canary: restarts 0, …; removed from Marathon" */
function canaryText(c: CanaryStatus | undefined): string {
  if (!c || c.state === 'planned') return '';
  if (c.state === 'skipped') return `; workload canary ${c.appId}: not deployed (the operator went on without it)`;
  return `; workload canary ${c.appId}: ${canaryFigures(c)}${c.removal ? `; ${c.removal}` : ''}`;
}

function abortMessage(state: PatchState): string {
  const nodes: NodeStatus[] = state.status.nodes;
  const where = nodes
    .filter((n) => n.state === 'aborted')
    .map((n) => `${n.id}: ${n.note}`)
    .join('; ');
  const done = nodes.filter((n) => n.state === 'patched').length;
  return `aborted in phase ${state.abortPhase} after ${done} node(s) patched${where ? `; in flight: ${where}` : '; no node was in flight'}`;
}
