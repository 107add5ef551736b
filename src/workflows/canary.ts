/**
 * The workload canary (plan `canary:`), beside the patch: deployed after the bootstrap and before
 * the first master, watched the whole time by one activity after another (each back at the first
 * incident or within a minute), removed at the end — also after an abort. An incident (a task
 * restarted or lost, a health check failing, the Mesos-DNS name not resolving) asks the operator,
 * naming the nodes being patched when it was seen, and no node starts until they decide
 * (approve: go on; abort). Its state lives in the patch's status, so it survives continue-as-new.
 */
import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';
import type { CanaryTarget, CanaryWatchResult } from '../shared/activity-types';
import { canaryFigures, initialCanary } from '../shared/canary';
import type { CanarySpec } from '../shared/plan';
import type { CanaryStatus } from '../shared/status';
import { canarySteps } from './activities';
import { describeFailure } from './failures';
import type { PatchRun } from './patch-run';
import { waitUntilFree } from './waits';

/**
 * A watch returns within this long without an incident (its figures reach the status). Stopping
 * waits for the watch under way rather than cancelling it (a cancelled watch's figures are lost),
 * so this is also the most the end of the patch, or a continue-as-new, waits for it.
 */
const WATCH_MS = 15_000;
/** While a canary question is open: shorter watches, so the first after the answer is not quiet. */
const QUIET_WATCH_POLLS = 3;
const INCIDENTS_KEPT = 20;
/** After a watch that failed (Marathon and every master silent for its retries): look again after this. */
const WATCH_AGAIN_MS = 10_000;

export const CANARY_SUBJECT = 'canary';

export class CanaryWatch {
  private scope?: CancellationScope;
  private loop?: Promise<void>;
  /** Set by stop(): the watch under way is the last. */
  private stopping = false;
  private readonly steps: ReturnType<typeof canarySteps>;

  private constructor(
    private readonly run: PatchRun,
    private readonly spec: CanarySpec
  ) {
    this.steps = canarySteps(spec.deployTimeoutMs);
  }

  /** The plan's canary, or undefined when it has none (histories from before canaries issue nothing). */
  static of(run: PatchRun): CanaryWatch | undefined {
    return run.plan.canary ? new CanaryWatch(run, run.plan.canary) : undefined;
  }

  private get status(): CanaryStatus {
    const st = this.run.state.status;
    st.canary ??= initialCanary(this.spec);
    return st.canary;
  }

  private target(): CanaryTarget {
    const { plan, state } = this.run;
    return {
      spec: this.spec,
      masters: plan.masters,
      ssh: plan.ssh,
      http: plan.http,
      workflowId: state.status.workflowId,
    };
  }

  /** Before the first master: deploy it (once), then watch it. A continued run only watches again. */
  async begin(): Promise<void> {
    const c = this.status;
    if (c.state === 'planned' || c.state === 'deploying') await this.deploy();
    if (c.state === 'watching' && !this.run.state.aborting) this.start();
  }

  private async deploy(): Promise<void> {
    const { state } = this.run;
    const c = this.status;
    while (!state.aborting && (c.state === 'planned' || c.state === 'deploying')) {
      c.state = 'deploying';
      state.doing(`deploying the workload canary ${c.appId} (${c.instances} instance(s)) before the first master`);
      try {
        const d = await this.steps.deployCanary.executeWithOptions(
          { summary: `deploy the workload canary ${c.appId}` },
          [this.target()]
        );
        Object.assign(c, { state: 'watching', deployedAtMs: d.deployedAtMs, hosts: d.hosts });
        c.carry = { knownTaskIds: d.taskIds, unhealthy: false, dnsFailing: false };
        state.note(
          `workload canary ${c.appId} running and healthy on ${d.hosts.join(', ')}, ${c.dnsName} resolving${d.replacedLeftover ? ' (it replaced a canary an earlier patch left)' : ''}`
        );
      } catch (err) {
        if (isCancellation(err)) throw err;
        state.ask({
          subject: CANARY_SUBJECT,
          kind: 'canary-failed',
          reason: `the workload canary could not be deployed: ${describeFailure(err).message} (skip: patch without it)`,
          allowed: ['retry', 'skip', 'abort'],
        });
        await waitUntilFree(state, CANARY_SUBJECT);
      }
    }
    // Went on without it: whatever was deployed goes now (an unhealthy app would block the workloads gate).
    if (c.state === 'skipped') await this.remove();
  }

  private start(): void {
    const scope = new CancellationScope();
    this.scope = scope;
    this.loop = scope
      .run(() => this.watchLoop())
      .catch((err) => {
        if (!isCancellation(err)) this.run.state.note(`watching the canary stopped: ${describeFailure(err).message}`);
      });
  }

  private async watchLoop(): Promise<void> {
    while (!this.stopping) {
      const quiet = this.run.state.isAsking(CANARY_SUBJECT);
      let r: CanaryWatchResult;
      try {
        r = await this.steps.watchCanary.executeWithOptions(
          { summary: `watch the workload canary ${this.spec.appId}` },
          [
            {
              ...this.target(),
              carry: this.status.carry ?? { knownTaskIds: [], unhealthy: false, dnsFailing: false },
              returnAfterMs: quiet ? QUIET_WATCH_POLLS * this.spec.pollIntervalMs : WATCH_MS,
              quiet,
            },
          ]
        );
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.status.observation = `could not watch it: ${describeFailure(err).message}`;
        if (!this.stopping) await sleep(WATCH_AGAIN_MS);
        continue;
      }
      this.merge(r);
    }
  }

  /** Add a watch's figures; a new incident asks (unless a canary question is open already). */
  private merge(r: CanaryWatchResult): void {
    const c = this.status;
    const f = c.figures;
    f.polls += r.figures.polls;
    f.restarts += r.figures.restarts;
    f.lost += r.figures.lost;
    f.unhealthy += r.figures.unhealthy;
    f.dnsFailures += r.figures.dnsFailures;
    f.longestOutageMs = Math.max(f.longestOutageMs, r.figures.longestOutageMs);
    c.carry = r.carry;
    c.observation = r.observation;
    if (r.incidents.length === 0) return;
    const seen = r.incidents.map((i) => ({ ...i, nodes: this.nodesPatchedAt(i.atMs) }));
    c.incidents.push(...seen);
    if (c.incidents.length > INCIDENTS_KEPT) c.incidents.splice(0, c.incidents.length - INCIDENTS_KEPT);
    const { state } = this.run;
    for (const i of seen) state.note(`CANARY: ${i.text} (while patching: ${i.nodes.join(', ') || 'no node'})`);
    if (state.aborting || state.isAsking(CANARY_SUBJECT)) return;
    const first = seen[0]!;
    const more = seen.length > 1 ? ` (and ${seen.length - 1} more)` : '';
    const during = first.nodes.length
      ? `while ${first.nodes.join(', ')} ${first.nodes.length > 1 ? 'were' : 'was'} being patched`
      : 'while no node was being patched';
    state.ask({
      subject: CANARY_SUBJECT,
      kind: 'canary-incident',
      reason: `the workload canary ${c.appId}: ${first.text}${more}, ${during}; no node starts until you decide (approve: go on; abort)`,
      allowed: ['approve', 'abort'],
    });
  }

  /** The nodes being patched at that instant: started before it and not finished before it. */
  private nodesPatchedAt(atMs: number): string[] {
    return this.run.state.status.nodes
      .filter(
        (n) =>
          n.startedAtMs !== undefined &&
          n.startedAtMs <= atMs &&
          (n.state === 'patching' || (n.finishedAtMs ?? 0) >= atMs)
      )
      .map((n) => n.id);
  }

  /** Stop watching (before a continue-as-new, or before removing it): the watch under way finishes, its figures count. */
  async stop(): Promise<void> {
    if (!this.scope) return;
    this.stopping = true;
    let done = false;
    void this.loop?.then(() => {
      done = true;
    });
    // A watch whose activity is stuck (no worker) must not hold the end: cancel it after a while.
    if (!(await condition(() => done, WATCH_MS + 60_000))) this.scope.cancel();
    await this.loop;
    this.scope = undefined;
  }

  /** At the end, whatever the outcome: stop watching, remove it, count an outage still under way. */
  async remove(): Promise<void> {
    await this.stop();
    const c = this.status;
    if (c.state === 'planned' || c.state === 'removed' || c.state === 'not-removed' || c.removal) return;
    const since = c.carry?.outageSinceMs;
    if (since !== undefined) c.figures.longestOutageMs = Math.max(c.figures.longestOutageMs, Date.now() - since);
    const { state } = this.run;
    state.doing(`removing the workload canary ${c.appId}`);
    const r = await CancellationScope.nonCancellable(() =>
      this.steps.removeCanary.executeWithOptions({ summary: `remove the workload canary ${c.appId}` }, [this.target()])
    ).catch((err) => ({
      removed: false,
      text: `removing it failed (${describeFailure(err).message}); remove it by hand: dcos marathon app remove ${c.appId}`,
    }));
    if (c.state !== 'skipped') c.state = r.removed ? 'removed' : 'not-removed';
    c.removal = r.text;
    state.note(`workload canary: ${canaryFigures(c)}; ${r.text}`);
  }
}
