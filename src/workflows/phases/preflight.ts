/**
 * Preflight: the read-only checks. A failing check stops the patch here unless the operator
 * overrides it by name (in the plan, or with `decide preflight override`).
 */
import type { PatchRun } from '../patch-run';
import { holdIfPaused, stepOrAsk, waitUntilFree } from '../waits';
import { runPreflightStep, takeAhead } from './ahead';

export async function preflight(run: PatchRun): Promise<void> {
  const { state, plan } = run;
  if (state.phase === 'survey') await holdIfPaused(state, 'preflight');
  while (!state.aborting && (state.phase === 'survey' || state.phase === 'preflight')) {
    state.enterPhase('preflight');
    if (state.status.preflight.length === 0) {
      state.doing('preflight: checking hosts, cluster health and prerequisites (read-only)');
      const findings = await stepOrAsk(
        state,
        'preflight',
        'the preflight checks',
        takeAhead(run, 'preflightAhead', () => runPreflightStep(plan))
      );
      if (!findings) return;
      state.preflightFound(findings);
    }
    const failing = state.failingPreflight();
    if (failing.length === 0) return;
    if (!state.isAsking('preflight')) {
      const list = failing.map((f) => `${f.check}${f.host ? `@${f.host}` : ''}: ${f.message}`).join('; ');
      state.ask({
        subject: 'preflight',
        kind: 'preflight-failed',
        reason: `${failing.length} preflight check(s) failed: ${list}`,
        allowed: ['retry', 'override', 'abort'],
      });
    }
    await waitUntilFree(state, 'preflight');
  }
}
