/**
 * Agents: a sliding window of `agentConcurrency` node workflows (changed live by setPolicy).
 * Failures within the failure budget are noted and the window goes on; beyond it the failed
 * agent asks the operator (retry / skip / abort) and no new agent starts meanwhile; a failed agent
 * can be retried while the window runs, and before the phase ends the patch asks once about the
 * agents that failed within the budget (retry them / finish). The history
 * stays bounded: once the server suggests it (or after `rolloverAfterNodes` children), the
 * window stops starting agents and the patch continues as new when the last one is back.
 */
import { condition, workflowInfo } from '@temporalio/workflow';
import type { NodeSpec } from '../../shared/plan';
import { runNode } from '../node-runner';
import type { PatchRun } from '../patch-run';
import { sleepUntilWindow } from '../waits';

export type AgentsEnd = 'finished' | 'roll-over';

export async function agents(run: PatchRun): Promise<AgentsEnd> {
  const { state } = run;
  if (state.phase !== 'agents') return 'finished';
  if (run.prestaging && !state.aborting) {
    state.doing('agents: waiting for the node script to be pre-staged on every agent');
    await run.prestaging;
  }
  const window = new AgentWindow(run);
  while (true) {
    // No agent starts unless it can finish inside a maintenance window (else the patch waits).
    state.windowOpened(Date.now());
    if (window.wouldStart()) state.windowAllows('agent');
    window.startWhatFits();
    window.showProgress();
    if (window.size === 0 && window.allStarted() && state.askAboutFailedAgents()) continue;
    if (window.size === 0 && (state.aborting || window.allStarted())) return 'finished';
    if (window.size === 0 && window.wantsRollover()) return 'roll-over';
    await window.untilSomethingChanges();
  }
}

class AgentWindow {
  private readonly running = new Set<Promise<void>>();
  private readonly all: NodeSpec[];

  constructor(private readonly run: PatchRun) {
    this.all = run.state.agents();
  }

  get size(): number {
    return this.running.size;
  }

  wantsRollover(): boolean {
    return this.run.childrenThisRun >= this.run.rolloverAfterNodes || workflowInfo().continueAsNewSuggested;
  }

  /** Nothing is left to start and no question is open. */
  allStarted(): boolean {
    return !this.next() && this.run.state.status.pending.length === 0;
  }

  private next(): NodeSpec | undefined {
    const { state, inflight } = this.run;
    return this.all.find((a) => state.node(a.id).state === 'pending' && !inflight.has(a.id));
  }

  /** No new agent starts while paused, while a question is open, once aborting, or before a rollover. */
  private blocked(): boolean {
    const st = this.run.state.status;
    return st.paused || st.pending.length > 0 || st.abortRequested || this.wantsRollover();
  }

  /** An agent would start now, were no window closed. */
  wouldStart(): boolean {
    return this.hasRoom();
  }

  private hasRoom(): boolean {
    return !this.blocked() && this.run.state.ramp.room(this.running.size) > 0 && !!this.next();
  }

  startWhatFits(): void {
    const { state } = this.run;
    for (const line of state.ramp.advance(!this.next())) state.note(line);
    while (this.hasRoom()) {
      const agent = this.next()!;
      state.ramp.started(agent.id);
      const p: Promise<void> = runNode(this.run, agent, this.run.state.status.scriptUrl ?? '').then((r) => {
        this.running.delete(p);
        if (!r || r.outcome === 'failed') this.run.state.agentFailed(agent.id, r?.failedStep);
      });
      this.running.add(p);
    }
  }

  showProgress(): void {
    const { state } = this.run;
    this.run.metrics.agentsInFlight(this.size);
    const st = state.status;
    const done = this.all.filter((a) => !['pending', 'patching'].includes(state.node(a.id).state)).length;
    state.doing(
      st.pending.length
        ? st.windowWait && st.pending.length === 1
          ? `${st.windowWait.reason} (start now: decide ${st.workflowId} window approve --question ${st.windowWait.question})`
          : `BLOCKED, needs you: ${st.pending.map((p) => `${p.subject} (${p.allowed.join('/')})`).join(', ')}`
        : st.paused
          ? `paused: ${this.size} agent(s) finishing, no new agent starts; resume to continue`
          : `agents: ${done}/${this.all.length} done, ${this.size} in flight (${state.ramp.describe() ?? `window ${st.policy.agentConcurrency}`})`
    );
  }

  /** An agent came back, there is room for one more, or an abort: then (aborting) every agent is back. */
  async untilSomethingChanges(): Promise<void> {
    const { state, inflight } = this.run;
    const before = this.size;
    // Also wake once the window is empty and nothing is left (the closing question was answered).
    await sleepUntilWindow(
      state,
      () => this.size < before || this.hasRoom() || state.aborting || (before === 0 && this.allStarted())
    );
    if (!state.aborting) return;
    for (const s of inflight.values()) s.cancel();
    if (this.size > 0) await condition(() => this.size === 0);
  }
}
