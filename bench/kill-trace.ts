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
  const child = ev.startChildWorkflowExecutionInitiatedEventAttributes;
  if (child) return child.workflowId ?? '';
  return localActivityType(ev);
}

/** A local activity's marker names its type in a JSON `data` detail (Core's marker format). */
function localActivityType(ev: HistoryEvent): string {
  const data = ev.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  if (!data) return '';
  try {
    return String(JSON.parse(Buffer.from(data).toString('utf8')).activity_type ?? '');
  } catch {
    return '';
  }
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

/**
 * `--trace-start`: where the time before the first master went (the parent's events until its
 * first node workflow starts, as offsets from the patch's start), and one agent's whole node
 * workflow as offsets from its own start.
 */
export async function printStartTrace(client: Client, workflowId: string, agentWorkflowId?: string): Promise<void> {
  const events = await historyOf(client, workflowId);
  const t0 = eventMs(events[0] ?? {});
  const firstChild = events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
  console.log(`\nstart trace: ${workflowId} until its first node workflow (offsets from the start)`);
  for (const line of timeline(events, t0, firstChild ? eventMs(firstChild) + 1 : t0 + 120_000)) console.log(line);
  if (!agentWorkflowId) return;
  const agent = await historyOf(client, agentWorkflowId);
  console.log(`${agentWorkflowId} (offsets from its start)`);
  for (const line of timeline(agent, eventMs(agent[0] ?? {}), Number.POSITIVE_INFINITY)) console.log(line);
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

/**
 * Where an agent's time goes, averaged over node workflows: from its start to the script's
 * activity, the script, from the script to the gates, the gates, and from the gates to its end.
 */
export async function printAgentBreakdown(client: Client, nodeWorkflowIds: string[]): Promise<void> {
  const sums = [0, 0, 0, 0, 0];
  let onHost = 0;
  let n = 0;
  for (const id of nodeWorkflowIds) {
    const events = await historyOf(client, id);
    const marks = agentMarks(events);
    if (!marks) continue;
    marks.slice(1).forEach((at, i) => {
      sums[i]! += at - marks[i]!;
    });
    onHost += scriptOnHostMs(events);
    n += 1;
  }
  if (n === 0) return;
  const [before, script, between, gates, end] = sums.map((s) => (s / n / 1000).toFixed(2));
  console.log(
    `\nagent breakdown (mean of ${n} node workflows): start → script ${before} s, script ${script} s (on the host ${(onHost / n / 1000).toFixed(2)} s), script → gates ${between} s, gates ${gates} s, gates → end ${end} s`
  );
}

/** The script's own run on the host (its `started` to `finished` markers), from runPatchScript's result. */
function scriptOnHostMs(events: HistoryEvent[]): number {
  for (const e of events) {
    const data = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
    if (!data) continue;
    try {
      const r = JSON.parse(Buffer.from(data).toString('utf8')) as { startedAtMs?: number; finishedAtMs?: number };
      if (r.startedAtMs && r.finishedAtMs) return r.finishedAtMs - r.startedAtMs;
    } catch {
      // not JSON: not the script's result
    }
  }
  return 0;
}

/** Start, script scheduled, script completed, gates scheduled, gates completed, end; or undefined (not a patched agent). */
function agentMarks(events: HistoryEvent[]): number[] | undefined {
  const scheduled = (name: string) =>
    events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
  const completed = (ev: HistoryEvent | undefined) =>
    ev && events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(ev.eventId));
  const script = scheduled('runPatchScript');
  const gates = scheduled('gateNodeHealthy');
  const scriptDone = completed(script);
  const gatesDone = completed(gates);
  const last = events[events.length - 1];
  if (!script || !gates || !scriptDone || !gatesDone || !last || !events[0]) return undefined;
  return [events[0], script, scriptDone, gates, gatesDone, last].map(eventMs);
}
