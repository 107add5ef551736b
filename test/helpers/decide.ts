/**
 * Answer the open question on a subject, naming its id as an operator copying the command from
 * `status` does. Throws when nothing is open on the subject (the caller waits for it first).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Decision } from '../../src/shared/status';
import { type DecideInput, decideUpdate, statusQuery } from '../../src/workflows/messages';

export async function answer(
  h: WorkflowHandle,
  subject: string,
  decision: Decision,
  extra: Partial<DecideInput> = {}
): Promise<string> {
  const open = (await h.query(statusQuery)).pending.find((p) => p.subject === subject);
  if (!open) throw new Error(`no question is open on ${subject}`);
  return await h.executeUpdate(decideUpdate, { args: [{ subject, decision, question: open.id, ...extra }] });
}
