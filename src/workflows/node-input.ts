/** What the parent gives one patchNode attempt: plain data, never a secret. */
import type { NodeTarget } from '../shared/activity-types';
import type { GateTimings, NodeSpec, Variant } from '../shared/plan';

export interface PatchNodeInput {
  target: NodeTarget;
  attempt: number;
  /** The workflow ids of this node's earlier attempts (their script runs are looked at first). */
  earlierAttempts?: string[];
  fromVersion: string;
  toVersion: string;
  expectedMesosVersion: string;
  variant: Variant;
  /** The new config.yaml on the worker, to tell whether the host already runs it. */
  newConfigPath: string;
  scriptUrl: string;
  masters: NodeSpec[];
  gates: GateTimings;
  /**
   * policy.health baseline: the Marathon apps not healthy before the patch. Present: the node's
   * gates also want every other app healthy again (workloads-healthy). Absent (strict, or an input
   * from before baselines): no such gate.
   */
  appsUnhealthyBefore?: string[];
  /** policy.health baseline: CockroachDB ranges under-replicated before the patch (absent: 0 allowed). */
  cockroachUnderreplicatedBefore?: number;
}
