/**
 * The activities the workflows call, as an explicit interface: the workflows proxy this type,
 * `src/activities/index.ts` implements it (the worker registers that module), and test
 * stand-ins are checked against it too.
 */
import type {
  AgentBaseline,
  BackupsResult,
  BootstrapInput,
  BootstrapResult,
  CanaryDeployed,
  CanaryRemoved,
  CanaryTarget,
  CanaryWatchInput,
  CanaryWatchResult,
  Diagnostics,
  GateInput,
  GateResult,
  LockHolder,
  NodeHealthInput,
  NodeState,
  NodeTarget,
  PlanInput,
  PreflightResult,
  PrestageEntry,
  RemoteRunState,
  RunKey,
  ScriptRunResult,
  SurveyEntry,
} from './activity-types';
import type { NotifyMessage } from './notify-message';
import type { NotifyHook } from './plan';
import type { NodeWorkflowEnd } from './status';

export interface PatchActivities {
  surveyNodes(targets: NodeTarget[], newConfigPath: string): Promise<SurveyEntry[]>;
  runPreflight(input: PlanInput): Promise<PreflightResult>;
  takeBackups(input: PlanInput): Promise<BackupsResult>;
  prepareBootstrap(input: BootstrapInput): Promise<BootstrapResult>;
  readNodeState(target: NodeTarget, newConfigPath?: string): Promise<NodeState>;
  stageScript(target: NodeTarget, scriptUrl: string, runKey: RunKey): Promise<unknown>;
  prestageScript(targets: NodeTarget[], scriptUrl: string, expectedSha256?: string): Promise<PrestageEntry[]>;
  prepareAgent(target: NodeTarget): Promise<{ removed: boolean }>;
  agentDownSince(target: NodeTarget): Promise<{ sinceMs?: number }>;
  runPatchScript(target: NodeTarget, scriptUrl: string, runKey: RunKey, timeoutMs: number): Promise<ScriptRunResult>;
  describeRemoteRun(target: NodeTarget, runKey: RunKey): Promise<RemoteRunState>;
  collectDiagnostics(target: NodeTarget, runKey?: RunKey): Promise<Diagnostics>;
  gateMastersHealthy(input: GateInput): Promise<GateResult>;
  gateNodeHealthy(input: NodeHealthInput): Promise<GateResult[]>;
  gateExhibitorConverged(input: GateInput): Promise<GateResult>;
  gateMesosMasterUnitActive(input: GateInput): Promise<GateResult>;
  gateRegistrarRecovered(input: GateInput): Promise<GateResult>;
  gateMesosVersion(input: GateInput): Promise<GateResult>;
  gateCockroachReplicated(input: GateInput): Promise<GateResult>;
  gateAgentRegistered(input: GateInput): Promise<GateResult>;
  gateAgentTasksReconciled(input: GateInput): Promise<GateResult>;
  readAgentBaseline(input: Pick<GateInput, 'target' | 'masters'>): Promise<AgentBaseline>;
  patchIsRunning(workflowId: string): Promise<boolean>;
  awaitNodeWorkflow(workflowId: string): Promise<NodeWorkflowEnd>;
  inspectClusterLock(lockWorkflowId: string): Promise<LockHolder>;
  sendNotification(hook: NotifyHook, message: NotifyMessage): Promise<{ status: number }>;
  deployCanary(target: CanaryTarget): Promise<CanaryDeployed>;
  watchCanary(input: CanaryWatchInput): Promise<CanaryWatchResult>;
  removeCanary(target: CanaryTarget): Promise<CanaryRemoved>;
}
