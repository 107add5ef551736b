/**
 * A node's health gates after its script, all at once under one shared stability hold: every
 * round probes every gate concurrently, and the node is healthy when every gate was good in
 * `stablePolls` consecutive rounds (a bad gate resets the hold for all). So a node costs its
 * slowest signal plus one hold, not the sum of its gates' recoveries and holds, and the gates are
 * proven good together, not each at its own moment. Each gate keeps its own deadline: a gate
 * still bad past it fails the activity with GateTimeout (non-retryable) naming that gate.
 */
import type { GateResult, HealthCheck, NodeHealthInput } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import { activitySignal, beat, recordGateWait } from './context';
import { GATE_CHECKS, type GateProgress, type Probe, waitHeartbeating } from './gates';
import type { Observation } from './parsers';
import { abortReason, errorText, isNonRetryable, nonRetryable } from './util';

export interface CheckProbe {
  check: HealthCheck;
  probe: Probe;
  hint: string;
}

export interface HoldOptions {
  host: string;
  pollIntervalMs: number;
  stablePolls: number;
  /** Epoch ms the verification began: deadlines without `after` count from here. */
  startedAtMs: number;
  signal?: AbortSignal;
  heartbeat?: (p: GateProgress) => void;
}

interface Seen extends Observation {
  polls: number;
  nextPollAt: number;
  /** When this gate first held (its dependants' deadlines count from here). */
  firstGoodAt?: number;
}

/** Poll every check each round until all held together `stablePolls` rounds in a row. */
export async function pollAllUntilStable(checks: CheckProbe[], o: HoldOptions): Promise<GateResult[]> {
  const need = Math.max(1, o.stablePolls);
  const seen: Seen[] = checks.map(() => ({ ok: false, observation: 'not polled yet', polls: 0, nextPollAt: 0 }));
  let rounds = 0;
  let good = 0;
  for (;;) {
    if (o.signal?.aborted) throw abortReason(o.signal);
    await pollRound(checks, seen, o.signal);
    rounds++;
    good = seen.every((s) => s.ok) ? good + 1 : 0;
    const progress = holdProgress(checks, seen, o, { rounds, good, need });
    o.heartbeat?.(progress);
    if (good >= need) return checks.map((c, i) => resultOf(c, seen[i]!, o.startedAtMs));
    const late = checks.findIndex((c, i) => !seen[i]!.ok && Date.now() >= deadlineOf(c.check, checks, seen, o));
    if (late >= 0) throw timedOut(checks[late]!, seen[late]!, deadlineOf(checks[late]!.check, checks, seen, o), o);
    await waitHeartbeating(o.pollIntervalMs, progress, o);
  }
}

async function pollRound(checks: CheckProbe[], seen: Seen[], signal?: AbortSignal): Promise<void> {
  const now = Date.now();
  await Promise.all(
    checks.map(async (c, i) => {
      const s = seen[i]!;
      if (now < s.nextPollAt) return; // a slower gate, good when last polled: that observation stands
      const o = await observe(c.probe, signal);
      // A slower gate is polled at the common pace until it is good (its recovery seen at once), then at its own.
      Object.assign(s, o, { polls: s.polls + 1, nextPollAt: o.ok ? now + (c.check.pollIntervalMs ?? 0) : 0 });
      if (o.ok && s.firstGoodAt === undefined) s.firstGoodAt = Date.now();
    })
  );
}

/** A probe error is a bad observation, unless retrying cannot fix it (tasks lost, host key): then it ends the gate. */
async function observe(probe: Probe, signal?: AbortSignal): Promise<Observation> {
  try {
    return await probe(signal);
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal);
    if (isNonRetryable(err)) throw err;
    return { ok: false, observation: `probe failed: ${errorText(err)}` };
  }
}

/** Absolute deadline of one check; a check waiting on a gate that has not held yet has none of its own yet. */
function deadlineOf(check: HealthCheck, checks: CheckProbe[], seen: Seen[], o: HoldOptions): number {
  if (check.deadlineMs !== undefined) return check.deadlineMs;
  if (!check.after) return o.startedAtMs + check.timeoutMs;
  const i = checks.findIndex((c) => c.check.gate === check.after);
  const since = i >= 0 ? seen[i]!.firstGoodAt : o.startedAtMs;
  return since === undefined ? Number.POSITIVE_INFINITY : since + check.timeoutMs;
}

function holdProgress(
  checks: CheckProbe[],
  seen: Seen[],
  o: HoldOptions,
  n: { rounds: number; good: number; need: number }
): GateProgress {
  const bad = checks.filter((_, i) => !seen[i]!.ok).map((c, i) => `${c.check.gate}: ${seen[i]!.observation}`);
  const deadlines = checks.map((c) => deadlineOf(c.check, checks, seen, o)).filter(Number.isFinite);
  return {
    gate: checks.map((c) => c.check.gate).join('+'),
    host: o.host,
    polls: n.rounds,
    good: n.good,
    need: n.need,
    observation: bad.length ? bad.join('; ') : `all ${checks.length} good`,
    deadlineMs: deadlines.length ? Math.max(...deadlines) : 0,
  };
}

function resultOf(c: CheckProbe, s: Seen, startedAtMs: number): GateResult {
  const waitedMs = (s.firstGoodAt ?? Date.now()) - startedAtMs;
  recordGateWait(c.check.gate, Math.max(0, waitedMs) / 1000, true);
  return {
    gate: c.check.gate,
    passed: true,
    polls: s.polls,
    observation: s.observation,
    tookMs: Date.now() - startedAtMs,
  };
}

function timedOut(c: CheckProbe, s: Seen, deadlineMs: number, o: HoldOptions): Error {
  const gate = c.check.gate;
  recordGateWait(gate, (Date.now() - o.startedAtMs) / 1000, false);
  return nonRetryable(
    `${gate} on ${o.host} did not hold by ${new Date(deadlineMs).toISOString()}: last seen ${s.observation} (${s.polls} polls). ${c.hint}`,
    FailureTypes.GateTimeout,
    {
      gate,
      host: o.host,
      step: gate,
      expected: `good with the node's other gates`,
      seen: s.observation,
      polls: s.polls,
      deadlineMs,
    }
  );
}

/** The activity: every post-script gate of one node under one shared stability hold. */
export async function gateNodeHealthy(input: NodeHealthInput): Promise<GateResult[]> {
  const { checks, startedAtMs, ...common } = input;
  const probes = checks.map((check) => {
    const gate = GATE_CHECKS[check.gate];
    const gateInput = { ...common, deadlineMs: 0, ...(check.expect !== undefined ? { expect: check.expect } : {}) };
    return { check, probe: gate.probe(gateInput), hint: gate.hint };
  });
  return pollAllUntilStable(probes, {
    host: input.target.node.id,
    pollIntervalMs: input.pollIntervalMs,
    stablePolls: input.stablePolls,
    startedAtMs,
    signal: activitySignal(),
    heartbeat: beat,
  });
}
