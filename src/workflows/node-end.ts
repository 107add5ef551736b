/**
 * How a node attempt ends when it does not end patched: aborted (the state its script was left
 * in, read from the host) or failed (the runbook's diagnostics collected for the operator).
 */
import { CancellationScope, log } from '@temporalio/workflow';
import type { RemoteRunState } from '../shared/activity-types';
import type { NodeResult } from '../shared/status';
import { hostStep } from './activities';
import { describeFailure } from './failures';
import { type NodeRun, StepFailed } from './node-run';

/** Cancelled by an abort: read what the script was left doing (never killed mid-swap). */
export async function endAborted(n: NodeRun): Promise<NodeResult> {
  return await CancellationScope.nonCancellable(async () => {
    const abortedDuring = `${n.progress.state} (${n.progress.step})`;
    n.enter('aborted', 'reading the state the script was left in');
    n.result.remoteRun = await hostStep.describeRemoteRun
      .executeWithOptions({ summary: `${n.label} · state after abort` }, [n.input.target, n.runKey])
      .catch(() => undefined);
    return n.finish('aborted', `aborted during ${abortedDuring}: ${scriptStateText(n.result.remoteRun)}`);
  });
}

function scriptStateText(run: RemoteRunState | undefined): string {
  if (!run) return 'the host could not be reached to read the script state';
  if (run.state === 'running') {
    const holder = run.runName ? ` (run ${run.runName}, which holds the host)` : '';
    return `the node patch script${holder} is STILL RUNNING on the host (not killed: pkgpanda must finish its swap)`;
  }
  if (run.state === 'finished') return `the node patch script had finished with exit code ${run.exitCode}`;
  return 'the node patch script had not been started';
}

/** A step or gate failed: the runbook's diagnostics, then a `failed` result for the parent to ask about. */
export async function endFailed(n: NodeRun, err: unknown): Promise<NodeResult> {
  const failure = err instanceof StepFailed ? err : new StepFailed(n.progress.state, describeFailure(err).message);
  n.result.failedStep = failure.step;
  n.result.failureType = failure.failureType;
  n.enter('failed', `collecting diagnostics after: ${failure.message}`);
  n.result.diagnostics = await hostStep.collectDiagnostics
    .executeWithOptions({ summary: `${n.label} · collect diagnostics` }, [n.input.target, n.runKey])
    .catch((e) => {
      log.warn(`${n.label}: diagnostics could not be collected: ${describeFailure(e).message}`);
      return undefined;
    });
  return n.finish('failed', `failed at ${failure.step}: ${failure.message}`);
}
