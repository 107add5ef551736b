/**
 * Masters: strictly one at a time, each validated before the next. A master that did not come
 * back patched asks the operator (retry / abort); with approveEachMaster every master after the
 * first waits for its approval; with approveBeforeAgents the agent phase does too. A master starts
 * only inside a maintenance window it can finish in.
 */
import type { NodeSpec } from '../../shared/plan';
import { runNode } from '../node-runner';
import type { PatchRun } from '../patch-run';
import { nodeLabel } from '../patch-state';
import { holdIfPaused, waitToStart, waitUntilFree } from '../waits';
import { startPrestaging } from './prestage';

export async function masters(run: PatchRun): Promise<void> {
  const { state, plan } = run;
  if (state.phase === 'bootstrap') {
    await holdIfPaused(state, 'masters');
    if (!state.aborting) state.enterPhase('masters');
  }
  if (state.phase !== 'masters') return;
  startPrestaging(run);
  for (const [i, master] of plan.masters.entries()) {
    await patchMaster(run, master, i);
    if (state.aborting) return;
  }
  if (state.status.policy.approveBeforeAgents && !state.approved('agents')) {
    state.ask({
      subject: 'agents',
      kind: 'approve-agents',
      reason: 'all masters patched: approve the agent phase',
      allowed: ['approve', 'abort'],
    });
    await waitUntilFree(state, 'agents');
  }
  if (!state.aborting) state.enterPhase('agents');
}

/** One master, to patched (or skipped by a retry that found it there), or until the patch aborts. */
async function patchMaster(run: PatchRun, master: NodeSpec, index: number): Promise<void> {
  const { state, plan } = run;
  while (!state.aborting && state.node(master.id).state === 'pending') {
    const needsApproval = state.status.policy.approveEachMaster && index > 0 && !state.approved(master.id);
    if (needsApproval && !state.isAsking(master.id)) {
      state.ask({
        subject: master.id,
        kind: 'approve-master',
        reason: `approve patching ${nodeLabel(master)}`,
        allowed: ['approve', 'abort'],
      });
    }
    await waitToStart(state, master.id, 'master');
    if (state.aborting) return;
    state.doing(`patching ${nodeLabel(master)} (${index + 1}/${plan.masters.length}); the other masters stay up`);
    const r = await runNode(run, master, state.status.scriptUrl ?? '');
    if (!r || r.outcome === 'failed') {
      state.masterFailed(master.id);
      await waitUntilFree(state, master.id);
    }
  }
}
