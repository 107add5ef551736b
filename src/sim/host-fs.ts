/**
 * The file system of one simulated host, laid out under its root directory: the DC/OS files the
 * runbook reads (dcos-version.json, user.config.yaml, roles, libltdl, Exhibitor TLS artifacts),
 * /etc/os-release, the installer on the bootstrap node, and the shims.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mesosphereBinShims, render, shimTemplate, simBinShims } from './shims';
import type { HostFacts, OsName, SimHost } from './types';

/**
 * Files that are the same on many hosts (shims, role markers, defaults) are written once into
 * `<dir>/.store/` and hard-linked into each host root: a link costs a tenth of a write, which is
 * what makes a 1,000-agent cluster start in about a second. Anything the simulator changes later
 * is replaced (new inode), never edited in place; dcos-version.json and user.config.yaml, which
 * dcos-patch and tests may write, are real per-host copies.
 */
export class FileStore {
  private readonly made = new Set<string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Link a file with this content and mode at `dest` (replacing whatever is there). */
  place(dest: string, content: string, mode = 0o644): void {
    const key = `${createHash('sha1').update(content).digest('hex')}-${mode.toString(8)}`;
    const src = path.join(this.dir, key);
    if (!this.made.has(key)) {
      writeFileSync(src, content);
      chmodSync(src, mode);
      this.made.add(key);
    }
    try {
      linkSync(src, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      rmSync(dest, { force: true });
      linkSync(src, dest);
    }
  }
}

/** Replace a file with new content (a new inode: never writes through a shared link). */
export function replaceFile(dest: string, content: string, mode = 0o644): void {
  const tmp = `${dest}.sim-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, dest);
}

export interface HostFsSpec {
  host: SimHost;
  variant: 'open' | 'enterprise';
  /** Installed DC/OS version. */
  version: string;
  /** Bootstrap only: the installer's version. */
  targetVersion: string;
  user: string;
  facts: HostFacts;
  /** user.config.yaml: the config the node was built with. */
  userConfig: string;
  /** Enterprise masters: the Exhibitor TLS artifacts (file name → content). */
  exhibitorTls?: Record<string, string>;
  /** Enterprise (or Mesos over HTTPS): the cluster CA bundle every node has. */
  caBundle?: string;
  /** Masters: /opt/mesosphere/bin/marathon.sh passes `--event_subscriber http_callback`. */
  marathonEventSubscriber?: boolean;
  store: FileStore;
}

/**
 * /opt/mesosphere/bin/marathon.sh as DC/OS ships it: the dcos-marathon unit only calls it, and
 * the Marathon flags (among them an `--event_subscriber`, where one was added) live here.
 */
export function marathonScript(address: string, eventSubscriber: boolean): string {
  const zk = 'zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181,zk-4.zk:2181,zk-5.zk:2181';
  return [
    '#!/bin/bash',
    '# Start Marathon on a DC/OS master (simulated: dcos-marathon runs in the simulator model).',
    'source /opt/mesosphere/environment.export',
    'exec java $MARATHON_JAVA_ARGS -jar "$PKG_PATH/usr/marathon/lib/marathon.jar" \\',
    `    --zk ${zk}/marathon \\`,
    `    --master ${zk}/mesos \\`,
    `    --hostname ${address} \\`,
    '    --default_accepted_resource_roles "*" \\',
    '    --mesos_role "slave_public" \\',
    '    --max_instances_per_offer 100 \\',
    '    --task_launch_timeout 86400000 \\',
    '    --enable_features "vips,task_killing,external_volumes,gpu_resources" \\',
    '    --mesos_authentication_principal "dcos_marathon" \\',
    ...(eventSubscriber ? ['    --event_subscriber http_callback \\'] : []),
    '    --mesos_user root "$@"',
    '',
  ].join('\n');
}

/** A new boot id for the host (at layout, and at every simulated reboot). */
export function writeBootId(root: string): void {
  writeFileSync(path.join(root, '.sim/boot_id'), `${randomUUID()}\n`);
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export function imageCommit(version: string): string {
  return sha1(`dcos-image ${version}`);
}

export function bootstrapId(version: string, variant: string): string {
  return sha1(`bootstrap ${variant} ${version}`);
}

/** The exact format of /opt/mesosphere/etc/dcos-version.json. */
export function versionJson(version: string, variant: 'open' | 'enterprise'): string {
  return `{"version": "${version}", "dcos-image-commit": "${imageCommit(version)}", "bootstrap-id": "${bootstrapId(version, variant)}"}\n`;
}

/** `version` from the host's dcos-version.json, or undefined when it is missing or unreadable. */
export function readInstalledVersion(root: string): string | undefined {
  try {
    const raw = JSON.parse(readFileSync(path.join(root, 'opt/mesosphere/etc/dcos-version.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof raw.version === 'string' ? raw.version : undefined;
  } catch {
    return undefined;
  }
}

export function installerName(variant: 'open' | 'enterprise'): string {
  return variant === 'enterprise' ? 'dcos_generate_config.ee.sh' : 'dcos_generate_config.sh';
}

export function installerDir(user: string, targetVersion: string): string {
  return user === 'root' ? `/root/dcos-${targetVersion}` : `/home/${user}/dcos-${targetVersion}`;
}

const OS_RELEASE: Record<OsName, string> = {
  centos: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
`,
  rhel: `NAME="Red Hat Enterprise Linux Server"
VERSION="7.9 (Maipo)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="7.9"
PRETTY_NAME="Red Hat Enterprise Linux Server 7.9 (Maipo)"
CPE_NAME="cpe:/o:redhat:enterprise_linux:7.9:GA:server"
`,
  coreos: `NAME="Container Linux by CoreOS"
ID=coreos
VERSION=2345.3.0
VERSION_ID=2345.3.0
BUILD_ID=2020-03-02-1751
PRETTY_NAME="Container Linux by CoreOS 2345.3.0 (Rhyolite)"
ANSI_COLOR="38;5;75"
HOME_URL="https://coreos.com/"
`,
  ubuntu: `NAME="Ubuntu"
VERSION="18.04.6 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.6 LTS"
VERSION_ID="18.04"
VERSION_CODENAME=bionic
`,
};

function factsFile(f: HostFacts): string {
  return [
    '# Host facts of this simulated host (written by the simulator).',
    `FACT_SYSTEMD_VERSION=${f.systemdVersion}`,
    `FACT_OS=${f.os}`,
    `FACT_IPSET_INSTALLED=${f.ipsetInstalled}`,
    `FACT_IPV6_DISABLED=${f.ipv6Disabled}`,
    `FACT_SUDO_NEEDS_PASSWORD=${f.sudoNeedsPassword}`,
    `FACT_LIBLTDL_PRESENT=${f.libltdlPresent}`,
    `FACT_REACHABLE=${f.reachable}`,
    '',
  ].join('\n');
}

const LIBLTDL = 'opt/mesosphere/lib/libltdl.so.7';

function isAgent(role: SimHost['role']): boolean {
  return role === 'agent' || role === 'public-agent';
}

/**
 * Make the host's files match its facts (facts file, os-release, ipset, libltdl). Synchronous (run
 * time); with a store (start-up), shared content is linked, otherwise replaced.
 */
export function applyFacts(host: SimHost, facts: HostFacts, changed?: Partial<HostFacts>, store?: FileStore): void {
  const root = host.root;
  const put = (rel: string, content: string, mode = 0o644): void => {
    const dest = path.join(root, rel);
    if (store) store.place(dest, content, mode);
    else replaceFile(dest, content, mode);
  };
  put('.sim/facts', factsFile(facts));
  if (!changed || changed.os !== undefined) put('etc/os-release', OS_RELEASE[facts.os]);
  if (!changed || changed.ipsetInstalled !== undefined) {
    if (facts.ipsetInstalled) put('sim-bin/ipset', shimTemplate('ipset.sh'), 0o755);
    else rmSync(path.join(root, 'sim-bin/ipset'), { force: true });
  }
  if (isAgent(host.role) && (!changed || changed.libltdlPresent !== undefined)) {
    const lib = path.join(root, LIBLTDL);
    if (facts.libltdlPresent) {
      mkdirSync(path.dirname(lib), { recursive: true });
      if (!existsSync(lib)) put(LIBLTDL, '\x7fELF (libltdl.so.7, simulated)\n');
    } else rmSync(lib, { force: true });
  }
}

function placeAll(store: FileStore, dir: string, files: Record<string, string>, mode: number): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) store.place(path.join(dir, name), content, mode);
}

const ROLE_FILE = { master: 'master', agent: 'slave', 'public-agent': 'slave_public' } as const;

/** Lay out a host root from scratch. */
export function layoutHost(s: HostFsSpec): void {
  const { host, store } = s;
  const root = host.root;
  const home = s.user === 'root' ? path.join(root, 'root') : path.join(root, 'home', s.user);
  // top-down, one mkdir each (a recursive mkdir per path costs twice the system calls)
  const dirs = [
    '.sim',
    'etc',
    'tmp',
    'var',
    'var/lib',
    'sim-bin',
    s.user === 'root' ? 'root' : 'home',
    path.relative(root, home),
  ];
  if (host.role !== 'bootstrap') {
    dirs.push('opt', 'opt/mesosphere', 'opt/mesosphere/bin', 'opt/mesosphere/etc', 'opt/mesosphere/lib');
    dirs.push('etc/mesosphere', 'etc/mesosphere/roles');
  }
  mkdirSync(root, { recursive: true });
  for (const d of new Set(dirs)) mkdirSync(path.join(root, d));
  writeBootId(root);
  placeAll(store, path.join(root, 'sim-bin'), simBinShims(), 0o755);

  if (host.role === 'bootstrap') {
    const dir = path.join(root, installerDir(s.user, s.targetVersion));
    mkdirSync(path.join(dir, 'genconf'), { recursive: true });
    const name = installerName(s.variant);
    const installer = render('dcos_generate_config.sh', {
      VERSION: s.targetVersion,
      VARIANT_NAME: s.variant === 'enterprise' ? 'DC/OS Enterprise' : 'DC/OS',
      INSTALLER: name,
    });
    placeAll(store, dir, { [name]: installer }, 0o755);
  } else {
    const etc = path.join(root, 'opt/mesosphere/etc');
    placeAll(store, path.join(root, 'opt/mesosphere/bin'), mesosphereBinShims(host.role), 0o755);
    // dcos-version.json and user.config.yaml: real copies (dcos-patch and tests may write them)
    writeFileSync(path.join(etc, 'dcos-version.json'), versionJson(s.version, s.variant));
    writeFileSync(path.join(etc, 'user.config.yaml'), s.userConfig);
    store.place(path.join(root, 'etc/mesosphere/roles', ROLE_FILE[host.role]), '');
    store.place(path.join(root, 'opt/mesosphere/environment'), 'PATH=/opt/mesosphere/bin:/usr/bin:/bin\n');
    if (host.role === 'master') {
      writeFileSync(
        path.join(root, 'opt/mesosphere/bin/marathon.sh'),
        marathonScript(host.address, s.marathonEventSubscriber ?? false),
        { mode: 0o755 }
      );
      const zk = path.join(root, 'opt/mesosphere/active/exhibitor/usr/zookeeper');
      mkdirSync(zk, { recursive: true });
      store.place(
        path.join(zk, 'zookeeper.out'),
        'INFO  [main:QuorumPeerMain@127] - Starting quorum peer\nINFO  [QuorumPeer[myid=1]/0.0.0.0:2181:QuorumPeer@856] - LOOKING\n'
      );
      if (s.exhibitorTls)
        placeAll(store, path.join(root, 'var/lib/dcos/exhibitor-tls-artifacts'), s.exhibitorTls, 0o600);
      const certsDir = /^(0|1)\./.test(s.version) ? 'run/dcos/pki/cockroach' : 'run/dcos/pki/bouncer';
      if (s.variant === 'enterprise') {
        placeAll(
          store,
          path.join(root, certsDir),
          { 'ca.crt': 'simulated\n', 'client.root.crt': 'simulated\n', 'client.root.key': 'simulated\n' },
          0o600
        );
      }
    }
  }
  if (s.caBundle) placeAll(store, path.join(root, 'run/dcos/pki/CA'), { 'ca-bundle.crt': s.caBundle }, 0o644);
  applyFacts(host, s.facts, undefined, store);
}
