/**
 * Agents: a sliding window of `agentConcurrency` node workflows (changed live by setPolicy).
 * Failures within the failure budget are noted and the window goes on; beyond it the failed
 * agent asks the operator (retry / skip / abort) and no new agent starts meanwhile; a failed agent
 * can be retried while the window runs, and before the phase ends the patch asks once about the
 * agents that failed within the budget (retry them / finish). The history
 * stays bounded: once the server suggests it (or after `rolloverAfterNodes` children), the
 * window stops starting agents and the patch continues as new with the agents in flight: they
 * outlive the run (abandoned, not cancelled) and the next run adopts them, so the window never
 * drains down to its slowest agent. (Histories from before that drain the window first.)
 */
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { NodeSpec } from '../../shared/plan';
import type { NodeResult } from '../../shared/status';
import { adoptNode, runNode } from '../node-runner';
import type { PatchRun } from '../patch-run';
import { sleepUntilWindow } from '../waits';

export type AgentsEnd = 'finished' | 'roll-over';

/** Agents started from here on outlive a continue-as-new (see the header). */
const AGENTS_OUTLIVE_ROLLOVER = 'agents-outlive-rollover';

export async function agents(run: PatchRun): Promise<AgentsEnd> {
  const { state } = run;
  if (state.phase !== 'agents') return 'finished';
  if (run.prestaging && !state.aborting) {
    state.doing('agents: waiting for the node script to be pre-staged on every agent');
    await run.prestaging;
  }
  const window = new AgentWindow(run, patched(AGENTS_OUTLIVE_ROLLOVER));
  while (true) {
    // No agent starts unless it can finish inside a maintenance window (else the patch waits).
    state.windowOpened(Date.now());
    if (window.wouldStart()) state.windowAllows('agent');
    window.startWhatFits();
    window.showProgress();
    if (window.size === 0 && window.allStarted() && state.askAboutFailedAgents()) continue;
    if (window.size === 0 && (state.aborting || window.allStarted())) return 'finished';
    if (window.size === 0 && window.wantsRollover()) return 'roll-over';
    if (window.readyToRollOver()) return 'roll-over';
    await window.untilSomethingChanges();
  }
}

class AgentWindow {
  private readonly running = new Set<Promise<void>>();
  private readonly all: NodeSpec[];

  constructor(
    private readonly run: PatchRun,
    private readonly handOver: boolean
  ) {
    this.all = run.state.agents();
    // Agents the run before handed over, still running: they count in the window until they end.
    for (const agent of this.all) {
      if (run.state.node(agent.id).state === 'patching' && !run.inflight.has(agent.id)) {
        this.track(agent, adoptNode(run, agent));
      }
    }
  }

  /** A rollover is due and every agent in flight can go with it (never while aborting). */
  readyToRollOver(): boolean {
    return !this.run.state.aborting && this.wantsRollover() && this.canHandOver();
  }

  /** Every agent in flight can be handed to the next run (none is still being started). */
  private canHandOver(): boolean {
    if (!this.handOver) return false;
    for (const node of this.run.inflight.values()) if (!node.handsOver) return false;
    return true;
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
      this.track(agent, runNode(this.run, agent, state.status.scriptUrl ?? '', this.handOver));
    }
  }

  /** The agent counts in the window until it ends; a failure goes to the failure budget. */
  private track(agent: NodeSpec, end: Promise<NodeResult | undefined>): void {
    const p: Promise<void> = end.then((r) => {
      this.running.delete(p);
      if (!r || r.outcome === 'failed') this.run.state.agentFailed(agent.id, r?.failedStep);
    });
    this.running.add(p);
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
      () =>
        this.size < before ||
        this.hasRoom() ||
        state.aborting ||
        (before === 0 && this.allStarted()) ||
        this.readyToRollOver()
    );
    if (!state.aborting) return;
    for (const s of inflight.values()) s.cancel();
    if (this.size > 0) await condition(() => this.size === 0);
  }
}
