/**
 * `npm run bench -- rollout --trace-kill`: where the time after a worker SIGKILL went. For every
 * node workflow open at the kill, its history events from the kill to its next step, as offsets
 * from the kill ("+6.1 s ActivityTaskTimedOut gateNodeHealthy"), so a slow recovery shows which
 * timeout (heartbeat, workflow task, sticky queue) held it.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

function eventMs(ev: HistoryEvent): number {
  const t = ev.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

/** The activity type or timeout kind an event names, when it names one. */
function detail(ev: HistoryEvent, scheduled: Map<string, string>): string {
  const a = ev.activityTaskScheduledEventAttributes;
  if (a) {
    scheduled.set(String(ev.eventId), a.activityType?.name ?? '?');
    return a.activityType?.name ?? '';
  }
  const ref =
    ev.activityTaskStartedEventAttributes?.scheduledEventId ??
    ev.activityTaskCompletedEventAttributes?.scheduledEventId ??
    ev.activityTaskFailedEventAttributes?.scheduledEventId ??
    ev.activityTaskTimedOutEventAttributes?.scheduledEventId;
  if (ref !== undefined && ref !== null) return scheduled.get(String(ref)) ?? '';
  const wft = ev.workflowTaskTimedOutEventAttributes;
  if (wft) return temporal.api.enums.v1.TimeoutType[wft.timeoutType ?? 0] ?? '';
  const started = ev.workflowTaskStartedEventAttributes;
  if (started) return started.identity ?? '';
  return '';
}

function shortType(ev: HistoryEvent): string {
  return (EventType[ev.eventType ?? 0] ?? '?').replace(/^EVENT_TYPE_/, '').toLowerCase();
}

async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

/** One line per event of this workflow from `fromMs` until `untilMs`. */
function timeline(events: HistoryEvent[], killMs: number, untilMs: number): string[] {
  const scheduled = new Map<string, string>();
  const lines: string[] = [];
  for (const ev of events) {
    const at = eventMs(ev);
    const what = detail(ev, scheduled);
    if (at < killMs - 2_000 || at > untilMs) continue;
    lines.push(`  ${((at - killMs) / 1000).toFixed(1).padStart(6)} s  ${shortType(ev)}${what ? ` ${what}` : ''}`);
  }
  return lines;
}

/** Prints the node workflows that were open at the kill, each with its events for 40 s after it. */
export async function printKillTrace(client: Client, workflowId: string, killMs: number): Promise<void> {
  const open: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowId}/'` })) {
    const started = w.startTime.getTime();
    const closed = w.closeTime?.getTime() ?? Number.POSITIVE_INFINITY;
    if (started <= killMs && closed >= killMs) open.push(w.workflowId);
  }
  console.log(`\nkill trace: ${open.length} node workflow(s) open at the SIGKILL (offsets from it)`);
  for (const id of [workflowId, ...open.sort()]) {
    console.log(id);
    for (const line of timeline(await historyOf(client, id), killMs, killMs + 40_000)) console.log(line);
  }
}

/** Workflow tasks that timed out (a sticky queue nobody polled, a worker lost mid-task) in these workflows' latest runs. */
export async function countTaskTimeouts(client: Client, workflowIds: string[]): Promise<number> {
  let n = 0;
  for (const id of workflowIds) {
    for (const ev of await historyOf(client, id)) {
      if (ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) n += 1;
    }
  }
  return n;
}
