/**
 * Runbook step 2's comparison of the old and new config.yaml, and the rules of "Rules" in
 * FACTS.md that are about configuration: never config and version in one run, only the listed
 * parameters change, no path/pathway change, the Exhibitor backend never changes, security only
 * becomes stricter (one step, alone, on the target version), the IPv6 advisory, master_list and
 * bootstrap_url.
 */
import type { NodeSpec, SecurityMode, Variant } from '../shared/plan';
import {
  type ConfigChange,
  configEnablesIpv6,
  configString,
  type DcosConfig,
  diffConfigs,
  displayConfigValue,
  normalizeConfigValue,
} from './config-yaml';
import type { Findings } from './findings';
import {
  ALLOWED_CONFIG_CHANGES,
  DOCS,
  ENTERPRISE_DEFAULT_SECURITY,
  GEN_DEFAULTS,
  isPathKey,
  NEVER_CHANGE_KEYS,
  SECURITY_ORDER,
} from './rules';
import { isAtLeast } from './versions';

export interface ConfigRuleInput {
  /** The plan file (for findings about the plan's own fields). */
  planFile: string;
  oldPath: string;
  newPath: string;
  oldConfig: DcosConfig;
  newConfig: DcosConfig;
  variant: Variant | undefined;
  from: string | undefined;
  to: string | undefined;
  /** True when from ≠ to (a version patch); undefined when the versions are unusable. */
  versionChanges: boolean | undefined;
  masters: NodeSpec[];
  bootstrapAddress: string | undefined;
}

export interface ConfigRuleOutcome {
  /** Parameters whose meaning changes (security compared by effective mode; gen defaults applied). */
  changes: ConfigChange[];
  securityFrom: SecurityMode;
  securityTo: SecurityMode;
  /** The patched cluster runs with IPv6 enabled (preflight refuses hosts whose kernel has it off). */
  enableIpv6: boolean;
}

export function checkConfigs(input: ConfigRuleInput, findings: Findings): ConfigRuleOutcome {
  const { newPath } = input;
  const security = checkSecurityModes(input, findings);
  const changes = diffConfigs(input.oldConfig, input.newConfig).filter(
    (c) => c.key !== 'security' && !isDefaultMigration(c, input.to)
  );
  if (security.from !== security.to) {
    changes.push({ key: 'security', change: 'changed', old: security.from, new: security.to });
  }

  const pendingForLater: ConfigChange[] = [];
  for (const c of changes) {
    const key = c.key;
    if (NEVER_CHANGE_KEYS.includes(key)) {
      findings.error(
        newPath,
        key,
        'config-exhibitor-backend-change',
        `${key} changes (${describeChange(c)}); the Exhibitor storage backend holds the ZooKeeper ensemble and may never change on an installed cluster`,
        `restore ${key} to the old value (${displayConfigValue(key, c.old, c.change !== 'added')})`
      );
    } else if (isPathKey(key)) {
      findings.error(
        newPath,
        key,
        'config-path-change',
        `${key} changes (${describeChange(c)}); paths and pathways may not change during a patch`,
        `restore ${key} to the value in the old config.yaml`
      );
    } else if (key === 'security') {
      // Checked by checkSecurityModes / checkSecurityTransition below.
    } else {
      const allowed = ALLOWED_CONFIG_CHANGES.find((a) => a.key === key);
      if (!allowed) {
        findings.error(
          newPath,
          key,
          'config-change-not-allowed',
          `${key} changes (${describeChange(c)}); it is not one of the parameters DC/OS allows to change on an installed cluster (${ALLOWED_CONFIG_CHANGES.map((a) => a.key).join(', ')}, security)`,
          `restore ${key} to the value in the old config.yaml; changing it needs a new cluster`
        );
      } else if (allowed.since && input.to !== undefined && !isAtLeast(input.to, allowed.since)) {
        findings.error(
          newPath,
          key,
          'config-change-not-allowed',
          `${key} changes (${describeChange(c)}); it may change only from DC/OS ${allowed.since}, the cluster runs ${input.to}`,
          `restore ${key}; change it after the cluster runs DC/OS ${allowed.since} or later`
        );
      } else {
        pendingForLater.push(c);
      }
    }
  }
  if (security.from !== security.to) {
    checkSecurityTransition(input, security.from, security.to, changes, pendingForLater, findings);
  }

  if (input.versionChanges === true && pendingForLater.length > 0) {
    const keys = pendingForLater.map((c) => c.key);
    for (const c of pendingForLater) {
      findings.error(
        newPath,
        c.key,
        'config-and-version-change',
        `${c.key} changes (${describeChange(c)}) in the same run as the version (${input.from} → ${input.to}); never change configuration and version in one run (changing here: ${keys.join(', ')})`,
        `patch first with the old values (config.new equal to config.old apart from format), then change ${keys.join(', ')} in a second run with cluster.from = cluster.to = ${input.to}`
      );
    }
  }
  if (input.versionChanges === false && changes.length === 0) {
    findings.warning(
      input.planFile,
      'config.new',
      'config-nothing-to-do',
      `cluster.from equals cluster.to (${input.to}) and config.new means the same as config.old: nothing to do`,
      'set cluster.to to the release to patch to, or change an allowed parameter in config.new'
    );
  }

  const enableIpv6 = input.to !== undefined ? configEnablesIpv6(input.newConfig, input.to) : true;
  if (enableIpv6) {
    findings.warning(
      newPath,
      'enable_ipv6',
      'ipv6-enabled',
      `enable_ipv6 is ${'enable_ipv6' in input.newConfig ? 'true' : 'not set (DC/OS defaults it to true)'}; see ${DOCS.ipv6Advisory}. Preflight fails any host whose kernel has IPv6 disabled`,
      'read the advisory; enable_ipv6 may not change on an installed cluster, so keep the installed value and make sure IPv6 is enabled in the kernel of every host (new installs: set enable_ipv6: false)'
    );
  }
  checkMasterList(input, findings);
  checkBootstrapUrl(input, findings);
  return { changes, securityFrom: security.from, securityTo: security.to, enableIpv6 };
}

/** A key added with gen's default value (or removed while it held the default) means nothing changed. */
function isDefaultMigration(c: ConfigChange, to: string | undefined): boolean {
  if (c.change === 'changed') return false;
  const d = GEN_DEFAULTS.find((g) => g.key === c.key);
  if (!d || (d.since && (to === undefined || !isAtLeast(to, d.since)))) return false;
  return normalizeConfigValue(c.change === 'added' ? c.new : c.old) === d.value;
}

function describeChange(c: ConfigChange): string {
  return `${displayConfigValue(c.key, c.old, c.change !== 'added')} → ${displayConfigValue(c.key, c.new, c.change !== 'removed')}`;
}

/** Read the effective security modes, refusing `security` on open DC/OS and unknown values. */
function checkSecurityModes(input: ConfigRuleInput, findings: Findings): { from: SecurityMode; to: SecurityMode } {
  if (input.variant !== 'enterprise') {
    for (const [path, config] of [
      [input.oldPath, input.oldConfig],
      [input.newPath, input.newConfig],
    ] as const) {
      if ('security' in config && input.variant === 'open') {
        findings.error(
          path,
          'security',
          'security-open-variant',
          `security is set (${displayConfigValue('security', config.security)}) but cluster.variant is open; open DC/OS has no security modes`,
          'remove security from config.yaml, or set cluster.variant: enterprise if this is DC/OS Enterprise'
        );
      }
    }
    return { from: 'disabled', to: 'disabled' };
  }
  const mode = (path: string, config: DcosConfig): SecurityMode | undefined => {
    const v = configString(config, 'security');
    if (v === undefined) return ENTERPRISE_DEFAULT_SECURITY;
    if ((SECURITY_ORDER as readonly string[]).includes(v)) return v as SecurityMode;
    findings.error(
      path,
      'security',
      'security-invalid',
      `security is "${v}"; DC/OS Enterprise knows ${SECURITY_ORDER.join(', ')}`,
      'write the mode the cluster runs in (old config) or should run in (new config)'
    );
    return undefined;
  };
  const from = mode(input.oldPath, input.oldConfig);
  const to = mode(input.newPath, input.newConfig);
  if (!('security' in input.newConfig)) {
    findings.warning(
      input.newPath,
      'security',
      'security-implicit',
      `the new config.yaml has no security line; DC/OS Enterprise then runs in ${ENTERPRISE_DEFAULT_SECURITY} mode`,
      `write security: ${from ?? ENTERPRISE_DEFAULT_SECURITY} (the mode the cluster runs in) so the intent is explicit`
    );
  }
  // An unknown value was reported: compare nothing further.
  if (from === undefined || to === undefined) return { from: from ?? 'disabled', to: from ?? 'disabled' };
  return { from, to };
}

function checkSecurityTransition(
  input: ConfigRuleInput,
  from: SecurityMode,
  to: SecurityMode,
  changes: ConfigChange[],
  pendingForLater: ConfigChange[],
  findings: Findings
): void {
  const { newPath } = input;
  const step = SECURITY_ORDER.indexOf(to) - SECURITY_ORDER.indexOf(from);
  if (step < 0) {
    findings.error(
      newPath,
      'security',
      'security-looser',
      `security goes from ${from} to ${to}; the security mode may only become stricter (${SECURITY_ORDER.join(' → ')})`,
      `set security: ${from} (the mode the cluster runs in)`
    );
    return;
  }
  if (step > 1) {
    findings.error(
      newPath,
      'security',
      'security-skips-mode',
      `security goes from ${from} straight to ${to}; DC/OS moves one step at a time (${SECURITY_ORDER.join(' → ')})`,
      `set security: ${SECURITY_ORDER[SECURITY_ORDER.indexOf(from) + 1]} now, and move to ${to} in a later run`
    );
    return;
  }
  if (to !== 'strict') {
    pendingForLater.push({ key: 'security', change: 'changed', old: from, new: to });
    return;
  }
  // permissive → strict
  if (input.versionChanges === true) {
    findings.error(
      newPath,
      'security',
      'security-strict-needs-target-version',
      `security goes from permissive to strict while the version changes (${input.from} → ${input.to}); the cluster must already run the target version in permissive mode`,
      `patch to ${input.to} in permissive mode first, then run again with cluster.from = cluster.to = ${input.to} and only the security line changed`
    );
  }
  const others = changes.filter((c) => c.key !== 'security').map((c) => c.key);
  if (others.length > 0) {
    findings.error(
      newPath,
      'security',
      'security-strict-not-alone',
      `security goes from permissive to strict together with other changes (${others.join(', ')}); moving to strict must be the only change`,
      `restore ${others.join(', ')} to the old values; change them in a separate run`
    );
  }
  if (input.versionChanges === false && others.length === 0) {
    findings.warning(
      newPath,
      'security',
      'security-strict-restarts-tasks',
      'moving to strict: pods and tasks that use the Mesos "HTTP command executors" are restarted when the masters are patched',
      'tell the owners of those services before starting, and make sure http.token names a service-account token for the health gates'
    );
  }
}

/** With static master discovery, the plan's masters must be exactly config.yaml's master_list. */
function checkMasterList(input: ConfigRuleInput, findings: Findings): void {
  const discovery = configString(input.newConfig, 'master_discovery') ?? 'static';
  if (discovery !== 'static') return;
  const raw = input.newConfig.master_list;
  if (raw === undefined || raw === null) {
    findings.error(
      input.newPath,
      'master_list',
      'config-master-list-missing',
      'master_discovery is static but master_list is missing',
      'use the config.yaml the cluster was installed with: it lists the masters in master_list'
    );
    return;
  }
  const list = masterListOf(raw);
  if (list === undefined) {
    findings.error(
      input.newPath,
      'master_list',
      'config-master-list-missing',
      'master_list is not a list of addresses',
      "write master_list as a YAML list of the masters' IP addresses"
    );
    return;
  }
  // A broken masters list is reported already; comparing what is left would only echo it.
  if (input.masters.length === 0 || findings.hasErrorAt(input.planFile, 'masters')) return;
  const plan = input.masters.map((m) => m.address);
  const norm = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))].sort().join(',');
  if (norm(plan) !== norm(list) || plan.length !== list.length) {
    findings.error(
      input.planFile,
      'masters',
      'master-list-mismatch',
      `masters in the plan (${plan.join(', ')}) are not the master_list in ${input.newPath} (${list.join(', ')})`,
      'list exactly the master_list addresses under masters (in the order to patch them), or correct the config'
    );
  }
}

function masterListOf(raw: unknown): string[] | undefined {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string') return undefined;
    out.push(v);
  }
  return out;
}

function checkBootstrapUrl(input: ConfigRuleInput, findings: Findings): void {
  const url = configString(input.newConfig, 'bootstrap_url');
  if (!url) {
    findings.error(
      input.newPath,
      'bootstrap_url',
      'config-bootstrap-url-missing',
      'bootstrap_url is missing; nodes download the patch from it',
      'copy bootstrap_url from the old config.yaml (it must not change)'
    );
    return;
  }
  if (!input.bootstrapAddress) return;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return;
  }
  if (host && host.toLowerCase() !== input.bootstrapAddress.toLowerCase()) {
    findings.warning(
      input.planFile,
      'bootstrap.host',
      'bootstrap-url-host-mismatch',
      `bootstrap.host is ${input.bootstrapAddress} but bootstrap_url in ${input.newPath} points at ${host}; nodes fetch the patch script from bootstrap_url`,
      'make sure bootstrap.host is the machine that serves bootstrap_url (ignore this if the name and the address are the same machine)'
    );
  }
}
