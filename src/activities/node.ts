/**
 * One DC/OS node, in runbook order: read what is installed, stage the node patch script before
 * the disruptive part, (agents) remove the conflicting libltdl.so.7, run the script detached
 * (never twice; see remote-run.ts), say what state a run is in, and collect the runbook's
 * troubleshooting output when something failed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { diffConfigs, parseDcosConfig } from '../plan/config-yaml';
import { Findings } from '../plan/findings';
import type {
  Diagnostics,
  NodeState,
  NodeTarget,
  RemoteRunState,
  RunKey,
  ScriptRunResult,
} from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import type { NodeRole } from '../shared/plan';
import { ensureWritableDir, fetchScriptLines, journalTail, shq } from '../shared/shell';
import { patchIsRunning } from './cluster-lock';
import { activityAttempt, activitySignal, beat, recordScriptRun } from './context';
import { excerpt, nodeScriptUrlProblem, parseDcosVersion, parseRoles } from './parsers';
import { prestagedDir } from './prestage';
import { describeRun, type RunPaths, runPaths, SCRIPT_NAME, startOrAttach } from './remote-run';
import { type CommandResult, runCommand } from './ssh';
import { errorText, isNonRetryable, nonRetryable, retryable, sleep } from './util';

export const DCOS_VERSION_FILE = '/opt/mesosphere/etc/dcos-version.json';
export const ROLES_DIR = '/etc/mesosphere/roles/';
export const USER_CONFIG_FILE = '/opt/mesosphere/etc/user.config.yaml';
export const LIBLTDL = '/opt/mesosphere/lib/libltdl.so.7';

const READ_MS = 30_000;
/** user.config.yaml missing: a distinct exit code of the read command. */
const ABSENT = 44;

// ---- readNodeState ------------------------------------------------------------------------------

export const READ_USER_CONFIG_COMMAND = `f=${USER_CONFIG_FILE}; [ -e "$f" ] || exit ${ABSENT}; cat "$f" 2>/dev/null || sudo -n cat "$f"`;

/** Pure: a NodeState from the three reads (the config compared as YAML data when a new config is given). */
export function nodeStateFrom(
  host: string,
  version: CommandResult,
  roles: CommandResult,
  userConfig: CommandResult,
  newConfigText?: { path: string; text: string }
): NodeState {
  if (version.exitCode !== 0) {
    throw retryable(
      `${host}: cannot read ${DCOS_VERSION_FILE} (exit ${version.exitCode}: ${excerpt(version.stderr) || 'no output'}). ` +
        'Is DC/OS installed here, or is pkgpanda swapping /opt/mesosphere right now?',
      FailureTypes.RemoteCommandFailed,
      { host, step: 'read installed version', expected: DCOS_VERSION_FILE, seen: excerpt(version.stderr) }
    );
  }
  let installedVersion: string;
  try {
    installedVersion = parseDcosVersion(version.stdout);
  } catch (err) {
    throw retryable(`${host}: ${errorText(err)}`, FailureTypes.RemoteCommandFailed, {
      host,
      step: 'read installed version',
    });
  }
  const roleList = roles.exitCode === 0 ? parseRoles(roles.stdout) : [];
  if (userConfig.exitCode === ABSENT) {
    return { installedVersion, roles: roleList, configHash: '', ...(newConfigText ? { configMatches: false } : {}) };
  }
  if (userConfig.exitCode !== 0) {
    throw retryable(
      `${host}: cannot read ${USER_CONFIG_FILE} (exit ${userConfig.exitCode}: ${excerpt(userConfig.stderr)})`,
      FailureTypes.RemoteCommandFailed,
      { host, step: 'read user.config.yaml' }
    );
  }
  const configHash = createHash('sha256').update(userConfig.stdout).digest('hex');
  if (!newConfigText) return { installedVersion, roles: roleList, configHash };
  const key = `${configHash}\0${newConfigText.path}\0${newConfigText.text}`;
  const known = configVerdicts.get(key);
  if (known !== undefined) return { installedVersion, roles: roleList, configHash, configMatches: known };
  const findings = new Findings();
  const installed = parseDcosConfig(userConfig.stdout, USER_CONFIG_FILE, findings);
  const wanted = parseDcosConfig(newConfigText.text, newConfigText.path, findings);
  if (!wanted) {
    throw nonRetryable(
      `the new config.yaml ${newConfigText.path} is not usable: ${findings.all[0]?.message ?? 'not a mapping'}`,
      FailureTypes.InvalidPlan,
      { step: 'read new config.yaml' }
    );
  }
  return {
    installedVersion,
    roles: roleList,
    configHash,
    configMatches: remember(key, installed !== undefined && diffConfigs(installed, wanted).length === 0),
  };
}

/**
 * Whether an installed user.config.yaml (by its sha256) says what the plan's new config.yaml says:
 * the nodes of a cluster mostly share one, so each pair is parsed and compared once per worker.
 */
const configVerdicts = new Map<string, boolean>();

function remember(key: string, matches: boolean): boolean {
  if (configVerdicts.size >= 64) configVerdicts.delete(configVerdicts.keys().next().value!);
  configVerdicts.set(key, matches);
  return matches;
}

/**
 * What the host runs now: DC/OS version, roles, sha256 of user.config.yaml ('' when absent) and,
 * given the plan's new config.yaml (a path on the worker), whether the installed config says the same.
 */
export async function readNodeState(target: NodeTarget, newConfigPath?: string): Promise<NodeState> {
  let newConfigText: { path: string; text: string } | undefined;
  if (newConfigPath) {
    try {
      newConfigText = { path: newConfigPath, text: readFileSync(newConfigPath, 'utf8') };
    } catch (err) {
      throw nonRetryable(
        `cannot read the new config.yaml ${newConfigPath} on the worker (${errorText(err)}); make it readable where the worker runs`,
        FailureTypes.InvalidPlan,
        { step: 'read new config.yaml', path: newConfigPath }
      );
    }
  }
  const signal = activitySignal();
  const opts = { timeoutMs: READ_MS, ...(signal ? { signal } : {}) };
  const [version, roles, userConfig] = await Promise.all([
    runCommand(target, `cat ${DCOS_VERSION_FILE}`, opts),
    runCommand(target, `ls ${ROLES_DIR}`, opts),
    runCommand(target, READ_USER_CONFIG_COMMAND, { ...opts, label: `read ${USER_CONFIG_FILE}` }),
  ]);
  return nodeStateFrom(target.node.id, version, roles, userConfig, newConfigText);
}

// ---- prepareAgent -------------------------------------------------------------------------------

export const REMOVE_LIBLTDL_COMMAND = `f=${LIBLTDL}; if [ -e "$f" ] || [ -L "$f" ]; then sudo -n rm -f "$f" && echo removed; else echo absent; fi`;

/** Agents: delete /opt/mesosphere/lib/libltdl.so.7 if present (it conflicts with the new packages). */
export async function prepareAgent(target: NodeTarget): Promise<{ removed: boolean }> {
  const signal = activitySignal();
  const r = await runCommand(target, REMOVE_LIBLTDL_COMMAND, {
    timeoutMs: READ_MS,
    ...(signal ? { signal } : {}),
    label: `remove ${LIBLTDL}`,
  });
  const said = r.stdout.trim();
  if (r.exitCode !== 0 || (said !== 'removed' && said !== 'absent')) {
    throw retryable(
      `${target.node.id}: could not remove ${LIBLTDL} (exit ${r.exitCode}: ${excerpt(r.stderr || r.stdout)}). The node script refuses to run while it exists.`,
      FailureTypes.RemoteCommandFailed,
      { host: target.node.id, step: 'remove libltdl.so.7', expected: 'removed or absent', seen: excerpt(r.stderr) }
    );
  }
  return { removed: said === 'removed' };
}

// ---- agentDownSince -----------------------------------------------------------------------------

/** The agent unit's last stop, as µs since boot, and the host's uptime: how long ago the agent went quiet. */
export function agentDownCommand(role: NodeRole): string {
  const unit = role === 'public-agent' ? 'dcos-mesos-slave-public' : 'dcos-mesos-slave';
  return `systemctl show -p InactiveEnterTimestampMonotonic --value ${unit}; cat /proc/uptime`;
}

/** Pure: how long ago (ms) the unit stopped, from the command's two lines; undefined when it never stopped. */
export function downForMs(stdout: string): number | undefined {
  const [mono, up] = stdout.trim().split('\n');
  const monoUs = Number(mono?.trim());
  const uptimeS = Number(up?.trim().split(/\s+/)[0]);
  if (!Number.isFinite(monoUs) || monoUs <= 0 || !Number.isFinite(uptimeS)) return undefined;
  const ago = uptimeS * 1000 - monoUs / 1000;
  return ago >= 0 ? ago : undefined;
}

/**
 * Agents, after the script: when the agent's dcos-mesos-slave last stopped — the moment the
 * masters stopped hearing from it, where their 5-minute window starts (on the worker's clock,
 * from the host's monotonic clock, so skew does not matter). Undefined when it cannot be told.
 */
export async function agentDownSince(target: NodeTarget): Promise<{ sinceMs?: number }> {
  const signal = activitySignal();
  const r = await runCommand(target, agentDownCommand(target.node.role), {
    timeoutMs: READ_MS,
    ...(signal ? { signal } : {}),
    label: 'when did the agent unit stop',
  });
  const ago = r.exitCode === 0 ? downForMs(r.stdout) : undefined;
  return ago === undefined ? {} : { sinceMs: Date.now() - ago };
}

// ---- stageScript --------------------------------------------------------------------------------

export interface StageResult {
  /** Where the script was put on the host ('' when the run had already started). */
  path: string;
  bytes: number;
  /** The run for this key had already been started: nothing staged (the run uses its own copy). */
  alreadyStarted: boolean;
}

export function stageCommand(paths: RunPaths, url: string, prestaged?: string): string {
  const file = `${paths.staged}/${SCRIPT_NAME}`;
  const pre = prestaged ? `${prestaged}/${SCRIPT_NAME}` : undefined;
  return [
    `if [ -d ${shq(paths.dir)} ]; then echo already-started; exit 0; fi`,
    ensureWritableDir(paths.parent),
    `mkdir -p ${shq(paths.staged)} || exit 70`,
    // Pre-staged while the masters were patched (same URL): a local copy, no download.
    ...(pre && prestaged
      ? [
          `if [ -s ${shq(pre)} ] && [ "$(cat ${shq(`${prestaged}/url`)} 2>/dev/null)" = ${shq(url)} ] && cp -f ${shq(pre)} ${shq(`${file}.part`)}; then`,
          `  mv -f ${shq(`${file}.part`)} ${shq(file)} && printf '%s\\n' ${shq(url)} > ${shq(`${paths.staged}/url`)}`,
          `  echo "staged bytes=$(wc -c < ${shq(file)}) from=pre-staged"; exit 0`,
          'fi',
        ]
      : []),
    ...fetchScriptLines(paths.staged, SCRIPT_NAME, url),
    `echo "staged bytes=$(wc -c < ${shq(file)})"`,
  ].join('\n');
}

/** Transient curl failures worth a quick second try: resolve, connect, timeout, HTTP 5xx. */
function curlTransient(code: number, stderr: string): boolean {
  if ([6, 7, 28, 52, 56].includes(code)) return true;
  return code === 22 && /error: 5\d\d/.test(stderr);
}

/**
 * Download the node script onto the host (beside the run directory) before anything disruptive,
 * so an unreachable bootstrap server fails here, clearly, with the node untouched.
 */
export async function stageScript(target: NodeTarget, scriptUrl: string, runKey: RunKey): Promise<StageResult> {
  const host = target.node.id;
  const problem = nodeScriptUrlProblem(scriptUrl);
  if (problem) throw nonRetryable(`node script URL for ${host}: ${problem}`, FailureTypes.InvalidPlan);
  const paths = runPaths(target.remoteWorkDir, runKey);
  const signal = activitySignal();
  for (let attempt = 1; ; attempt++) {
    const r = await runCommand(target, stageCommand(paths, scriptUrl, prestagedDir(target.remoteWorkDir, scriptUrl)), {
      timeoutMs: 150_000,
      ...(signal ? { signal } : {}),
      label: `download ${SCRIPT_NAME} onto the node`,
    });
    if (r.exitCode !== 0) {
      throw nonRetryable(
        `${host}: cannot stage the node script (exit ${r.exitCode}: ${excerpt(r.stderr || r.stdout)}). The SSH user needs passwordless sudo to create ${target.remoteWorkDir}.`,
        FailureTypes.RemoteCommandFailed,
        { host, step: 'stage node script' }
      );
    }
    const out = r.stdout.trim();
    if (out === 'already-started') return { path: '', bytes: 0, alreadyStarted: true };
    const staged = /staged bytes=\s*(\d+)/.exec(out);
    if (staged) return { path: `${paths.staged}/${SCRIPT_NAME}`, bytes: Number(staged[1]), alreadyStarted: false };
    const curl = /curl-exit=(\d+)/.exec(out);
    if (curl) {
      const code = Number(curl[1]);
      if (curlTransient(code, r.stderr) && attempt < 3) {
        await sleep(1_000 * attempt, signal);
        continue;
      }
      throw nonRetryable(
        `${host}: the bootstrap URL ${scriptUrl} does not answer from the node (curl exit ${code}: ${excerpt(r.stderr) || 'no message'}). ` +
          'Nothing was changed on the node. Check that genconf/serve is served over HTTP on the bootstrap node (the docs use an nginx container) and reachable from this host.',
        FailureTypes.BootstrapFailed,
        {
          host,
          step: 'stage node script',
          url: scriptUrl,
          expected: 'HTTP 200 with the script',
          seen: `curl exit ${code}`,
        }
      );
    }
    const notScript = /not-a-script=(.*)/.exec(out);
    throw nonRetryable(
      `${host}: ${scriptUrl} did not return a shell script (starts with "${notScript?.[1] ?? excerpt(out)}"). Is bootstrap_url pointing at the right server?`,
      FailureTypes.BootstrapFailed,
      { host, step: 'stage node script', url: scriptUrl, expected: 'a script starting with #!' }
    );
  }
}

// ---- runPatchScript / describeRemoteRun ---------------------------------------------------------

/**
 * Run dcos_node_upgrade.sh on the node for this run key: start it detached, or attach to the run
 * already there (a retry, a new worker), and wait for its exit code, heartbeating. Non-zero →
 * ScriptFailed; past timeoutMs → ScriptTimeout (left running). Both non-retryable.
 */
export async function runPatchScript(
  target: NodeTarget,
  scriptUrl: string,
  runKey: RunKey,
  timeoutMs: number
): Promise<ScriptRunResult> {
  await refuseIfPatchGone(target, runKey);
  const r = await startOrAttach(target, scriptUrl, runKey, {
    timeoutMs,
    signal: activitySignal(),
    heartbeat: beat,
  });
  if (r.startedAtMs && r.finishedAtMs)
    recordScriptRun(target.node.role, (r.finishedAtMs - r.startedAtMs) / 1000, r.exitCode);
  return r;
}

/**
 * An agent's node workflow outlives its patch's continue-as-new, so a terminated patch does not
 * cancel it: no script starts once the patch is gone. A retry still attaches to a run it claimed.
 */
async function refuseIfPatchGone(target: NodeTarget, runKey: RunKey): Promise<void> {
  const owner = runKey.patchWorkflowId;
  if (!owner || (await patchIsRunning(owner))) return;
  if (activityAttempt() > 1 && (await describeRun(target, runKey, activitySignal())).state !== 'not-started') return;
  throw nonRetryable(
    `${target.node.id}: the patch ${owner} is no longer running (terminated?): dcos_node_upgrade.sh is not started for it`,
    FailureTypes.PatchGone,
    { host: target.node.id, step: 'run dcos_node_upgrade.sh' }
  );
}

/** For abort reporting: has the script for this run key not started, is it running, or finished (exit code)? */
export async function describeRemoteRun(target: NodeTarget, runKey: RunKey): Promise<RemoteRunState> {
  return describeRun(target, runKey, activitySignal());
}

// ---- collectDiagnostics -------------------------------------------------------------------------

const SECTION_MS = 20_000;
const SECTION_BYTES = 3_000;

/** DC/OS before 1.11 runs dcos-spartan, later releases dcos-net. */
export function netUnit(dcosVersion: string | undefined): string {
  const m = dcosVersion ? /^(\d+)\.(\d+)/.exec(dcosVersion) : null;
  if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 11))) return 'dcos-spartan';
  return 'dcos-net';
}

/** The runbook's troubleshooting commands for a node of this role (after the version read). */
export function diagnosticCommands(role: NodeRole, dcosVersion: string | undefined, paths?: RunPaths): string[] {
  const cmds = [
    journalTail('dcos-download'),
    journalTail(netUnit(dcosVersion)),
    'systemctl | grep dcos',
    'sudo -n /opt/mesosphere/bin/dcos-check-runner check node-poststart',
  ];
  if (role === 'master') {
    cmds.push(
      journalTail('dcos-exhibitor'),
      journalTail('dcos-mesos-master'),
      journalTail('dcos-mesos-dns'),
      'sudo -n tail -n 50 /opt/mesosphere/active/exhibitor/usr/zookeeper/zookeeper.out'
    );
  } else {
    cmds.push(journalTail(role === 'public-agent' ? 'dcos-mesos-slave-public' : 'dcos-mesos-slave'));
  }
  if (paths) {
    cmds.push(`ls -l --time-style=+%s ${shq(paths.dir)}`, `tail -n 60 ${shq(`${paths.dir}/output.log`)}`);
  }
  return cmds;
}

function clip(text: string): string {
  return text.length > SECTION_BYTES ? `[…truncated…]\n${text.slice(-SECTION_BYTES)}` : text;
}

async function section(
  target: NodeTarget,
  command: string,
  signal: AbortSignal | undefined
): Promise<Diagnostics['sections'][number]> {
  try {
    const r = await runCommand(target, command, {
      timeoutMs: SECTION_MS,
      maxOutputBytes: 256 * 1024,
      ...(signal ? { signal } : {}),
    });
    const output = [r.stdout.trimEnd(), r.stderr.trimEnd()].filter((s) => s.length > 0).join('\n');
    return { command, exitCode: r.exitCode, output: clip(output) };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { command, exitCode: -1, output: `dcos-patch: could not run it: ${errorText(err)}` };
  }
}

/**
 * The runbook's troubleshooting output for this node (all nodes, then master or agent units,
 * then the node script's output when a run key is given). Never throws for a failing section:
 * each records its exit code (-1 when it could not be run, e.g. the host is unreachable).
 */
export async function collectDiagnostics(target: NodeTarget, runKey?: RunKey): Promise<Diagnostics> {
  const signal = activitySignal();
  const collectedAtMs = Date.now();
  const sections: Diagnostics['sections'] = [];
  const first = await section(target, `cat ${DCOS_VERSION_FILE}`, signal);
  sections.push(first);
  let version: string | undefined;
  try {
    version = first.exitCode === 0 ? parseDcosVersion(first.output) : undefined;
  } catch {
    version = undefined;
  }
  const result = (): Diagnostics => ({ node: target.node.id, role: target.node.role, collectedAtMs, sections });
  // Unreachable (or a host key problem): one section says so; running the rest would only repeat it.
  if (first.exitCode === -1) return result();
  let paths: RunPaths | undefined;
  try {
    paths = runKey ? runPaths(target.remoteWorkDir, runKey) : undefined;
  } catch (err) {
    if (!isNonRetryable(err)) throw err;
  }
  const commands = diagnosticCommands(target.node.role, version, paths);
  const outputs = new Array<Diagnostics['sections'][number]>(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      outputs[i] = await section(target, commands[i]!, signal);
      beat({ phase: 'diagnostics', done: i + 1, of: commands.length });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  sections.push(...outputs);
  return result();
}
