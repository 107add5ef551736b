/**
 * deliverNotifications: the messages a patch had not delivered when it closed (its last one
 * among them), sent in order per webhook with the same retries. Detached from the patch (which
 * never waits for a webhook); its result says what was delivered and what gave up.
 */
import { describeFailure } from './failures';
import { type DeliverInput, notifyStep } from './notifier';

export interface DeliverResult {
  sent: number;
  failed: string[];
}

export async function deliverNotifications({ hooks, queues }: DeliverInput): Promise<DeliverResult> {
  const result: DeliverResult = { sent: 0, failed: [] };
  await Promise.all(
    hooks.map(async (hook, i) => {
      for (const message of queues[i] ?? []) {
        try {
          await notifyStep.sendNotification(hook, message);
          result.sent += 1;
        } catch (err) {
          result.failed.push(
            `webhook ${i + 1}, message ${message.seq} (${message.event}): ${describeFailure(err).message}`
          );
        }
      }
    })
  );
  return result;
}
