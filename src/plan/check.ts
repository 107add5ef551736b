/**
 * Step 1 of the flow: the plan check. Parse the plan file, read the old and new config.yaml, apply
 * the runbook's rules, and return a typed `Plan` only when nothing is wrong.
 *
 * Strictly offline: the only I/O is reading the plan and the local files it names (secret files
 * are only stat()ed). No host is contacted, no name is resolved.
 */
import { mesosVersionFor } from '../shared/dcos-releases';
import {
  type Backups,
  type CanarySpec,
  DEFAULT_POLICY,
  NOTIFY_EVENT_KINDS,
  type NotifyHook,
  type Plan,
  type Policy,
  type SecurityMode,
  type Variant,
} from '../shared/plan';
import { hookName } from '../shared/webhook-headers';
import { checkConfigs } from './config-rules';
import { displayConfigValue, readDcosConfig } from './config-yaml';
import { type Finding, Findings, PlanError } from './findings';
import { type PlanDraft, parsePlanFile } from './parse';
import { LICENSE_SINCE } from './rules';
import { checkPatchPath, isAtLeast, parseRelease } from './versions';

export interface ConfigChangeSummary {
  key: string;
  /** Display values: secrets masked, `(absent)` when the key is added or removed. */
  old: string;
  new: string;
}

/** What the plan will do, for a person to read before starting (present even when there are errors). */
export interface PlanSummary {
  file: string;
  cluster?: string;
  variant?: Variant;
  from?: string;
  to?: string;
  /** `patch` when the version changes, `config-change` when from = to. */
  kind?: 'patch' | 'config-change';
  expectedMesosVersion?: string;
  security?: { from: SecurityMode; to: SecurityMode };
  /** False when the old and new config.yaml could not both be read, so nothing was compared. */
  configCompared: boolean;
  configChanges: ConfigChangeSummary[];
  bootstrap?: string;
  /** Master node ids, in patch order (one at a time). */
  masters: string[];
  /**
   * Agent node ids in the order they start, private agents first, then public agents. The
   * workflow keeps a sliding window of `policy.agentConcurrency` agents in flight: the next starts
   * as soon as one is done, never in batches.
   */
  agentOrder: string[];
  policy: Policy;
  backups: Backups;
  preflightOverrides: string[];
  /** The webhooks, one line each (never a URL read from a file, never a header). */
  notify: string[];
  /** The workload canary, when the plan has one. */
  canary?: CanarySpec;
}

export interface PlanCheckResult {
  /** Present only when there are no errors. */
  plan?: Plan;
  findings: Finding[];
  summary: PlanSummary;
  /**
   * Whether the patched cluster runs with `enable_ipv6` on (absent = DC/OS default, true from 1.11).
   * Preflight turns the `ipv6-enabled` warning into an error on hosts whose kernel has IPv6
   * disabled. Undefined when the new config could not be read. See also `enableIpv6FromConfigFile`.
   */
  enableIpv6?: boolean;
}

export function checkPlanFile(path: string): PlanCheckResult {
  const findings = new Findings();
  let draft: PlanDraft | undefined;
  try {
    draft = parsePlanFile(path, findings);
  } catch (err) {
    // Parsing reports problems as findings; this is a last guard so a check never shows a stack.
    findings.error(
      path,
      '',
      'internal-error',
      `the plan check failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
      'report this with the plan file attached (remove nothing: it holds no secrets)'
    );
  }
  if (!draft) return { findings: findings.all, summary: emptySummary(path) };
  try {
    return checkDraft(draft, findings);
  } catch (err) {
    findings.error(
      path,
      '',
      'internal-error',
      `the plan check failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
      'report this with the plan file attached'
    );
    return { findings: findings.all, summary: emptySummary(path) };
  }
}

/** `checkPlanFile` for callers that want an exception: returns the Plan or throws PlanError. */
export function loadPlan(path: string): Plan {
  const result = checkPlanFile(path);
  if (!result.plan) throw new PlanError(path, result.findings);
  return result.plan;
}

function checkDraft(d: PlanDraft, findings: Findings): PlanCheckResult {
  const versionChanges = checkPatchPath(d.file, d.from, d.to, findings);
  const expectedMesosVersion = checkMesosVersion(d, findings);

  let security: { from: SecurityMode; to: SecurityMode } | undefined;
  let configChanges: ConfigChangeSummary[] = [];
  let enableIpv6: boolean | undefined;
  const oldConfig = d.config.old ? readDcosConfig(d.config.old, findings) : undefined;
  const newConfig = d.config.new ? readDcosConfig(d.config.new, findings) : undefined;
  if (d.config.old && d.config.new && oldConfig && newConfig) {
    const outcome = checkConfigs(
      {
        planFile: d.file,
        oldPath: d.config.old,
        newPath: d.config.new,
        oldConfig,
        newConfig,
        variant: d.variant,
        from: d.from,
        to: d.to,
        versionChanges,
        masters: d.masters,
        bootstrapAddress: d.bootstrap?.address,
      },
      findings
    );
    security = { from: outcome.securityFrom, to: outcome.securityTo };
    enableIpv6 = outcome.enableIpv6;
    configChanges = outcome.changes.map((c) => ({
      key: c.key,
      old: displayConfigValue(c.key, c.old, c.change !== 'added'),
      new: displayConfigValue(c.key, c.new, c.change !== 'removed'),
    }));
  }
  checkVariantFiles(d, security?.to, findings);

  const summary = summarize(d, {
    configCompared: security !== undefined,
    kind: versionChanges === undefined ? undefined : versionChanges ? 'patch' : 'config-change',
    expectedMesosVersion,
    security,
    configChanges,
  });
  const result: PlanCheckResult = { findings: findings.all, summary, enableIpv6 };
  if (findings.errorCount > 0) return result;
  const plan = buildPlan(d, expectedMesosVersion, security?.to);
  if (plan) {
    result.plan = plan;
  } else {
    findings.error(
      d.file,
      '',
      'internal-error',
      'the plan has no errors but could not be assembled',
      'report this with the plan file attached'
    );
    result.findings = findings.all;
  }
  return result;
}

/** `cluster.mesosVersion`, or the built-in table's answer for `cluster.to`. */
function checkMesosVersion(d: PlanDraft, findings: Findings): string | undefined {
  if (d.mesosVersion !== undefined) {
    if (/^\d+\.\d+(\.\d+)?$/.test(d.mesosVersion)) return d.mesosVersion;
    findings.error(
      d.file,
      'cluster.mesosVersion',
      'mesos-version-invalid',
      `cluster.mesosVersion is "${d.mesosVersion}"; expected what \`mesos-master --version\` prints after "mesos ", e.g. 1.10.1`,
      'write the version as major.minor.patch (or major.minor to accept any patch)'
    );
    return undefined;
  }
  // An unusable cluster.to is reported by the patch-path rule; don't pile a second error on it.
  if (d.to === undefined || !parseRelease(d.to)) return undefined;
  const known = mesosVersionFor(d.to);
  if (!known) {
    findings.error(
      d.file,
      'cluster.mesosVersion',
      'mesos-version-unknown',
      `the built-in table does not know which Mesos version DC/OS ${d.to} ships, so the mesos-version gate has nothing to compare with`,
      `set cluster.mesosVersion to the Mesos version of DC/OS ${d.to} (its release notes list it)`
    );
  }
  if (known && d.from !== undefined && d.from !== d.to && mesosVersionFor(d.from) === known) {
    findings.warning(
      d.file,
      'cluster.mesosVersion',
      'mesos-version-gate-proves-nothing',
      `DC/OS ${d.from} and ${d.to} ship the same Mesos (${known}): the mesos-version gate cannot tell a patched master from an unpatched one`,
      'nothing to change: dcos-version.json, re-read on every node after its script, is what shows it runs the target (the report says so too)'
    );
  }
  return known;
}

/** Enterprise needs its license; strict mode needs a token for the Mesos endpoints. */
function checkVariantFiles(d: PlanDraft, securityTo: SecurityMode | undefined, findings: Findings): void {
  if (d.variant === 'enterprise') {
    const needsLicense = d.to === undefined || isAtLeast(d.to, LICENSE_SINCE);
    if (needsLicense && d.config.license === undefined && !findings.hasErrorAt(d.file, 'config.license')) {
      findings.error(
        d.file,
        'config.license',
        'license-missing',
        'DC/OS Enterprise needs genconf/license.txt on the bootstrap node and config.license is not set',
        'set config.license to the license.txt the cluster was installed with'
      );
    }
  } else if (d.variant === 'open' && d.config.license !== undefined) {
    findings.warning(
      d.file,
      'config.license',
      'license-not-applicable',
      'config.license is set but open DC/OS has no license; it is ignored',
      'remove config.license, or set cluster.variant: enterprise if this is DC/OS Enterprise'
    );
  }
  if (securityTo === 'strict') {
    if (!d.http.tokenPath && !findings.hasErrorAt(d.file, 'http.token')) {
      findings.error(
        d.file,
        'http.token',
        'strict-needs-token',
        'the cluster runs (or will run) in strict mode, where Mesos endpoints need an auth token, and http.token is not set',
        'create a service-account token file on the worker machine and set http.token to its path'
      );
    }
    if (!d.http.mesosHttps) {
      findings.warning(
        d.file,
        'http.mesosHttps',
        'strict-mesos-http',
        'strict mode with http.mesosHttps false: the health gates talk plain HTTP to Mesos',
        'set http.mesosHttps: true and http.mesosCa to the cluster CA bundle'
      );
    }
  }
}

function summarize(
  d: PlanDraft,
  extra: Pick<PlanSummary, 'kind' | 'expectedMesosVersion' | 'security' | 'configCompared' | 'configChanges'>
): PlanSummary {
  return {
    file: d.file,
    cluster: d.cluster,
    variant: d.variant,
    from: d.from,
    to: d.to,
    ...extra,
    bootstrap: d.bootstrap?.address,
    masters: d.masters.map((n) => n.id),
    agentOrder: [...d.agents, ...d.publicAgents].map((n) => n.id),
    policy: d.policy,
    backups: backupsOf(d),
    preflightOverrides: d.preflightOverrides,
    notify: (d.notify ?? []).map(describeHook),
    ...(d.canary ? { canary: d.canary } : {}),
  };
}

function describeHook(h: NotifyHook): string {
  const events = h.events.length === NOTIFY_EVENT_KINDS.length ? 'every event' : h.events.join(', ');
  return `${hookName(h)}${h.headerFile ? ` (headers from ${h.headerFile})` : ''}: ${events}`;
}

function backupsOf(d: PlanDraft): Backups {
  return {
    zookeeper: d.backups.zookeeper,
    iam: d.backups.iam ?? 'not-applicable',
  };
}

function emptySummary(file: string): PlanSummary {
  return {
    file,
    configCompared: false,
    configChanges: [],
    masters: [],
    agentOrder: [],
    policy: DEFAULT_POLICY,
    backups: { zookeeper: 'take', iam: 'not-applicable' },
    preflightOverrides: [],
    notify: [],
  };
}

/** The validated plan. Only called when there are no errors, so every part is present. */
function buildPlan(
  d: PlanDraft,
  expectedMesosVersion: string | undefined,
  security: SecurityMode | undefined
): Plan | undefined {
  const { cluster, variant, from, to, bootstrap, ssh } = d;
  const { old: oldConfigPath, new: newConfigPath, ipDetect: ipDetectPath, license: licensePath } = d.config;
  if (
    !cluster ||
    !variant ||
    !from ||
    !to ||
    !expectedMesosVersion ||
    !security ||
    !bootstrap ||
    !ssh ||
    !oldConfigPath ||
    !newConfigPath ||
    !ipDetectPath
  ) {
    return undefined;
  }
  const plan: Plan = {
    source: d.path,
    cluster,
    variant,
    fromVersion: from,
    toVersion: to,
    expectedMesosVersion,
    security,
    bootstrap,
    config: {
      oldConfigPath,
      newConfigPath,
      ipDetectPath,
      ...(variant === 'enterprise' && licensePath ? { licensePath } : {}),
    },
    ssh,
    http: d.http,
    masters: d.masters,
    agents: d.agents,
    publicAgents: d.publicAgents,
    policy: d.policy,
    backups: backupsOf(d),
    preflightOverrides: d.preflightOverrides,
    remoteWorkDir: d.remoteWorkDir,
    ...(d.notify?.length ? { notify: d.notify } : {}),
    ...(d.canary ? { canary: d.canary } : {}),
  };
  return plan;
}

export type { Finding } from './findings';
export { PlanError } from './findings';
