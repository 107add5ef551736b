/**
 * Writes what an operator would bring to a patch of the simulated cluster: the genconf files
 * (old and new config.yaml, ip-detect, Enterprise license) and `<dir>/plan.yaml` in the format of
 * docs/plan-file.md, pointing at the simulator's SSH key, known_hosts and TLS/token files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PORTS } from '../shared/plan';
import type { SimHost, SimTimings } from './types';

export interface ClusterConfigInput {
  clusterName: string;
  bootstrapUrl: string;
  masters: string[];
  variant: 'open' | 'enterprise';
  security: 'disabled' | 'permissive' | 'strict';
}

/** The config.yaml the cluster was installed with (also each node's user.config.yaml). */
export function clusterConfigYaml(c: ClusterConfigInput): string {
  const lines = [
    `bootstrap_url: ${c.bootstrapUrl}`,
    `cluster_name: ${c.clusterName}`,
    'exhibitor_storage_backend: static',
    'master_discovery: static',
    'master_list:',
    ...c.masters.map((m) => `- ${m}`),
    'resolvers:',
    '- 8.8.8.8',
    '- 8.8.4.4',
    'dns_search: sim.dcos.local',
    'enable_ipv6: false',
    'ip_detect_filename: genconf/ip-detect',
    'docker_remove_delay: 1hrs',
    'gc_delay: 2days',
    'telemetry_enabled: false',
    'process_timeout: 600',
  ];
  if (c.variant === 'enterprise') {
    lines.push(
      `security: ${c.security}`,
      'superuser_username: bootstrapuser',
      'superuser_password_hash: $6$rounds=656000$simulated$hash',
      'fault_domain_enabled: false'
    );
  }
  return `${lines.join('\n')}\n`;
}

export const IP_DETECT = `#!/usr/bin/env bash
# ip-detect: print this node's IPv4 address.
# On the simulated cluster every host is its own loopback address (SIM_ADDR).
set -o nounset -o errexit
if [ -n "\${SIM_ADDR:-}" ]; then echo "$SIM_ADDR"; exit 0; fi
ip -4 -o addr show scope global | awk '{split($4, a, "/"); print a[1]; exit}'
`;

export interface PlanInput {
  dir: string;
  clusterName: string;
  variant: 'open' | 'enterprise';
  fromVersion: string;
  toVersion: string;
  security: 'disabled' | 'permissive' | 'strict';
  user: string;
  sshPort: number;
  singleIp: boolean;
  bootstrap: SimHost;
  installerDir: string;
  installerName: string;
  masters: SimHost[];
  agents: SimHost[];
  publicAgents: SimHost[];
  configYaml: string;
  timings: SimTimings;
  /** Enterprise: Exhibitor client TLS files (absolute paths). */
  exhibitorTls?: { ca: string; cert: string; key: string };
  mesosHttps: boolean;
  mesosCa?: string;
  /** Strict mode: file holding a JWT. */
  tokenPath?: string;
  /** How the plan says probes reach the nodes (default: the product's default, ssh). */
  probes?: 'ssh' | 'http';
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function hostEntries(hosts: SimHost[], p: PlanInput): string[] {
  if (hosts.length === 0) return [];
  return hosts.map((h) => {
    if (!p.singleIp) return `  - ${h.address}`;
    const ports: string[] = [];
    if (h.role === 'master')
      ports.push(
        `exhibitor: ${h.ports.exhibitor}`,
        `mesosMaster: ${h.ports.mesosMaster}`,
        `marathon: ${h.ports.marathon}`,
        `mesosDns: ${h.ports.mesosDns}`
      );
    else ports.push(`mesosAgent: ${h.ports.mesosAgent}`);
    return `  - { host: ${h.address}, sshPort: ${h.sshPort}, ports: { ${ports.join(', ')} } }`;
  });
}

function rel(dir: string, p: string): string {
  const r = path.relative(dir, p);
  return r.startsWith('..') ? p : r;
}

/**
 * The `probes` and `http` sections. Over SSH (the default) the masters' own Exhibitor files and
 * the nodes' CA bundle are used; over HTTP the worker needs copies of them.
 */
function httpLines(p: PlanInput): string[] {
  const overHttp = p.probes === 'http';
  const lines = overHttp ? ['', 'probes: http'] : [];
  if (!p.exhibitorTls && !p.mesosHttps && !p.tokenPath) return lines;
  lines.push('', 'http:');
  if (p.exhibitorTls && !overHttp) lines.push('  exhibitorTls: true');
  if (p.exhibitorTls && overHttp) {
    lines.push(
      '  exhibitorTls:',
      `    ca: ${rel(p.dir, p.exhibitorTls.ca)}`,
      `    cert: ${rel(p.dir, p.exhibitorTls.cert)}`,
      `    key: ${rel(p.dir, p.exhibitorTls.key)}`
    );
  }
  lines.push(`  mesosHttps: ${p.mesosHttps}`);
  if (overHttp && p.mesosHttps && p.mesosCa) lines.push(`  mesosCa: ${rel(p.dir, p.mesosCa)}`);
  if (p.tokenPath) lines.push(`  token: ${rel(p.dir, p.tokenPath)}`);
  return lines;
}

export function planYaml(p: PlanInput): string {
  const t = p.timings;
  const gateTimeout = Math.max(120_000, Math.ceil((t.exhibitorRecoveryMs * 10) / 60_000) * 60_000);
  const lines: string[] = [
    `# Plan for the simulated DC/OS cluster in ${p.dir} (written by the dcos-patch simulator).`,
    `# Check it:  dcos-patch check ${path.join(p.dir, 'plan.yaml')}`,
    'cluster:',
    `  name: ${p.clusterName}`,
    `  variant: ${p.variant}`,
    `  from: ${p.fromVersion}`,
    `  to: ${p.toVersion}`,
    '',
    'bootstrap:',
    `  host: ${p.bootstrap.address}`,
    `  sshPort: ${p.bootstrap.sshPort}`,
    `  installerDir: ${p.installerDir}`,
    `  installer: ${p.installerName}`,
    '',
    'config:',
    `  old: genconf-${p.fromVersion}/config.yaml`,
    '  new: genconf/config.yaml',
    '  ipDetect: genconf/ip-detect',
  ];
  if (p.variant === 'enterprise') lines.push('  license: genconf/license.txt');
  lines.push(
    '',
    'ssh:',
    `  user: ${p.user}`,
    `  port: ${p.sshPort}`,
    '  privateKey: id_ed25519',
    '  knownHosts: known_hosts',
    '  connectTimeout: 5s'
  );
  lines.push(...httpLines(p));
  lines.push(
    '',
    'ports:',
    `  exhibitor: ${DEFAULT_PORTS.exhibitor}`,
    `  mesosMaster: ${DEFAULT_PORTS.mesosMaster}`,
    `  mesosAgent: ${DEFAULT_PORTS.mesosAgent}`,
    `  marathon: ${DEFAULT_PORTS.marathon}`,
    `  mesosDns: ${DEFAULT_PORTS.mesosDns}`,
    '',
    'masters:',
    ...hostEntries(p.masters, p),
    `agents:${p.agents.length === 0 ? ' []' : ''}`,
    ...hostEntries(p.agents, p),
    `publicAgents:${p.publicAgents.length === 0 ? ' []' : ''}`,
    ...hostEntries(p.publicAgents, p),
    '',
    'policy:',
    `  agentConcurrency: ${p.agents.length + p.publicAgents.length > 50 ? 10 : 2}`,
    '  agentFailureBudget: 0',
    '  approveEachMaster: false',
    '  approveBeforeAgents: false',
    '  gates:',
    `    pollInterval: ${duration(Math.max(200, Math.min(1000, Math.round(t.exhibitorRecoveryMs / 10))))}`,
    '    stablePolls: 3',
    `    exhibitorTimeout: ${duration(gateTimeout)}`,
    `    mesosMasterTimeout: ${duration(gateTimeout)}`,
    `    cockroachTimeout: ${duration(gateTimeout)}`,
    `    cockroachPollInterval: ${duration(Math.max(500, Math.min(60_000, Math.round(t.cockroachRecoveryMs / 3))))}`,
    `    agentWindow: ${duration(t.agentPingTimeoutMs)}`,
    `    scriptTimeout: ${duration(Math.max(300_000, Math.ceil((t.scriptMs * 20) / 60_000) * 60_000))}`,
    '',
    'backups:',
    '  zookeeper: take'
  );
  if (p.variant === 'enterprise') lines.push('  iam: take');
  lines.push('', 'preflight:', '  override: []', '', 'remoteWorkDir: /var/lib/dcos-patch', '');
  return lines.join('\n');
}

export async function writePlanFiles(p: PlanInput): Promise<string> {
  const oldDir = path.join(p.dir, `genconf-${p.fromVersion}`);
  const newDir = path.join(p.dir, 'genconf');
  await mkdir(oldDir, { recursive: true });
  await mkdir(newDir, { recursive: true });
  const writes = [
    writeFile(path.join(oldDir, 'config.yaml'), p.configYaml),
    writeFile(path.join(oldDir, 'ip-detect'), IP_DETECT, { mode: 0o755 }),
    writeFile(path.join(newDir, 'config.yaml'), p.configYaml),
    writeFile(path.join(newDir, 'ip-detect'), IP_DETECT, { mode: 0o755 }),
  ];
  if (p.variant === 'enterprise') {
    const license = `SIMULATED-DCOS-ENTERPRISE-LICENSE-${p.clusterName}\n`;
    writes.push(
      writeFile(path.join(oldDir, 'license.txt'), license),
      writeFile(path.join(newDir, 'license.txt'), license)
    );
  }
  await Promise.all(writes);
  const planPath = path.join(p.dir, 'plan.yaml');
  await writeFile(planPath, planYaml(p));
  return planPath;
}
