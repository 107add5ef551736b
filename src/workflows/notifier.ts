/**
 * Webhook notifications from the patch: each webhook has its own queue, sent in order by one
 * sender loop, one activity per message (with retries and backoff). Nothing in the patch awaits
 * a send: a dead receiver only makes its queue grow (bounded; the oldest dropped and counted as
 * failed) and shows in the status. At the end the messages left are handed to a detached
 * `deliverNotifications` workflow, so closing the patch waits for no webhook; across
 * continue-as-new they are carried. Delivery is at least once (workflowId + seq identify a message).
 */
import { CancellationScope, ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { PatchActivities } from '../shared/activity-contract';
import { FailureTypes } from '../shared/failure-types';
import type { NotifyMessage, NotifyState, PatchEvent } from '../shared/notify-message';
import type { NotifyHook, Plan } from '../shared/plan';
import type { PatchStatus } from '../shared/status';
import { describeFailure } from './failures';

/** Messages waiting per webhook; beyond it the oldest is dropped (a receiver dead for the whole patch). */
const QUEUE_BOUND = 200;

export const notifyStep = proxyActivities<Pick<PatchActivities, 'sendNotification'>>({
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FailureTypes.WebhookRejected],
  },
});

export interface DeliverInput {
  hooks: NotifyHook[];
  queues: NotifyMessage[][];
}

export class Notifier {
  private readonly queues: NotifyMessage[][];
  private readonly sending: boolean[];
  private closed = false;

  constructor(
    private readonly plan: Plan,
    private readonly status: PatchStatus,
    carried?: NotifyMessage[][]
  ) {
    const hooks = plan.notify ?? [];
    this.queues = hooks.map((_, i) => [...(carried?.[i] ?? [])]);
    this.sending = hooks.map(() => false);
    if (hooks.length && !status.notifications) {
      status.notifications = { hooks: hooks.length, sent: 0, failed: 0, queued: 0, seq: 0 };
    }
    for (const i of this.queues.keys()) this.kick(i);
  }

  private get state(): NotifyState | undefined {
    return this.status.notifications;
  }

  /** Queue the event for every webhook that wants it. */
  send(event: PatchEvent): void {
    const hooks = this.plan.notify ?? [];
    if (!this.state || this.closed) return;
    const message = this.message(event);
    for (const [i, hook] of hooks.entries()) {
      if (!hook.events.includes(event.event)) continue;
      const q = this.queues[i]!;
      q.push(message);
      if (q.length > QUEUE_BOUND) {
        q.shift();
        this.state.failed += 1;
        this.state.lastFailure = `webhook ${i + 1}: more than ${QUEUE_BOUND} messages waiting; the oldest dropped`;
      }
      this.kick(i);
    }
    this.count();
  }

  /** What the next run sends (continue-as-new). */
  carry(): NotifyMessage[][] | undefined {
    return this.queues.some((q) => q.length) ? this.queues.map((q) => [...q]) : undefined;
  }

  /**
   * The patch ends: the last event and every message not yet delivered (the one being sent
   * included: at least once) go to a detached workflow; the patch does not wait for them.
   */
  async close(last: PatchEvent): Promise<void> {
    const hooks = this.plan.notify ?? [];
    if (!this.state || this.closed) return;
    const message = this.message(last);
    this.closed = true;
    const queues = hooks.map((h, i) => [...this.queues[i]!, ...(h.events.includes(last.event) ? [message] : [])]);
    if (!queues.some((q) => q.length)) return;
    await startChild('deliverNotifications', {
      workflowId: `${workflowInfo().workflowId}/notifications-${this.state.seq}`,
      args: [{ hooks, queues } satisfies DeliverInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `the patch's last ${queues.flat().length} webhook message(s), delivered after it closed`,
    });
  }

  private message(event: PatchEvent): NotifyMessage {
    const st = this.state!;
    st.seq += 1;
    return {
      ...event,
      seq: st.seq,
      workflowId: this.status.workflowId,
      cluster: this.plan.cluster,
      fromVersion: this.plan.fromVersion,
      toVersion: this.plan.toVersion,
      phase: this.status.phase,
      atMs: Date.now(),
    };
  }

  private count(): void {
    if (this.state) this.state.queued = this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** Start webhook i's sender loop unless it runs (its promise is never awaited by the patch). */
  private kick(i: number): void {
    if (this.sending[i] || this.closed || this.queues[i]!.length === 0) return;
    this.sending[i] = true;
    void this.drain(i).finally(() => {
      this.sending[i] = false;
    });
  }

  private async drain(i: number): Promise<void> {
    const hook = (this.plan.notify ?? [])[i]!;
    const q = this.queues[i]!;
    while (q.length && !this.closed) {
      const message = q[0]!;
      try {
        // Not cancelled with the patch (a workflow cancel request is an abort): the news goes out.
        await CancellationScope.nonCancellable(() => notifyStep.sendNotification(hook, message));
        this.state!.sent += 1;
      } catch (err) {
        this.state!.failed += 1;
        this.state!.lastFailure =
          `webhook ${i + 1}, message ${message.seq} (${message.event}): ${describeFailure(err).message}`;
      }
      if (this.closed) return;
      q.shift();
      this.count();
    }
  }
}
