/** Backups: a ZooKeeper snapshot and the IAM database, before any master is touched. */
import { compactPlan } from '../../shared/plan-wire';
import { clusterStep } from '../activities';
import type { PatchRun } from '../patch-run';
import { holdIfPaused, stepOrAsk } from '../waits';
import { startBootstrapAhead } from './ahead';

export async function backups(run: PatchRun): Promise<void> {
  const { state, plan } = run;
  if (state.phase !== 'preflight') return;
  await holdIfPaused(state, 'backups');
  if (state.aborting) return;
  state.enterPhase('backups');
  startBootstrapAhead(run);
  if (plan.backups.zookeeper !== 'take' && plan.backups.iam !== 'take') {
    state.note('backups: the operator confirmed them in the plan (backups: confirmed)');
    return;
  }
  state.doing('taking backups before the first master is touched');
  const taken = await stepOrAsk(state, 'backups', 'the backups', () =>
    clusterStep.takeBackups.executeWithOptions({ summary: 'backups: ZooKeeper snapshot / IAM database' }, [
      { plan: compactPlan(plan) },
    ])
  );
  if (taken) state.note(`backups: ${taken.summary}`);
}
