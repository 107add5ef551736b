/**
 * The one catalogue of failure types (ApplicationFailure `type`): what activities throw, what the
 * workflows end with, so workflows, the CLI and tests branch on one set of names.
 */
export const FailureTypes = {
  // ---- the patch's own end ----
  /** The patch was aborted (signal, decision, workflow cancel); the report is in the details. */
  PatchAborted: 'PatchAborted',
  /** The patch ended with nodes not patched; the report is in the details. */
  PatchIncomplete: 'PatchIncomplete',

  // ---- what a step found: the workflow decides (never retried as is) ----
  /** Host key does not match known_hosts: never retried. */
  HostKeyMismatch: 'HostKeyMismatch',
  /** A gate did not hold before its deadline. */
  GateTimeout: 'GateTimeout',
  /** The node patch script exited non-zero. */
  ScriptFailed: 'ScriptFailed',
  /** The node patch script ran past scriptTimeout. */
  ScriptTimeout: 'ScriptTimeout',
  /** No "Node upgrade script URL:" line in the generator's output, or the URL does not answer. */
  BootstrapFailed: 'BootstrapFailed',
  /** The plan or config is invalid: retrying cannot fix it. */
  InvalidPlan: 'InvalidPlan',
  /** The script exited 0 but the host does not run the target (dcos-version.json, or the config). */
  NotAtTarget: 'NotAtTarget',
  /** Another patch holds the cluster lock. */
  ClusterLocked: 'ClusterLocked',
  /** An agent came back without its tasks (a new agent id, or tasks lost): waiting cannot help. */
  TasksLost: 'TasksLost',
  /** The workload canary could not be deployed healthy, or Marathon refused it: the workflow asks. */
  CanaryFailed: 'CanaryFailed',
  /** The patch this node workflow belongs to is no longer running (terminated): no script starts for it. */
  PatchGone: 'PatchGone',

  // ---- transport and setup problems seen by activities ----
  /** The host is not in known_hosts: non-retryable, add its key after checking it. */
  HostKeyUnknown: 'HostKeyUnknown',
  /** SSH login refused for the key: non-retryable. */
  SshAuthFailed: 'SshAuthFailed',
  /** Could not connect over SSH (refused, timed out, unreachable): retryable. */
  SshUnreachable: 'SshUnreachable',
  /** The SSH connection dropped while a command ran (it may still run on the host): retryable. */
  SshDropped: 'SshDropped',
  /** A remote command ran past its time limit: retryable. */
  SshCommandTimeout: 'SshCommandTimeout',
  /** An HTTP endpoint did not answer, answered 5xx or not JSON: retryable. */
  HttpUnavailable: 'HttpUnavailable',
  /** A remote command failed in a way worth retrying (a read, a staging download). */
  RemoteCommandFailed: 'RemoteCommandFailed',
  /** A webhook did not answer or answered 5xx / 429: retryable. */
  WebhookUnavailable: 'WebhookUnavailable',
  /** A webhook refused the message (4xx), or its URL/header file cannot be used: not retried. */
  WebhookRejected: 'WebhookRejected',
} as const;

export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];
