/**
 * The canary ramp (`policy.agentRamp`, e.g. `[1, 5, "20%"]`): the agent phase starts with a
 * batch of the first step's width; the next, wider step starts only once every agent of the
 * step before passed its gates; the last step's width is the sliding window to the end. Widths
 * are capped by agentConcurrency; a percentage is of all agents, rounded up. Pure: the plan
 * check, the workflow's input check and setPolicy use the same rules.
 */
import type { RampStep } from './plan';

export const MAX_RAMP_STEPS = 10;
const PERCENT = /^([1-9]\d?|100)%$/;

/** Why this is not a ramp, or undefined. */
export function rampProblem(steps: unknown, maxWidth: number): string | undefined {
  if (!Array.isArray(steps) || steps.length > MAX_RAMP_STEPS) {
    return `must be a list of at most ${MAX_RAMP_STEPS} steps, e.g. [1, 5, "20%"]`;
  }
  for (const s of steps) {
    const ok =
      (typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= maxWidth) ||
      (typeof s === 'string' && PERCENT.test(s));
    if (!ok)
      return `step ${JSON.stringify(s)} is neither a whole number from 1 to ${maxWidth} nor a percentage from 1% to 100%`;
  }
  return undefined;
}

/** How many agents a step lets run at once. */
export function stepWidth(step: RampStep, agents: number, concurrency: number): number {
  const raw = typeof step === 'number' ? step : Math.ceil((agents * Number.parseInt(step, 10)) / 100);
  return Math.max(1, Math.min(concurrency, raw));
}

/** `1 → 5 → 20% (20), then sliding up to 10 at once` */
export function describeRamp(steps: readonly RampStep[], agents: number, concurrency: number): string {
  if (steps.length === 0) return `no ramp: up to ${concurrency} at once from the first agent`;
  const shown = steps.map((s) => {
    const w = stepWidth(s, agents, concurrency);
    return typeof s === 'number' && s === w ? String(s) : `${s} (${w})`;
  });
  const last = stepWidth(steps.at(-1)!, agents, concurrency);
  return `${shown.join(' → ')}, each step after every agent of the one before passed; then sliding ${last} at once`;
}
