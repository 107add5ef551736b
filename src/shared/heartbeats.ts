/**
 * Every activity heartbeats every few seconds while it runs (the worker's keep-alive), so a step
 * whose worker died is retried elsewhere this long after its last heartbeat. The workflows set it
 * as every activity's heartbeat timeout; `status`/`watch` use it to say when the retry comes.
 */
export const HEARTBEAT_TIMEOUT_MS = 15_000;
