/** Reading a failure that reached workflow code: the activity's own message and type, not the wrapper's. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

export function describeFailure(err: unknown): { message: string; type?: string } {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return { message: err.cause.message, type: err.cause.type ?? undefined };
  }
  if (err instanceof ActivityFailure && err.cause) return { message: err.cause.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
