/**
 * Whether a node may start now under the maintenance windows: only when it can finish before its
 * window closes, by an estimate from the nodes of its role finished so far (never less than the
 * plan's minimum). Pure: the patch state asks it before every node start.
 */
import { DEFAULT_WINDOW_MIN_NODE_MS } from '../shared/plan';
import type { PatchStatus } from '../shared/status';
import { windowState } from '../shared/windows';

export interface WindowHold {
  /** The opening to wait for; absent when no window opens again. */
  untilMs?: number;
  reason: string;
}

/** The estimate of one node's time: the mean of this role's finished nodes, at least the minimum. */
export function nodeEstimateMs(status: PatchStatus, role: 'master' | 'agent'): number {
  const nodes = status.nodes;
  const done = nodes.filter(
    (n) =>
      (role === 'master' ? n.role === 'master' : n.role !== 'master') &&
      n.state === 'patched' &&
      n.startedAtMs &&
      n.finishedAtMs
  );
  const mean = done.length ? done.reduce((sum, n) => sum + (n.finishedAtMs! - n.startedAtMs!), 0) / done.length : 0;
  return Math.max(status.policy.windowMinNodeMs ?? DEFAULT_WINDOW_MIN_NODE_MS, Math.round(mean));
}

/** Undefined when a node of `role` may start at `nowMs`; else what to wait for. */
export function windowHold(status: PatchStatus, role: 'master' | 'agent', nowMs: number): WindowHold | undefined {
  const windows = status.policy.windows;
  if (!windows?.length) return undefined;
  if (status.windowOverrideUntilMs !== undefined && nowMs < status.windowOverrideUntilMs) return undefined;
  const estimate = nodeEstimateMs(status, role);
  const now = windowState(windows, nowMs);
  if (now.open && nowMs + estimate <= now.closesAtMs) return undefined;
  const next = now.open ? windowState(windows, now.closesAtMs) : now;
  const untilMs = next.open ? undefined : next.opensAtMs;
  const reason = now.open
    ? `the window closes at ${iso(now.closesAtMs)} and ${role === 'agent' ? 'an agent' : 'a master'} takes about ${aboutText(estimate)}`
    : 'outside the maintenance windows';
  return { ...(untilMs !== undefined ? { untilMs } : {}), reason };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** 45 s, 12 min, 2 h 5 min */
function aboutText(ms: number): string {
  if (ms < 60_000) return `${Math.ceil(ms / 1000)} s`;
  const min = Math.ceil(ms / 60_000);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}
