/** Reading a failure that reached workflow code: the activity's own message and type, not the wrapper's. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

export function describeFailure(err: unknown): { message: string; type?: string; gate?: string } {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const details = err.cause.details?.[0] as { gate?: unknown } | undefined;
    const gate = typeof details?.gate === 'string' ? { gate: details.gate } : {};
    return { message: err.cause.message, type: err.cause.type ?? undefined, ...gate };
  }
  if (err instanceof ActivityFailure && err.cause) return { message: err.cause.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
