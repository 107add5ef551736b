/**
 * Activities stand-ins for workflow-logic tests: a tiny in-memory cluster with controllable
 * failures. The workflows and the Temporal server are real; only the hosts are imagined.
 * (End-to-end tests against the simulator's real SSH/HTTP live in test/e2e.)
 */

import { ApplicationFailure, cancellationSignal, heartbeat, sleep } from '@temporalio/activity';
import { inspectClusterLock, patchIsRunning } from '../../src/activities/cluster-lock';
import { awaitNodeWorkflow } from '../../src/activities/node-workflow';
import { sendNotification } from '../../src/activities/notify';
import type { PatchActivities } from '../../src/shared/activity-contract';
import type {
  BackupsResult,
  BootstrapResult,
  CanaryIncident,
  Diagnostics,
  GateInput,
  GateResult,
  NodeState,
  NodeTarget,
  PlanInput,
  PreflightFinding,
  RemoteRunState,
  RunKey,
  ScriptRunResult,
  SurveyEntry,
} from '../../src/shared/activity-types';

export interface FakeHost {
  version: string;
  scriptRuns: number;
  failScript?: number; // exit code, consumed once per value
  failGate?: string; // gate name that times out, until cleared
  running: boolean;
}

export class FakeCluster {
  hosts = new Map<string, FakeHost>();
  started: { node: string; atMs: number }[] = [];
  maxMastersAtOnce = 0;
  maxAgentsAtOnce = 0;
  preflight: PreflightFinding[] = [];
  scriptMs = 50;
  /** The largest input each activity was called with, in JSON bytes (what the history stores). */
  inputBytes = new Map<string, number>();
  /** The workload canary: deployed/removed counts, and incidents the next watches report (one list per watch). */
  canary = { deployed: 0, removed: 0, watches: 0, failDeploy: 0, incidents: [] as CanaryIncident[][] };
  constructor(
    ids: string[],
    version: string,
    readonly to: string
  ) {
    for (const id of ids) this.hosts.set(id, { version, scriptRuns: 0, running: false });
  }
  host(id: string): FakeHost {
    return this.hosts.get(id)!;
  }
  private runningOf(prefix: string): number {
    return [...this.hosts.entries()].filter(([id, h]) => id.startsWith(prefix) && h.running).length;
  }

  /** The stand-ins, each recording the size of the input it was called with. */
  activities(): PatchActivities {
    const acts = this.standIns();
    for (const [name, fn] of Object.entries(acts) as [string, (...a: unknown[]) => Promise<unknown>][]) {
      (acts as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        const bytes = JSON.stringify(args).length;
        this.inputBytes.set(name, Math.max(bytes, this.inputBytes.get(name) ?? 0));
        return fn(...args);
      };
    }
    return acts;
  }

  private standIns(): PatchActivities {
    const c = this;
    const gate =
      (name: string) =>
      async (input: GateInput): Promise<GateResult> => {
        const h = c.host(input.target.node.id);
        if (h.failGate === name) {
          throw ApplicationFailure.nonRetryable(`${name} did not hold: last seen bad`, 'GateTimeout', {
            gate: name,
            step: name,
          });
        }
        return {
          gate: name as GateResult['gate'],
          passed: true,
          polls: input.stablePolls,
          observation: 'ok',
          tookMs: 1,
        };
      };
    return {
      // The cluster lock and a handed-over node's end talk to the real Temporal server only,
      // notifications to a real receiver: the real activities.
      patchIsRunning,
      inspectClusterLock,
      awaitNodeWorkflow,
      sendNotification,
      async deployCanary(t) {
        if (c.canary.failDeploy > 0) {
          c.canary.failDeploy--;
          throw ApplicationFailure.nonRetryable('the canary was not healthy within 30 s', 'CanaryFailed');
        }
        c.canary.deployed++;
        return {
          taskIds: ['c.1'],
          hosts: ['10.0.1.1'],
          dnsName: `${t.spec.appId.slice(1)}.marathon.mesos`,
          deployedAtMs: Date.now(),
          replacedLeftover: false,
        };
      },
      async watchCanary(input) {
        c.canary.watches++;
        const end = Date.now() + Math.min(input.returnAfterMs, 300);
        while (Date.now() < end) {
          const incidents = input.quiet ? undefined : c.canary.incidents.shift();
          if (incidents?.length) {
            const figures = {
              polls: 1,
              restarts: incidents.length,
              lost: 0,
              unhealthy: 0,
              dnsFailures: 0,
              longestOutageMs: 0,
            };
            return { figures, carry: input.carry, incidents, observation: 'an incident' };
          }
          await sleep(50);
        }
        const figures = { polls: 1, restarts: 0, lost: 0, unhealthy: 0, dnsFailures: 0, longestOutageMs: 0 };
        return { figures, carry: input.carry, incidents: [], observation: '1/1 healthy' };
      },
      async removeCanary(t) {
        c.canary.removed++;
        return { removed: true, text: `${t.spec.appId} removed from Marathon` };
      },
      async surveyNodes(targets: NodeTarget[]): Promise<SurveyEntry[]> {
        return targets.map((t) => ({
          installedVersion: c.host(t.node.id).version,
          roles: [],
          configHash: '',
          configMatches: true,
        }));
      },
      async runPreflight(_: PlanInput): Promise<PreflightFinding[]> {
        return c.preflight;
      },
      async takeBackups(_: PlanInput): Promise<BackupsResult> {
        return { summary: 'zk snapshot taken' };
      },
      async prepareBootstrap(): Promise<BootstrapResult> {
        return { scriptUrl: 'http://bootstrap/upgrade/0123/dcos_node_upgrade.sh', generatorOutputTail: '' };
      },
      async readNodeState(t: NodeTarget): Promise<NodeState> {
        return { installedVersion: c.host(t.node.id).version, roles: [], configHash: '', configMatches: true };
      },
      async stageScript(): Promise<void> {},
      prestageScript: async (targets: NodeTarget[]) =>
        targets.map((t) => ({ node: t.node.id, sha256: 'ab'.repeat(32) })),
      async prepareAgent(): Promise<{ removed: boolean }> {
        return { removed: true };
      },
      async runPatchScript(t: NodeTarget, _url: string, _key: RunKey): Promise<ScriptRunResult> {
        const h = c.host(t.node.id);
        h.scriptRuns += 1;
        h.running = true;
        c.started.push({ node: t.node.id, atMs: Date.now() });
        c.maxMastersAtOnce = Math.max(c.maxMastersAtOnce, c.runningOf('master-'));
        c.maxAgentsAtOnce = Math.max(c.maxAgentsAtOnce, c.runningOf('agent-') + c.runningOf('public-agent-'));
        const startedAtMs = Date.now();
        try {
          for (let waited = 0; waited < c.scriptMs; waited += 10) {
            heartbeat();
            await sleep(10);
            if (cancellationSignal().aborted) break;
          }
        } finally {
          h.running = false;
        }
        if (h.failScript !== undefined) {
          const code = h.failScript;
          h.failScript = undefined;
          throw ApplicationFailure.nonRetryable(`dcos_node_upgrade.sh exited ${code}`, 'ScriptFailed');
        }
        h.version = c.to;
        return { exitCode: 0, outputTail: 'ok', startedAtMs, finishedAtMs: Date.now(), attached: false };
      },
      async describeRemoteRun(): Promise<RemoteRunState> {
        return { state: 'running' };
      },
      async collectDiagnostics(t: NodeTarget): Promise<Diagnostics> {
        return {
          node: t.node.id,
          role: t.node.role,
          collectedAtMs: Date.now(),
          sections: [{ command: 'systemctl | grep dcos', exitCode: 0, output: 'dcos-mesos-master.service failed' }],
        };
      },
      gateMastersHealthy: gate('masters-healthy'),
      // Every check of the node at once, each as its one-gate stand-in.
      gateNodeHealthy: async ({ checks, ...input }) =>
        Promise.all(checks.map((c) => gate(c.gate)({ ...input, deadlineMs: 0, expect: c.expect }))),
      readAgentBaseline: async () => ({ agentId: 'stand-in', taskIds: [] }),
      agentDownSince: async () => ({}),
      gateExhibitorConverged: gate('exhibitor-converged'),
      gateMesosMasterUnitActive: gate('mesos-master-unit-active'),
      gateRegistrarRecovered: gate('registrar-recovered'),
      gateMesosVersion: gate('mesos-version'),
      gateCockroachReplicated: gate('cockroach-replicated'),
      gateAgentRegistered: gate('agent-registered'),
      gateAgentTasksReconciled: gate('agent-tasks-reconciled'),
    };
  }
}
