/**
 * Pre-staging, beside the masters: every agent still to patch fetches the node script now and
 * checks its checksum, so an agent's turn starts with the script at hand, and agents that cannot
 * fetch it are named before the first agent starts (their own turn downloads again and fails
 * there, clearly, if the bootstrap still does not answer). Never blocks or fails the patch.
 */
import { patched } from '@temporalio/workflow';
import { clusterStep } from '../activities';
import { describeFailure } from '../failures';
import type { PatchRun } from '../patch-run';
import { targetOf } from '../patch-run';

export const PRESTAGE_PATCH = 'prestage-agents';

/** Agents per activity: its history entry stays small at thousands of agents. */
const PRESTAGE_CHUNK = 100;

/** Start pre-staging in the background (once per run, histories from before it skip it). */
export function startPrestaging(run: PatchRun): void {
  const { state, plan } = run;
  const url = state.status.scriptUrl;
  if (run.prestaging || !url || !patched(PRESTAGE_PATCH)) return;
  const agents = state.agents().filter((a) => state.node(a.id).state === 'pending');
  if (agents.length === 0) return;
  run.prestaging = (async () => {
    const failed: string[] = [];
    for (let i = 0; i < agents.length && !state.aborting; i += PRESTAGE_CHUNK) {
      const chunk = agents.slice(i, i + PRESTAGE_CHUNK);
      const entries = await clusterStep.prestageScript
        .executeWithOptions({ summary: `pre-stage the node script on agents ${i + 1}–${i + chunk.length}` }, [
          chunk.map((a) => targetOf(plan, a)),
          url,
          state.status.scriptSha256,
        ])
        .catch((err) => {
          state.note(
            `pre-staging agents ${i + 1}–${i + chunk.length} failed (${describeFailure(err).message}): each downloads its own copy in its turn`
          );
          return [];
        });
      for (const e of entries) if (e.error) failed.push(`${e.node}: ${e.error}`);
    }
    const ok = agents.length - failed.length;
    state.note(
      failed.length
        ? `pre-staged the node script on ${ok}/${agents.length} agents; NOT on ${failed.length} (their turn downloads it again): ${failed.slice(0, 10).join('; ')}${failed.length > 10 ? '; …' : ''}`
        : `pre-staged the node script on all ${agents.length} agents${state.status.scriptSha256 ? ' (checksum verified)' : ''}`
    );
  })();
}
