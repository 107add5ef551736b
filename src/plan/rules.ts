/**
 * The runbook's rules about config.yaml, kept as data so a reviewer can check them against the
 * DC/OS docs line by line. The code that applies them is in config-rules.ts; why each rule exists
 * is in docs/rules.md.
 */
import type { SecurityMode } from '../shared/plan';

/** A config.yaml parameter the docs allow to change on an installed cluster (same version). */
export interface AllowedChange {
  key: string;
  /** First DC/OS release line where changing it is supported, e.g. `1.12`. */
  since?: string;
}

/**
 * "Only these config.yaml parameters may change on an installed cluster" (DC/OS patch/upgrade
 * docs). `security` is handled on its own (stricter only), see SECURITY_ORDER.
 */
export const ALLOWED_CONFIG_CHANGES: readonly AllowedChange[] = [
  { key: 'dns_search' },
  { key: 'docker_remove_delay' },
  { key: 'gc_delay' },
  { key: 'resolvers' },
  { key: 'telemetry_enabled' },
  { key: 'use_proxy' },
  { key: 'http_proxy' },
  { key: 'https_proxy' },
  { key: 'no_proxy' },
  { key: 'enable_mesos_input_plugin', since: '1.12' },
];

/**
 * Parameters that may never change. The runbook names `exhibitor_zk_backend`; the setting gen
 * really reads is `exhibitor_storage_backend`. Refuse both: a different backend is a different
 * ZooKeeper ensemble, i.e. a new cluster.
 */
export const NEVER_CHANGE_KEYS: readonly string[] = ['exhibitor_zk_backend', 'exhibitor_storage_backend'];

/**
 * "No path/pathway change": where DC/OS keeps state on the hosts, where it reads its inputs, and
 * where nodes fetch their packages from. A key is a path when it is listed here or its name ends
 * with one of PATH_KEY_SUFFIXES.
 *
 * `bootstrap_url` counts as a pathway: nodes download every package from it and the node patch
 * script's URL is built on it; moving it mid-patch leaves patched and unpatched nodes pointing at
 * different servers. `aws_s3_bucket`/`aws_s3_prefix`/`exhibitor_azure_prefix` are where Exhibitor
 * keeps the ZooKeeper ensemble's shared state: changing them is as bad as changing the backend.
 */
export const PATH_KEYS: readonly string[] = [
  'bootstrap_url',
  'exhibitor_fs_config_dir',
  'ip_detect_filename',
  'ip_detect_public_filename',
  'ip6_detect_filename',
  'fault_domain_detect_filename',
  'check_search_path',
  'bootstrap_tmp_dir',
  'aws_s3_bucket',
  'aws_s3_prefix',
  'exhibitor_azure_prefix',
];

export const PATH_KEY_SUFFIXES: readonly string[] = ['_path', '_dir', '_directory', '_filename', '_file'];

export function isPathKey(key: string): boolean {
  return PATH_KEYS.includes(key) || PATH_KEY_SUFFIXES.some((s) => key.endsWith(s));
}

/**
 * gen's defaults for parameters a merged ("new format") config.yaml may add or drop without
 * changing anything: a key added with exactly its default, or removed while holding it, is not a
 * change. Only defaults that are the same across DC/OS 1.10–2.2 are listed *(check)*; anything
 * else added or removed counts as a change.
 */
export const GEN_DEFAULTS: readonly { key: string; value: string; since?: string }[] = [
  { key: 'telemetry_enabled', value: 'true' },
  { key: 'use_proxy', value: 'false' },
  { key: 'dns_search', value: '' },
  { key: 'no_proxy', value: '' },
  { key: 'docker_remove_delay', value: '1hrs' },
  { key: 'gc_delay', value: '2days' },
  { key: 'enable_ipv6', value: 'true', since: '1.11' },
];

/** Security modes from loosest to strictest; a cluster may only move one step to the right. */
export const SECURITY_ORDER: readonly SecurityMode[] = ['disabled', 'permissive', 'strict'];

/**
 * The security mode DC/OS Enterprise uses when config.yaml has no `security` line *(check)*:
 * the Enterprise docs give `permissive` as the default. Open DC/OS has no security modes and is
 * recorded as `disabled`.
 */
export const ENTERPRISE_DEFAULT_SECURITY: SecurityMode = 'permissive';

/** `enable_ipv6` exists from DC/OS 1.11; gen's default there is `true`. */
export const ENABLE_IPV6_SINCE = '1.11';

/** DC/OS Enterprise needs `genconf/license.txt` from 1.11 (licensing arrived with 1.11). */
export const LICENSE_SINCE = '1.11';

/**
 * Parameter names whose values are secrets: masked in summaries. gen's own `secret` list is
 * `cluster_docker_credentials`, `exhibitor_admin_password`, `exhibitor_azure_account_key`,
 * `aws_secret_access_key`; the patterns below cover those and err on the side of masking.
 */
export const SECRET_KEY_PATTERNS: readonly RegExp[] = [
  /password/i,
  /secret/i,
  /key/i,
  /token/i,
  /credential/i,
  /^aws_/i,
];

export function looksSecret(key: string): boolean {
  return SECRET_KEY_PATTERNS.some((p) => p.test(key));
}

/** The masters' agent ping timeout: an agent silent for longer is declared gone and its tasks lost. */
export const AGENT_PING_TIMEOUT_MS = 5 * 60_000;

/** Where each rule's fix points the operator. */
export const DOCS = {
  upgrade: 'the DC/OS upgrade procedure (docs: Installing > Upgrading), not a patch',
  ipv6Advisory: 'the DC/OS overlay-network advisory (set enable_ipv6: false)',
} as const;
