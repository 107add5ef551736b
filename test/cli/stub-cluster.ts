/**
 * Stand-in hosts for the CLI tests: the real workflows run on a real worker against the real dev
 * server; only the activities are imagined, with small delays, heartbeats that carry a gate's last
 * observation, steps that can be held until released, and failures on demand.
 */

import { ApplicationFailure, heartbeat, sleep } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { inspectClusterLock, patchIsRunning } from '../../src/activities/cluster-lock';
import { awaitNodeWorkflow } from '../../src/activities/node-workflow';
import { sendNotification } from '../../src/activities/notify';
import type { PatchActivities } from '../../src/shared/activity-contract';
import type {
  GateInput,
  GateName,
  GateResult,
  NodeTarget,
  PreflightFinding,
  RunKey,
} from '../../src/shared/activity-types';
import { workflowBundle } from '../helpers/temporal';

export interface StubTimings {
  /** Each short host step (read state, stage, prepare). */
  stepMs: number;
  /** The node patch script. */
  scriptMs: number;
  /** Each health gate, polling (and heartbeating) every `pollMs`. */
  gateMs: number;
  pollMs: number;
}

export class StubCluster {
  readonly versions = new Map<string, string>();
  readonly scriptRuns = new Map<string, number>();
  /** Node ids whose next script run exits non-zero. */
  readonly failScriptOnce = new Set<string>();
  /** Node id → a gate that never holds (until deleted). */
  readonly failGate = new Map<string, GateName>();
  preflight: PreflightFinding[] = [];
  timings: StubTimings;
  private readonly holds = new Map<string, { released: boolean; reached: boolean }>();

  constructor(
    readonly from = '2.1.4',
    readonly to = '2.1.5',
    timings: Partial<StubTimings> = {}
  ) {
    this.timings = { stepMs: 10, scriptMs: 60, gateMs: 40, pollMs: 20, ...timings };
  }

  /** Hold `<node>:<gate>` (or `<node>:script`) when it is reached, until the returned function is called. */
  hold(key: string): { release: () => void; reached: () => boolean } {
    const h = { released: false, reached: false };
    this.holds.set(key, h);
    return {
      release: () => {
        h.released = true;
      },
      reached: () => h.reached,
    };
  }

  private async waitHold(key: string, observe: (polls: number) => unknown): Promise<void> {
    const h = this.holds.get(key);
    if (!h) return;
    h.reached = true;
    for (let polls = 1; !h.released; polls++) {
      heartbeat(observe(polls));
      await sleep(this.timings.pollMs);
    }
  }

  private version(t: NodeTarget): string {
    return this.versions.get(t.node.id) ?? this.from;
  }

  activities(): PatchActivities {
    const c = this;
    const state = (t: NodeTarget) => ({
      installedVersion: c.version(t),
      roles: [],
      configHash: '',
      configMatches: true,
    });
    const gate =
      (name: GateName) =>
      async (input: GateInput): Promise<GateResult> => {
        const id = input.target.node.id;
        const started = Date.now();
        let polls = 0;
        const observe = (n: number) => ({ observation: `${name}: ${n % 3}/3 good`, polls: n });
        await c.waitHold(`${id}:${name}`, observe);
        for (; Date.now() - started < c.timings.gateMs || polls < input.stablePolls; polls++) {
          if (c.failGate.get(id) === name && Date.now() - started >= c.timings.gateMs) break;
          heartbeat(observe(polls + 1));
          await sleep(c.timings.pollMs);
        }
        if (c.failGate.get(id) === name) {
          throw ApplicationFailure.nonRetryable(
            `${name} did not hold on ${input.target.node.address}: last seen 2/3 serving`,
            'GateTimeout',
            { gate: name, step: name }
          );
        }
        return { gate: name, passed: true, polls, observation: `${name} held`, tookMs: Date.now() - started };
      };
    return {
      // The cluster lock and a handed-over node's end talk to the real Temporal server only,
      // notifications to a real receiver: the real activities.
      patchIsRunning,
      inspectClusterLock,
      awaitNodeWorkflow,
      sendNotification,
      deployCanary: async () => {
        throw new Error('the CLI stub cluster has no canary');
      },
      watchCanary: async () => {
        throw new Error('the CLI stub cluster has no canary');
      },
      removeCanary: async () => ({ removed: true, text: 'no canary' }),
      async surveyNodes(targets) {
        await sleep(c.timings.stepMs);
        return targets.map(state);
      },
      async runPreflight() {
        await sleep(c.timings.stepMs);
        return c.preflight;
      },
      async takeBackups() {
        await sleep(c.timings.stepMs);
        return { summary: 'zookeeper snapshot /var/lib/dcos/exhibitor/snap.tar.gz on master-10.0.0.11' };
      },
      async prepareBootstrap() {
        await sleep(c.timings.stepMs);
        return { scriptUrl: 'http://10.0.0.5:8080/upgrade/0123abcd/dcos_node_upgrade.sh', generatorOutputTail: '' };
      },
      async readNodeState(t) {
        await sleep(c.timings.stepMs);
        return state(t);
      },
      prestageScript: async (targets) => targets.map((t) => ({ node: t.node.id, sha256: 'ab'.repeat(32) })),
      async stageScript() {
        await sleep(c.timings.stepMs);
        return { staged: true };
      },
      async prepareAgent() {
        await sleep(c.timings.stepMs);
        return { removed: true };
      },
      async runPatchScript(t: NodeTarget, _url: string, _key: RunKey) {
        const startedAtMs = Date.now();
        c.scriptRuns.set(t.node.id, (c.scriptRuns.get(t.node.id) ?? 0) + 1);
        await c.waitHold(`${t.node.id}:script`, (n) => ({ observation: `script running (${n})` }));
        for (let waited = 0; waited < c.timings.scriptMs; waited += c.timings.pollMs) {
          heartbeat({ observation: 'dcos_node_upgrade.sh running' });
          await sleep(c.timings.pollMs);
        }
        if (c.failScriptOnce.delete(t.node.id)) {
          throw ApplicationFailure.nonRetryable('dcos_node_upgrade.sh exited 1: pkgpanda swap failed', 'ScriptFailed');
        }
        c.versions.set(t.node.id, c.to);
        return { exitCode: 0, outputTail: 'Node upgrade done', startedAtMs, finishedAtMs: Date.now(), attached: false };
      },
      async describeRemoteRun() {
        return { state: 'running' };
      },
      async collectDiagnostics(t) {
        return {
          node: t.node.id,
          role: t.node.role,
          collectedAtMs: Date.now(),
          sections: [
            { command: 'journalctl -u dcos-exhibitor -n 100', exitCode: 0, output: 'exhibitor: ensemble 2/3 serving' },
          ],
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

/** A worker with the REAL workflows and the stub activities, running until `stop()`. */
export async function startStubWorker(
  connection: Worker['options']['connection'],
  taskQueue: string,
  cluster: StubCluster
): Promise<{ stop: () => Promise<void> }> {
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await workflowBundle(require.resolve('../../src/workflows')),
    activities: cluster.activities(),
    // Heartbeat details reach the server quickly, so the view shows a gate's latest observation.
    maxHeartbeatThrottleInterval: '100ms',
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  return {
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
