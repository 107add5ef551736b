/**
 * The control surface of a running patch, wired to its state: the `status` query, the pause /
 * resume / abort signals, the `decide` and `setPolicy` updates (each refused by its validator
 * before it enters history when it cannot apply), and a workflow cancel request as an abort.
 */
import { CancellationScope, setHandler } from '@temporalio/workflow';
import { abortSignal, decideUpdate, pauseSignal, resumeSignal, setPolicyUpdate, statusQuery } from './messages';
import type { PatchState } from './patch-state';

function refuseIf(problem: string | undefined): void {
  if (problem) throw new Error(problem);
}

export function installControl(state: PatchState): void {
  setHandler(statusQuery, () => state.status);
  setHandler(pauseSignal, (arg) => state.pause(arg?.reason));
  setHandler(resumeSignal, () => state.resume());
  setHandler(abortSignal, (arg) => state.requestAbort(arg?.reason ?? 'abort signal'));
  setHandler(decideUpdate, (d) => state.decide(d), { validator: (d) => refuseIf(state.decisionProblem(d)) });
  setHandler(setPolicyUpdate, (c) => state.changePolicy(c), { validator: (c) => refuseIf(state.policyProblem(c)) });
  // A workflow cancel request (`temporal workflow cancel`, the Web UI) is an abort.
  CancellationScope.current().cancelRequested.catch(() => state.requestAbort('workflow cancel request'));
}
