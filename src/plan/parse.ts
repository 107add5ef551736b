/**
 * Read the plan file (docs/plan-file.md) into a draft: every field typed, defaults applied, local
 * paths resolved and proven readable, hosts named and cross-checked. Problems become findings; the
 * parser never throws. The version and config.yaml rules run afterwards (check.ts).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { utils as sshUtils } from 'ssh2';
import { CHECK_NAMES } from '../preflight/catalog';
import { runsIamDatabase } from '../shared/dcos-releases';
import {
  type BootstrapSpec,
  type CanarySpec,
  DEFAULT_GATES,
  DEFAULT_POLICY,
  DEFAULT_PORTS,
  DEFAULT_PROBE_ROUTE,
  DEFAULT_REMOTE_WORK_DIR,
  DEFAULT_WINDOW_MIN_NODE_MS,
  type GateTimings,
  HEALTH_POLICIES,
  type HttpAuth,
  type NodePorts,
  type NodeRole,
  type NodeSpec,
  type NotifyHook,
  type Policy,
  PROBE_ROUTES,
  type ProbeRoute,
  type RampStep,
  type SshSettings,
  type Variant,
} from '../shared/plan';
import { MAX_AGENT_CONCURRENCY, MAX_FAILURE_BUDGET } from '../shared/plan-input';
import { nodeId } from '../shared/plan-wire';
import { rampProblem } from '../shared/ramp';
import { NODE_CA_BUNDLE, NODE_EXHIBITOR_TLS_DIR } from '../shared/remote-paths';
import { readCanary } from './canary';
import { errorText, firstLine, MAX_YAML_BYTES, parseYaml, positionOf } from './config-yaml';
import { describeValue, formatDuration } from './durations';
import {
  checkUnknownKeys,
  type FieldContext,
  isRec,
  isVolatileRemoteDir,
  join,
  type Rec,
  readBool,
  readDuration,
  readEnum,
  readFileName,
  readHost,
  readInt,
  readRemotePath,
  readSection,
  readString,
  readVersionText,
} from './fields';
import type { Findings } from './findings';
import { readLocalFile } from './local-files';
import { readNotify } from './notify';
import { AGENT_PING_TIMEOUT_MS } from './rules';
import { readWindows } from './windows';

/** The plan as parsed, before the version and config.yaml rules. Absent parts were invalid. */
export interface PlanDraft {
  /** The plan file as the caller named it. */
  file: string;
  /** Absolute path of the plan file. */
  path: string;
  cluster?: string;
  variant?: Variant;
  /** `cluster.from` / `cluster.to` as written (validated by the version rules). */
  from?: string;
  to?: string;
  mesosVersion?: string;
  bootstrap?: BootstrapSpec;
  /** Absolute paths of readable files; absent when missing or invalid. */
  config: { old?: string; new?: string; ipDetect?: string; license?: string };
  ssh?: SshSettings;
  http: HttpAuth;
  masters: NodeSpec[];
  agents: NodeSpec[];
  publicAgents: NodeSpec[];
  policy: Policy;
  backups: { zookeeper: 'take' | 'confirmed'; iam?: 'take' | 'confirmed' };
  preflightOverrides: string[];
  remoteWorkDir: string;
  notify?: NotifyHook[];
  canary?: CanarySpec;
}

const VARIANTS: readonly Variant[] = ['open', 'enterprise'];
const BACKUP_CHOICES = ['take', 'confirmed'] as const;
const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const SSH_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const CHECK_NAME = /^[a-z0-9][a-z0-9-]*$/;
const DEFAULT_SSH_PORT = 22;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';
type RoleKey = 'masters' | 'agents' | 'publicAgents';
/** A node and the plan field it came from (for findings). */
type Placed = { node: NodeSpec; field: string };
const ROLE_SECTIONS: readonly { key: RoleKey; role: NodeRole }[] = [
  { key: 'masters', role: 'master' },
  { key: 'agents', role: 'agent' },
  { key: 'publicAgents', role: 'public-agent' },
];

/** Read and parse a plan file. `file` is reported as given; relative paths resolve beside it. */
export function parsePlanFile(file: string, findings: Findings): PlanDraft | undefined {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = errorText(err);
    findings.error(
      file,
      '',
      why === 'no such file' ? 'file-missing' : 'file-unreadable',
      `cannot read the plan file ${path}: ${why}`,
      'check the path given to dcos-patch and the file permissions'
    );
    return undefined;
  }
  return parsePlanText(text, file, dirname(path), findings);
}

/** Parse plan text; `dir` is where relative paths resolve. */
export function parsePlanText(text: string, file: string, dir: string, findings: Findings): PlanDraft | undefined {
  if (text.length > MAX_YAML_BYTES) {
    findings.error(
      file,
      '',
      'file-too-large',
      `the plan file is ${text.length} bytes; a plan is a few KiB (at most ${MAX_YAML_BYTES} read)`,
      'check that the path names the plan file'
    );
    return undefined;
  }
  const { doc, problem } = parseYaml(text, {});
  if (problem) {
    findings.error(
      file,
      '',
      'plan-yaml-invalid',
      problem,
      'correct the YAML at that position (indentation uses spaces; quote values that contain ": " or "#")'
    );
    return undefined;
  }
  for (const w of doc.warnings) {
    findings.warning(
      file,
      '',
      'plan-yaml-warning',
      `${firstLine(w.message)}${positionOf(w.linePos)}`,
      'rewrite that part in plain YAML'
    );
  }
  let root: unknown;
  try {
    root = doc.toJS();
  } catch (err) {
    findings.error(
      file,
      '',
      'plan-yaml-invalid',
      `not usable YAML: ${errorText(err)}`,
      'write plain YAML (no alias tricks)'
    );
    return undefined;
  }
  const ctx: FieldContext = {
    findings,
    file,
    dir,
    sourceOf: (p) => {
      const node = doc.getIn(p, true);
      return node && typeof node === 'object' && 'source' in node && typeof node.source === 'string'
        ? node.source
        : undefined;
    },
  };
  if (!isRec(root)) {
    findings.error(
      file,
      '',
      'plan-not-a-mapping',
      `a plan is a YAML mapping with cluster:, bootstrap:, masters: …; this file holds ${describeValue(root)}`,
      'start from the example in docs/plan-file.md'
    );
    return undefined;
  }
  checkUnknownKeys(ctx, root, '', '');
  return readPlan(ctx, root, resolve(dir, basename(file)));
}

function readPlan(ctx: FieldContext, root: Rec, path: string): PlanDraft {
  const cluster = readSection(ctx, root.cluster, 'cluster', 'cluster', true);
  const name = readClusterName(ctx, cluster);
  const variant = readEnum(ctx, cluster, 'variant', 'cluster.variant', VARIANTS, { required: true });
  const from = readVersionText(ctx, cluster, ['cluster', 'from'], 'cluster.from', true);
  const to = readVersionText(ctx, cluster, ['cluster', 'to'], 'cluster.to', true);
  const mesosVersion = readVersionText(ctx, cluster, ['cluster', 'mesosVersion'], 'cluster.mesosVersion', false);

  const ssh = readSsh(ctx, root.ssh);
  const sshPort = ssh?.port ?? DEFAULT_SSH_PORT;
  const ports = readPorts(ctx, root.ports, 'ports', DEFAULT_PORTS);
  const bootstrap = readBootstrap(ctx, root.bootstrap, sshPort, variant);
  const config = readConfigFiles(ctx, root.config);
  const http = readHttp(ctx, root.http, readProbeRoute(ctx, root));

  const nodes: Record<RoleKey, Placed[]> = { masters: [], agents: [], publicAgents: [] };
  for (const { key, role } of ROLE_SECTIONS) {
    nodes[key] = readNodes(ctx, root[key], key, role, sshPort, ports, key === 'masters');
  }
  checkHostSets(ctx, root, nodes, bootstrap);

  const policy = readPolicy(ctx, root.policy);
  const agentCount = nodes.agents.length + nodes.publicAgents.length;
  if (policy.agentFailureBudget > agentCount) {
    ctx.findings.error(
      ctx.file,
      'policy.agentFailureBudget',
      'value-out-of-range',
      `policy.agentFailureBudget is ${policy.agentFailureBudget}, more than the ${agentCount} agents the plan lists`,
      `set it to at most ${agentCount}`
    );
  }
  const backups = readBackups(ctx, root.backups, variant, from);
  const preflightOverrides = readPreflight(ctx, root.preflight);
  const remoteWorkDir =
    readRemotePath(ctx, root, 'remoteWorkDir', 'remoteWorkDir', {
      required: false,
      fallback: DEFAULT_REMOTE_WORK_DIR,
      example: DEFAULT_REMOTE_WORK_DIR,
    }) ?? DEFAULT_REMOTE_WORK_DIR;
  if (isVolatileRemoteDir(remoteWorkDir)) {
    ctx.findings.error(
      ctx.file,
      'remoteWorkDir',
      'remote-work-dir-volatile',
      `remoteWorkDir ${remoteWorkDir} is on tmpfs on the hosts (emptied at boot): the node script's run markers and host lease must survive a reboot, or a rebooted node's run is forgotten`,
      `use a directory on disk, e.g. ${DEFAULT_REMOTE_WORK_DIR}`
    );
  }

  return {
    file: ctx.file,
    path,
    cluster: name,
    variant,
    from,
    to,
    mesosVersion,
    bootstrap,
    config,
    ssh,
    http,
    masters: nodes.masters.map((p) => p.node),
    agents: nodes.agents.map((p) => p.node),
    publicAgents: nodes.publicAgents.map((p) => p.node),
    policy,
    backups,
    preflightOverrides,
    remoteWorkDir,
    notify: readNotify(ctx, root.notify),
    canary: readCanary(ctx, root.canary, nodes.agents.length, policy.agentConcurrency),
  };
}

function readClusterName(ctx: FieldContext, cluster: Rec | undefined): string | undefined {
  const name = readString(ctx, cluster, 'name', 'cluster.name', { required: true, example: 'prod-east' });
  if (name === undefined) return undefined;
  if (!CLUSTER_NAME.test(name)) {
    ctx.findings.error(
      ctx.file,
      'cluster.name',
      'cluster-name-invalid',
      `cluster.name "${name}" may hold only letters, digits, ".", "_" and "-" (at most 100): it becomes part of workflow ids and search attributes`,
      `rename it, e.g. "${name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 100)}"`
    );
    return undefined;
  }
  return name;
}

function readSsh(ctx: FieldContext, value: unknown): SshSettings | undefined {
  const ssh = readSection(ctx, value, 'ssh', 'ssh', true);
  const user = readString(ctx, ssh, 'user', 'ssh.user', { required: true, example: 'centos' });
  if (user !== undefined && !SSH_USER.test(user)) {
    ctx.findings.error(
      ctx.file,
      'ssh.user',
      'ssh-user-invalid',
      `ssh.user "${user}" is not a plain Unix user name`,
      'use the login name only (letters, digits, _ . -), without @host'
    );
  }
  const port = readInt(ctx, ssh, 'port', 'ssh.port', { min: 1, max: 65535, fallback: DEFAULT_SSH_PORT });
  const privateKeyPath = readLocalFile(ctx, ssh, 'privateKey', 'ssh.privateKey', {
    required: true,
    example: '~/.ssh/dcos_patch',
    secret: 'private-key',
  });
  if (privateKeyPath?.endsWith('.pub')) {
    ctx.findings.error(
      ctx.file,
      'ssh.privateKey',
      'ssh-key-is-public',
      `ssh.privateKey names ${privateKeyPath}, a public key`,
      'name the private key file (the same path without .pub)'
    );
  } else if (privateKeyPath) {
    const problem = privateKeyProblem(privateKeyPath);
    if (problem) {
      ctx.findings.error(
        ctx.file,
        'ssh.privateKey',
        'ssh-key-unusable',
        `ssh.privateKey ${privateKeyPath} is not a usable private key: ${problem}`,
        'point it at an unencrypted OpenSSH or PEM private key (ssh-keygen -t ed25519 -N "" -f <file>), mode 0600'
      );
    }
  }
  const knownHostsPath = readLocalFile(ctx, ssh, 'knownHosts', 'ssh.knownHosts', {
    required: false,
    fallback: DEFAULT_KNOWN_HOSTS,
    example: DEFAULT_KNOWN_HOSTS,
  });
  const connectTimeoutMs = readDuration(ctx, ssh, 'connectTimeout', 'ssh.connectTimeout', DEFAULT_CONNECT_TIMEOUT_MS);
  if (!ssh || user === undefined || !privateKeyPath || !knownHostsPath) return undefined;
  return { user, port, privateKeyPath, knownHostsPath, connectTimeoutMs };
}

function readPorts(ctx: FieldContext, value: unknown, field: string, base: NodePorts): Required<NodePorts> {
  const rec = readSection(ctx, value, field, 'ports', false);
  const port = (key: keyof NodePorts) =>
    readInt(ctx, rec, key, join(field, key), { min: 1, max: 65535, fallback: base[key] ?? DEFAULT_PORTS[key] });
  return {
    exhibitor: port('exhibitor'),
    mesosMaster: port('mesosMaster'),
    mesosAgent: port('mesosAgent'),
    marathon: port('marathon'),
    mesosDns: port('mesosDns'),
  };
}

function readBootstrap(
  ctx: FieldContext,
  value: unknown,
  sshPort: number,
  variant: Variant | undefined
): BootstrapSpec | undefined {
  const rec = readSection(ctx, value, 'bootstrap', 'bootstrap', true);
  const address = readHost(ctx, rec?.host, 'bootstrap.host', rec !== undefined);
  const port = readInt(ctx, rec, 'sshPort', 'bootstrap.sshPort', { min: 1, max: 65535, fallback: sshPort });
  const installerDir = readRemotePath(ctx, rec, 'installerDir', 'bootstrap.installerDir', {
    required: rec !== undefined,
    example: '/home/centos/dcos-2.1.5',
  });
  const defaultInstaller = variant === 'enterprise' ? 'dcos_generate_config.ee.sh' : 'dcos_generate_config.sh';
  const installerName = readFileName(ctx, rec, 'installer', 'bootstrap.installer', defaultInstaller);
  if (!address || !installerDir) return undefined;
  return { address, sshPort: port, installerDir, installerName };
}

function readConfigFiles(ctx: FieldContext, value: unknown): PlanDraft['config'] {
  const rec = readSection(ctx, value, 'config', 'config', true);
  const file = (key: string, required: boolean, example: string) =>
    readLocalFile(ctx, rec, key, join('config', key), { required: required && rec !== undefined, example });
  const files = {
    old: file('old', true, 'genconf-2.1.4/config.yaml'),
    new: file('new', true, 'genconf/config.yaml'),
    ipDetect: file('ipDetect', true, 'genconf/ip-detect'),
    license: file('license', false, 'genconf/license.txt'),
  };
  if (files.ipDetect) checkIpDetect(ctx, files.ipDetect);
  return files;
}

/** ip-detect is a script the nodes run; one without `#!` fails on the node, not here. */
function checkIpDetect(ctx: FieldContext, path: string): void {
  let head = '';
  try {
    head = readFileSync(path, 'utf8').slice(0, 2);
  } catch {
    return;
  }
  if (head !== '#!') {
    ctx.findings.warning(
      ctx.file,
      'config.ipDetect',
      'ip-detect-no-shebang',
      `${path} does not start with "#!"; DC/OS runs ip-detect as a script on every node`,
      'use the ip-detect script the cluster was installed with (it starts with #!/usr/bin/env bash or similar)'
    );
  }
}

function readProbeRoute(ctx: FieldContext, root: Rec): ProbeRoute {
  return readEnum(ctx, root, 'probes', 'probes', PROBE_ROUTES, { required: false }) ?? DEFAULT_PROBE_ROUTE;
}

function readHttp(ctx: FieldContext, value: unknown, probes: ProbeRoute): HttpAuth {
  const rec = readSection(ctx, value, 'http', 'http', false);
  const http: HttpAuth = { probes, mesosHttps: readBool(ctx, rec, 'mesosHttps', 'http.mesosHttps', false) };
  if (probes === 'ssh') readExhibitorTlsOnNode(ctx, rec, http);
  else readExhibitorTlsFiles(ctx, rec, http);
  if (probes === 'ssh' && rec?.mesosCa !== undefined && rec.mesosCa !== null) {
    ctx.findings.warning(
      ctx.file,
      'http.mesosCa',
      'mesos-ca-unused',
      `with probes: ssh the nodes check Mesos HTTPS against their own CA bundle (${NODE_CA_BUNDLE}); http.mesosCa is not used`,
      'remove http.mesosCa, or set probes: http to probe from the worker with it'
    );
  } else {
    const mesosCaCertPath = readLocalFile(ctx, rec, 'mesosCa', 'http.mesosCa', {
      required: false,
      example: 'tls/dcos-ca.crt',
    });
    if (mesosCaCertPath) http.mesosCaCertPath = mesosCaCertPath;
  }
  const tokenPath = readLocalFile(ctx, rec, 'token', 'http.token', {
    required: false,
    example: 'secrets/dcos-token',
    secret: 'token',
  });
  if (tokenPath) http.tokenPath = tokenPath;
  return http;
}

/** probes: ssh — `exhibitorTls: true`: each master's own certificate files; nothing is copied to the worker. */
function readExhibitorTlsOnNode(ctx: FieldContext, rec: Rec | undefined, http: HttpAuth): void {
  const value = rec?.exhibitorTls;
  if (value === undefined || value === null || value === false) return;
  if (value === true) {
    http.exhibitorTlsOnNode = true;
    return;
  }
  ctx.findings.error(
    ctx.file,
    'http.exhibitorTls',
    'exhibitor-tls-on-node',
    `with probes: ssh Exhibitor is asked on each master with the master's own files (${NODE_EXHIBITOR_TLS_DIR}); http.exhibitorTls names copies on the worker`,
    'set http.exhibitorTls: true (no key material on the worker), or set probes: http to use these copies from the worker'
  );
}

/** probes: http — `exhibitorTls: { ca, cert, key }`: copies of the client certificate on the worker. */
function readExhibitorTlsFiles(ctx: FieldContext, rec: Rec | undefined, http: HttpAuth): void {
  if (rec?.exhibitorTls === true) {
    ctx.findings.error(
      ctx.file,
      'http.exhibitorTls',
      'exhibitor-tls-files',
      'with probes: http the worker asks Exhibitor itself and needs the client certificate files; http.exhibitorTls is true',
      'give http.exhibitorTls.ca, .cert and .key (copies on the worker), or remove probes: http to ask on the masters over SSH'
    );
    return;
  }
  const tls = readSection(ctx, rec?.exhibitorTls, 'http.exhibitorTls', 'http.exhibitorTls', false);
  if (!tls) return;
  const f = (key: string, secret?: 'private-key') =>
    readLocalFile(ctx, tls, key, join('http.exhibitorTls', key), {
      required: true,
      example: `tls/${key === 'ca' ? 'root-cert' : key === 'cert' ? 'client-cert' : 'client-key'}.pem`,
      secret,
    });
  const caCertPath = f('ca');
  const clientCertPath = f('cert');
  const clientKeyPath = f('key', 'private-key');
  if (caCertPath && clientCertPath && clientKeyPath) http.exhibitorTls = { caCertPath, clientCertPath, clientKeyPath };
}

/** A node list: bare addresses or `{ host, sshPort, ports }` objects with per-host overrides. */
function readNodes(
  ctx: FieldContext,
  value: unknown,
  key: string,
  role: NodeRole,
  sshPort: number,
  ports: NodePorts,
  required: boolean
): Placed[] {
  if (value === undefined || value === null) {
    if (required) {
      ctx.findings.error(
        ctx.file,
        key,
        'field-missing',
        `required list ${key} is missing`,
        `list the ${key} addresses under ${key}: (see docs/plan-file.md)`
      );
    }
    return [];
  }
  if (!Array.isArray(value)) {
    ctx.findings.error(
      ctx.file,
      key,
      'field-type',
      `${key} must be a list of addresses, found ${describeValue(value)}`,
      `write one "- address" line per host under ${key}:`
    );
    return [];
  }
  const nodes: Placed[] = [];
  value.forEach((entry: unknown, i) => {
    const field = join(key, i);
    if (isRec(entry)) {
      checkUnknownKeys(ctx, entry, field, 'host');
      const address = readHost(ctx, entry.host, join(field, 'host'), true);
      const port = readInt(ctx, entry, 'sshPort', join(field, 'sshPort'), { min: 1, max: 65535, fallback: sshPort });
      const nodePorts = readPorts(ctx, entry.ports, join(field, 'ports'), ports);
      if (address) nodes.push({ node: nodeSpec(role, address, port, nodePorts), field: join(field, 'host') });
    } else {
      const address = readHost(ctx, entry, field, true);
      if (address) nodes.push({ node: nodeSpec(role, address, sshPort, { ...ports }), field });
    }
  });
  return nodes;
}

function nodeSpec(role: NodeRole, address: string, sshPort: number, ports: NodePorts): NodeSpec {
  return { id: nodeId(role, address), role, address, sshPort, ports };
}

/** Master count, duplicates, a host in two roles, the bootstrap node inside the cluster. */
function checkHostSets(
  ctx: FieldContext,
  root: Rec,
  nodes: Record<RoleKey, Placed[]>,
  bootstrap: BootstrapSpec | undefined
): void {
  if (Array.isArray(root.masters)) {
    const count = root.masters.length;
    if (![1, 3, 5].includes(count)) {
      ctx.findings.error(
        ctx.file,
        'masters',
        'master-count',
        `${count} master${count === 1 ? '' : 's'} listed; a DC/OS cluster has 1, 3 or 5 masters`,
        'list every master of the cluster exactly once (the same addresses as master_list in config.yaml)'
      );
    } else if (count === 1) {
      ctx.findings.warning(
        ctx.file,
        'masters',
        'single-master',
        'one master: while it is patched the cluster has no master (Marathon, Mesos and the UI are down)',
        'plan a maintenance window; nothing can keep a single-master cluster up during the patch'
      );
    }
  }
  const seen = new Map<string, string>();
  for (const { key } of ROLE_SECTIONS) {
    for (const { node, field } of nodes[key]) {
      const addr = node.address.toLowerCase();
      if (bootstrap && addr === bootstrap.address.toLowerCase()) {
        ctx.findings.error(
          ctx.file,
          field,
          'host-is-bootstrap',
          `${node.address} is also bootstrap.host; the bootstrap node must not be a cluster node`,
          'use a separate machine as the bootstrap node, or correct the address'
        );
      }
      const earlier = seen.get(addr);
      if (earlier === undefined) {
        seen.set(addr, field);
      } else if (earlier.startsWith(`${key}[`)) {
        ctx.findings.error(
          ctx.file,
          field,
          'host-duplicate',
          `${node.address} is listed twice in ${key} (also at ${earlier})`,
          'list each host once'
        );
      } else {
        ctx.findings.error(
          ctx.file,
          field,
          'host-in-two-roles',
          `${node.address} is in ${key} and also at ${earlier}; a DC/OS node has exactly one role`,
          'keep the host only under the role it has in /etc/mesosphere/roles/'
        );
      }
    }
  }
  if (nodes.agents.length === 0 && nodes.publicAgents.length === 0 && Array.isArray(root.masters)) {
    ctx.findings.warning(
      ctx.file,
      'agents',
      'no-agents',
      'no agents or publicAgents listed: only the masters will be patched',
      'list every agent; an unpatched agent keeps running the old release'
    );
  }
}

function readPolicy(ctx: FieldContext, value: unknown): Policy {
  const rec = readSection(ctx, value, 'policy', 'policy', false);
  const d = DEFAULT_POLICY;
  const agentConcurrency = readInt(ctx, rec, 'agentConcurrency', 'policy.agentConcurrency', {
    min: 1,
    max: MAX_AGENT_CONCURRENCY,
    fallback: d.agentConcurrency,
    why: 'agents patched at once',
  });
  const agentFailureBudget = readInt(ctx, rec, 'agentFailureBudget', 'policy.agentFailureBudget', {
    min: 0,
    max: MAX_FAILURE_BUDGET,
    fallback: d.agentFailureBudget,
  });
  const approveEachMaster = readBool(ctx, rec, 'approveEachMaster', 'policy.approveEachMaster', d.approveEachMaster);
  const approveBeforeAgents = readBool(
    ctx,
    rec,
    'approveBeforeAgents',
    'policy.approveBeforeAgents',
    d.approveBeforeAgents
  );
  const agentRamp = readRamp(ctx, rec?.agentRamp);
  const health = readEnum(ctx, rec, 'health', 'policy.health', HEALTH_POLICIES, { required: false }) ?? d.health!;
  const windows = readWindows(ctx, rec?.windows);
  const windowMinNodeMs = readDuration(
    ctx,
    rec,
    'windowMinNodeTime',
    'policy.windowMinNodeTime',
    DEFAULT_WINDOW_MIN_NODE_MS
  );
  return {
    agentConcurrency,
    ...(agentRamp?.length ? { agentRamp } : {}),
    agentFailureBudget,
    approveEachMaster,
    approveBeforeAgents,
    health,
    gates: readGates(ctx, rec),
    ...(windows ? { windows, windowMinNodeMs } : {}),
  };
}

/** `agentRamp: [1, 5, "20%"]` (see src/shared/ramp.ts). */
function readRamp(ctx: FieldContext, value: unknown): RampStep[] | undefined {
  if (value === undefined || value === null) return undefined;
  const problem = rampProblem(value, MAX_AGENT_CONCURRENCY);
  if (problem) {
    ctx.findings.error(
      ctx.file,
      'policy.agentRamp',
      'field-invalid-value',
      `policy.agentRamp ${problem}`,
      'write e.g. agentRamp: [1, 5, "20%"] — the first agent alone, then 5 at once, then 20% of the agents'
    );
    return undefined;
  }
  return value as RampStep[];
}

function readGates(ctx: FieldContext, policy: Rec | undefined): GateTimings {
  const rec = readSection(ctx, policy?.gates, 'policy.gates', 'policy.gates', false);
  const g = DEFAULT_GATES;
  const dur = (key: string, fallback: number) => readDuration(ctx, rec, key, join('policy.gates', key), fallback);
  const gates: GateTimings = {
    pollIntervalMs: dur('pollInterval', g.pollIntervalMs),
    stablePolls: readInt(ctx, rec, 'stablePolls', 'policy.gates.stablePolls', {
      min: 1,
      max: 100,
      fallback: g.stablePolls,
      why: 'consecutive good polls before a gate passes',
    }),
    exhibitorTimeoutMs: dur('exhibitorTimeout', g.exhibitorTimeoutMs),
    mesosMasterTimeoutMs: dur('mesosMasterTimeout', g.mesosMasterTimeoutMs),
    cockroachTimeoutMs: dur('cockroachTimeout', g.cockroachTimeoutMs),
    cockroachPollIntervalMs: dur('cockroachPollInterval', g.cockroachPollIntervalMs),
    agentWindowMs: dur('agentWindow', g.agentWindowMs),
    scriptTimeoutMs: dur('scriptTimeout', g.scriptTimeoutMs),
  };
  checkGateTimings(ctx, gates);
  return gates;
}

/** A gate needs `stablePolls` good polls: its timeout must leave room for them. */
function checkGateTimings(ctx: FieldContext, g: GateTimings): void {
  const pairs: [key: string, timeout: number, interval: number, intervalKey: string, polls: number][] = [
    ['exhibitorTimeout', g.exhibitorTimeoutMs, g.pollIntervalMs, 'pollInterval', g.stablePolls],
    ['mesosMasterTimeout', g.mesosMasterTimeoutMs, g.pollIntervalMs, 'pollInterval', g.stablePolls],
    ['agentWindow', g.agentWindowMs, g.pollIntervalMs, 'pollInterval', g.stablePolls],
    ['cockroachTimeout', g.cockroachTimeoutMs, g.cockroachPollIntervalMs, 'cockroachPollInterval', g.stablePolls],
    ['scriptTimeout', g.scriptTimeoutMs, g.pollIntervalMs, 'pollInterval', 1],
  ];
  for (const [key, timeout, interval, intervalKey, polls] of pairs) {
    const field = join('policy.gates', key);
    if (ctx.findings.hasErrorAt(ctx.file, field)) continue;
    const needed = interval * polls;
    if (timeout <= needed) {
      const what =
        polls > 1
          ? `${polls} good polls (stablePolls) every ${formatDuration(interval)}`
          : `one poll every ${formatDuration(interval)}`;
      ctx.findings.error(
        ctx.file,
        field,
        'gate-timeout-too-short',
        `${key} ${formatDuration(timeout)} is not longer than ${what} = ${formatDuration(needed)} (${intervalKey}): the gate could never pass`,
        `make ${key} longer than ${formatDuration(needed)}, or shorten ${intervalKey}`
      );
    }
  }
  if (g.agentWindowMs > AGENT_PING_TIMEOUT_MS && !ctx.findings.hasErrorAt(ctx.file, 'policy.gates.agentWindow')) {
    ctx.findings.warning(
      ctx.file,
      'policy.gates.agentWindow',
      'agent-window-exceeds-ping-timeout',
      `agentWindow ${formatDuration(g.agentWindowMs)} is longer than the masters' agent ping timeout (5m): an agent that is still unregistered after 5m is declared gone and its tasks are lost before the gate gives up`,
      'keep agentWindow at 5m or less (unless the masters run with a longer agent ping timeout)'
    );
  }
}

/** What ssh2 (the worker's SSH client) says of the key file, or undefined when it parses. */
function privateKeyProblem(file: string): string | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined; // unreadable files are reported by readLocalFile
  }
  if (data.length === 0) return 'the file is empty';
  if (data.length > 64 * 1024) return `the file is ${data.length} bytes; a private key is a few KiB at most`;
  const parsed = sshUtils.parseKey(data);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error) return key.message;
  if (!key?.isPrivateKey()) return 'it holds no private key';
  return undefined;
}

function readBackups(
  ctx: FieldContext,
  value: unknown,
  variant: Variant | undefined,
  from: string | undefined
): PlanDraft['backups'] {
  const rec = readSection(ctx, value, 'backups', 'backups', false);
  const zookeeper = readEnum(ctx, rec, 'zookeeper', 'backups.zookeeper', BACKUP_CHOICES, { required: false }) ?? 'take';
  const iam = readEnum(ctx, rec, 'iam', 'backups.iam', BACKUP_CHOICES, { required: false });
  const hasIam = variant !== undefined && runsIamDatabase(variant, from ?? '');
  if (!hasIam && iam !== undefined) {
    ctx.findings.warning(
      ctx.file,
      'backups.iam',
      'backups-iam-not-applicable',
      `backups.iam is set but open DC/OS ${from} has no IAM database (CockroachDB arrived in open DC/OS 1.13); it is ignored`,
      'remove backups.iam'
    );
  }
  return hasIam ? { zookeeper, iam: iam ?? 'take' } : { zookeeper };
}

function readPreflight(ctx: FieldContext, value: unknown): string[] {
  const rec = readSection(ctx, value, 'preflight', 'preflight', false);
  const list = rec?.override;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    ctx.findings.error(
      ctx.file,
      'preflight.override',
      'field-type',
      `preflight.override must be a list of check names, found ${describeValue(list)}`,
      'write it as [name, ...], e.g. [marathon-constraints]'
    );
    return [];
  }
  const names: string[] = [];
  list.forEach((n: unknown, i) => {
    if (typeof n === 'string' && CHECK_NAME.test(n) && !(CHECK_NAMES as readonly string[]).includes(n)) {
      ctx.findings.error(
        ctx.file,
        join('preflight.override', i),
        'preflight-override-unknown',
        `preflight.override[${i}] is "${n}", which is no preflight check: it would override nothing`,
        `use one of: ${CHECK_NAMES.join(', ')}`
      );
    } else if (typeof n === 'string' && CHECK_NAME.test(n)) names.push(n);
    else {
      ctx.findings.error(
        ctx.file,
        join('preflight.override', i),
        'field-invalid-value',
        `preflight.override[${i}] is ${describeValue(n)}; preflight check names are kebab-case`,
        'use the name printed by the failing preflight check, e.g. marathon-constraints'
      );
    }
  });
  return names;
}
