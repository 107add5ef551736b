/**
 * Survey: what does every host run now? A host already at the target is never passed over: its
 * turn verifies it through every gate. A cluster already entirely at the target goes straight to
 * the masters (no backups, no generator), each node still verified in order.
 */
import { clusterStep } from '../activities';
import { allNodesOf } from '../patch-carry';
import type { PatchRun } from '../patch-run';
import { targetOf } from '../patch-run';
import { holdIfPaused, stepOrAsk } from '../waits';
import { startPreflightAhead } from './ahead';

/** Hosts read per activity: its history entry stays small at thousands of agents. */
const SURVEY_CHUNK = 100;

export async function survey(run: PatchRun): Promise<void> {
  const { state, plan } = run;
  if (state.phase !== 'plan' && state.phase !== 'survey') return;
  if (state.phase === 'plan') startPreflightAhead(run);
  state.enterPhase('survey');
  const all = allNodesOf(plan);
  let atTarget = 0;
  for (let i = 0; i < all.length && !state.aborting; i += SURVEY_CHUNK) {
    const chunk = all.slice(i, i + SURVEY_CHUNK);
    const hosts = `hosts ${i + 1}–${i + chunk.length}`;
    state.doing(`reading the installed version on ${hosts} of ${all.length}`);
    const entries = await stepOrAsk(state, 'survey', `reading ${hosts}`, () =>
      clusterStep.surveyNodes.executeWithOptions({ summary: `survey ${hosts}` }, [
        chunk.map((n) => targetOf(plan, n)),
        plan.config.newConfigPath,
      ])
    );
    if (!entries) return;
    chunk.forEach((node, j) => {
      if (state.surveyed(node.id, entries[j])) atTarget += 1;
    });
  }
  if (state.aborting || atTarget !== all.length) return;
  state.note(`survey: all ${all.length} nodes already run ${plan.toVersion}: verifying each, patching none`);
  await holdIfPaused(state, 'masters');
  if (!state.aborting) state.enterPhase('masters');
}
