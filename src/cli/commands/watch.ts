/**
 * `watch` (the live view) and `status` (one look). Both only read: Ctrl-C in `watch` detaches
 * and never signals the workflow, so the patch goes on and `watch` can attach again from any
 * terminal. A connection blip shows in the view and is retried; the view carries on.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CliContext } from '../connection';
import { firstLine, isTransient } from '../connection';
import { ExitCode } from '../exit-codes';
import { type PlainEvent, plainEvents, renderView } from '../render/watch-view';
import type { Io } from '../runner';
import { readSnapshot, type Snapshot } from '../snapshot';

const CLOSED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export interface WatchOptions {
  /** How often to look (ms); the TTY view redraws every second regardless. */
  intervalMs?: number;
  /** Line-by-line output even on a terminal. */
  plain?: boolean;
}

export function isClosed(s: Snapshot): boolean {
  return CLOSED.has(s.execution);
}

/** 0 when the patch succeeded or had nothing to do, 1 when it failed, was aborted or terminated. */
export function outcomeExit(s: Snapshot): number {
  if (s.report) return ['succeeded', 'nothing-to-do'].includes(s.report.outcome) ? ExitCode.Ok : ExitCode.Failed;
  return s.execution === 'COMPLETED' ? ExitCode.Ok : ExitCode.Failed;
}

export async function statusCommand(ctx: CliContext, io: Io, workflowId: string, opts: { json?: boolean }) {
  const snap = await readSnapshot(ctx, workflowId);
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          workflowId: snap.workflowId,
          runId: snap.runId,
          execution: snap.execution,
          taskQueue: snap.taskQueue,
          planFile: snap.planFile ?? null,
          status: snap.status ?? null,
          report: snap.report ?? null,
          live: snap.live,
          problem: snap.problem ?? null,
          url: ctx.uiUrl(workflowId),
        },
        null,
        2
      )
    );
  } else {
    const lines = renderView(snap, { nowMs: Date.now(), command: ctx.commandPrefix, uiUrl: ctx.uiUrl(workflowId) });
    io.out(lines.join('\n'));
  }
  if (isClosed(snap)) return outcomeExit(snap);
  const troubled = snap.status?.nodes.some((n) => n.state === 'failed' || n.state === 'waiting-decision');
  return troubled ? ExitCode.Failed : ExitCode.Ok;
}

export async function watchCommand(ctx: CliContext, io: Io, workflowId: string, opts: WatchOptions): Promise<number> {
  const tty = !opts.plain && process.stdout.isTTY === true;
  const interval = Math.max(200, opts.intervalMs ?? 1000);
  // The first look decides "no such patch" / "cannot reach Temporal" (exit 3) before drawing anything.
  let snap = await readSnapshot(ctx, workflowId);
  const uiUrl = ctx.uiUrl(workflowId);
  const screen = tty ? new Screen(process.stdout) : undefined;
  const plain = tty ? undefined : new PlainPrinter(io);
  const draw = (watching = true) => {
    if (screen) {
      screen.draw(
        renderView(snap, {
          nowMs: Date.now(),
          command: ctx.commandPrefix,
          uiUrl,
          watching,
          width: (process.stdout.columns || 120) - 1,
          height: (process.stdout.rows || 40) - 1,
        })
      );
    } else {
      plain!.print(plainEvents(snap, { command: ctx.commandPrefix }));
    }
  };

  let detached = false;
  let wake: (() => void) | undefined;
  let onDetach: (() => void) | undefined;
  // Ctrl-C must not wait for a read that hangs on a dead connection.
  const detachedNow = new Promise<void>((res) => {
    onDetach = res;
  });
  const onSignal = () => {
    detached = true;
    wake?.();
    onDetach?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (plain) io.out(`watching ${workflowId} (Ctrl-C detaches; the patch goes on) · Web UI ${uiUrl}`);
  const redraw = screen ? setInterval(() => draw(), 1000) : undefined;
  try {
    draw();
    let failures = 0;
    let lostSince: number | undefined;
    while (!detached && !isClosed(snap)) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, interval);
        wake = () => {
          clearTimeout(t);
          res();
        };
      });
      if (detached) break;
      try {
        const next = await Promise.race([readSnapshot(ctx, workflowId), detachedNow.then(() => undefined)]);
        if (!next) break;
        snap = next;
        failures = 0;
        lostSince = undefined;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        if (isTransient(err)) {
          failures += 1;
          lostSince ??= Date.now();
          snap = {
            ...snap,
            problem: `lost the connection to Temporal at ${ctx.settings.address} at ${new Date(lostSince).toISOString().slice(11, 19)} (${firstLine(err)}); reconnecting…`,
          };
          // Let gRPC reconnect by itself once; after that, start from a fresh connection.
          if (failures >= 2) await ctx.reconnect();
        } else {
          snap = { ...snap, problem: firstLine(err) };
        }
      }
      if (!detached) draw();
    }
    if (!detached) draw(false);
  } finally {
    if (redraw) clearInterval(redraw);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    screen?.end();
  }
  if (detached) {
    io.err(`detached from ${workflowId}; the patch goes on. Watch again: ${ctx.commandPrefix} watch ${workflowId}`);
    return ExitCode.Detached;
  }
  const code = outcomeExit(snap);
  io.out(
    `patch ${workflowId} closed ${snap.execution}${snap.report ? `: ${snap.report.outcome}` : snap.closedReason ? `: ${snap.closedReason}` : ''} (exit ${code}); report: ${ctx.commandPrefix} report ${workflowId}`
  );
  return code;
}

/** Redraws in place: cursor home, each line cleared to its end, the rest of the screen cleared. */
class Screen {
  private clearAll = true;
  private readonly onResize = () => {
    this.clearAll = true;
  };

  constructor(private readonly out: NodeJS.WriteStream) {
    out.write('\x1b[?25l');
    out.on('resize', this.onResize);
  }

  draw(lines: string[]): void {
    const prefix = this.clearAll ? '\x1b[2J\x1b[H' : '\x1b[H';
    this.clearAll = false;
    this.out.write(`${prefix}${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`);
  }

  end(): void {
    this.out.off('resize', this.onResize);
    this.out.write('\n\x1b[?25h');
  }
}

/** Not a terminal: one timestamped line per fact that changed since the last look. */
class PlainPrinter {
  private last = new Map<string, PlainEvent>();

  constructor(private readonly io: Io) {}

  print(events: PlainEvent[]): void {
    const ts = new Date().toISOString().slice(11, 19);
    const now = new Map(events.map((e) => [e.key, e]));
    for (const e of events) {
      if (this.last.get(e.key)?.text !== e.text) this.io.out(`${ts} ${e.text}`);
    }
    for (const [key, old] of this.last) {
      if (!now.has(key) && old.gone) this.io.out(`${ts} ${old.gone}`);
    }
    this.last = now;
  }
}
