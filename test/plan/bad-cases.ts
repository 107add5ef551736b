/**
 * The bad plans and configs of the plan check, one case each: how a good plan is broken and the
 * exact finding expected. Shared by the check's own tests and the proof that a bad plan touches
 * no host (bad-plans-touch-nothing.test.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixtureOptions, Rec } from './fixture';

export interface Expect {
  code: string;
  field: string;
  /** Which file the finding names. */
  file: 'plan' | 'old' | 'new';
  severity?: 'error' | 'warning';
  message?: RegExp;
  fix?: RegExp;
  /** Other error codes this case also produces (by design); anything else is a failure. */
  alsoErrors?: string[];
}

export interface Case extends FixtureOptions {
  name: string;
  expect: Expect;
}

const configOnly = (p: Rec & { cluster: Rec }) => {
  p.cluster.to = p.cluster.from;
};
const versions = (from: string, to: string) => (p: Rec & { cluster: Rec }) => {
  p.cluster.from = from;
  p.cluster.to = to;
};

export const cases: Case[] = [
  // --- patch paths -------------------------------------------------------------------------
  {
    name: 'a minor release change is an upgrade, not a patch',
    plan: versions('2.0.3', '2.1.0'),
    expect: {
      code: 'patch-path-minor-change',
      field: 'cluster.to',
      file: 'plan',
      message: /2\.0\.3 → 2\.1\.0/,
      fix: /upgrade procedure/,
    },
  },
  {
    name: 'a major release change is an upgrade, not a patch',
    plan: versions('1.13.9', '2.0.0'),
    expect: {
      code: 'patch-path-major-change',
      field: 'cluster.to',
      file: 'plan',
      message: /major/,
      fix: /upgrade procedure/,
    },
  },
  {
    name: 'a downgrade is refused',
    plan: versions('2.1.5', '2.1.4'),
    expect: {
      code: 'patch-path-downgrade',
      field: 'cluster.to',
      file: 'plan',
      message: /downgrade/,
      fix: /restore from backup/,
    },
  },
  {
    name: 'a two-part version keeps its spelling in the message (YAML would read it as a number)',
    planText: (t) => t.replace('to: 2.1.5', 'to: 2.10'),
    expect: { code: 'version-unparseable', field: 'cluster.to', file: 'plan', message: /"2\.10"/, fix: /2\.1\.5/ },
  },
  {
    name: 'a pre-release version is not a release',
    plan: versions('2.1.4-beta1', '2.1.5'),
    expect: { code: 'version-unparseable', field: 'cluster.from', file: 'plan', message: /2\.1\.4-beta1/ },
  },
  {
    name: 'skipping patch releases is a warning naming each release skipped',
    plan: versions('2.1.2', '2.1.5'),
    expect: {
      code: 'patch-path-skips-releases',
      field: 'cluster.to',
      file: 'plan',
      severity: 'warning',
      message: /skips 2\.1\.3, 2\.1\.4/,
    },
  },
  {
    name: 'a release the Mesos table does not know needs cluster.mesosVersion',
    plan: versions('2.3.0', '2.3.1'),
    expect: {
      code: 'mesos-version-unknown',
      field: 'cluster.mesosVersion',
      file: 'plan',
      fix: /cluster\.mesosVersion/,
    },
  },
  {
    name: 'a Mesos version that is not a version is refused',
    plan: (p) => {
      p.cluster.mesosVersion = 'latest';
    },
    expect: { code: 'mesos-version-invalid', field: 'cluster.mesosVersion', file: 'plan', message: /latest/ },
  },

  // --- never config and version in one run --------------------------------------------------
  {
    name: 'an allowed parameter changed together with the version is refused',
    newConfig: (c) => {
      c.dns_search = 'corp.example.com';
    },
    expect: {
      code: 'config-and-version-change',
      field: 'dns_search',
      file: 'new',
      message: /example\.com → corp\.example\.com.*2\.1\.4 → 2\.1\.5/,
      fix: /second run with cluster\.from = cluster\.to = 2\.1\.5/,
    },
  },
  {
    name: 'every allowed parameter changed with the version is named in each finding',
    newConfig: (c) => {
      c.dns_search = 'corp.example.com';
      c.resolvers = ['1.1.1.1'];
    },
    expect: {
      code: 'config-and-version-change',
      field: 'resolvers',
      file: 'new',
      message: /changing here: resolvers, dns_search/,
      alsoErrors: ['config-and-version-change'],
    },
  },

  // --- only the listed parameters may change ---------------------------------------------
  {
    name: 'a parameter outside the allowed list may not change, even with the version unchanged',
    plan: configOnly,
    newConfig: (c) => {
      c.cluster_name = 'prod-west';
    },
    expect: {
      code: 'config-change-not-allowed',
      field: 'cluster_name',
      file: 'new',
      message: /prod-east → prod-west.*dns_search/,
      fix: /restore cluster_name/,
    },
  },
  {
    name: 'a parameter added to the config counts as a change',
    plan: configOnly,
    newConfig: (c) => {
      c.mesos_dns_set_truncate_bit = false;
    },
    expect: {
      code: 'config-change-not-allowed',
      field: 'mesos_dns_set_truncate_bit',
      file: 'new',
      message: /\(absent\) → false/,
    },
  },
  {
    name: 'a parameter removed from the config counts as a change',
    plan: configOnly,
    newConfig: (c) => {
      delete c.process_timeout;
    },
    expect: { code: 'config-change-not-allowed', field: 'process_timeout', file: 'new', message: /10000 → \(absent\)/ },
  },
  {
    name: 'enable_mesos_input_plugin may change only from DC/OS 1.12',
    plan: versions('1.11.5', '1.11.5'),
    newConfig: (c) => {
      c.enable_mesos_input_plugin = true;
    },
    expect: {
      code: 'config-change-not-allowed',
      field: 'enable_mesos_input_plugin',
      file: 'new',
      message: /only from DC\/OS 1\.12/,
    },
  },
  {
    name: 'a config-only run that changes nothing is a warning: nothing to do',
    plan: configOnly,
    expect: {
      code: 'config-nothing-to-do',
      field: 'config.new',
      file: 'plan',
      severity: 'warning',
      message: /nothing to do/,
    },
  },

  // --- paths and pathways, Exhibitor backend ---------------------------------------------
  {
    name: 'exhibitor_fs_config_dir may not change',
    plan: configOnly,
    config: (c) => {
      c.exhibitor_storage_backend = 'shared_fs';
    },
    oldConfig: (c) => {
      c.exhibitor_fs_config_dir = '/mnt/exhibitor';
    },
    newConfig: (c) => {
      c.exhibitor_fs_config_dir = '/mnt/exhibitor2';
    },
    expect: {
      code: 'config-path-change',
      field: 'exhibitor_fs_config_dir',
      file: 'new',
      message: /\/mnt\/exhibitor → \/mnt\/exhibitor2/,
    },
  },
  {
    name: 'a *_dir parameter may not change (path rule by suffix)',
    plan: configOnly,
    newConfig: (c) => {
      c.mesos_master_work_dir = '/data/mesos/master';
    },
    expect: { code: 'config-path-change', field: 'mesos_master_work_dir', file: 'new', message: /paths and pathways/ },
  },
  {
    name: 'bootstrap_url is a pathway and may not change',
    plan: configOnly,
    newConfig: (c) => {
      c.bootstrap_url = 'http://10.0.0.5:8081';
    },
    expect: {
      code: 'config-path-change',
      field: 'bootstrap_url',
      file: 'new',
      message: /8080 → http:\/\/10\.0\.0\.5:8081/,
    },
  },
  {
    name: 'ip_detect_filename may not change',
    plan: configOnly,
    newConfig: (c) => {
      c.ip_detect_filename = 'genconf/ip-detect-v2';
    },
    expect: { code: 'config-path-change', field: 'ip_detect_filename', file: 'new' },
  },
  {
    name: 'a path change during a version patch is reported as a path change only',
    newConfig: (c) => {
      c.mesos_agent_work_dir = '/data/mesos/agent';
    },
    expect: { code: 'config-path-change', field: 'mesos_agent_work_dir', file: 'new' },
  },
  {
    name: 'exhibitor_storage_backend may never change',
    plan: configOnly,
    newConfig: (c) => {
      c.exhibitor_storage_backend = 'zookeeper';
    },
    expect: {
      code: 'config-exhibitor-backend-change',
      field: 'exhibitor_storage_backend',
      file: 'new',
      message: /static → zookeeper/,
      fix: /restore exhibitor_storage_backend to the old value \(static\)/,
    },
  },
  {
    name: 'exhibitor_zk_backend (the runbook name) may never change either',
    plan: configOnly,
    newConfig: (c) => {
      c.exhibitor_zk_backend = 'zookeeper';
    },
    expect: { code: 'config-exhibitor-backend-change', field: 'exhibitor_zk_backend', file: 'new' },
  },

  // --- security ---------------------------------------------------------------------------
  {
    name: 'security may not become looser',
    variant: 'enterprise',
    plan: configOnly,
    oldConfig: (c) => {
      c.security = 'strict';
    },
    expect: {
      code: 'security-looser',
      field: 'security',
      file: 'new',
      message: /strict to permissive/,
      fix: /security: strict/,
    },
  },
  {
    name: 'security moves one step at a time (disabled → strict is refused)',
    variant: 'enterprise',
    plan: configOnly,
    oldConfig: (c) => {
      c.security = 'disabled';
    },
    newConfig: (c) => {
      c.security = 'strict';
    },
    expect: { code: 'security-skips-mode', field: 'security', file: 'new', fix: /security: permissive now/ },
  },
  {
    name: 'permissive → strict needs the cluster already on the target version',
    variant: 'enterprise',
    newConfig: (c) => {
      c.security = 'strict';
    },
    expect: {
      code: 'security-strict-needs-target-version',
      field: 'security',
      file: 'new',
      message: /already run the target version in permissive mode/,
      fix: /patch to 2\.1\.5 in permissive mode first/,
    },
  },
  {
    name: 'permissive → strict must be the only change in the config',
    variant: 'enterprise',
    plan: configOnly,
    newConfig: (c) => {
      c.security = 'strict';
      c.dns_search = 'corp.example.com';
    },
    expect: { code: 'security-strict-not-alone', field: 'security', file: 'new', message: /\(dns_search\)/ },
  },
  {
    name: 'disabled → permissive in the same run as a version patch is refused',
    variant: 'enterprise',
    oldConfig: (c) => {
      c.security = 'disabled';
    },
    expect: { code: 'config-and-version-change', field: 'security', file: 'new', message: /disabled → permissive/ },
  },
  {
    name: 'open DC/OS has no security setting',
    newConfig: (c) => {
      c.security = 'strict';
    },
    expect: { code: 'security-open-variant', field: 'security', file: 'new', fix: /cluster\.variant: enterprise/ },
  },
  {
    name: 'an unknown security mode is refused',
    variant: 'enterprise',
    plan: configOnly,
    newConfig: (c) => {
      c.security = 'paranoid';
    },
    expect: { code: 'security-invalid', field: 'security', file: 'new', message: /"paranoid"/ },
  },
  {
    name: 'a strict cluster needs a token file for the Mesos endpoints',
    variant: 'enterprise',
    config: (c) => {
      c.security = 'strict';
    },
    plan: (p) => {
      delete (p.http as Rec).token;
    },
    expect: { code: 'strict-needs-token', field: 'http.token', file: 'plan', fix: /http\.token/ },
  },
  {
    name: 'an Enterprise config without a security line is a warning (permissive assumed)',
    variant: 'enterprise',
    config: (c) => {
      delete c.security;
    },
    expect: { code: 'security-implicit', field: 'security', file: 'new', severity: 'warning', message: /permissive/ },
  },

  // --- IPv6, license, master_list, bootstrap_url ------------------------------------------
  {
    name: 'enable_ipv6 left at the DC/OS default (true) is a warning pointing at the advisory',
    config: (c) => {
      delete c.enable_ipv6;
    },
    expect: {
      code: 'ipv6-enabled',
      field: 'enable_ipv6',
      file: 'new',
      severity: 'warning',
      message: /advisory.*Preflight/,
    },
  },
  {
    name: 'enable_ipv6: true is a warning pointing at the advisory',
    config: (c) => {
      c.enable_ipv6 = true;
    },
    expect: { code: 'ipv6-enabled', field: 'enable_ipv6', file: 'new', severity: 'warning', message: /is true/ },
  },
  {
    name: 'Enterprise needs config.license',
    variant: 'enterprise',
    plan: (p) => {
      delete p.config.license;
    },
    expect: { code: 'license-missing', field: 'config.license', file: 'plan', message: /license\.txt/ },
  },
  {
    name: 'an Enterprise license file that does not exist is refused',
    variant: 'enterprise',
    files: (dir) => rmSync(join(dir, 'genconf/license.txt')),
    expect: {
      code: 'file-missing',
      field: 'config.license',
      file: 'plan',
      message: /genconf\/license\.txt.*does not exist/,
    },
  },
  {
    name: 'the plan masters must be the config master_list (static discovery)',
    newConfig: (c) => {
      c.master_list = ['10.0.0.11', '10.0.0.12', '10.0.0.14'];
    },
    oldConfig: (c) => {
      c.master_list = ['10.0.0.11', '10.0.0.12', '10.0.0.14'];
    },
    expect: {
      code: 'master-list-mismatch',
      field: 'masters',
      file: 'plan',
      message: /10\.0\.0\.11, 10\.0\.0\.12, 10\.0\.0\.13\).*\(10\.0\.0\.11, 10\.0\.0\.12, 10\.0\.0\.14\)/,
    },
  },
  {
    name: 'static master discovery without master_list is refused',
    config: (c) => {
      delete c.master_list;
    },
    expect: { code: 'config-master-list-missing', field: 'master_list', file: 'new' },
  },
  {
    name: 'a new config without bootstrap_url is refused',
    config: (c) => {
      delete c.bootstrap_url;
    },
    expect: { code: 'config-bootstrap-url-missing', field: 'bootstrap_url', file: 'new' },
  },
  {
    name: 'a bootstrap.host that is not the bootstrap_url host is a warning',
    plan: (p) => {
      p.bootstrap.host = '10.0.0.6';
    },
    expect: {
      code: 'bootstrap-url-host-mismatch',
      field: 'bootstrap.host',
      file: 'plan',
      severity: 'warning',
      message: /10\.0\.0\.5/,
    },
  },

  // --- YAML and the plan's shape ------------------------------------------------------------
  {
    name: 'malformed plan YAML is reported with its line and column',
    planText: (t) => t.replace('masters:', 'masters: [10.0.0.11,\nbroken: : :'),
    expect: { code: 'plan-yaml-invalid', field: '', file: 'plan', message: /line 18, column 1\b.*more YAML errors/ },
  },
  {
    name: 'YAML nested thousands of levels deep is a finding, not a stack overflow',
    planText: (t) => `${t}extra: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
    expect: { code: 'plan-yaml-invalid', field: '', file: 'plan', message: /nested more than 64 levels/ },
  },
  {
    name: 'a YAML alias bomb is refused',
    planText: (t) =>
      `${t}a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`).join('\n')}\n`,
    expect: { code: 'plan-yaml-invalid', field: '', file: 'plan', message: /alias/ },
  },
  {
    name: 'a plan file of megabytes is refused before it is parsed',
    planText: (t) => `${t}${'# padding\n'.repeat(120_000)}`,
    expect: { code: 'file-too-large', field: '', file: 'plan', message: /bytes/ },
  },
  {
    name: 'a duplicated key in config.yaml is a YAML error (found in one pass)',
    newConfigText: 'bootstrap_url: http://10.0.0.5:8080\ncluster_name: c\ncluster_name: d\n',
    expect: { code: 'config-yaml-invalid', field: '', file: 'new', message: /unique \("cluster_name" appears twice\)/ },
  },
  {
    name: 'a duplicated key in the plan is a YAML error',
    planText: (t) => `${t}masters: [10.0.0.11]\n`,
    expect: { code: 'plan-yaml-invalid', field: '', file: 'plan', message: /unique.*line \d+/ },
  },
  {
    name: 'a plan that is a list, not a mapping, is refused',
    planText: () => '- 10.0.0.11\n- 10.0.0.12\n',
    expect: { code: 'plan-not-a-mapping', field: '', file: 'plan', message: /a list/ },
  },
  {
    name: 'a misspelled field gets a "did you mean"',
    plan: (p) => {
      p.policy = { agentConcurency: 2 };
    },
    expect: {
      code: 'field-unknown',
      field: 'policy.agentConcurency',
      file: 'plan',
      message: /did you mean agentConcurrency/,
      fix: /rename it to agentConcurrency/,
    },
  },
  {
    name: 'a field in the wrong section names the section it belongs in',
    plan: (p) => {
      p.agentConcurrency = 2;
    },
    expect: { code: 'field-unknown', field: 'agentConcurrency', file: 'plan', message: /policy\.agentConcurrency/ },
  },
  {
    name: 'a snake_case field is matched to its camelCase name',
    plan: (p) => {
      p.ssh.private_key = 'keys/dcos_patch';
      delete p.ssh.privateKey;
    },
    expect: {
      code: 'field-unknown',
      field: 'ssh.private_key',
      file: 'plan',
      message: /did you mean privateKey/,
      alsoErrors: ['field-missing'],
    },
  },
  {
    name: 'a missing required field is named',
    plan: (p) => {
      delete p.cluster.name;
    },
    expect: { code: 'field-missing', field: 'cluster.name', file: 'plan', fix: /set cluster\.name/ },
  },
  {
    name: 'a missing masters list is named',
    plan: (p) => {
      delete (p as Rec).masters;
    },
    expect: { code: 'field-missing', field: 'masters', file: 'plan' },
  },
  {
    name: 'a port written as words is a type error',
    plan: (p) => {
      p.ssh.port = 'twenty-two';
    },
    expect: { code: 'field-type', field: 'ssh.port', file: 'plan', message: /whole number.*"twenty-two"/ },
  },
  {
    name: 'a section written as a scalar is a type error',
    plan: (p) => {
      p.policy = 'fast';
    },
    expect: { code: 'field-type', field: 'policy', file: 'plan', message: /mapping/ },
  },
  {
    name: 'a misspelled variant is refused with a suggestion',
    plan: (p) => {
      p.cluster.variant = 'enterprize';
    },
    expect: { code: 'field-invalid-value', field: 'cluster.variant', file: 'plan', fix: /did you mean enterprise/ },
  },
  {
    name: 'a duration in words is refused',
    plan: (p) => {
      p.policy = { gates: { pollInterval: '5 minutes' } };
    },
    expect: {
      code: 'duration-invalid',
      field: 'policy.gates.pollInterval',
      file: 'plan',
      message: /"5 minutes"/,
      fix: /30s/,
    },
  },
  {
    name: 'a quoted number is not a duration',
    plan: (p) => {
      p.ssh.connectTimeout = '500';
    },
    expect: { code: 'duration-invalid', field: 'ssh.connectTimeout', file: 'plan', message: /no unit/ },
  },
  {
    name: 'a negative duration is refused',
    plan: (p) => {
      p.policy = { gates: { scriptTimeout: -5 } };
    },
    expect: { code: 'duration-invalid', field: 'policy.gates.scriptTimeout', file: 'plan' },
  },
  {
    name: 'stablePolls 0 would pass a gate on no evidence',
    plan: (p) => {
      p.policy = { gates: { stablePolls: 0 } };
    },
    expect: {
      code: 'value-out-of-range',
      field: 'policy.gates.stablePolls',
      file: 'plan',
      message: /between 1 and 100/,
    },
  },
  {
    name: 'agentConcurrency 0 would patch no agent',
    plan: (p) => {
      p.policy = { agentConcurrency: 0 };
    },
    expect: { code: 'value-out-of-range', field: 'policy.agentConcurrency', file: 'plan' },
  },
  {
    name: 'a negative failure budget is refused',
    plan: (p) => {
      p.policy = { agentFailureBudget: -1 };
    },
    expect: { code: 'value-out-of-range', field: 'policy.agentFailureBudget', file: 'plan' },
  },
  {
    name: 'a gate timeout shorter than its polls could never pass',
    plan: (p) => {
      p.policy = { gates: { pollInterval: '5s', stablePolls: 3, exhibitorTimeout: '10s' } };
    },
    expect: {
      code: 'gate-timeout-too-short',
      field: 'policy.gates.exhibitorTimeout',
      file: 'plan',
      message: /10s.*3 good polls.*15s/,
    },
  },
  {
    name: 'an agent window beyond the 5-minute ping timeout is a warning',
    plan: (p) => {
      p.policy = { gates: { agentWindow: '10m' } };
    },
    expect: {
      code: 'agent-window-exceeds-ping-timeout',
      field: 'policy.gates.agentWindow',
      file: 'plan',
      severity: 'warning',
      message: /tasks are lost/,
    },
  },
  {
    name: 'a per-host port out of range is refused',
    plan: (p) => {
      p.masters[1] = { host: '10.0.0.12', ports: { exhibitor: 70000 } };
    },
    expect: {
      code: 'value-out-of-range',
      field: 'masters[1].ports.exhibitor',
      file: 'plan',
      message: /between 1 and 65535/,
    },
  },
  {
    name: 'an unknown per-host field gets a "did you mean"',
    plan: (p) => {
      p.masters[1] = { host: '10.0.0.12', sshport: 2222 };
    },
    expect: { code: 'field-unknown', field: 'masters[1].sshport', file: 'plan', message: /did you mean sshPort/ },
  },

  // --- hosts ------------------------------------------------------------------------------
  {
    name: 'two masters is not a DC/OS cluster',
    plan: (p) => {
      p.masters = ['10.0.0.11', '10.0.0.12'];
    },
    config: (c) => {
      c.master_list = ['10.0.0.11', '10.0.0.12'];
    },
    expect: { code: 'master-count', field: 'masters', file: 'plan', message: /2 masters.*1, 3 or 5/ },
  },
  {
    name: 'a host listed twice in one role is refused',
    plan: (p) => {
      p.agents = ['10.0.1.1', '10.0.1.1', '10.0.1.3'];
    },
    expect: { code: 'host-duplicate', field: 'agents[1]', file: 'plan', message: /also at agents\[0\]/ },
  },
  {
    name: 'a host in two roles is refused',
    plan: (p) => {
      p.publicAgents = ['10.0.1.2'];
    },
    expect: { code: 'host-in-two-roles', field: 'publicAgents[0]', file: 'plan', message: /agents\[1\]/ },
  },
  {
    name: 'the bootstrap node may not be a cluster node',
    plan: (p) => {
      p.agents = ['10.0.0.5', '10.0.1.2'];
    },
    expect: { code: 'host-is-bootstrap', field: 'agents[0]', file: 'plan', message: /bootstrap\.host/ },
  },
  {
    name: 'a host that would need shell quoting is refused, and the allowed characters are named',
    plan: (p) => {
      p.agents = ['10.0.1.1; rm -rf /'];
    },
    expect: { code: 'host-shell-unsafe', field: 'agents[0]', file: 'plan', fix: /letters, digits/ },
  },
  {
    name: 'a leading zero is refused: 010.0.0.1 would be read as octal (8.0.0.1)',
    plan: (p) => {
      p.agents = ['010.0.1.1'];
    },
    expect: { code: 'host-invalid', field: 'agents[0]', file: 'plan', message: /no leading zeros/ },
  },
  {
    name: 'an IPv4 address out of range is refused',
    plan: (p) => {
      p.agents = ['999.1.1.1'];
    },
    expect: { code: 'host-invalid', field: 'agents[0]', file: 'plan' },
  },
  {
    name: 'three numbers are not an address',
    plan: (p) => {
      p.agents = ['10.0.1'];
    },
    expect: { code: 'host-invalid', field: 'agents[0]', file: 'plan' },
  },
  {
    name: 'host:port is refused: the port goes in the port field',
    plan: (p) => {
      p.agents = ['10.0.1.1:2222'];
    },
    expect: { code: 'host-invalid', field: 'agents[0]', file: 'plan', fix: /port goes in sshPort/ },
  },
  {
    name: 'an unknown name in preflight.override is refused and the known checks are listed',
    plan: (p) => {
      p.preflight = { override: ['marathon-constraint'] };
    },
    expect: {
      code: 'preflight-override-unknown',
      field: 'preflight.override[0]',
      file: 'plan',
      fix: /marathon-constraints/,
    },
  },
  {
    name: 'a newline inside a value is printed escaped: one finding, one line',
    plan: (p) => {
      p.cluster.name = 'prod\n0 errors, 0 warnings: the plan is valid.';
    },
    expect: { code: 'cluster-name-invalid', field: 'cluster.name', file: 'plan' },
  },
  {
    name: 'a failure budget above the number of agents is refused',
    plan: (p) => {
      p.policy = { agentFailureBudget: 99999 };
    },
    expect: {
      code: 'value-out-of-range',
      field: 'policy.agentFailureBudget',
      file: 'plan',
      message: /more than the 4 agents/,
    },
  },
  {
    name: 'a duration without a sane upper bound is refused, naming the bounds',
    plan: (p) => {
      p.policy = { gates: { exhibitorTimeout: '99999999999999999999h' } };
    },
    expect: {
      code: 'value-out-of-range',
      field: 'policy.gates.exhibitorTimeout',
      file: 'plan',
      message: /must be from 500ms to 24h/,
    },
  },
  {
    name: 'a connect timeout of 1000h is refused',
    plan: (p) => {
      p.ssh.connectTimeout = '1000h';
    },
    expect: { code: 'value-out-of-range', field: 'ssh.connectTimeout', file: 'plan', message: /to 5m/ },
  },
  {
    name: 'an ip-detect of megabytes is refused without reading it',
    files: (dir) => writeFileSync(join(dir, 'genconf/ip-detect'), Buffer.alloc(2 * 1024 * 1024, 0x41)),
    expect: { code: 'file-too-large', field: 'config.ipDetect', file: 'plan', message: /bytes/ },
  },
  {
    name: 'an empty private key file is refused at check time, naming the key',
    files: (dir) => writeFileSync(join(dir, 'keys/dcos_patch'), ''),
    expect: { code: 'ssh-key-unusable', field: 'ssh.privateKey', file: 'plan', message: /empty/ },
  },
  {
    name: 'a garbage private key file is refused with what the SSH parser says',
    files: (dir) => writeFileSync(join(dir, 'keys/dcos_patch'), 'this is not a key\n'),
    expect: { code: 'ssh-key-unusable', field: 'ssh.privateKey', file: 'plan', message: /not a usable private key/ },
  },
  {
    name: 'a duration with a space before its unit is refused, as the docs say',
    plan: (p) => {
      p.policy = { gates: { pollInterval: '5 m' } };
    },
    expect: { code: 'duration-invalid', field: 'policy.gates.pollInterval', file: 'plan', message: /no space/ },
  },
  {
    name: 'user@host is not a host',
    plan: (p) => {
      p.bootstrap.host = 'centos@10.0.0.5';
    },
    expect: { code: 'host-shell-unsafe', field: 'bootstrap.host', file: 'plan' },
  },
  {
    name: 'a remote path that would need shell quoting is refused',
    plan: (p) => {
      p.bootstrap.installerDir = '/home/centos/dcos 2.1.5';
    },
    expect: { code: 'path-shell-unsafe', field: 'bootstrap.installerDir', file: 'plan', fix: /letters, digits/ },
  },
  {
    name: 'a remoteWorkDir on tmpfs (emptied at boot) is refused: run markers must survive a reboot',
    plan: (p) => {
      p.remoteWorkDir = '/run/dcos-patch';
    },
    expect: { code: 'remote-work-dir-volatile', field: 'remoteWorkDir', file: 'plan', message: /tmpfs/ },
  },
  {
    name: 'remoteWorkDir under /tmp is refused too',
    plan: (p) => {
      p.remoteWorkDir = '/tmp/./dcos-patch/';
    },
    expect: {
      code: 'remote-work-dir-volatile',
      field: 'remoteWorkDir',
      file: 'plan',
      message: /\/tmp\/dcos-patch is on tmpfs/,
    },
  },
  {
    name: 'a remote path that is the root directory in disguise (//) is refused',
    plan: (p) => {
      p.remoteWorkDir = '//';
    },
    expect: { code: 'path-shell-unsafe', field: 'remoteWorkDir', file: 'plan', message: /root directory/ },
  },
  {
    name: 'a relative remote path is refused',
    plan: (p) => {
      p.remoteWorkDir = 'dcos-patch';
    },
    expect: { code: 'path-not-absolute', field: 'remoteWorkDir', file: 'plan' },
  },
  {
    name: 'an installer name that is an option (-c) is refused: it would run `sudo bash -c`',
    plan: (p) => {
      p.bootstrap.installer = '-c';
    },
    expect: { code: 'path-shell-unsafe', field: 'bootstrap.installer', file: 'plan', message: /no leading "-"/ },
  },
  {
    name: 'an installer name --help is refused',
    plan: (p) => {
      p.bootstrap.installer = '--help';
    },
    expect: { code: 'path-shell-unsafe', field: 'bootstrap.installer', file: 'plan' },
  },
  {
    name: 'an installer name with a directory is refused',
    plan: (p) => {
      p.bootstrap.installer = '../dcos_generate_config.sh';
    },
    expect: { code: 'path-shell-unsafe', field: 'bootstrap.installer', file: 'plan', message: /plain file name/ },
  },
  {
    name: 'a cluster name with spaces is refused',
    plan: (p) => {
      p.cluster.name = 'prod east';
    },
    expect: { code: 'cluster-name-invalid', field: 'cluster.name', file: 'plan', fix: /prod-east/ },
  },
  {
    name: 'an SSH user with @host is refused',
    plan: (p) => {
      p.ssh.user = 'centos@10.0.0.5';
    },
    expect: { code: 'ssh-user-invalid', field: 'ssh.user', file: 'plan' },
  },
  {
    name: 'a preflight override that is not a check name is refused',
    plan: (p) => {
      p.preflight = { override: ['Marathon Constraints'] };
    },
    expect: { code: 'field-invalid-value', field: 'preflight.override[0]', file: 'plan', message: /kebab-case/ },
  },

  // --- files ------------------------------------------------------------------------------
  {
    name: 'a missing old config.yaml is named with its resolved path',
    files: (dir) => rmSync(join(dir, 'genconf-2.1.4/config.yaml')),
    expect: {
      code: 'file-missing',
      field: 'config.old',
      file: 'plan',
      message: /genconf-2\.1\.4\/config\.yaml.*does not exist/,
    },
  },
  {
    name: 'a missing SSH private key is refused',
    files: (dir) => rmSync(join(dir, 'keys/dcos_patch')),
    expect: { code: 'file-missing', field: 'ssh.privateKey', file: 'plan', fix: /relative paths are resolved against/ },
  },
  {
    name: 'a missing known_hosts is refused (host keys are always verified)',
    files: (dir) => rmSync(join(dir, 'keys/known_hosts')),
    expect: { code: 'file-missing', field: 'ssh.knownHosts', file: 'plan' },
  },
  {
    name: 'a directory where a file is expected is refused',
    plan: (p) => {
      p.config.ipDetect = 'genconf';
    },
    expect: { code: 'file-not-regular', field: 'config.ipDetect', file: 'plan' },
  },
  {
    name: 'a missing token file is refused',
    variant: 'enterprise',
    files: (dir) => rmSync(join(dir, 'secrets/dcos-token')),
    expect: { code: 'file-missing', field: 'http.token', file: 'plan' },
  },
  {
    name: 'probes: http — exhibitorTls needs all three files',
    plan: (p) => {
      p.probes = 'http';
      p.http = { exhibitorTls: { ca: 'tls/dcos-ca.crt', cert: 'tls/client-cert.pem' } };
    },
    expect: { code: 'field-missing', field: 'http.exhibitorTls.key', file: 'plan', alsoErrors: ['file-missing'] },
  },
  {
    name: 'probes: ssh (the default) — worker copies of the Exhibitor key are refused: the masters use their own',
    plan: (p) => {
      p.http = { exhibitorTls: { ca: 'tls/dcos-ca.crt', cert: 'tls/client-cert.pem', key: 'tls/client-key.pem' } };
    },
    expect: {
      code: 'exhibitor-tls-on-node',
      field: 'http.exhibitorTls',
      file: 'plan',
      message: /\/var\/lib\/dcos\/exhibitor-tls-artifacts/,
      fix: /exhibitorTls: true/,
    },
  },
  {
    name: 'probes: http — exhibitorTls: true names no files for the worker',
    plan: (p) => {
      p.probes = 'http';
      p.http = { exhibitorTls: true };
    },
    expect: { code: 'exhibitor-tls-files', field: 'http.exhibitorTls', file: 'plan', fix: /\.ca, \.cert and \.key/ },
  },
  {
    name: 'probes must be ssh or http',
    plan: (p) => {
      p.probes = 'shh';
    },
    expect: { code: 'field-invalid-value', field: 'probes', file: 'plan', fix: /did you mean ssh/ },
  },
  {
    name: 'probes: ssh — a worker CA bundle is not used (warning)',
    plan: (p) => {
      p.http = { mesosHttps: true, mesosCa: 'tls/dcos-ca.crt' };
    },
    expect: {
      code: 'mesos-ca-unused',
      field: 'http.mesosCa',
      file: 'plan',
      severity: 'warning',
      message: /ca-bundle\.crt/,
    },
  },
  // --- ramp and windows --------------------------------------------------------------------
  {
    name: 'policy.agentRamp: a step that is no width',
    plan: (p) => {
      p.policy = { agentRamp: [1, '0%'] };
    },
    expect: { code: 'field-invalid-value', field: 'policy.agentRamp', file: 'plan', message: /"0%"/ },
  },
  {
    name: 'policy.windows: an unknown time zone',
    plan: (p) => {
      p.policy = { windows: [{ days: ['mon'], start: '22:00', end: '04:00', timeZone: 'Europe/Atlantis' }] };
    },
    expect: { code: 'window-invalid', field: 'policy.windows[0]', file: 'plan', message: /IANA time zone/ },
  },
  {
    name: 'policy.windows: an absolute window without its zone',
    plan: (p) => {
      p.policy = { windows: [{ from: '2026-12-24T22:00:00', to: '2026-12-25T06:00:00Z' }] };
    },
    expect: { code: 'window-invalid', field: 'policy.windows[0].from', file: 'plan', message: /with its zone/ },
  },
  // --- canary --------------------------------------------------------------------------------
  {
    name: 'canary: an app id of two segments has no plain Mesos-DNS name',
    plan: (p) => {
      p.canary = { app: '/team/canary' };
    },
    expect: {
      code: 'canary-app-invalid',
      field: 'canary.app',
      file: 'plan',
      fix: /dcos-patch-canary\.marathon\.mesos/,
    },
  },
  {
    name: 'canary: more instances than private agents cannot be placed one per agent',
    plan: (p) => {
      p.canary = { instances: 4 };
    },
    expect: { code: 'value-out-of-range', field: 'canary.instances', file: 'plan', message: /between 1 and 3/ },
  },
  {
    name: 'canary: no private agent to run on',
    plan: (p) => {
      p.agents = [];
      p.publicAgents = ['10.0.2.1'];
      p.canary = {};
    },
    expect: { code: 'canary-no-agents', field: 'canary', file: 'plan' },
  },
  {
    name: 'canary: a poll interval below its bound',
    plan: (p) => {
      p.canary = { pollInterval: '100ms' };
    },
    expect: { code: 'value-out-of-range', field: 'canary.pollInterval', file: 'plan', fix: /from 500ms to 5m/ },
  },
  {
    name: 'canary: an unknown key gets a suggestion',
    plan: (p) => {
      p.canary = { instance: 2 };
    },
    expect: { code: 'field-unknown', field: 'canary.instance', file: 'plan', message: /did you mean instances/ },
  },
  // --- notify --------------------------------------------------------------------------------
  {
    name: 'notify: a Slack webhook URL in the plan is a secret in history',
    plan: (p) => {
      p.notify = [{ url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX' }];
    },
    expect: { code: 'secret-in-plan', field: 'notify[0].url', file: 'plan', fix: /notify\[0\]\.urlFile/ },
  },
  {
    name: 'notify: a header file that is not "Name: value" lines is refused without echoing it',
    plan: (p) => {
      p.notify = [{ url: 'https://alerts.example.com/hook', headerFile: 'webhook-header' }];
    },
    files: (dir) => writeFileSync(join(dir, 'webhook-header'), 'Bearer s3cret-not-a-header\n'),
    expect: {
      code: 'webhook-header-file',
      field: 'notify[0].headerFile',
      file: 'plan',
      message: /line 1 is not "Header-Name: value"/,
    },
  },
  {
    name: 'notify: an unknown event gets a suggestion',
    plan: (p) => {
      p.notify = [{ url: 'https://alerts.example.com/hook', events: ['node-faild'] }];
    },
    expect: { code: 'field-invalid-value', field: 'notify[0].events', file: 'plan', fix: /did you mean node-failed/ },
  },
  {
    name: 'notify: a webhook needs a URL',
    plan: (p) => {
      p.notify = [{ events: ['finished'] }];
    },
    expect: { code: 'field-missing', field: 'notify[0]', file: 'plan', fix: /urlFile/ },
  },
  {
    name: 'notify: a URL file holding something that is not a URL',
    plan: (p) => {
      p.notify = [{ urlFile: 'slack-url' }];
    },
    files: (dir) => writeFileSync(join(dir, 'slack-url'), 'ftp://example.com/x\n'),
    expect: { code: 'webhook-url-file', field: 'notify[0].urlFile', file: 'plan', message: /uses ftp/ },
  },
  {
    name: 'a private key pasted into the plan is refused without echoing it',
    plan: (p) => {
      p.ssh.privateKey =
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
    },
    expect: {
      code: 'secret-in-plan',
      field: 'ssh.privateKey',
      file: 'plan',
      message: /Temporal history/,
      fix: /rotate/,
    },
  },
  {
    name: 'a token pasted into the plan is refused',
    plan: (p) => {
      p.http = { token: 'eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiJib290c3RyYXB1c2VyIn0.c2lnbmF0dXJl' };
    },
    expect: { code: 'secret-in-plan', field: 'http.token', file: 'plan' },
  },
  {
    name: 'a public key named as the private key is refused',
    plan: (p) => {
      p.ssh.privateKey = 'keys/known_hosts.pub';
    },
    files: (dir) => writeFileSync(join(dir, 'keys/known_hosts.pub'), 'ssh-ed25519 AAAA\n'),
    expect: { code: 'ssh-key-is-public', field: 'ssh.privateKey', file: 'plan', fix: /without \.pub/ },
  },
  {
    name: '~user paths are not expanded',
    plan: (p) => {
      p.ssh.knownHosts = '~centos/.ssh/known_hosts';
    },
    expect: { code: 'path-unsupported', field: 'ssh.knownHosts', file: 'plan', message: /~user/ },
  },
  {
    name: 'malformed config.yaml is reported in that file with its position',
    newConfigText: 'bootstrap_url: http://10.0.0.5:8080\nmaster_list: [10.0.0.11,\n  bad: : x\n',
    expect: { code: 'config-yaml-invalid', field: '', file: 'new', message: /line \d+, column \d+/ },
  },
  {
    name: 'a config.yaml that is not a mapping is refused',
    oldConfigText: '- just\n- a list\n',
    expect: { code: 'config-not-a-mapping', field: '', file: 'old' },
  },

  // --- warnings that leave the plan valid ---------------------------------------------------
  {
    name: 'a single master is a warning about downtime',
    plan: (p) => {
      p.masters = ['10.0.0.11'];
    },
    config: (c) => {
      c.master_list = ['10.0.0.11'];
    },
    expect: { code: 'single-master', field: 'masters', file: 'plan', severity: 'warning' },
  },
  {
    name: 'a plan with no agents is valid with a warning',
    plan: (p) => {
      p.agents = [];
      delete (p as Rec).publicAgents;
    },
    expect: { code: 'no-agents', field: 'agents', file: 'plan', severity: 'warning' },
  },
  {
    name: 'an ip-detect that is not a script is a warning',
    files: (dir) => writeFileSync(join(dir, 'genconf/ip-detect'), 'echo 10.0.0.1\n'),
    expect: { code: 'ip-detect-no-shebang', field: 'config.ipDetect', file: 'plan', severity: 'warning' },
  },
  {
    name: 'backups.iam on open DC/OS before 1.13 (no IAM database there) is ignored with a warning',
    plan: (p) => {
      p.backups = { iam: 'take' };
      p.cluster.from = '1.12.3';
      p.cluster.to = '1.12.4';
    },
    expect: { code: 'backups-iam-not-applicable', field: 'backups.iam', file: 'plan', severity: 'warning' },
  },
  {
    name: 'a license on open DC/OS is ignored with a warning',
    plan: (p) => {
      p.config.license = 'genconf/license.txt';
    },
    expect: { code: 'license-not-applicable', field: 'config.license', file: 'plan', severity: 'warning' },
  },
];
