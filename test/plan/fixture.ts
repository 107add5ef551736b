/**
 * Plan fixtures written to a temp directory: a good plan, its old and new config.yaml, ip-detect,
 * a license, SSH key and known_hosts files. Each test mutates the plan object, the plan text or a
 * config, then runs the real plan check on the files.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { stringify } from 'yaml';
import { checkPlanFile, type PlanCheckResult } from '../../src/plan/check';
import type { Variant } from '../../src/shared/plan';

export type Rec = Record<string, unknown>;

export interface FixtureOptions {
  variant?: Variant;
  /** Mutate the plan object before it is written. */
  plan?: (plan: PlanObject) => void;
  /** Rewrite the plan's YAML text (after `plan`). */
  planText?: (text: string) => string;
  /** Mutate both configs (before the per-file mutations). */
  config?: (c: Rec) => void;
  oldConfig?: (c: Rec) => void;
  newConfig?: (c: Rec) => void;
  /** Replace a config's text entirely. */
  oldConfigText?: string;
  newConfigText?: string;
  /** Change the files on disk after everything is written. */
  files?: (dir: string) => void;
}

export interface PlanObject extends Rec {
  cluster: Rec;
  bootstrap: Rec;
  config: Rec;
  ssh: Rec;
  masters: unknown[];
  agents: unknown[];
  publicAgents: unknown[];
}

export interface Fixture {
  dir: string;
  planPath: string;
  oldConfigPath: string;
  newConfigPath: string;
  check(): PlanCheckResult;
}

const roots: string[] = [];

export function basePlan(variant: Variant): PlanObject {
  const plan: PlanObject = {
    cluster: { name: 'prod-east', variant, from: '2.1.4', to: '2.1.5' },
    bootstrap: { host: '10.0.0.5', installerDir: '/home/centos/dcos-2.1.5' },
    config: { old: 'genconf-2.1.4/config.yaml', new: 'genconf/config.yaml', ipDetect: 'genconf/ip-detect' },
    ssh: { user: 'centos', privateKey: 'keys/dcos_patch', knownHosts: 'keys/known_hosts' },
    masters: ['10.0.0.11', { host: '10.0.0.12', sshPort: 2222, ports: { exhibitor: 18181 } }, '10.0.0.13'],
    agents: ['10.0.1.1', '10.0.1.2', '10.0.1.3'],
    publicAgents: ['10.0.2.1'],
  };
  if (variant === 'enterprise') {
    plan.config.license = 'genconf/license.txt';
    plan.http = { token: 'secrets/dcos-token', mesosHttps: true };
  }
  return plan;
}

export function baseConfig(variant: Variant): Rec {
  const c: Rec = {
    cluster_name: 'prod-east',
    bootstrap_url: 'http://10.0.0.5:8080',
    exhibitor_storage_backend: 'static',
    master_discovery: 'static',
    master_list: ['10.0.0.11', '10.0.0.12', '10.0.0.13'],
    resolvers: ['8.8.8.8', '8.8.4.4'],
    dns_search: 'example.com',
    enable_ipv6: false,
    telemetry_enabled: false,
    process_timeout: 10000,
  };
  if (variant === 'enterprise') {
    c.security = 'permissive';
    c.superuser_username = 'admin';
    c.fault_domain_enabled = false;
  }
  return c;
}

export function makeFixture(opts: FixtureOptions = {}): Fixture {
  const variant = opts.variant ?? 'open';
  const dir = mkdtempSync(join(tmpdir(), 'dcos-patch-plan-'));
  roots.push(dir);
  for (const d of ['genconf', 'genconf-2.1.4', 'keys', 'secrets', 'tls']) mkdirSync(join(dir, d));

  const oldConfig = baseConfig(variant);
  const newConfig = baseConfig(variant);
  opts.config?.(oldConfig);
  opts.config?.(newConfig);
  opts.oldConfig?.(oldConfig);
  opts.newConfig?.(newConfig);
  const oldConfigPath = join(dir, 'genconf-2.1.4/config.yaml');
  const newConfigPath = join(dir, 'genconf/config.yaml');
  writeFileSync(oldConfigPath, opts.oldConfigText ?? stringify(oldConfig));
  writeFileSync(newConfigPath, opts.newConfigText ?? stringify(newConfig));
  writeFileSync(join(dir, 'genconf/ip-detect'), '#!/usr/bin/env bash\necho 10.0.0.1\n');
  writeFileSync(join(dir, 'genconf/license.txt'), 'LICENSE\n');
  writeFileSync(join(dir, 'keys/dcos_patch'), fixtureKey(), { mode: 0o600 });
  writeFileSync(join(dir, 'keys/known_hosts'), '');
  writeFileSync(join(dir, 'secrets/dcos-token'), 'not a real token\n', { mode: 0o600 });
  writeFileSync(join(dir, 'tls/dcos-ca.crt'), 'CA\n');

  const plan = basePlan(variant);
  opts.plan?.(plan);
  let text = stringify(plan);
  if (opts.planText) text = opts.planText(text);
  const planPath = join(dir, 'plan.yaml');
  writeFileSync(planPath, text);
  opts.files?.(dir);
  return { dir, planPath, oldConfigPath, newConfigPath, check: () => checkPlanFile(planPath) };
}

/** Remove every fixture directory (call from `after`). */
export function cleanFixtures(): void {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true });
}

let key: string | undefined;
/** A real private key (the check parses it), made once per test process. */
export function fixtureKey(): string {
  key ??= utils.generateKeyPairSync('ecdsa', { bits: 256 }).private;
  return key;
}
