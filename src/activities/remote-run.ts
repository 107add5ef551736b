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
import { FailureTypes, type NodeTarget, type RemoteRunState, type RunKey } from '../shared/activity-types';
import { nodeScriptUrlProblem, tail } from './parsers';
import { runCommand } from './ssh';
import {
  ActivityErrorTypes,
  abortReason,
  errorText,
  isNonRetryable,
  nonRetryable,
  retryable,
  shq,
  sleep,
} from './util';

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
  const base = remoteWorkDir.replace(/\/+$/, '');
  const parent = `${base}/runs/${sanitizeWorkflowId(runKey.workflowId)}`;
  const leaf = `attempt-${runKey.attempt}`;
  const stagedLeaf = `${leaf}.staged`;
  return { parent, dir: `${parent}/${leaf}`, staged: `${parent}/${stagedLeaf}`, leaf, stagedLeaf };
}

/** Shell lines that make `$parent` exist and be writable by the SSH user (sudo for the part under /var/lib). */
function ensureParent(paths: RunPaths): string {
  return [
    `parent=${shq(paths.parent)}`,
    `if [ ! -d "$parent" ] || [ ! -w "$parent" ]; then`,
    `  { sudo -n mkdir -p "$parent" && sudo -n chown "$(id -u)" "$parent"; } || { echo "dcos-patch: cannot create $parent (needs passwordless sudo)" >&2; exit 70; }`,
    'fi',
  ].join('\n');
}

/** What the detached runner does, in the run directory, as the SSH user (only the script runs under sudo). */
export function runnerScript(paths: RunPaths): string {
  const staged = `../${paths.stagedLeaf}`;
  return [
    'echo $$ > pid',
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
 * One SSH exec: claim the run directory (mkdir = lock) and, only if we got it, launch the runner
 * detached. Prints `claimed pid=<pid>` or `exists claim=<nonce of whoever claimed it>`.
 */
export function startCommand(paths: RunPaths, url: string, nonce: string): string {
  return [
    ensureParent(paths),
    `dir=${shq(paths.dir)}`,
    'if mkdir "$dir" 2>/dev/null; then',
    '  cd "$dir" || exit 71',
    `  printf '%s\\n' ${shq(nonce)} > claim`,
    `  printf '%s\\n' ${shq(url)} > url`,
    `  { setsid nohup bash -c ${shq(runnerScript(paths))} < /dev/null > /dev/null 2>&1 & }`,
    '  i=0; while [ ! -s pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    '  echo "claimed pid=$(cat pid 2>/dev/null)"',
    'elif [ -d "$dir" ]; then',
    '  echo "exists claim=$(cat "$dir/claim" 2>/dev/null)"',
    'else',
    '  echo "dcos-patch: cannot create $dir" >&2; exit 72',
    'fi',
  ].join('\n');
}

export const TAIL_MARK = '--- output tail ---';

/** One SSH exec that reads the run's state; liveness first, then the files (so a run that just ended is not "killed"). */
export function pollCommand(paths: RunPaths, tailBytes = 4096): string {
  return [
    `cd ${shq(paths.dir)} 2>/dev/null || { echo state=absent; exit 0; }`,
    'echo state=present',
    'p=$(cat pid 2>/dev/null)',
    'if [ -n "$p" ]; then',
    '  if kill -0 "$p" 2>/dev/null; then a=1; else case "$(kill -0 "$p" 2>&1)" in *ermitted*) a=1 ;; *) a=0 ;; esac; fi',
    // A recycled pid (after a reboot) is not our runner: its working directory is elsewhere.
    '  c=$(readlink "/proc/$p/cwd" 2>/dev/null); if [ "$a" = 1 ] && [ -n "$c" ] && [ "$c" != "$(pwd -P)" ]; then a=0; fi',
    '  echo "alive=$a"',
    'fi',
    'echo "now=$(date +%s%3N)"',
    'echo "claimedAt=$(stat -c %Y claim 2>/dev/null || stat -c %Y .)"',
    'for f in pid claim started finished exit-code fetch-failed; do [ -f "$f" ] && echo "$f=$(head -c 100 "$f" | tr -d \'\\n\')"; done',
    'echo "bytes=$(wc -c < output.log 2>/dev/null || echo 0)"',
    `echo ${shq(TAIL_MARK)}`,
    `tail -c ${tailBytes} output.log 2>/dev/null`,
  ].join('\n');
}

export interface RunSnapshot {
  exists: boolean;
  pid?: number;
  alive?: boolean;
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
  const alive = kv.get('alive');
  return {
    exists: true,
    ...(num(kv.get('pid')) !== undefined ? { pid: num(kv.get('pid')) } : {}),
    ...(alive !== undefined ? { alive: alive === '1' } : {}),
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

export const NEVER_LAUNCHED_AFTER_MS = 60_000;

export function phaseOf(s: RunSnapshot): RunPhase {
  if (!s.exists) return 'not-started';
  if (s.exitCode !== undefined) return 'finished';
  if (s.pid === undefined) {
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
  const paths = runPaths(target.remoteWorkDir, runKey);
  const nonce = randomUUID();
  let pollMs = o.pollMs ?? 500;
  const maxPollMs = o.maxPollMs ?? 5_000;
  const workerDeadline = Date.now() + o.timeoutMs + 5 * 60_000;
  const beat = (p: RunProgress) => o.heartbeat?.(p);

  // 1. claim and launch, or find the run already claimed (retrying through SSH trouble).
  let claimedByUs = false;
  for (;;) {
    try {
      const r = await runCommand(target, startCommand(paths, scriptUrl, nonce), {
        timeoutMs: EXEC_TIMEOUT_MS,
        signal: o.signal,
        label: 'claim and launch dcos_node_upgrade.sh',
      });
      if (r.exitCode !== 0) {
        throw nonRetryable(
          `${host}: could not claim the run directory ${paths.dir} (exit ${r.exitCode}): ${tail(r.stderr || r.stdout, 5, 500)}. ` +
            `The SSH user needs passwordless sudo to create ${target.remoteWorkDir}; fix it and retry the node.`,
          ActivityErrorTypes.RemoteCommandFailed,
          { host, step: 'claim run directory', expected: 'exit 0', seen: `exit ${r.exitCode}` }
        );
      }
      const line = r.stdout.split('\n').find((l) => l.startsWith('claimed') || l.startsWith('exists')) ?? '';
      claimedByUs = line.startsWith('claimed') || line === `exists claim=${nonce}`;
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
  beat({ phase: 'starting', outputBytes: 0 });

  // 2. poll until it ends.
  for (;;) {
    let s: RunSnapshot;
    try {
      const r = await runCommand(target, pollCommand(paths), {
        timeoutMs: EXEC_TIMEOUT_MS,
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
          ActivityErrorTypes.SshUnreachable,
          { host, step: 'poll node script', runDir: paths.dir }
        );
      }
      await sleep(pollMs, o.signal);
      pollMs = Math.min(maxPollMs, pollMs * 1.5);
      continue;
    }
    const phase = phaseOf(s);
    beat({ phase, ...(s.startedAtMs !== undefined ? { startedAtMs: s.startedAtMs } : {}), outputBytes: s.outputBytes });
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
          ActivityErrorTypes.RemoteCommandFailed,
          details({})
        );
      default: {
        const since = s.startedAtMs ?? s.claimedAtMs;
        if (since !== undefined && s.hostNowMs !== undefined && s.hostNowMs - since > o.timeoutMs) {
          throw nonRetryable(
            `${host}: dcos_node_upgrade.sh has run ${Math.round((s.hostNowMs - since) / 1000)} s, past its ${Math.round(o.timeoutMs / 1000)} s limit. ` +
              `It is STILL RUNNING on the host (not killed: pkgpanda may be swapping packages). Look at ${paths.dir}/output.log.` +
              `\n--- output tail ---\n${tail(s.outputTail, 15, 1500)}`,
            FailureTypes.ScriptTimeout,
            details({ expected: `done within ${o.timeoutMs} ms`, seen: `${phase} after ${s.hostNowMs - since} ms` })
          );
        }
      }
    }
    await sleep(pollMs, o.signal);
    pollMs = Math.min(maxPollMs, pollMs * 1.5);
  }
}

/** The state of a run on the host (abort reporting): not-started, running or finished. */
export async function describeRun(target: NodeTarget, runKey: RunKey, signal?: AbortSignal): Promise<RemoteRunState> {
  const paths = runPaths(target.remoteWorkDir, runKey);
  const r = await runCommand(target, pollCommand(paths), {
    timeoutMs: EXEC_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
    label: 'read the node script state',
  });
  return describeSnapshot(parseSnapshot(r.stdout));
}
