/**
 * The canary ramp over the agent window (pure, on the patch's status): how many agents may start
 * now, which agents belong to the step under way, and when the ramp widens — only once every
 * agent of the step passed its gates (patched, or skipped by the operator).
 */
import { stepWidth } from '../shared/ramp';
import type { NodeStatus, PatchStatus } from '../shared/status';

export class AgentRamp {
  constructor(
    private readonly status: PatchStatus,
    private readonly agentCount: number,
    private readonly node: (id: string) => NodeStatus
  ) {}

  private get steps() {
    return this.status.policy.agentRamp ?? [];
  }
  private get at() {
    if (!this.status.ramp) this.status.ramp = { step: 0, members: [] };
    return this.status.ramp;
  }

  /** A step before the last: a batch of its width, which must pass before the next starts. */
  inBatch(): boolean {
    return this.steps.length > 1 && this.at.step < this.steps.length - 1;
  }

  width(): number {
    const { agentConcurrency } = this.status.policy;
    if (this.steps.length === 0) return agentConcurrency;
    const step = this.steps[Math.min(this.at.step, this.steps.length - 1)]!;
    return stepWidth(step, this.agentCount, agentConcurrency);
  }

  /** How many more agents may start with `inFlight` running. */
  room(inFlight: number): number {
    if (!this.inBatch()) return this.width() - inFlight;
    // A member retried by the operator is pending again: it may start again within its step.
    const retried = this.at.members.filter((id) => this.node(id).state === 'pending').length;
    return this.width() - this.at.members.length + retried;
  }

  started(id: string): void {
    if (this.inBatch() && !this.at.members.includes(id)) this.at.members.push(id);
  }

  /** The agent belongs to a canary step: its failure stops the ramp whatever the failure budget. */
  isCanary(id: string): boolean {
    return this.inBatch() && this.at.members.includes(id);
  }

  /** Widen past every step whose agents all passed; returns a line per step passed (for the log). */
  advance(noMoreAgents: boolean): string[] {
    const passed: string[] = [];
    while (this.inBatch()) {
      const { members } = this.at;
      const full = members.length >= this.width() || (noMoreAgents && members.length > 0);
      const allPassed = members.every((id) => ['patched', 'skipped'].includes(this.node(id).state));
      if (!full || !allPassed) break;
      passed.push(`ramp step ${this.at.step + 1}/${this.steps.length} passed (${members.join(', ')})`);
      this.status.ramp = { step: this.at.step + 1, members: [] };
    }
    return passed;
  }

  /** "ramp step 1/3: 1 at once" while a canary step runs; undefined once at the last step. */
  describe(): string | undefined {
    if (!this.inBatch()) return undefined;
    return `ramp step ${this.at.step + 1}/${this.steps.length}: ${this.width()} at once, ${this.at.members.length} started`;
  }
}
