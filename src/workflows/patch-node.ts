/**
 * patchNode: patch one DC/OS node, the runbook's per-node procedure.
 *
 *   checking → staging → (masters: every master healthy) (agents: preparing) → patching
 *     → verifying (installed version re-read, then the health gates) → patched
 *
 * Guarantees: a host already at the target version and config is not patched again but is
 * verified through every gate; the node script is started at most once on a host at a time (the
 * host lease); the node is `patched` only when the host runs the target and every health gate
 * held for several consecutive polls; any failure collects the runbook's diagnostics and returns
 * `failed` (the parent asks the operator); cancellation (abort) reports what state the remote
 * script was left in. The workflow never throws for a node problem: its result says what happened.
 */
import { isCancellation, log, setHandler } from '@temporalio/workflow';
import type { NodeResult } from '../shared/status';
import { nodeStatusQuery } from './messages';
import { endAborted, endFailed } from './node-end';
import { verifyHealthy } from './node-gates';
import type { PatchNodeInput } from './node-input';
import { NodeRun } from './node-run';
import { checkHost, prepareAgent, runScript, stageScript, verifyInstalled, windowStart } from './node-steps';

export type { PatchNodeInput } from './node-input';

export async function patchNode(input: PatchNodeInput): Promise<NodeResult> {
  const n = new NodeRun(input);
  setHandler(nodeStatusQuery, () => n.progress);
  try {
    if ((await checkHost(n)) === 'at-target') {
      await verifyHealthy(n, Date.now());
      const why = `already at ${input.toVersion} with the target config: not patched again; healthy: ${n.gateSummary()}`;
      return n.finish('skipped', why);
    }
    await stageScript(n);
    // Never two masters down: every master is verified healthy right before this one goes down.
    if (input.target.node.role === 'master') {
      await n.gate('masters-healthy', { timeoutMs: input.gates.exhibitorTimeoutMs });
    } else {
      await prepareAgent(n);
    }
    const script = await runScript(n);
    if (script.waitedFor) log.info(`${n.label}: waited for the earlier run ${script.waitedFor} and took its exit code`);
    await verifyInstalled(n);
    await verifyHealthy(n, await windowStart(n, script));
    return n.finish('patched', `patched ${n.result.versionBefore} → ${input.toVersion}; ${n.gateSummary()}`);
  } catch (err) {
    return isCancellation(err) ? await endAborted(n) : await endFailed(n, err);
  }
}
