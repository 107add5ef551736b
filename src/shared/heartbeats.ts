/**
 * Every running activity heartbeats every second (the worker's keep-alive) and the worker tells
 * the server at most every HEARTBEAT_SENT_EVERY_MS, so a step whose worker died is retried on a
 * live worker this long after its last heartbeat. The workflows set it as every activity's
 * heartbeat timeout; `status`/`watch` use it to say when the retry comes. Three sends fit in it:
 * a worker stalled for up to 3.5 s is not mistaken for a dead one.
 */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

/** The worker's heartbeat throttle: the server hears from a running activity this often. */
export const HEARTBEAT_SENT_EVERY_MS = 1_500;

/** How often every running activity heartbeats, whatever it is waiting on (an SSH command, a download). */
export const KEEP_ALIVE_MS = 1_000;
