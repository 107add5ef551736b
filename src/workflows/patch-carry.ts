/**
 * A patch's status at its start, and the compact form it is carried in across continue-as-new
 * (the history keeps payloads under 512 KiB, so what the plan already says is left out).
 */
import type { NotifyMessage } from '../shared/notify-message';
import type { NodeSpec, Plan } from '../shared/plan';
import type { NodeStatus, PatchReport, PatchStatus } from '../shared/status';

export interface CarriedState {
  /** The status, its nodes packed (see packNodes). */
  status: Omit<PatchStatus, 'nodes'> & { nodes: PackedNode[] };
  decisions: PatchReport['decisions'];
  /** Webhook messages not yet delivered, per webhook (the next run sends them). */
  notifyQueues?: NotifyMessage[][];
}

/** A node's status without what the plan already says (id, role, address, child workflow id). */
export type PackedNode = Omit<NodeStatus, 'id' | 'role' | 'address' | 'workflowId'>;

export function allNodesOf(plan: Plan): NodeSpec[] {
  return [...plan.masters, ...plan.agents, ...plan.publicAgents];
}

export function packNodes(nodes: NodeStatus[]): PackedNode[] {
  return nodes.map(({ id: _id, role: _role, address: _address, workflowId: _wf, ...rest }) => rest);
}

export function unpackNodes(plan: Plan, packed: PackedNode[], workflowId: string): NodeStatus[] {
  return allNodesOf(plan).map((n, i) => {
    const p = packed[i]!;
    return {
      id: n.id,
      role: n.role,
      address: n.address,
      ...p,
      ...(p.attempts > 0 ? { workflowId: `${workflowId}/${n.id}/attempt-${p.attempts}` } : {}),
    };
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
