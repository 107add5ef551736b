/**
 * What `setPolicy` may change on a running patch, and within which bounds: the same bounds the
 * plan check uses, so a live change can never set what a plan could not. Pure (the update's
 * validator runs it before the change enters history).
 */
import type { GateTimings } from '../shared/plan';
import { DURATION_BOUNDS, MAX_AGENT_CONCURRENCY, MAX_STABLE_POLLS } from '../shared/plan-input';
import { rampProblem } from '../shared/ramp';
import { MAX_WINDOWS, windowProblem } from '../shared/windows';
import type { PolicyChange } from './messages';

export const POLICY_KEYS = [
  'agentConcurrency',
  'agentRamp',
  'agentFailureBudget',
  'approveEachMaster',
  'approveBeforeAgents',
  'gates',
  'windows',
  'windowMinNodeMs',
] as const;
/** The gate timings a running patch may change (the agent window is the masters' own setting). */
export const LIVE_GATE_KEYS = [
  'pollIntervalMs',
  'stablePolls',
  'exhibitorTimeoutMs',
  'mesosMasterTimeoutMs',
  'cockroachTimeoutMs',
  'cockroachPollIntervalMs',
  'scriptTimeoutMs',
] as const satisfies readonly (keyof GateTimings)[];

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why this policy change is refused, or undefined. `agents`: the number of agents in the plan. */
export function policyProblem(c: PolicyChange, agents: number): string | undefined {
  if (!isObject(c)) return 'a policy change is an object, e.g. {"agentConcurrency": 4}';
  const unknown = Object.keys(c).filter((k) => !(POLICY_KEYS as readonly string[]).includes(k));
  if (unknown.length) return `unknown policy key ${unknown.join(', ')}; the keys are ${POLICY_KEYS.join(', ')}`;
  if (Object.keys(c).length === 0 || (isObject(c.gates) && Object.keys(c.gates!).length === 0)) {
    return `the policy change names nothing to change; the keys are ${POLICY_KEYS.join(', ')}`;
  }
  for (const k of ['approveEachMaster', 'approveBeforeAgents'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') return `${k} must be true or false`;
  }
  const c1 = c.agentConcurrency;
  if (c1 !== undefined && (!Number.isInteger(c1) || c1 < 1 || c1 > MAX_AGENT_CONCURRENCY)) {
    return `agentConcurrency must be a whole number from 1 to ${MAX_AGENT_CONCURRENCY}`;
  }
  const ramp = c.agentRamp === undefined ? undefined : rampProblem(c.agentRamp, MAX_AGENT_CONCURRENCY);
  if (ramp) return `agentRamp ${ramp}`;
  const windows = c.windows === undefined ? undefined : windowsProblem(c.windows);
  if (windows) return `windows ${windows}`;
  const [lo, hi] = DURATION_BOUNDS['policy.windowMinNodeTime']!;
  const m = c.windowMinNodeMs;
  if (m !== undefined && (!Number.isInteger(m) || m < lo || m > hi)) {
    return `windowMinNodeMs must be a whole number of milliseconds from ${lo} to ${hi}`;
  }
  const b = c.agentFailureBudget;
  if (b !== undefined && (!Number.isInteger(b) || b < 0 || b > agents)) {
    return `agentFailureBudget must be a whole number from 0 to ${agents} (the number of agents)`;
  }
  return c.gates === undefined ? undefined : gatesProblem(c.gates);
}

function windowsProblem(ws: unknown): string | undefined {
  if (!Array.isArray(ws) || ws.length > MAX_WINDOWS) return `must be a list of at most ${MAX_WINDOWS} windows`;
  return ws.map(windowProblem).find(Boolean);
}

function gatesProblem(gates: unknown): string | undefined {
  if (!isObject(gates)) return 'gates is an object of timings in milliseconds, e.g. {"pollIntervalMs": 2000}';
  for (const [k, v] of Object.entries(gates as object)) {
    if (k === 'agentWindowMs') {
      return "gates.agentWindowMs is the masters' agent ping timeout (a setting of the cluster), not a policy: it cannot change on a running patch";
    }
    if (!(LIVE_GATE_KEYS as readonly string[]).includes(k)) {
      return `unknown gate timing ${k}; the timings are ${LIVE_GATE_KEYS.join(', ')}`;
    }
    const problem = k === 'stablePolls' ? stablePollsProblem(v) : durationProblem(k, v);
    if (problem) return problem;
  }
  return undefined;
}

function stablePollsProblem(v: unknown): string | undefined {
  const ok = Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_STABLE_POLLS;
  return ok ? undefined : `gates.stablePolls must be a whole number from 1 to ${MAX_STABLE_POLLS}`;
}

function durationProblem(key: string, v: unknown): string | undefined {
  const [lo, hi] = DURATION_BOUNDS[`policy.gates.${key.replace(/Ms$/, '')}`]!;
  const ok = Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  return ok ? undefined : `gates.${key} must be a whole number of milliseconds from ${lo} to ${hi}`;
}
