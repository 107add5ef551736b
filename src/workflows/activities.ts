/**
 * Activity proxies, one per timeout/retry profile. Workflow code calls activities only
 * through these. Timeouts that depend on the plan are built from its gate timings.
 */
import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { PatchActivities } from '../shared/activity-contract';
import { FailureTypes } from '../shared/failure-types';
import { HEARTBEAT_TIMEOUT_MS } from '../shared/heartbeats';
import type { GateTimings } from '../shared/plan';

const NEVER_RETRY = [FailureTypes.HostKeyMismatch, FailureTypes.InvalidPlan];

/** The heartbeat timeout of every activity (see HEARTBEAT_TIMEOUT_MS). */
export const LOST_WORKER = HEARTBEAT_TIMEOUT_MS;

const HOST_STEP_RETRY: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 6,
  nonRetryableErrorTypes: NEVER_RETRY,
};

/** Short reads and small changes on a host (version, roles, staging the script, diagnostics). */
export const hostStep = proxyActivities<PatchActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: LOST_WORKER,
  retry: HOST_STEP_RETRY,
});

/**
 * The same short, idempotent host reads and changes as local activities: run by the worker inside
 * the node workflow's task (no activity task, no extra workflow tasks, a marker in history), so
 * hundreds of agents in flight do not queue behind each other's round trips to the server. A lost
 * worker re-runs them on replay, which these steps allow (reads; rm -f; a download beside the run).
 */
export const localHostStep = proxyLocalActivities<PatchActivities>({
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '10 seconds',
  retry: HOST_STEP_RETRY,
});

/** Work spread over many hosts at once (survey, preflight): longer, heartbeating. */
export const clusterStep = proxyActivities<PatchActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: LOST_WORKER,
  retry: {
    initialInterval: '5s',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NEVER_RETRY,
  },
});

/** The bootstrap node's generator: minutes on a real node, heartbeating. */
export const bootstrapStep = proxyActivities<PatchActivities>({
  startToCloseTimeout: '45 minutes',
  heartbeatTimeout: LOST_WORKER,
  retry: {
    initialInterval: '10s',
    maximumInterval: '2 minutes',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...NEVER_RETRY, FailureTypes.BootstrapFailed],
  },
});

/**
 * The end of a node workflow handed over at continue-as-new: as long as the node takes (its own
 * workflow bounds it), retried for as long as the worker or the server is away.
 */
export const nodeWorkflowWait = proxyActivities<Pick<PatchActivities, 'awaitNodeWorkflow'>>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: LOST_WORKER,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * The node patch script: detached on the host, so a lost worker only loses the watcher. A retry
 * attaches to the run in progress (the activity's own marker check), never starts it twice.
 */
export function scriptRun(gates: GateTimings) {
  return proxyActivities<PatchActivities>({
    startToCloseTimeout: gates.scriptTimeoutMs + 60_000,
    // An abort returns once the watcher has let go, so the report's "script state" is current.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    scheduleToCloseTimeout: gates.scriptTimeoutMs + 10 * 60_000,
    heartbeatTimeout: LOST_WORKER,
    retry: {
      // A lost worker's watcher is back half a second after its heartbeat timeout (it only attaches).
      initialInterval: '500ms',
      backoffCoefficient: 2,
      maximumInterval: '15s',
      nonRetryableErrorTypes: [...NEVER_RETRY, FailureTypes.ScriptFailed, FailureTypes.ScriptTimeout],
    },
  });
}

/**
 * Health gates: each polls until its signal holds for `stablePolls` polls or its deadline passes
 * (GateTimeout, not retried). A crashed worker is noticed by the heartbeat and the gate resumes.
 */
export function healthGate(timeoutMs: number) {
  return proxyActivities<PatchActivities>({
    startToCloseTimeout: timeoutMs + 60_000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    scheduleToCloseTimeout: timeoutMs + 5 * 60_000,
    heartbeatTimeout: LOST_WORKER,
    retry: {
      // Read-only: a lost worker's gate starts again half a second after its heartbeat timeout.
      initialInterval: '500ms',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      nonRetryableErrorTypes: [...NEVER_RETRY, FailureTypes.GateTimeout],
    },
  });
}

/**
 * The workload canary: deploying waits up to the plan's deploy timeout; a watch returns within a
 * minute; removal waits up to two. Heartbeating, so a lost worker's watch resumes in seconds.
 */
export function canarySteps(deployTimeoutMs: number) {
  return proxyActivities<PatchActivities>({
    startToCloseTimeout: deployTimeoutMs + 3 * 60_000,
    heartbeatTimeout: LOST_WORKER,
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [...NEVER_RETRY, FailureTypes.CanaryFailed],
    },
  });
}
