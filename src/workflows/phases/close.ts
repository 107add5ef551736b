/**
 * The end of a patch: the cluster lock released whatever the outcome, then the report returned —
 * or, for an abort or nodes not patched, a non-retryable failure carrying it.
 */
import { ApplicationFailure, allHandlersFinished, condition, continueAsNew } from '@temporalio/workflow';
import { type StoredReport, storeReport } from '../../shared/report-wire';
import { releaseClusterLock } from '../lock';
import { closePatch } from '../patch-outcome';
import type { PatchClusterInput, PatchRun } from '../patch-run';
import { rolloverInput } from '../rollover-input';

export async function close(run: PatchRun): Promise<StoredReport> {
  await condition(allHandlersFinished);
  await releaseClusterLock(run.plan.cluster);
  const { report, failureType } = closePatch(run.state);
  const aborted = report.outcome === 'aborted';
  await run.notifier.close({
    event: aborted ? 'aborted' : 'finished',
    outcome: report.outcome,
    text: `${aborted ? 'aborted' : `finished, ${report.outcome}`}: ${report.message}`,
  });
  if (!failureType) return storeReport(report);
  throw ApplicationFailure.create({
    type: failureType,
    message: report.message,
    nonRetryable: true,
    details: [storeReport(report)],
  });
}

/** History bound: every node of this run has finished; carry the state into a fresh run. */
export async function rollOver(run: PatchRun, input: PatchClusterInput): Promise<never> {
  run.state.status.generation += 1;
  await condition(allHandlersFinished);
  return await continueAsNew<(i: PatchClusterInput) => Promise<StoredReport>>(
    rolloverInput(run.state, run.notifier.carry(), input)
  );
}
