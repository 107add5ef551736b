/**
 * What a webhook receives: Slack-compatible JSON — `text` for a chat channel — plus the same
 * facts as fields for a program (the event, the patch, the node, the question and the exact
 * `decide` command). Delivery is at least once: `workflowId` + `seq` identify a message.
 */
import type { NotifyEventKind } from './plan';

/** What the patch says happened (the notifier adds the patch's identity). */
export interface PatchEvent {
  event: NotifyEventKind;
  /** One line for people. */
  text: string;
  /** The node or phase it is about. */
  subject?: string;
  /** decision-needed: the question's id and the exact command that answers it. */
  question?: string;
  command?: string;
  /** finished / aborted: the patch's outcome. */
  outcome?: string;
}

export interface NotifyMessage extends PatchEvent {
  /** Increasing per patch (across continue-as-new). */
  seq: number;
  workflowId: string;
  cluster: string;
  fromVersion: string;
  toVersion: string;
  phase: string;
  atMs: number;
}

/** The delivery state a patch's status shows (a failing webhook never blocks the patch). */
export interface NotifyState {
  hooks: number;
  sent: number;
  failed: number;
  /** Messages waiting for their webhook (a dead one makes this grow, up to a bound). */
  queued: number;
  /** The last delivery that gave up: which webhook and why (never a URL from a file or a header). */
  lastFailure?: string;
  /** The last message number used. */
  seq: number;
}

/** The body POSTed: the message, with the chat line prefixed by the cluster. */
export function webhookBody(m: NotifyMessage): Record<string, unknown> {
  return { ...m, text: `[dcos-patch ${m.cluster} ${m.fromVersion} → ${m.toVersion}] ${m.text}` };
}
