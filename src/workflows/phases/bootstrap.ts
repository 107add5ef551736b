/**
 * Bootstrap: the new config into genconf, the node patch script generated
 * (`dcos_generate_config.sh --generate-node-upgrade-script <installed version>`), served, its URL
 * read from the "Node upgrade script URL:" line.
 */
import type { PatchRun } from '../patch-run';
import { holdIfPaused, stepOrAsk } from '../waits';
import { runBootstrapStep, takeAhead } from './ahead';

export async function bootstrap(run: PatchRun): Promise<void> {
  const { state, plan } = run;
  if (state.phase !== 'backups') return;
  await holdIfPaused(state, 'bootstrap');
  if (state.aborting) return;
  state.enterPhase('bootstrap');
  const where = `bootstrap ${plan.bootstrap.address}`;
  state.doing(`${where}: generating the node patch script`);
  const b = await stepOrAsk(
    state,
    'bootstrap',
    where,
    takeAhead(run, 'bootstrapAhead', () => runBootstrapStep(plan))
  );
  if (!b) return;
  state.status.scriptUrl = b.scriptUrl;
  if (b.scriptSha256) state.status.scriptSha256 = b.scriptSha256;
  state.note(`node patch script URL: ${b.scriptUrl}${b.scriptSha256 ? ` (sha256 ${b.scriptSha256})` : ''}`);
  if (b.workerWarning) state.note(`warning: ${b.workerWarning}`);
}
