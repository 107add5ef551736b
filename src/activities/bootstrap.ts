/**
 * Runbook step 2 on the bootstrap node: put the new config.yaml, ip-detect and (Enterprise)
 * license.txt into `<installerDir>/genconf/`, run
 * `dcos_generate_config.sh --generate-node-upgrade-script <installed version>`, read the
 * "Node upgrade script URL:" line, and make sure that URL answers, from the bootstrap node and
 * from the worker, before any node is touched.
 */
import { readFileSync } from 'node:fs';
import type { BootstrapInput, BootstrapResult } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import { shq } from '../shared/shell';
import { activitySignal, beat } from './context';
import { httpRequest } from './http';
import { excerpt, parseNodeScriptUrl, tail } from './parsers';
import { runCommand, type SshEndpoint } from './ssh';
import { errorText, nonRetryable } from './util';

/** The generator can take minutes on a real node (it loads a docker image). */
const GENERATOR_TIMEOUT_MS = 40 * 60_000;
const COPY_MS = 60_000;
const HEARTBEAT_EVERY_MS = 10_000;

export function bootstrapEndpoint(plan: BootstrapInput['plan']): SshEndpoint {
  return {
    node: {
      id: `bootstrap-${plan.bootstrap.address}`,
      address: plan.bootstrap.address,
      sshPort: plan.bootstrap.sshPort,
    },
    ssh: plan.ssh,
  };
}

export function generatorCommand(plan: BootstrapInput['plan']): string {
  const { installerDir, installerName } = plan.bootstrap;
  return `cd ${shq(installerDir)} && sudo -n bash ${shq(installerName)} --generate-node-upgrade-script ${shq(plan.fromVersion)}`;
}

/** `dcos_generate_config.sh --version` prints `{"version": "2.1.5", "variant": ""}` ("ee" on Enterprise). */
export function installerVersionCommand(plan: BootstrapInput['plan']): string {
  const { installerDir, installerName } = plan.bootstrap;
  return `cd ${shq(installerDir)} && sudo -n bash ${shq(installerName)} --version`;
}

/** Pure: what the installer says it is, or undefined when its answer is not that JSON. */
export function parseInstallerVersion(output: string): { version: string; variant: 'open' | 'enterprise' } | undefined {
  for (const line of output.split('\n').reverse()) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const j = JSON.parse(t) as { version?: unknown; variant?: unknown };
      if (typeof j.version !== 'string') continue;
      return { version: j.version, variant: j.variant === 'ee' ? 'enterprise' : 'open' };
    } catch {
      // not the version line
    }
  }
  return undefined;
}

/**
 * The runbook puts the old config and ip-detect in an *empty* genconf/: whatever an earlier
 * install or generator run left there (except serve/, which the HTTP server may be serving from)
 * is moved aside into `genconf.before-dcos-patch-<stamp>/`, never deleted.
 */
export function emptyGenconfCommand(genconf: string, stamp: string): string {
  const aside = `${genconf}.before-dcos-patch-${stamp}`;
  return [
    `g=${shq(genconf)}; a=${shq(aside)}`,
    'sudo -n mkdir -p "$g" || exit 1',
    'for f in "$g"/* "$g"/.[!.]*; do',
    '  [ -e "$f" ] || [ -L "$f" ] || continue',
    '  [ "$f" = "$g/serve" ] && continue',
    '  sudo -n mkdir -p "$a" && sudo -n mv "$f" "$a/" || exit 1',
    '  echo "moved aside: $(basename "$f")"',
    'done',
  ].join('\n');
}

/** Copy one file's content (read on the worker) into genconf/ over SSH stdin. */
export function copyCommand(genconf: string, name: string, mode: string): string {
  const dest = `${genconf}/${name}`;
  return `sudo -n mkdir -p ${shq(genconf)} && sudo -n tee ${shq(dest)} > /dev/null && sudo -n chmod ${mode} ${shq(dest)}`;
}

function readConfigFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw nonRetryable(
      `bootstrap: cannot read ${what} ${path} on the worker (${errorText(err)}); make it readable where the worker runs`,
      FailureTypes.InvalidPlan,
      { step: 'copy genconf', path }
    );
  }
}

function failed(message: string, details: Record<string, unknown>): Error {
  return nonRetryable(message, FailureTypes.BootstrapFailed, { step: 'bootstrap', ...details });
}

/** Run `fn` while heartbeating `details()` every few seconds (long SSH commands send nothing meanwhile). */
async function heartbeating<T>(details: () => unknown, fn: () => Promise<T>): Promise<T> {
  beat(details());
  const timer = setInterval(() => beat(details()), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export async function prepareBootstrap(input: BootstrapInput): Promise<BootstrapResult> {
  const { plan } = input;
  const ep = bootstrapEndpoint(plan);
  const host = ep.node.id;
  const signal = activitySignal();
  const genconf = `${plan.bootstrap.installerDir.replace(/\/+$/, '')}/genconf`;

  // 0. the installer must be the plan's target release and variant, or it would patch to another.
  beat({ phase: 'checking-installer' });
  const ver = await runCommand(ep, installerVersionCommand(plan), {
    timeoutMs: COPY_MS,
    signal,
    label: `${plan.bootstrap.installerName} --version`,
  });
  const installer = parseInstallerVersion(ver.stdout);
  if (!installer) {
    throw failed(
      `${host}: ${plan.bootstrap.installerDir}/${plan.bootstrap.installerName} --version did not print its version (exit ${ver.exitCode}: ${excerpt(ver.stderr || ver.stdout) || 'no output'}). Is bootstrap.installerDir the directory of the DC/OS ${plan.toVersion} installer?`,
      { host, expected: '{"version": …}', seen: excerpt(ver.stdout) }
    );
  }
  if (installer.version !== plan.toVersion || installer.variant !== plan.variant) {
    throw nonRetryable(
      `${host}: the installer ${plan.bootstrap.installerDir}/${plan.bootstrap.installerName} is DC/OS ${installer.version} (${installer.variant}), ` +
        `but the plan patches to ${plan.toVersion} (${plan.variant}). No node was touched. Put the DC/OS ${plan.toVersion} installer there, or fix cluster.to / cluster.variant.`,
      FailureTypes.InvalidPlan,
      {
        step: 'bootstrap',
        host,
        expected: `${plan.toVersion} (${plan.variant})`,
        seen: `${installer.version} (${installer.variant})`,
      }
    );
  }

  // 1. genconf/, emptied first: the new config (already merged into the new release's format), ip-detect, license.
  const emptied = await runCommand(ep, emptyGenconfCommand(genconf, String(Date.now())), {
    timeoutMs: COPY_MS,
    signal,
    label: `empty ${genconf}/`,
  });
  if (emptied.exitCode !== 0) {
    throw failed(`${host}: could not empty ${genconf}/ (exit ${emptied.exitCode}: ${excerpt(emptied.stderr)})`, {
      host,
    });
  }
  const files: { name: string; path: string; what: string; mode: string }[] = [
    { name: 'config.yaml', path: plan.config.newConfigPath, what: 'the new config.yaml', mode: '0644' },
    { name: 'ip-detect', path: plan.config.ipDetectPath, what: 'ip-detect', mode: '0755' },
  ];
  if (plan.variant === 'enterprise') {
    if (!plan.config.licensePath) {
      throw nonRetryable(
        'bootstrap: DC/OS Enterprise needs genconf/license.txt; set config.license in the plan',
        FailureTypes.InvalidPlan,
        { step: 'copy genconf' }
      );
    }
    files.push({ name: 'license.txt', path: plan.config.licensePath, what: 'license.txt', mode: '0600' });
  }
  for (const f of files) {
    const content = readConfigFile(f.path, f.what);
    beat({ phase: 'copying', file: f.name });
    const r = await runCommand(ep, copyCommand(genconf, f.name, f.mode), {
      timeoutMs: COPY_MS,
      stdin: content,
      signal,
      label: `copy ${f.name} to ${genconf}/`,
    });
    if (r.exitCode !== 0) {
      throw failed(
        `${host}: could not write ${genconf}/${f.name} (exit ${r.exitCode}: ${excerpt(r.stderr || r.stdout)}). The SSH user needs passwordless sudo there.`,
        { host, expected: 'exit 0', seen: `exit ${r.exitCode}` }
      );
    }
  }

  // 2. the generator.
  const started = Date.now();
  const gen = await heartbeating(
    () => ({ phase: 'generating', elapsedMs: Date.now() - started }),
    () =>
      runCommand(ep, generatorCommand(plan), {
        timeoutMs: GENERATOR_TIMEOUT_MS,
        signal,
        label: `${plan.bootstrap.installerName} --generate-node-upgrade-script ${plan.fromVersion}`,
      })
  );
  const output = [gen.stdout, gen.stderr].filter((s) => s.trim().length > 0).join('\n');
  const generatorOutputTail = tail(output, 30, 3000);
  if (gen.exitCode !== 0) {
    throw failed(
      `${host}: ${plan.bootstrap.installerName} --generate-node-upgrade-script ${plan.fromVersion} exited ${gen.exitCode}. ` +
        `Fix what its output says (genconf/config.yaml, ip-detect, license, installer version) and retry.\n--- output tail ---\n${tail(output, 15, 1500)}`,
      { host, expected: 'exit 0', seen: `exit ${gen.exitCode}`, outputTail: generatorOutputTail }
    );
  }
  const parsed = parseNodeScriptUrl(output);
  if ('problem' in parsed) {
    throw failed(
      `${host}: the generator finished but ${parsed.problem}. Run it by hand in ${plan.bootstrap.installerDir} and read its output.\n--- output tail ---\n${tail(output, 15, 1500)}`,
      {
        host,
        expected: 'a line "Node upgrade script URL: <url>/dcos_node_upgrade.sh"',
        seen: parsed.problem,
        outputTail: generatorOutputTail,
      }
    );
  }
  const scriptUrl = parsed.url;

  // 3. the URL must answer: from the bootstrap node itself, then from the worker.
  beat({ phase: 'checking-url' });
  const fromBootstrap = await runCommand(
    ep,
    // Fetched as the nodes will fetch it; its checksum is what every pre-staged copy must have.
    [
      't=$(mktemp) || exit 75',
      `curl -fsS -o "$t" --connect-timeout 10 --max-time 30 ${shq(scriptUrl)}`,
      'rc=$?',
      '[ $rc -eq 0 ] && echo "sha256=$(sha256sum "$t" | cut -d\' \' -f1)"',
      'rm -f "$t"',
      'exit $rc',
    ].join('\n'),
    { timeoutMs: 45_000, signal, label: 'fetch the script URL on the bootstrap node' }
  );
  const serveHint =
    'Serve genconf/serve over HTTP at bootstrap_url (the docs run an nginx container with genconf/serve as its document root).';
  if (fromBootstrap.exitCode !== 0) {
    throw failed(
      `${host}: ${scriptUrl} does not answer on the bootstrap node itself (curl exit ${fromBootstrap.exitCode}: ${excerpt(fromBootstrap.stderr)}). ${serveHint}`,
      { host, url: scriptUrl, expected: 'HTTP 200', seen: `curl exit ${fromBootstrap.exitCode}` }
    );
  }
  const scriptSha256 = /^sha256=([0-9a-f]{64})$/m.exec(fromBootstrap.stdout)?.[1];
  const workerWarning = await workerCannotFetch(scriptUrl, signal);
  return {
    scriptUrl,
    generatorOutputTail,
    ...(scriptSha256 ? { scriptSha256 } : {}),
    ...(workerWarning ? { workerWarning } : {}),
  };
}

/**
 * The nodes fetch the script, not the worker: a worker that cannot (a site that lets only SSH
 * through) is told, not failed. The nodes' own fetch is what counts: the agents pre-stage it.
 */
async function workerCannotFetch(scriptUrl: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  let seen: string;
  try {
    let res = await httpRequest(scriptUrl, { method: 'HEAD', timeoutMs: 15_000, signal, host: 'worker' });
    if (res.status === 405 || res.status === 501) {
      res = await httpRequest(scriptUrl, { method: 'GET', timeoutMs: 30_000, signal, host: 'worker' });
    }
    if (res.status === 200) return undefined;
    seen = `HTTP ${res.status}`;
  } catch (err) {
    if (signal?.aborted) throw err;
    seen = errorText(err);
  }
  return `${scriptUrl} answers on the bootstrap node but not from the worker (${seen}); the nodes fetch it themselves (the agents while the masters are patched), so this only matters if they cannot reach the bootstrap node either`;
}
