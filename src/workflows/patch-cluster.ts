/**
 * patchCluster: the DC/OS patch runbook as one durable workflow.
 *
 *   survey → preflight → backups → bootstrap → masters (one at a time) → agents (sliding window) → done
 *
 * Guarantees:
 * - never two masters at once: the next master starts only after the previous one's node
 *   workflow returned `patched` (every gate held) or the operator decided;
 * - never moving on silently: a failed master, or an agent failure beyond the failure budget,
 *   stops starting nodes and waits for `decide` (retry / skip (agents) / abort);
 * - pause finishes the nodes in flight and starts no new one until `resume`;
 * - abort (signal or workflow cancel) starts nothing new, cancels the nodes in flight, each of
 *   which reports the state its script was left in;
 * - history stays bounded: one child workflow per node, continue-as-new during the agent phase;
 * - the final result is a report; any failed or skipped-after-failure node makes the workflow
 *   fail with `PatchIncomplete` (the report is in the failure's details), an abort with `PatchAborted`.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { BootstrapInput, NodeTarget } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import type { NodeSpec, Plan } from '../shared/plan';
import { MAX_AGENT_CONCURRENCY, planInputProblems } from '../shared/plan-input';
import { DcosCluster, DcosFromVersion, DcosPatchPhase, DcosToVersion } from '../shared/search-attributes';
import type {
  AttemptRecord,
  Decision,
  NodeResult,
  NodeStatus,
  PatchOutcome,
  PatchReport,
  PatchStatus,
  PendingDecision,
  Phase,
} from '../shared/status';
import { bootstrapStep, clusterStep } from './activities';
import { releaseClusterLock, takeClusterLock } from './lock';
import { abortSignal, decideUpdate, pauseSignal, resumeSignal, setPolicyUpdate, statusQuery } from './messages';
import { describeFailure, nodeLabel, type PatchNodeInput, patchNode } from './patch-node';

export interface PatchClusterInput {
  plan: Plan;
  /** Set by continue-as-new only. */
  carried?: CarriedState;
  /** Roll the history over after this many node workflows in one run (tests use a small number). */
  rolloverAfterNodes?: number;
  /** How often the cluster lock checks that this patch still runs (default 30 s; tests shorten it). */
  lockCheckEveryMs?: number;
}

interface CarriedState {
  /** The status, its nodes packed (see packNodes): the history keeps payloads under 512 KiB. */
  status: Omit<PatchStatus, 'nodes'> & { nodes: PackedNode[] };
  decisions: PatchReport['decisions'];
  newConfigPathChecked?: boolean;
}

/** A node's status without what the plan already says (id, role, address, child workflow id). */
type PackedNode = Omit<NodeStatus, 'id' | 'role' | 'address' | 'workflowId'>;

function packNodes(nodes: NodeStatus[]): PackedNode[] {
  return nodes.map(({ id: _id, role: _role, address: _address, workflowId: _wf, ...rest }) => rest);
}

function unpackNodes(plan: Plan, packed: PackedNode[], workflowId: string): NodeStatus[] {
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

function allNodesOf(plan: Plan): NodeSpec[] {
  return [...plan.masters, ...plan.agents, ...plan.publicAgents];
}

const LOG_LINES = 60;
const SURVEY_CHUNK = 100;
/** Past this, continue-as-new even if the server has not suggested it yet. */
const HISTORY_ROLLOVER_EVENTS = 8_000;

export async function patchCluster(input: PatchClusterInput): Promise<PatchReport> {
  const { plan } = input;
  const info = workflowInfo();
  const st: PatchStatus = input.carried
    ? { ...input.carried.status, nodes: unpackNodes(plan, input.carried.status.nodes, info.workflowId) }
    : initialStatus(plan, info.workflowId);
  const decisions: PatchReport['decisions'] = input.carried?.decisions ?? [];
  const rollover = input.rolloverAfterNodes ?? Number.POSITIVE_INFINITY;
  let childrenThisRun = 0;
  let abortedInPhase: Phase = st.phase;
  const inflight = new Map<string, CancellationScope>();

  // ---- control surface ------------------------------------------------------------------------
  setHandler(statusQuery, () => st);
  setHandler(pauseSignal, (arg) => {
    if (!st.paused) note(`paused${arg?.reason ? `: ${arg.reason}` : ''} (nodes in flight finish; no new node starts)`);
    st.paused = true;
  });
  setHandler(resumeSignal, () => {
    if (st.paused) note('resumed');
    st.paused = false;
  });
  setHandler(abortSignal, (arg) => requestAbort(arg?.reason ?? 'abort signal'));
  setHandler(
    decideUpdate,
    (d) => {
      const p = st.pending.find((x) => x.subject === d.subject)!;
      st.pending = st.pending.filter((x) => x !== p);
      decisions.push({ atMs: Date.now(), subject: d.subject, decision: d.decision, checks: d.checks });
      note(
        `decision for ${d.subject}: ${d.decision}${d.checks ? ` ${d.checks.join(',')}` : ''}${d.reason ? ` (${d.reason})` : ''}`
      );
      applyDecision(p, d.decision, d.checks ?? []);
      return `${d.decision} accepted for ${d.subject}`;
    },
    {
      validator: (d) => {
        const p = st.pending.find((x) => x.subject === d.subject);
        if (!p) {
          const waiting = st.pending.map((x) => x.subject).join(', ') || 'nothing';
          throw new Error(`no decision is pending for ${d.subject}; waiting on: ${waiting}`);
        }
        if (!p.allowed.includes(d.decision)) {
          throw new Error(`${d.subject}: ${d.decision} is not allowed here; choose one of ${p.allowed.join(', ')}`);
        }
        if (d.decision === 'override') {
          const failing = st.preflight.filter((f) => f.status === 'fail' && !f.overridden).map((f) => f.check);
          const missing = [...new Set(failing)].filter((c) => !(d.checks ?? []).includes(c));
          if (missing.length)
            throw new Error(`override must name every failing check; not named: ${missing.join(', ')}`);
        }
      },
    }
  );
  setHandler(
    setPolicyUpdate,
    (c) => {
      Object.assign(st.policy, c);
      note(`policy changed: ${JSON.stringify(c)}`);
      return st.policy;
    },
    {
      validator: (c) => {
        const agents = plan.agents.length + plan.publicAgents.length;
        const c1 = c.agentConcurrency;
        if (c1 !== undefined && (!Number.isInteger(c1) || c1 < 1 || c1 > MAX_AGENT_CONCURRENCY)) {
          throw new Error(`agentConcurrency must be a whole number from 1 to ${MAX_AGENT_CONCURRENCY}`);
        }
        const b = c.agentFailureBudget;
        if (b !== undefined && (!Number.isInteger(b) || b < 0 || b > agents)) {
          throw new Error(`agentFailureBudget must be a whole number from 0 to ${agents} (the number of agents)`);
        }
      },
    }
  );
  // A workflow cancel request (`temporal workflow cancel`, the Web UI) is an abort.
  CancellationScope.current().cancelRequested.catch(() => requestAbort('workflow cancel request'));

  // ---- helpers ----------------------------------------------------------------------------------
  function note(line: string): void {
    st.log.push(`${new Date(Date.now()).toISOString()} ${line}`);
    if (st.log.length > LOG_LINES) st.log.splice(0, st.log.length - LOG_LINES);
    log.info(line);
  }
  function doing(what: string): void {
    st.activity = what;
    const done = st.nodes.filter((n) => n.state === 'patched' || n.state === 'skipped').length;
    setCurrentDetails(
      `**${plan.cluster}** ${plan.fromVersion} → ${plan.toVersion} · phase **${st.phase}** · ${done}/${st.nodes.length} nodes done${st.paused ? ' · PAUSED' : ''}\n\n${what}`
    );
  }
  function enterPhase(phase: Phase): void {
    if (st.phase === phase) return;
    st.phase = phase;
    st.phaseStartedAtMs = Date.now();
    upsertSearchAttributes([{ key: DcosPatchPhase, value: phase }]);
    note(`phase ${phase}`);
    doing(`entered phase ${phase}`);
  }
  function requestAbort(reason: string): void {
    if (st.abortRequested) return;
    st.abortRequested = true;
    abortedInPhase = st.phase;
    note(`abort requested: ${reason}`);
    for (const scope of inflight.values()) scope.cancel();
  }
  function nodeStatus(id: string): NodeStatus {
    return st.nodes.find((n) => n.id === id)!;
  }
  function target(node: NodeSpec): NodeTarget {
    return { node, ssh: plan.ssh, http: plan.http, remoteWorkDir: plan.remoteWorkDir };
  }
  function ask(p: Omit<PendingDecision, 'sinceMs'>): void {
    st.pending.push({ ...p, sinceMs: Date.now() });
    note(`waiting for a decision on ${p.subject}: ${p.reason} (${p.allowed.join(' / ')})`);
    doing(
      `BLOCKED, needs you: ${p.subject} — ${p.reason}. Decide with: dcos-patch decide ${info.workflowId} ${p.subject} ${p.allowed.join('|')}`
    );
  }
  function applyDecision(p: PendingDecision, decision: Decision, checks: string[]): void {
    if (decision === 'abort') {
      requestAbort(`operator decision on ${p.subject}`);
      return;
    }
    if (p.kind === 'node-failed') {
      const n = nodeStatus(p.subject);
      n.decisions = [...(n.decisions ?? []), decision];
      if (decision === 'retry') n.state = 'pending';
      if (decision === 'skip') {
        n.state = 'skipped';
        n.note = `skipped by the operator after failing: ${n.note ?? ''}`;
      }
    }
    if (p.kind === 'preflight-failed') {
      if (decision === 'override') {
        for (const f of st.preflight) if (checks.includes(f.check) && f.status === 'fail') f.overridden = true;
      }
      if (decision === 'retry') st.preflight = [];
    }
  }
  /**
   * A cluster-wide step (survey, preflight, backups, bootstrap) whose activity gave up asks the
   * operator — retry or abort — instead of failing the patch: undefined once aborted.
   */
  async function stepOrAsk<T>(subject: string, what: string, run: () => Promise<T>): Promise<T | undefined> {
    while (!st.abortRequested) {
      try {
        return await run();
      } catch (err) {
        if (isCancellation(err)) throw err;
        ask({
          subject,
          kind: 'step-failed',
          reason: `${what} failed: ${describeFailure(err).message}`,
          allowed: ['retry', 'abort'],
        });
        await waitUntilFree(subject);
      }
    }
    return undefined;
  }
  /** Pause holds before every phase, as before every node: nothing cluster-wide starts while paused. */
  async function holdIfPaused(before: string): Promise<void> {
    if (!st.paused || st.abortRequested) return;
    doing(`paused before ${before}: resume to continue`);
    await condition(() => !st.paused || st.abortRequested);
  }
  async function waitUntilFree(subject: string): Promise<void> {
    if (st.paused) doing(`paused before ${subject}: resume to continue`);
    await condition(() => (!st.paused && !st.pending.some((p) => p.subject === subject)) || st.abortRequested);
  }

  /** Run one node's child workflow in its own cancellation scope; record its result. */
  async function runNode(node: NodeSpec, scriptUrl: string): Promise<NodeResult | undefined> {
    const n = nodeStatus(node.id);
    n.attempts += 1;
    n.state = 'patching';
    n.startedAtMs = Date.now();
    n.finishedAtMs = undefined;
    n.note = 'in progress';
    const workflowId = `${info.workflowId}/${node.id}/attempt-${n.attempts}`;
    n.workflowId = workflowId;
    const childInput: PatchNodeInput = {
      target: target(node),
      attempt: n.attempts,
      earlierAttempts: Array.from(
        { length: n.attempts - 1 },
        (_, k) => `${info.workflowId}/${node.id}/attempt-${k + 1}`
      ),
      fromVersion: plan.fromVersion,
      toVersion: plan.toVersion,
      expectedMesosVersion: plan.expectedMesosVersion,
      variant: plan.variant,
      newConfigPath: plan.config.newConfigPath,
      scriptUrl,
      masters: plan.masters,
      gates: plan.policy.gates,
    };
    const scope = new CancellationScope();
    inflight.set(node.id, scope);
    childrenThisRun += 1;
    note(`${nodeLabel(node)}: started (attempt ${n.attempts})`);
    try {
      const result = await scope.run(async () => {
        const child = await startChild(patchNode, {
          workflowId,
          args: [childInput],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: `${nodeLabel(node)} · patch ${plan.fromVersion} → ${plan.toVersion} (attempt ${n.attempts})`,
        });
        return await child.result();
      });
      n.finishedAtMs = Date.now();
      // Only kept where a later attempt needs it: the status stays small at thousands of agents.
      if (result.script?.exitCode === 0 && result.outcome !== 'patched') n.scriptRan = true;
      // Found at the target after an earlier attempt of this patch ran the script: this patch patched it.
      const patchedEarlier = result.outcome === 'skipped' && n.scriptRan === true;
      n.state = patchedEarlier ? 'patched' : result.outcome;
      // A patched node's gate observations stay in its own workflow's result; the parent keeps one
      // short line per node so its status, carried state and report stay small at 2,000 agents.
      n.note =
        result.outcome === 'patched'
          ? `patched ${result.versionBefore ?? plan.fromVersion} → ${plan.toVersion}`
          : patchedEarlier
            ? `patched ${plan.fromVersion} → ${plan.toVersion} by an earlier attempt; verified healthy on attempt ${n.attempts}`
            : result.summary;
      if (result.outcome !== 'patched' || n.attempts > 1) recordAttempt(n, result.outcome, n.note);
      note(`${nodeLabel(node)}: ${result.outcome} — ${result.summary}`);
      return result;
    } catch (err) {
      n.finishedAtMs = Date.now();
      n.state = isCancellation(err) || st.abortRequested ? 'aborted' : 'failed';
      n.note = `node workflow ended without a result: ${(err as Error).message}`;
      recordAttempt(n, 'ended', n.note);
      note(`${nodeLabel(node)}: ${n.state} — ${n.note}`);
      return undefined;
    } finally {
      inflight.delete(node.id);
    }
  }

  function recordAttempt(n: NodeStatus, outcome: AttemptRecord['outcome'], reason: string): void {
    const log = [...(n.attemptLog ?? []), { attempt: n.attempts, outcome, reason: reason.slice(0, 300) }];
    n.attemptLog = log.slice(-10);
  }

  function report(outcome: PatchOutcome, message: string): PatchReport {
    st.finishedAtMs = Date.now();
    return {
      workflowId: info.workflowId,
      cluster: plan.cluster,
      fromVersion: plan.fromVersion,
      toVersion: plan.toVersion,
      outcome,
      message,
      startedAtMs: st.startedAtMs,
      finishedAtMs: st.finishedAtMs,
      scriptUrl: st.scriptUrl,
      nodes: st.nodes,
      preflight: st.preflight,
      decisions,
    };
  }

  async function finish(): Promise<PatchReport> {
    await condition(allHandlersFinished);
    await releaseClusterLock(plan.cluster);
    const failed = st.nodes.filter(
      (n) => n.state === 'failed' || n.state === 'aborted' || n.decisions?.includes('skip')
    );
    if (st.abortRequested) {
      enterPhase('aborted');
      const r = report('aborted', abortMessage());
      doing(r.message);
      throw ApplicationFailure.create({ type: 'PatchAborted', message: r.message, nonRetryable: true, details: [r] });
    }
    if (failed.length) {
      enterPhase('failed');
      const r = report(
        'completed-with-failures',
        `${failed.length} of ${st.nodes.length} nodes not patched: ${failed.map((n) => `${n.id} (${n.state}: ${n.note ?? ''})`).join('; ')}`
      );
      doing(r.message);
      throw ApplicationFailure.create({
        type: 'PatchIncomplete',
        message: r.message,
        nonRetryable: true,
        details: [r],
      });
    }
    enterPhase('done');
    const patched = st.nodes.filter((n) => n.state === 'patched').length;
    const skipped = st.nodes.length - patched;
    const r = report(
      patched === 0 ? 'nothing-to-do' : 'succeeded',
      patched === 0
        ? `nothing to do: all ${st.nodes.length} nodes already run ${plan.toVersion} with the target config`
        : `patched ${patched} node(s) to ${plan.toVersion}${skipped ? `; ${skipped} already there, skipped` : ''}`
    );
    doing(r.message);
    return r;
  }

  function abortMessage(): string {
    const where = st.nodes
      .filter((n) => n.state === 'aborted')
      .map((n) => `${n.id}: ${n.note}`)
      .join('; ');
    const done = st.nodes.filter((n) => n.state === 'patched').length;
    return `aborted in phase ${abortedInPhase} after ${done} node(s) patched${where ? `; in flight: ${where}` : '; no node was in flight'}`;
  }

  // ---- the runbook ------------------------------------------------------------------------------
  if (!input.carried) {
    upsertSearchAttributes([
      { key: DcosCluster, value: plan.cluster },
      { key: DcosFromVersion, value: plan.fromVersion },
      { key: DcosToVersion, value: plan.toVersion },
      { key: DcosPatchPhase, value: st.phase },
    ]);
    note(
      `patch ${plan.cluster} ${plan.fromVersion} → ${plan.toVersion}: ${plan.masters.length} masters, ${plan.agents.length + plan.publicAgents.length} agents`
    );
  } else {
    note(`continued as new (generation ${st.generation})`);
  }

  return await CancellationScope.nonCancellable(async () => {
    const allNodes = [...plan.masters, ...plan.agents, ...plan.publicAgents];
    if (!input.carried) {
      // Started by hand (`temporal workflow start`), the input never went through the plan check:
      // check it again before anything reaches a host.
      refuseBadInput(plan);
      // One patch per cluster: taken before the first activity, held across continue-as-new.
      await takeClusterLock(plan.cluster, input.lockCheckEveryMs);
    }

    // survey: what does every host run now? Hosts already patched are skipped, and a cluster
    // that is already done says so without touching the bootstrap node.
    if (st.phase === 'plan' || st.phase === 'survey') {
      enterPhase('survey');
      let atTarget = 0;
      for (let i = 0; i < allNodes.length && !st.abortRequested; i += SURVEY_CHUNK) {
        const chunk = allNodes.slice(i, i + SURVEY_CHUNK);
        doing(`reading the installed version on hosts ${i + 1}–${i + chunk.length} of ${allNodes.length}`);
        const states = await stepOrAsk('survey', `reading hosts ${i + 1}–${i + chunk.length}`, () =>
          clusterStep.surveyNodes.executeWithOptions({ summary: `survey hosts ${i + 1}–${i + chunk.length}` }, [
            chunk.map(target),
            plan.config.newConfigPath,
          ])
        );
        if (!states) break;
        chunk.forEach((node, j) => {
          const s = states[j];
          const n = nodeStatus(node.id);
          if (s && 'installedVersion' in s && s.installedVersion === plan.toVersion && s.configMatches !== false) {
            // Never assumed healthy: its turn verifies it through every gate before the next node.
            atTarget += 1;
            n.note = `survey: already at ${plan.toVersion} with the target config; verified through its gates in its turn`;
          } else if (s && 'error' in s) {
            n.note = `survey: ${s.error}`;
          }
        });
      }
      if (!st.abortRequested && atTarget === st.nodes.length) {
        // Nothing to patch: no backups, no generator; every node is still verified in order.
        note(`survey: all ${st.nodes.length} nodes already run ${plan.toVersion}: verifying each, patching none`);
        await holdIfPaused('masters');
        if (!st.abortRequested) enterPhase('masters');
      }
    }

    // preflight: read-only checks; a failing check stops here unless the operator overrides it by name.
    if (st.phase === 'survey') await holdIfPaused('preflight');
    while (!st.abortRequested && (st.phase === 'survey' || st.phase === 'preflight')) {
      enterPhase('preflight');
      if (st.preflight.length === 0) {
        doing('preflight: checking hosts, cluster health and prerequisites (read-only)');
        const findings = await stepOrAsk('preflight', 'the preflight checks', () =>
          clusterStep.runPreflight.executeWithOptions({ summary: 'preflight checks (read-only)' }, [{ plan }])
        );
        if (!findings) break;
        st.preflight = findings;
        for (const f of st.preflight)
          if (f.status === 'fail' && plan.preflightOverrides.includes(f.check)) f.overridden = true;
      }
      const failing = st.preflight.filter((f) => f.status === 'fail' && !f.overridden);
      if (failing.length === 0) break;
      if (!st.pending.some((p) => p.subject === 'preflight')) {
        ask({
          subject: 'preflight',
          kind: 'preflight-failed',
          reason: `${failing.length} preflight check(s) failed: ${failing.map((f) => `${f.check}${f.host ? `@${f.host}` : ''}: ${f.message}`).join('; ')}`,
          allowed: ['retry', 'override', 'abort'],
        });
      }
      await waitUntilFree('preflight');
    }

    // backups: a ZooKeeper snapshot and (Enterprise) the IAM database, before any master is touched.
    if (st.phase === 'preflight') await holdIfPaused('backups');
    if (!st.abortRequested && st.phase === 'preflight') {
      enterPhase('backups');
      if (plan.backups.zookeeper === 'take' || plan.backups.iam === 'take') {
        doing('taking backups before the first master is touched');
        const taken = await stepOrAsk('backups', 'the backups', () =>
          clusterStep.takeBackups.executeWithOptions({ summary: 'backups: ZooKeeper snapshot / IAM database' }, [
            { plan },
          ])
        );
        if (taken) note(`backups: ${taken.summary}`);
      } else {
        note('backups: the operator confirmed them in the plan (backups: confirmed)');
      }
    }

    // bootstrap: genconf, generate the node patch script, serve it, take its URL.
    if (st.phase === 'backups') await holdIfPaused('bootstrap');
    if (!st.abortRequested && st.phase === 'backups') {
      enterPhase('bootstrap');
      doing(`bootstrap ${plan.bootstrap.address}: generating the node patch script`);
      const b = await stepOrAsk('bootstrap', `bootstrap ${plan.bootstrap.address}`, () =>
        bootstrapStep.prepareBootstrap.executeWithOptions(
          { summary: `bootstrap ${plan.bootstrap.address} · generate node patch script` },
          [{ plan: bootstrapView(plan) }]
        )
      );
      if (b) {
        st.scriptUrl = b.scriptUrl;
        note(`node patch script URL: ${b.scriptUrl}`);
      }
    }

    // masters: strictly one at a time, each validated before the next.
    if (st.phase === 'bootstrap') await holdIfPaused('masters');
    if (!st.abortRequested && st.phase === 'bootstrap') enterPhase('masters');
    if (st.phase === 'masters') {
      for (const [i, master] of plan.masters.entries()) {
        while (!st.abortRequested && nodeStatus(master.id).state === 'pending') {
          if (
            st.policy.approveEachMaster &&
            i > 0 &&
            !decisions.some((d) => d.subject === master.id && d.decision === 'approve')
          ) {
            if (!st.pending.some((p) => p.subject === master.id)) {
              ask({
                subject: master.id,
                kind: 'approve-master',
                reason: `approve patching ${nodeLabel(master)}`,
                allowed: ['approve', 'abort'],
              });
            }
          }
          await waitUntilFree(master.id);
          if (st.abortRequested) break;
          doing(`patching ${nodeLabel(master)} (${i + 1}/${plan.masters.length}); the other masters stay up`);
          const r = await runNode(master, st.scriptUrl ?? '');
          if (!r || r.outcome === 'failed') {
            nodeStatus(master.id).state = 'waiting-decision';
            ask({
              subject: master.id,
              kind: 'node-failed',
              reason: nodeStatus(master.id).note ?? 'failed',
              allowed: ['retry', 'abort'],
            });
            await waitUntilFree(master.id);
          }
        }
        if (st.abortRequested) break;
      }
      if (!st.abortRequested) {
        if (
          st.policy.approveBeforeAgents &&
          !decisions.some((d) => d.subject === 'agents' && d.decision === 'approve')
        ) {
          ask({
            subject: 'agents',
            kind: 'approve-agents',
            reason: 'all masters patched: approve the agent phase',
            allowed: ['approve', 'abort'],
          });
          await waitUntilFree('agents');
        }
        if (!st.abortRequested) enterPhase('agents');
      }
    }

    // agents: a sliding window of `agentConcurrency` node workflows; failures beyond the budget ask.
    if (st.phase === 'agents') {
      const agents = [...plan.agents, ...plan.publicAgents];
      const running = new Set<Promise<void>>();
      const failedAgents = () =>
        agents.filter((a) => ['failed', 'waiting-decision'].includes(nodeStatus(a.id).state)).length;
      const wantRollover = () =>
        childrenThisRun >= rollover ||
        workflowInfo().continueAsNewSuggested ||
        workflowInfo().historyLength > HISTORY_ROLLOVER_EVENTS;
      const next = () => agents.find((a) => nodeStatus(a.id).state === 'pending' && !inflight.has(a.id));
      const blocked = () => st.paused || st.pending.length > 0 || st.abortRequested || wantRollover();

      while (true) {
        while (!blocked() && running.size < st.policy.agentConcurrency && next()) {
          const agent = next()!;
          const p: Promise<void> = runNode(agent, st.scriptUrl ?? '').then((r) => {
            running.delete(p);
            if (r && r.outcome !== 'failed') return;
            if (st.abortRequested && nodeStatus(agent.id).state === 'aborted') return;
            if (failedAgents() > st.policy.agentFailureBudget) {
              nodeStatus(agent.id).state = 'waiting-decision';
              ask({
                subject: agent.id,
                kind: 'node-failed',
                reason: `${nodeStatus(agent.id).note ?? 'failed'} (agent failures ${failedAgents()} > budget ${st.policy.agentFailureBudget})`,
                allowed: ['retry', 'skip', 'abort'],
              });
            } else {
              note(
                `${agent.id} failed within the failure budget (${failedAgents()}/${st.policy.agentFailureBudget}); continuing`
              );
            }
          });
          running.add(p);
        }
        const done = agents.filter((a) => !['pending', 'patching'].includes(nodeStatus(a.id).state)).length;
        doing(
          st.pending.length
            ? `BLOCKED, needs you: ${st.pending.map((p) => `${p.subject} (${p.allowed.join('/')})`).join(', ')}`
            : st.paused
              ? `paused: ${running.size} agent(s) finishing, no new agent starts; resume to continue`
              : `agents: ${done}/${agents.length} done, ${running.size} in flight (window ${st.policy.agentConcurrency})`
        );
        if (running.size === 0 && (st.abortRequested || (!next() && st.pending.length === 0))) break;
        if (running.size === 0 && wantRollover() && !st.abortRequested) {
          // History bound: every node of this run has finished; carry the state into a fresh run.
          st.generation += 1;
          await condition(allHandlersFinished);
          return await continueAsNew<typeof patchCluster>({
            plan,
            carried: { status: { ...st, nodes: packNodes(st.nodes) }, decisions },
            rolloverAfterNodes: input.rolloverAfterNodes,
            lockCheckEveryMs: input.lockCheckEveryMs,
          });
        }
        const before = running.size;
        await condition(
          () =>
            running.size < before ||
            (!blocked() && running.size < st.policy.agentConcurrency && !!next()) ||
            st.abortRequested
        );
        if (st.abortRequested) for (const s of inflight.values()) s.cancel();
        if (st.abortRequested && running.size > 0) await condition(() => running.size === 0);
      }
    }
    return await finish();
  });
}

/** A non-retryable InvalidPlan failure naming every bad field, before the first activity. */
function refuseBadInput(plan: Plan): void {
  const problems = planInputProblems(plan);
  if (problems.length === 0) return;
  throw ApplicationFailure.create({
    type: FailureTypes.InvalidPlan,
    nonRetryable: true,
    message: `the patch input is not a valid plan; nothing was touched. ${problems
      .map((p) => `${p.field}: ${p.problem}`)
      .join('; ')}. Start it from a checked plan: dcos-patch check plan.yaml --json prints the workflow input.`,
    details: [problems],
  });
}

function initialStatus(plan: Plan, workflowId: string): PatchStatus {
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
      agentFailureBudget: plan.policy.agentFailureBudget,
      approveEachMaster: plan.policy.approveEachMaster,
      approveBeforeAgents: plan.policy.approveBeforeAgents,
    },
    nodes: allNodesOf(plan).map(node),
    pending: [],
    activity: 'starting',
    preflight: [],
    generation: 0,
    log: [],
  };
}

/** Only what the bootstrap step needs: keeps thousands of agents out of its history entry. */
function bootstrapView(plan: Plan): BootstrapInput['plan'] {
  const { cluster, variant, fromVersion, toVersion, bootstrap, config, ssh, http } = plan;
  return { cluster, variant, fromVersion, toVersion, bootstrap, config, ssh, http };
}
