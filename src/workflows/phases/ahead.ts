/**
 * Steps started before their phase, beside the one before (issue 13: overlap what is
 * independent): the preflight checks beside the survey — both read-only — and the node script's
 * generation beside the backups — neither touches a cluster node. Each phase still takes its
 * step's outcome in its own order, asks on a failure as before, and a pause or a question holds
 * every node as before. Histories from before this run them one after another (`patched`).
 */
import { patched } from '@temporalio/workflow';
import type { BootstrapInput } from '../../shared/activity-types';
import type { Plan } from '../../shared/plan';
import { compactPlan } from '../../shared/plan-wire';
import { bootstrapStep, clusterStep } from '../activities';
import type { PatchRun } from '../patch-run';

export const PREFLIGHT_BESIDE_SURVEY = 'preflight-beside-survey';
export const BOOTSTRAP_BESIDE_BACKUPS = 'bootstrap-beside-backups';

/** A step's promise kept for later: its rejection is handled now and seen again by whoever awaits it. */
function kept<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export function runPreflightStep(plan: Plan): Promise<Awaited<ReturnType<typeof clusterStep.runPreflight>>> {
  return clusterStep.runPreflight.executeWithOptions({ summary: 'preflight checks (read-only)' }, [
    { plan: compactPlan(plan) },
  ]);
}

export function runBootstrapStep(plan: Plan): Promise<Awaited<ReturnType<typeof bootstrapStep.prepareBootstrap>>> {
  return bootstrapStep.prepareBootstrap.executeWithOptions(
    { summary: `bootstrap ${plan.bootstrap.address} · generate node patch script` },
    [{ plan: bootstrapView(plan) }]
  );
}

/** At the survey's start: the preflight checks begin too. */
export function startPreflightAhead(run: PatchRun): void {
  if (patched(PREFLIGHT_BESIDE_SURVEY)) run.preflightAhead = kept(runPreflightStep(run.plan));
}

/** At the backups' start: the generator begins too. */
export function startBootstrapAhead(run: PatchRun): void {
  if (patched(BOOTSTRAP_BESIDE_BACKUPS)) run.bootstrapAhead = kept(runBootstrapStep(run.plan));
}

/** The step started ahead, once (a retry after its failure runs it again), else a fresh run. */
export function takeAhead<T>(
  run: PatchRun,
  key: 'preflightAhead' | 'bootstrapAhead',
  fresh: () => Promise<T>
): () => Promise<T> {
  return () => {
    const ahead = run[key] as Promise<T> | undefined;
    run[key] = undefined;
    return ahead ?? fresh();
  };
}

/** Only what the bootstrap step needs: keeps thousands of agents out of its history entry. */
function bootstrapView(plan: Plan): BootstrapInput['plan'] {
  const { cluster, variant, fromVersion, toVersion, bootstrap, config, ssh, http } = plan;
  return { cluster, variant, fromVersion, toVersion, bootstrap, config, ssh, http };
}
