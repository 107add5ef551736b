/**
 * Bootstrap: the new config into genconf, the node patch script generated
 * (`dcos_generate_config.sh --generate-node-upgrade-script <installed version>`), served, its URL
 * read from the "Node upgrade script URL:" line.
 */
import type { BootstrapInput } from '../../shared/activity-types';
import type { Plan } from '../../shared/plan';
import { bootstrapStep } from '../activities';
import type { PatchRun } from '../patch-run';
import { holdIfPaused, stepOrAsk } from '../waits';

export async function bootstrap(run: PatchRun): Promise<void> {
  const { state, plan } = run;
  if (state.phase !== 'backups') return;
  await holdIfPaused(state, 'bootstrap');
  if (state.aborting) return;
  state.enterPhase('bootstrap');
  const where = `bootstrap ${plan.bootstrap.address}`;
  state.doing(`${where}: generating the node patch script`);
  const b = await stepOrAsk(state, 'bootstrap', where, () =>
    bootstrapStep.prepareBootstrap.executeWithOptions({ summary: `${where} · generate node patch script` }, [
      { plan: bootstrapView(plan) },
    ])
  );
  if (!b) return;
  state.status.scriptUrl = b.scriptUrl;
  if (b.scriptSha256) state.status.scriptSha256 = b.scriptSha256;
  state.note(`node patch script URL: ${b.scriptUrl}${b.scriptSha256 ? ` (sha256 ${b.scriptSha256})` : ''}`);
  if (b.workerWarning) state.note(`warning: ${b.workerWarning}`);
}

/** Only what the bootstrap step needs: keeps thousands of agents out of its history entry. */
function bootstrapView(plan: Plan): BootstrapInput['plan'] {
  const { cluster, variant, fromVersion, toVersion, bootstrap, config, ssh, http } = plan;
  return { cluster, variant, fromVersion, toVersion, bootstrap, config, ssh, http };
}
