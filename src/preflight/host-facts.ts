/**
 * Runbook step 1, the per-host preconditions: one read-only shell probe per host gathers what the
 * checks need (OS, systemd, IPv6 sysctl, ipset, sudo, installed DC/OS version, and on masters the
 * Marathon unit), and pure evaluators turn that into findings. Nothing here touches a network.
 */
import { parseDcosVersion } from '../activities/parsers';
import type { PreflightFinding } from '../shared/activity-types';
import { fail, pass, warn } from './catalog';
import { evaluateEventSubscriber, MARATHON_SCRIPT, oneLine } from './marathon';

export const MIN_SYSTEMD = 218;
/** `/etc/os-release` IDs (or ID_LIKE entries) of the CentOS/RHEL family, where DC/OS needs ipset. */
export const RHEL_FAMILY_IDS: readonly string[] = ['centos', 'rhel'];
export const DCOS_VERSION_FILE = '/opt/mesosphere/etc/dcos-version.json';

export type ProbeSection =
  | 'os-release'
  | 'systemd'
  | 'ipv6'
  | 'ipset'
  | 'sudo'
  | 'version'
  | 'marathon-script'
  | 'marathon-unit';

/** The shell commands of each probe section: read-only, no sudo except `sudo -n true`. */
export const PROBE_COMMANDS: Readonly<Record<ProbeSection, string>> = {
  'os-release': 'cat /etc/os-release',
  systemd: 'systemctl --version',
  ipv6: 'sysctl -n net.ipv6.conf.all.disable_ipv6',
  // Non-interactive SSH sessions often have no sbin directories on PATH: look there too.
  ipset:
    'command -v ipset && exit 0; for p in /usr/sbin/ipset /sbin/ipset; do if [ -x "$p" ]; then echo "$p"; exit 0; fi; done; exit 1',
  sudo: 'sudo -n true',
  version: `cat ${DCOS_VERSION_FILE}`,
  // The runbook's place for the flag: the unit only calls this script.
  'marathon-script': `cat ${MARATHON_SCRIPT}`,
  'marathon-unit': 'systemctl cat dcos-marathon',
};

const MARK = '@@dcos-patch-preflight';

/**
 * One shell script that runs every section and frames its output and exit status:
 * `@@dcos-patch-preflight begin <section>` … `@@dcos-patch-preflight end <section> <exit>`.
 * Each section runs in a subshell, so one failing never stops the others. A newline is printed
 * before the end marker (output without a final newline would hide it); the parser takes it off
 * again, so a section's output is byte for byte what its command printed.
 */
export function probeScript(sections: readonly ProbeSection[]): string {
  return sections
    .map(
      (s) =>
        `echo '${MARK} begin ${s}'; ( ${PROBE_COMMANDS[s]} ) </dev/null 2>&1; rc=$?; echo; echo "${MARK} end ${s} $rc"`
    )
    .join('\n');
}

export interface SectionResult {
  exitCode: number;
  output: string;
}

export type ProbeResult = Partial<Record<ProbeSection, SectionResult>>;

/** Split the probe's output back into sections; a section without its end marker is missing. */
export function parseProbeOutput(stdout: string): ProbeResult {
  const result: ProbeResult = {};
  const lines = stdout.split('\n');
  let current: { section: ProbeSection; lines: string[] } | undefined;
  for (const line of lines) {
    const begin = new RegExp(`^${MARK} begin (\\S+)$`).exec(line);
    const end = new RegExp(`^${MARK} end (\\S+) (\\d+)$`).exec(line);
    if (begin) {
      current = { section: begin[1] as ProbeSection, lines: [] };
    } else if (end && current && end[1] === current.section) {
      result[current.section] = { exitCode: Number(end[2]), output: current.lines.join('\n') };
      current = undefined;
    } else if (current) {
      current.lines.push(line);
    }
  }
  return result;
}

// ---- /etc/os-release --------------------------------------------------------------------------

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId?: string;
  prettyName?: string;
}

/** Parse /etc/os-release (shell-style KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): OsRelease {
  const vars: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let value = (m[2] ?? '').trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    vars[m[1]!] = value;
  }
  return {
    id: (vars.ID ?? 'linux').toLowerCase(),
    idLike: (vars.ID_LIKE ?? '')
      .toLowerCase()
      .split(/\s+/)
      .filter((s) => s.length > 0),
    ...(vars.VERSION_ID !== undefined ? { versionId: vars.VERSION_ID } : {}),
    ...(vars.PRETTY_NAME !== undefined ? { prettyName: vars.PRETTY_NAME } : {}),
  };
}

export function isRhelFamily(os: OsRelease): boolean {
  return RHEL_FAMILY_IDS.includes(os.id) || os.idLike.some((x) => RHEL_FAMILY_IDS.includes(x));
}

function osName(os: OsRelease): string {
  return os.prettyName ?? `${os.id}${os.versionId ? ` ${os.versionId}` : ''}`;
}

// ---- evaluators -------------------------------------------------------------------------------

/** `systemd 219` / `systemd 252 (252.5-2ubuntu3)` → 219 / 252. */
export function parseSystemdVersion(text: string): number | undefined {
  const m = /^systemd (\d+)\b/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function evaluateSystemd(host: string, r: SectionResult | undefined): PreflightFinding {
  const version = r ? parseSystemdVersion(r.output) : undefined;
  if (version === undefined) {
    return fail(
      'systemd-version',
      `cannot read the systemd version (systemctl --version: ${r ? `exit ${r.exitCode}, ${oneLine(r.output)}` : 'no answer'})`,
      host
    );
  }
  return version >= MIN_SYSTEMD
    ? pass('systemd-version', `systemd ${version}`, host)
    : fail('systemd-version', `systemd ${version} is older than ${MIN_SYSTEMD}`, host);
}

export function evaluateIpset(
  host: string,
  osText: SectionResult | undefined,
  ipset: SectionResult | undefined
): PreflightFinding {
  if (osText?.exitCode !== 0) {
    return fail(
      'ipset',
      `cannot read /etc/os-release to tell whether this is CentOS/RHEL (${osText ? oneLine(osText.output) : 'no answer'})`,
      host,
      'check /etc/os-release on that host'
    );
  }
  const os = parseOsRelease(osText.output);
  if (!isRhelFamily(os)) return pass('ipset', `not required on ${osName(os)}`, host);
  const path = ipset && ipset.exitCode === 0 ? ipset.output.split('\n')[0]?.trim() : undefined;
  return path
    ? pass('ipset', `installed on ${osName(os)} (${path})`, host)
    : fail('ipset', `ipset is not installed on ${osName(os)}`, host);
}

/**
 * `ipv6` on one host. `enabledInConfig` is whether the patched cluster runs with IPv6 (the new
 * config's enable_ipv6, true when absent). A missing `net.ipv6` sysctl means the kernel has no
 * IPv6 at all (ipv6.disable=1), which counts as disabled.
 */
export function evaluateIpv6(host: string, enabledInConfig: boolean, r: SectionResult | undefined): PreflightFinding {
  if (!enabledInConfig) return pass('ipv6', 'enable_ipv6 is false in the new config: no kernel requirement', host);
  if (!r) return fail('ipv6', 'cannot read net.ipv6.conf.all.disable_ipv6 (no answer)', host);
  const value = r.output.trim();
  const missing = r.exitCode !== 0 && /cannot stat|No such file|unknown key/i.test(value);
  if (value === '1' || missing) {
    return fail(
      'ipv6',
      `enable_ipv6 is on in the new config but the kernel has IPv6 disabled (${missing ? 'no net.ipv6 sysctl: ipv6.disable=1?' : 'net.ipv6.conf.all.disable_ipv6 = 1'})`,
      host
    );
  }
  if (r.exitCode === 0 && value === '0') return pass('ipv6', 'IPv6 enabled in the kernel', host);
  return fail('ipv6', `cannot read net.ipv6.conf.all.disable_ipv6 (exit ${r.exitCode}: ${oneLine(value)})`, host);
}

/** The cluster-wide reminder when the patched cluster runs with enable_ipv6 on. */
export function ipv6AdvisoryWarning(configHasKey: boolean): PreflightFinding {
  return warn(
    'ipv6',
    `enable_ipv6 is ${configHasKey ? 'true' : 'not set (DC/OS defaults it to true)'} in the new config.yaml: see the DC/OS overlay-network advisory`,
    undefined,
    'read the advisory; enable_ipv6 may not change on an installed cluster, so keep IPv6 enabled in the kernel of every host'
  );
}

export function evaluateSudo(host: string, r: SectionResult | undefined): PreflightFinding {
  if (r && r.exitCode === 0) return pass('sudo', 'sudo -n true works', host);
  return fail(
    'sudo',
    `sudo -n true failed (${r ? `exit ${r.exitCode}: ${oneLine(r.output)}` : 'no answer'}): sudo needs a password or is not allowed`,
    host
  );
}

/** The `version` of /opt/mesosphere/etc/dcos-version.json, or undefined. */
function installedVersionOf(text: string): string | undefined {
  try {
    return parseDcosVersion(text);
  } catch {
    return undefined;
  }
}

export function evaluateInstalledVersion(
  host: string,
  r: SectionResult | undefined,
  from: string,
  to: string
): PreflightFinding {
  const installed = r && r.exitCode === 0 ? installedVersionOf(r.output) : undefined;
  if (installed === undefined) {
    return fail(
      'installed-version',
      `cannot read ${DCOS_VERSION_FILE} (${r ? `exit ${r.exitCode}: ${oneLine(r.output)}` : 'no answer'})`,
      host,
      'check that DC/OS is installed on this host and the plan lists the right address'
    );
  }
  if (installed === from) return pass('installed-version', `runs ${installed} (cluster.from)`, host);
  if (installed === to) return pass('installed-version', `already runs ${to}: will be skipped`, host);
  return fail('installed-version', `runs ${installed}; the plan patches ${from} → ${to}`, host);
}

/** Which probe sections a host needs. */
export function sectionsFor(kind: 'bootstrap' | 'master' | 'agent'): ProbeSection[] {
  if (kind === 'bootstrap') return ['sudo'];
  const common: ProbeSection[] = ['sudo', 'version', 'systemd', 'os-release', 'ipset', 'ipv6'];
  return kind === 'master' ? [...common, 'marathon-script', 'marathon-unit'] : common;
}

/** All host findings from one probe's result (the host was reached). */
export function evaluateProbe(
  host: string,
  kind: 'bootstrap' | 'master' | 'agent',
  probe: ProbeResult,
  plan: { fromVersion: string; toVersion: string; ipv6Enabled: boolean }
): PreflightFinding[] {
  const findings: PreflightFinding[] = [evaluateSudo(host, probe.sudo)];
  if (kind === 'bootstrap') return findings;
  findings.push(
    evaluateInstalledVersion(host, probe.version, plan.fromVersion, plan.toVersion),
    evaluateSystemd(host, probe.systemd),
    evaluateIpset(host, probe['os-release'], probe.ipset),
    evaluateIpv6(host, plan.ipv6Enabled, probe.ipv6)
  );
  if (kind === 'master') {
    const unit = probe['marathon-unit'];
    const script = probe['marathon-script'];
    findings.push(
      unit && script
        ? evaluateEventSubscriber(host, script, unit)
        : fail(
            'marathon-event-subscribers',
            `no answer from cat ${MARATHON_SCRIPT} / systemctl cat dcos-marathon`,
            host
          )
    );
  }
  return findings;
}
