/**
 * The node patch script, run detached on the host and never started twice.
 *
 * Marker directory on the host: `<remoteWorkDir>/runs/<sanitized workflowId>/attempt-<n>/`.
 * - Start: one SSH exec claims the directory with `mkdir` (no -p: the leaf is the lock). If it
 *   already exists, nothing is started: we attach. The winner launches
 *   `setsid nohup bash -c '…'` detached (stdin/out/err redirected, `&`), so the exec returns at
 *   once and the run survives the SSH session, the activity and the worker. The runner writes
 *   `pid`, fetches the script (or takes the one staged beside the run), writes `started`
 *   (epoch ms), runs `sudo bash dcos_node_upgrade.sh > output.log 2>&1`, then `finished` and,
 *   last and atomically, `exit-code`.
 * - Attach/poll: short SSH execs read pid liveness, the marker files and the output tail;
 *   heartbeats carry `{ phase, startedAtMs, outputBytes }` only. SSH drops are survived
 *   (reconnect, keep polling). A runner that died without an exit-code was killed (reboot,
 *   kill): reported as exit code 255 with a clear message.
 * The script's output goes to `output.log` on the host, never through SSH.
 * Time limits use the host's clock (`date +%s%3N`), so worker clock skew does not matter.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { NodeTarget, RemoteRunState, RunKey } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import { BOOT_ID_FILE, ensureWritableDir, processStartTime, shq } from '../shared/shell';
import { nodeScriptUrlProblem, tail } from './parsers';
import { runCommand } from './ssh';
import { abortReason, errorText, isNonRetryable, nonRetryable, retryable, sleep } from './util';

export const SCRIPT_NAME = 'dcos_node_upgrade.sh';

export interface RunPaths {
  /** `<remoteWorkDir>/runs/<workflow>`: owned by the SSH user. */
  parent: string;
  /** `<parent>/attempt-<n>`: its creation is the lock. */
  dir: string;
  /** `<parent>/attempt-<n>.staged`: where stageScript puts the script before the disruptive part. */
  staged: string;
  /** Leaf names, relative to `parent`. */
  leaf: string;
  stagedLeaf: string;
  /** `<remoteWorkDir>/lease/host.lock`: held (flock) by the one live runner on this host, whatever its attempt or patch. */
  lockFile: string;
  /** `<remoteWorkDir>/lease/current`: the run name of the runner that took the lease last. */
  currentFile: string;
  /** `<sanitized workflow>/attempt-<n>`: the run's name under `<remoteWorkDir>/runs/`. */
  runName: string;
}

/** A workflow id as a directory name: safe characters only, plus a short hash when anything changed. */
export function sanitizeWorkflowId(workflowId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]/, '_');
  if (safe === workflowId && safe.length <= 120) return safe;
  const hash = createHash('sha256').update(workflowId).digest('hex').slice(0, 10);
  return `${safe.slice(0, 100)}-${hash}`;
}

export function runPaths(remoteWorkDir: string, runKey: RunKey): RunPaths {
  if (!remoteWorkDir.startsWith('/')) {
    throw nonRetryable(`remoteWorkDir must be an absolute path, got "${remoteWorkDir}"`, FailureTypes.InvalidPlan);
  }
  if (!Number.isInteger(runKey.attempt) || runKey.attempt < 1) {
    throw nonRetryable(`run attempt must be a positive integer, got ${runKey.attempt}`, FailureTypes.InvalidPlan);
  }
  return pathsOf(remoteWorkDir, sanitizeWorkflowId(runKey.workflowId), `attempt-${runKey.attempt}`);
}

/** The paths of another run on this host, from the run name `lease/current` holds. */
export function pathsOfRunName(remoteWorkDir: string, runName: string): RunPaths | undefined {
  const m = /^([A-Za-z0-9._-]+)\/(attempt-[1-9]\d*)$/.exec(runName.trim());
  if (!m || m[1]!.startsWith('.')) return undefined;
  return pathsOf(remoteWorkDir, m[1]!, m[2]!);
}

function pathsOf(remoteWorkDir: string, workflowDir: string, leaf: string): RunPaths {
  const base = remoteWorkDir.replace(/\/+$/, '');
  const parent = `${base}/runs/${workflowDir}`;
  return {
    runName: `${workflowDir}/${leaf}`,
    parent,
    dir: `${parent}/${leaf}`,
    staged: `${parent}/${leaf}.staged`,
    leaf,
    stagedLeaf: `${leaf}.staged`,
    lockFile: `${base}/lease/host.lock`,
    currentFile: `${base}/lease/current`,
  };
}

function dirOf(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}

/** What the detached runner does, in the run directory, as the SSH user (only the script runs under sudo). */
export function runnerScript(paths: RunPaths): string {
  const staged = `../${paths.stagedLeaf}`;
  return [
    'echo $$ > pid',
    // Liveness survives pid reuse and reboots: the lease (flock, inherited as fd 9) dies with
    // the runner, and the boot id and start time name this very process.
    `cat ${BOOT_ID_FILE} > boot 2>/dev/null`,
    `${processStartTime('$$')} > pid-start`,
    'url=$(cat url)',
    `if [ -s ${staged}/${SCRIPT_NAME} ] && [ "$(cat ${staged}/url 2>/dev/null)" = "$url" ]; then`,
    `  cp ${staged}/${SCRIPT_NAME} ${SCRIPT_NAME} && echo "dcos-patch: using the script staged from $url" > output.log`,
    'else',
    '  curl -fsS --connect-timeout 10 --max-time 300 -O "$url" > output.log 2>&1',
    '  rc=$?',
    '  if [ $rc -ne 0 ]; then',
    '    echo "dcos-patch: could not download $url (curl exit $rc); the node script did not run" >> output.log',
    '    echo $rc > fetch-failed',
    '    date +%s%3N > finished',
    '    echo $rc > exit-code.tmp && mv exit-code.tmp exit-code',
    '    exit 0',
    '  fi',
    'fi',
    'date +%s%3N > started',
    `sudo -n bash ${SCRIPT_NAME} >> output.log 2>&1`,
    'rc=$?',
    'date +%s%3N > finished',
    'echo $rc > exit-code.tmp && mv exit-code.tmp exit-code',
  ].join('\n');
}

/**
 * One SSH exec: take the host lease, claim the run directory and launch the runner detached.
 * - `exists claim=<nonce>`: this run key was claimed before (attach to it);
 * - `busy run=<dir>`: another run — an earlier attempt, another patch — holds the host lease:
 *   nothing is started (wait for that run instead);
 * - `claimed pid=<pid>`: we launched it. The runner inherits the lease (fd 9) and holds it until
 *   it exits, so no second node script can start on this host while one lives.
 */
export function startCommand(paths: RunPaths, url: string, nonce: string, earlierRuns: string[] = []): string {
  const runsDir = paths.parent.slice(0, paths.parent.lastIndexOf('/'));
  return [
    'command -v flock >/dev/null || { echo "dcos-patch: flock (util-linux) is needed on the host" >&2; exit 74; }',
    ensureWritableDir(paths.parent),
    ensureWritableDir(dirOf(paths.lockFile)),
    `dir=${shq(paths.dir)}`,
    'if [ -d "$dir" ]; then echo "exists claim=$(cat "$dir/claim" 2>/dev/null)"; exit 0; fi',
    `exec 9>>${shq(paths.lockFile)} || exit 73`,
    // A probe (pollCommand, leaseCommand) holds the lock for an instant; a runner for its whole life.
    'got=0; for i in 1 2 3 4 5 6 7 8 9 10; do if flock -n 9; then got=1; break; fi; sleep 0.1; done',
    `if [ $got = 0 ]; then echo "busy run=$(cat ${shq(paths.currentFile)} 2>/dev/null)"; exit 0; fi`,
    ...(earlierRuns.length
      ? [
          `c=$(cat ${shq(paths.currentFile)} 2>/dev/null)`,
          `case ${shq(` ${earlierRuns.join(' ')} `)} in *" $c "*)`,
          `  if [ -n "$c" ] && [ "$(cat ${shq(runsDir)}/"$c"/exit-code 2>/dev/null)" = 0 ]; then echo "done run=$c"; exit 0; fi ;;`,
          'esac',
        ]
      : []),
    'if mkdir "$dir" 2>/dev/null; then',
    '  cd "$dir" || exit 71',
    `  printf '%s\\n' ${shq(nonce)} > claim`,
    `  printf '%s\\n' ${shq(url)} > url`,
    `  printf '%s\\n' ${shq(paths.runName)} > ${shq(paths.currentFile)}`,
    `  { setsid nohup bash -c ${shq(runnerScript(paths))} < /dev/null > /dev/null 2>&1 & }`,
    '  exec 9>&-',
    '  i=0; while [ ! -s pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    '  echo "claimed pid=$(cat pid 2>/dev/null)"',
    'elif [ -d "$dir" ]; then',
    '  echo "exists claim=$(cat "$dir/claim" 2>/dev/null)"',
    'else',
    '  echo "dcos-patch: cannot create $dir" >&2; exit 72',
    'fi',
  ].join('\n');
}

/**
 * Sets h=1 while a runner holds the lease `$l`. A shared-lock probe: it never blocks a runner,
 * and a start command retries past the instant it holds the lock.
 */
const LEASE_PROBE = 'h=0; if [ -e "$l" ] && exec 8<"$l"; then if flock -n -s 8; then h=0; else h=1; fi; exec 8<&-; fi';

export const TAIL_MARK = '--- output tail ---';

/**
 * One SSH exec that reads the run's state; liveness first, then the files (so a run that just
 * ended is not "killed"). With `waitMs`, it first waits on the host — up to that long — while
 * the runner of this run holds the host lease, so the watcher sees the exit as it happens
 * instead of sleeping between polls.
 */
export function pollCommand(paths: RunPaths, tailBytes = 4096, waitMs = 0): string {
  return [
    `cd ${shq(paths.dir)} 2>/dev/null || { echo state=absent; exit 0; }`,
    ...(waitMs > 0 ? waitForExitLines(paths, waitMs) : []),
    'echo state=present',
    `echo ${shq(`dir=${paths.runName}`)}`,
    // The runner is alive while the host lease is held and names this run (a shared-lock probe
    // never blocks a runner), on the boot it started in, as the process that started it.
    `l=${shq(paths.lockFile)}`,
    LEASE_PROBE,
    `echo "leaseHeld=$h"`,
    `echo "leaseRun=$(cat ${shq(paths.currentFile)} 2>/dev/null)"`,
    `echo "bootNow=$(cat ${BOOT_ID_FILE} 2>/dev/null)"`,
    'p=$(cat pid 2>/dev/null)',
    `[ -n "$p" ] && echo "pidStartNow=$(${processStartTime('$p')})"`,
    'echo "now=$(date +%s%3N)"',
    'echo "claimedAt=$(stat -c %Y claim 2>/dev/null || stat -c %Y .)"',
    'for f in pid claim started finished exit-code fetch-failed boot pid-start; do [ -f "$f" ] && echo "$f=$(head -c 100 "$f" | tr -d \'\\n\')"; done',
    'echo "bytes=$(wc -c < output.log 2>/dev/null || echo 0)"',
    `echo ${shq(TAIL_MARK)}`,
    `tail -c ${tailBytes} output.log 2>/dev/null`,
  ].join('\n');
}

/**
 * Wait for the runner of this run to let go of the host lease (it exits just after writing its
 * exit code), or `waitMs`: one blocking shared-lock request instead of a loop of probes, which
 * costs the host a handful of processes every few tenths of a second per watched run. The
 * lease must name this run, or the wait could be for another run's runner.
 */
function waitForExitLines(paths: RunPaths, waitMs: number): string[] {
  const seconds = (Math.max(100, Math.round(waitMs)) / 1000).toFixed(1);
  return [
    `l=${shq(paths.lockFile)}`,
    `if [ ! -e exit-code ] && [ "$(cat ${shq(paths.currentFile)} 2>/dev/null)" = ${shq(paths.runName)} ] && [ -e "$l" ] && exec 8<"$l"; then`,
    `  flock -w ${seconds} -s 8; exec 8<&-`,
    'fi',
  ];
}

export interface RunSnapshot {
  exists: boolean;
  pid?: number;
  /** The runner still lives: it holds the host lease for this run, on the same boot, as the same process. */
  alive?: boolean;
  /** The run directory `lease/current` names (the run that took the host lease last). */
  leaseRun?: string;
  claim?: string;
  /** Host clock, epoch ms. */
  hostNowMs?: number;
  claimedAtMs?: number;
  startedAtMs?: number;
  finishedAtMs?: number;
  exitCode?: number;
  fetchFailed?: boolean;
  outputBytes: number;
  outputTail: string;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Alive means: the host lease is held and names this run directory, the host has not rebooted
 * since the runner wrote its boot id, and the pid still belongs to the process that started then.
 */
function runnerAlive(kv: Map<string, string>): boolean {
  if (kv.get('leaseHeld') !== '1' || kv.get('leaseRun') !== kv.get('dir')) return false;
  const boot = kv.get('boot');
  if (boot && kv.get('bootNow') && boot !== kv.get('bootNow')) return false;
  const start = kv.get('pid-start');
  return !(start && kv.has('pidStartNow') && start !== kv.get('pidStartNow'));
}

export function parseSnapshot(stdout: string): RunSnapshot {
  const at = stdout.indexOf(TAIL_MARK);
  const head = at >= 0 ? stdout.slice(0, at) : stdout;
  const outputTail = at >= 0 ? stdout.slice(at + TAIL_MARK.length).replace(/^\n/, '') : '';
  const kv = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  if (kv.get('state') !== 'present') return { exists: false, outputBytes: 0, outputTail: '' };
  const claimedS = num(kv.get('claimedAt'));
  return {
    exists: true,
    ...(num(kv.get('pid')) !== undefined ? { pid: num(kv.get('pid')) } : {}),
    alive: runnerAlive(kv),
    ...(kv.get('leaseRun') ? { leaseRun: kv.get('leaseRun') } : {}),
    ...(kv.has('claim') ? { claim: kv.get('claim') } : {}),
    ...(num(kv.get('now')) !== undefined ? { hostNowMs: num(kv.get('now')) } : {}),
    ...(claimedS !== undefined ? { claimedAtMs: claimedS * 1000 } : {}),
    ...(num(kv.get('started')) !== undefined ? { startedAtMs: num(kv.get('started')) } : {}),
    ...(num(kv.get('finished')) !== undefined ? { finishedAtMs: num(kv.get('finished')) } : {}),
    ...(num(kv.get('exit-code')) !== undefined ? { exitCode: num(kv.get('exit-code')) } : {}),
    ...(kv.has('fetch-failed') ? { fetchFailed: true } : {}),
    outputBytes: num(kv.get('bytes')) ?? 0,
    outputTail,
  };
}

/**
 * - not-started: no run directory.
 * - claimed: directory claimed, runner not (yet) up; never-launched when that lasts over a minute.
 * - fetching: runner alive, script not started yet. running: script started, no exit code.
 * - finished: exit-code written. killed: runner gone without an exit-code.
 */
export type RunPhase = 'not-started' | 'claimed' | 'never-launched' | 'fetching' | 'running' | 'finished' | 'killed';

/** A claim whose launching shell let go of the lease this long ago without a runner pid was never launched. */
export const NEVER_LAUNCHED_AFTER_MS = 15_000;

export function phaseOf(s: RunSnapshot): RunPhase {
  if (!s.exists) return 'not-started';
  if (s.exitCode !== undefined) return 'finished';
  if (s.pid === undefined) {
    if (s.alive) return 'claimed';
    const age = s.hostNowMs !== undefined && s.claimedAtMs !== undefined ? s.hostNowMs - s.claimedAtMs : 0;
    return age > NEVER_LAUNCHED_AFTER_MS ? 'never-launched' : 'claimed';
  }
  if (!s.alive) return 'killed';
  return s.startedAtMs !== undefined ? 'running' : 'fetching';
}

/** Exit code reported for a run whose runner died without writing one. */
export const KILLED_EXIT_CODE = 255;

const KILLED_NOTE =
  '[dcos-patch] the node script runner died without writing an exit code: it was killed, or the host rebooted. ' +
  'pkgpanda resumes an interrupted swap at boot from /opt/mesosphere/install_progress; check the node before retrying.';

export function describeSnapshot(s: RunSnapshot): RemoteRunState {
  const phase = phaseOf(s);
  const outputTail = tail(s.outputTail);
  const started = s.startedAtMs !== undefined ? { startedAtMs: s.startedAtMs } : {};
  switch (phase) {
    case 'not-started':
    case 'never-launched':
      return { state: 'not-started' };
    case 'claimed':
    case 'fetching':
    case 'running':
      return { state: 'running', ...started, outputTail };
    case 'finished':
      return { state: 'finished', exitCode: s.exitCode!, ...started, outputTail };
    case 'killed':
      return {
        state: 'finished',
        exitCode: KILLED_EXIT_CODE,
        ...started,
        outputTail: `${outputTail}\n${KILLED_NOTE}`.trim(),
      };
  }
}

// ---- start or attach ----------------------------------------------------------------------------

export interface RunProgress {
  phase: RunPhase | 'starting' | 'unreachable';
  startedAtMs?: number;
  outputBytes: number;
  /** Another run holds the host lease: this attempt waits for it (its run name). */
  waitingFor?: string;
}

export interface StartOrAttachOptions {
  /** How long the script may run (from its `started` marker, host clock) before ScriptTimeout. */
  timeoutMs: number;
  signal?: AbortSignal;
  heartbeat?: (p: RunProgress) => void;
  /** First poll interval; grows ×1.5 up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
}

export interface RunOutcome {
  exitCode: number;
  outputTail: string;
  startedAtMs: number;
  finishedAtMs: number;
  attached: boolean;
  waitedFor?: string;
}

export type StartAnswer =
  | { kind: 'claimed' }
  | { kind: 'exists'; claim: string }
  | { kind: 'busy'; runName: string }
  | { kind: 'done'; runName: string };

/** Pure: what the start command said. */
export function parseStartAnswer(stdout: string): StartAnswer | undefined {
  const line = stdout.split('\n').find((l) => /^(claimed|exists|busy|done)\b/.test(l));
  if (!line) return undefined;
  if (line.startsWith('claimed')) return { kind: 'claimed' };
  if (line.startsWith('exists')) return { kind: 'exists', claim: line.replace(/^exists claim=/, '').trim() };
  const runName = line.replace(/^(busy|done) run=/, '').trim();
  return line.startsWith('busy') ? { kind: 'busy', runName } : { kind: 'done', runName };
}

const EXEC_TIMEOUT_MS = 30_000;

/**
 * Start the node script for this run key, or attach to the run already there; poll until it
 * ends. Resolves for exit code 0; throws ScriptFailed (non-zero, killed, never launched) or
 * ScriptTimeout (still running past `timeoutMs`; it is left running), both non-retryable.
 */
export async function startOrAttach(
  target: NodeTarget,
  scriptUrl: string,
  runKey: RunKey,
  o: StartOrAttachOptions
): Promise<RunOutcome> {
  const host = target.node.id;
  const urlProblem = nodeScriptUrlProblem(scriptUrl);
  if (urlProblem) throw nonRetryable(`node script URL for ${host}: ${urlProblem}`, FailureTypes.InvalidPlan);
  const ownPaths = runPaths(target.remoteWorkDir, runKey);
  const earlierRuns = (runKey.earlierAttempts ?? []).map(
    (workflowId, i) => runPaths(target.remoteWorkDir, { workflowId, attempt: i + 1 }).runName
  );
  const nonce = randomUUID();
  let pollMs = o.pollMs ?? 500;
  const maxPollMs = o.maxPollMs ?? 5_000;
  const workerDeadline = Date.now() + o.timeoutMs + 5 * 60_000;
  const beat = (p: RunProgress) => o.heartbeat?.(p);

  // 1. claim and launch, or find the run already claimed (retrying through SSH trouble), or find
  // the host lease held by another run: then wait for that one and take its exit code.
  let claimedByUs = false;
  let paths = ownPaths;
  let waitedFor: string | undefined;
  for (;;) {
    try {
      const r = await runCommand(target, startCommand(ownPaths, scriptUrl, nonce, earlierRuns), {
        timeoutMs: EXEC_TIMEOUT_MS,
        signal: o.signal,
        label: 'claim and launch dcos_node_upgrade.sh',
      });
      if (r.signal) {
        // Killed mid-way (a reboot, the OOM killer): the claim is idempotent (its nonce), so look again.
        throw retryable(`${host}: the claim command was killed by ${r.signal}`, FailureTypes.RemoteCommandFailed, {
          host,
          step: 'claim run directory',
        });
      }
      if (r.exitCode !== 0) {
        throw nonRetryable(
          `${host}: could not claim the run directory ${ownPaths.dir} (exit ${r.exitCode}): ${tail(r.stderr || r.stdout, 5, 500)}. ` +
            `The SSH user needs passwordless sudo to create ${target.remoteWorkDir}, and flock (util-linux) on the host; fix it and retry the node.`,
          FailureTypes.RemoteCommandFailed,
          { host, step: 'claim run directory', expected: 'exit 0', seen: `exit ${r.exitCode}` }
        );
      }
      const answer = parseStartAnswer(r.stdout);
      if (answer?.kind === 'busy' || answer?.kind === 'done') {
        const other = pathsOfRunName(target.remoteWorkDir, answer.runName);
        if (!other) {
          throw retryable(
            `${host}: the host lease ${ownPaths.lockFile} is held, but ${ownPaths.currentFile} names no run ("${answer.runName}")`,
            FailureTypes.RemoteCommandFailed,
            { host, step: 'claim run directory' }
          );
        }
        paths = other;
        waitedFor = other.runName;
      } else {
        claimedByUs = answer?.kind === 'claimed' || (answer?.kind === 'exists' && answer.claim === nonce);
      }
      break;
    } catch (err) {
      if (o.signal?.aborted) throw abortReason(o.signal);
      if (isNonRetryable(err)) throw err;
      beat({ phase: 'unreachable', outputBytes: 0 });
      if (Date.now() > workerDeadline) throw err;
      await sleep(pollMs, o.signal);
      pollMs = Math.min(maxPollMs, pollMs * 1.5);
    }
  }
  beat({ phase: 'starting', outputBytes: 0, ...(waitedFor ? { waitingFor: waitedFor } : {}) });
  /** Host clock when we began waiting for another run: its time limit counts from here. */
  let waitingSinceMs: number | undefined;

  // 2. read its state until it ends, each read waiting on the host for the exit (see pollCommand).
  let waitMs = Math.min(FIRST_EXIT_WAIT_MS, o.timeoutMs);
  for (;;) {
    let s: RunSnapshot;
    try {
      const r = await runCommand(target, pollCommand(paths, 4096, waitMs), {
        timeoutMs: EXEC_TIMEOUT_MS + waitMs,
        signal: o.signal,
        label: 'read the node script state',
      });
      s = parseSnapshot(r.stdout);
    } catch (err) {
      if (o.signal?.aborted) throw abortReason(o.signal);
      if (isNonRetryable(err)) throw err;
      beat({ phase: 'unreachable', outputBytes: 0 });
      if (Date.now() > workerDeadline) {
        throw retryable(
          `${host}: cannot read the state of dcos_node_upgrade.sh (${errorText(err)}); it may still be running on the host.`,
          FailureTypes.SshUnreachable,
          { host, step: 'poll node script', runDir: paths.dir }
        );
      }
      await sleep(pollMs, o.signal);
      pollMs = Math.min(maxPollMs, pollMs * 1.5);
      continue;
    }
    const phase = phaseOf(s);
    if (waitedFor && waitingSinceMs === undefined) waitingSinceMs = s.hostNowMs;
    beat({
      phase,
      ...(s.startedAtMs !== undefined ? { startedAtMs: s.startedAtMs } : {}),
      outputBytes: s.outputBytes,
      ...(waitedFor ? { waitingFor: waitedFor } : {}),
    });
    const details = (extra: Record<string, unknown>) => ({
      host,
      step: 'dcos_node_upgrade.sh',
      runDir: paths.dir,
      outputTail: tail(s.outputTail),
      ...extra,
    });
    switch (phase) {
      case 'finished': {
        const exitCode = s.exitCode!;
        if (exitCode === 0) {
          return {
            exitCode,
            outputTail: tail(s.outputTail),
            startedAtMs: s.startedAtMs ?? s.claimedAtMs ?? 0,
            finishedAtMs: s.finishedAtMs ?? s.hostNowMs ?? Date.now(),
            attached: !claimedByUs,
            ...(waitedFor ? { waitedFor } : {}),
          };
        }
        const what = s.fetchFailed
          ? `could not download ${scriptUrl} onto the node (curl exit ${exitCode}); the script did not run. Check that the bootstrap server answers from ${target.node.address}`
          : `dcos_node_upgrade.sh exited ${exitCode} (expected 0). Read ${paths.dir}/output.log on the node; the diagnostics are collected`;
        throw nonRetryable(
          `${host}: ${what}.\n--- output tail ---\n${tail(s.outputTail, 15, 1500)}`,
          FailureTypes.ScriptFailed,
          {
            ...details({ exitCode, expected: 'exit 0', seen: `exit ${exitCode}` }),
          }
        );
      }
      case 'killed':
        throw nonRetryable(
          `${host}: dcos_node_upgrade.sh was killed (its runner, pid ${s.pid}, is gone without an exit code; reboot or kill). ` +
            `Check the node (pkgpanda resumes an interrupted swap at boot) before retrying.\n--- output tail ---\n${tail(s.outputTail, 15, 1500)}`,
          FailureTypes.ScriptFailed,
          details({ exitCode: KILLED_EXIT_CODE, expected: 'exit 0', seen: 'runner gone, no exit code' })
        );
      case 'never-launched':
        throw nonRetryable(
          `${host}: the run directory ${paths.dir} was claimed but the script was never launched (the launching SSH session was cut). ` +
            'Nothing ran on the host; retry the node with a new attempt.',
          FailureTypes.ScriptFailed,
          details({ exitCode: -1, expected: 'a runner pid', seen: 'claim without a pid' })
        );
      case 'not-started':
        throw retryable(
          `${host}: the run directory ${paths.dir} vanished after it was claimed (deleted on the host?)`,
          FailureTypes.RemoteCommandFailed,
          details({})
        );
      default: {
        const since = waitingSinceMs ?? s.startedAtMs ?? s.claimedAtMs;
        if (since !== undefined && s.hostNowMs !== undefined) waitMs = exitWaitMs(since + o.timeoutMs - s.hostNowMs);
        if (since !== undefined && s.hostNowMs !== undefined && s.hostNowMs - since > o.timeoutMs) {
          throw nonRetryable(
            (waitedFor
              ? `${host}: the earlier run ${waitedFor} of dcos_node_upgrade.sh holds the host and is still running after this attempt waited ${Math.round((s.hostNowMs - since) / 1000)} s for it (limit ${Math.round(o.timeoutMs / 1000)} s). `
              : `${host}: dcos_node_upgrade.sh has run ${Math.round((s.hostNowMs - since) / 1000)} s, past its ${Math.round(o.timeoutMs / 1000)} s limit. `) +
              `It is STILL RUNNING on the host (not killed: pkgpanda may be swapping packages). Look at ${paths.dir}/output.log.` +
              `\n--- output tail ---\n${tail(s.outputTail, 15, 1500)}`,
            FailureTypes.ScriptTimeout,
            details({ expected: `done within ${o.timeoutMs} ms`, seen: `${phase} after ${s.hostNowMs - since} ms` })
          );
        }
      }
    }
    // A live runner was waited on by the read itself; only a run not up yet is polled.
    if (phase === 'running' || phase === 'fetching') continue;
    await sleep(pollMs, o.signal);
    pollMs = Math.min(maxPollMs, pollMs * 1.5);
  }
}

/** How long one read waits on the host for the exit: at most 5 s (heartbeats keep flowing), never past the time limit. */
const MAX_EXIT_WAIT_MS = 5_000;
const FIRST_EXIT_WAIT_MS = 1_000;

function exitWaitMs(untilLimitMs: number): number {
  return Math.max(200, Math.min(MAX_EXIT_WAIT_MS, untilLimitMs + 100));
}

/** One SSH exec: is the host lease held, and by which run? Prints `held=0|1` and `run=<name>`. */
export function leaseCommand(remoteWorkDir: string): string {
  const p = runPaths(remoteWorkDir, { workflowId: 'lease', attempt: 1 });
  return [
    `l=${shq(p.lockFile)}`,
    LEASE_PROBE,
    'echo "held=$h"',
    `echo "run=$(cat ${shq(p.currentFile)} 2>/dev/null)"`,
  ].join('\n');
}

export interface LeaseHolder {
  held: boolean;
  runName?: string;
}

export function parseLease(stdout: string): LeaseHolder {
  const held = /^held=1$/m.test(stdout);
  const run = /^run=(.*)$/m.exec(stdout)?.[1]?.trim();
  return { held, ...(held && run ? { runName: run } : {}) };
}

/** Who holds this host's lease now (a live node script runner), if anyone. */
export async function readLease(target: NodeTarget, signal?: AbortSignal): Promise<LeaseHolder> {
  const r = await runCommand(target, leaseCommand(target.remoteWorkDir), {
    timeoutMs: EXEC_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
    label: 'read the host lease',
  });
  return parseLease(r.stdout);
}

/**
 * The state of a run on the host (abort reporting): not-started, running or finished. When this
 * run key never started because another run holds the host lease, that run is the one reported.
 */
export async function describeRun(target: NodeTarget, runKey: RunKey, signal?: AbortSignal): Promise<RemoteRunState> {
  const read = async (paths: RunPaths) => {
    const r = await runCommand(target, pollCommand(paths), {
      timeoutMs: EXEC_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
      label: 'read the node script state',
    });
    return describeSnapshot(parseSnapshot(r.stdout));
  };
  const own = await read(runPaths(target.remoteWorkDir, runKey));
  if (own.state !== 'not-started') return own;
  const lease = await readLease(target, signal);
  const other = lease.runName ? pathsOfRunName(target.remoteWorkDir, lease.runName) : undefined;
  if (!other) return own;
  const theirs = await read(other);
  return theirs.state === 'running' ? { ...theirs, runName: other.runName } : own;
}
