/**
 * A patch's status at its start, and the compact form it is carried in across continue-as-new
 * (the history keeps payloads under 512 KiB, so what the plan already says is left out).
 */
import { columnNode, type NodeColumns, nodeWorkflowId, type PackedNode } from '../shared/node-columns';
import type { NotifyMessage } from '../shared/notify-message';
import type { NodeSpec, Plan } from '../shared/plan';
import type { NodeStatus, PatchReport, PatchStatus } from '../shared/status';

export interface CarriedState {
  /** The status, its nodes in columns (a list of PackedNode in histories from before). */
  status: Omit<PatchStatus, 'nodes'> & { nodes: NodeColumns | PackedNode[] };
  decisions: PatchReport['decisions'];
  /** Webhook messages not yet delivered, per webhook (the next run sends them). */
  notifyQueues?: NotifyMessage[][];
}

export function allNodesOf(plan: Plan): NodeSpec[] {
  return [...plan.masters, ...plan.agents, ...plan.publicAgents];
}

export function unpackNodes(
  plan: Plan,
  packed: NodeColumns | PackedNode[],
  workflowId: string,
  patchStartedAtMs: number
): NodeStatus[] {
  return allNodesOf(plan).map((n, i) => {
    const p = Array.isArray(packed) ? packed[i]! : columnNode(packed, i, patchStartedAtMs);
    const child = nodeWorkflowId(workflowId, n.id, p.attempts);
    return { id: n.id, role: n.role, address: n.address, ...p, ...(child ? { workflowId: child } : {}) };
  });
}

export function initialStatus(plan: Plan, workflowId: string): PatchStatus {
  const now = Date.now();
  const node = (n: NodeSpec): NodeStatus => ({
    id: n.id,
    role: n.role,
    address: n.address,
    state: 'pending',
    attempts: 0,
  });
  return {
    workflowId,
    cluster: plan.cluster,
    fromVersion: plan.fromVersion,
    toVersion: plan.toVersion,
    phase: 'plan',
    paused: false,
    abortRequested: false,
    startedAtMs: now,
    phaseStartedAtMs: now,
    policy: {
      agentConcurrency: plan.policy.agentConcurrency,
      ...(plan.policy.agentRamp?.length ? { agentRamp: plan.policy.agentRamp } : {}),
      agentFailureBudget: plan.policy.agentFailureBudget,
      approveEachMaster: plan.policy.approveEachMaster,
      approveBeforeAgents: plan.policy.approveBeforeAgents,
      gates: plan.policy.gates,
      ...(plan.policy.windows?.length
        ? { windows: plan.policy.windows, windowMinNodeMs: plan.policy.windowMinNodeMs }
        : {}),
    },
    nodes: allNodesOf(plan).map(node),
    pending: [],
    activity: 'starting',
    preflight: [],
    generation: 0,
    questionsAsked: 0,
    log: [],
  };
}
