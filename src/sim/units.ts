/** The systemd units a DC/OS host runs, by role, variant and version (FACTS.md "Units"). */
import type { HostRole } from './types';

export interface UnitDef {
  name: string;
  description: string;
  /** Oneshot units show `active (exited)`. */
  oneshot?: boolean;
  /** The main process name in `systemctl status` and journal lines. */
  process: string;
  /** Not a DC/OS unit (docker, sshd): never stopped by the patch. */
  system?: boolean;
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return true;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

const SYSTEM: UnitDef[] = [
  { name: 'docker', description: 'Docker Application Container Engine', process: 'dockerd', system: true },
  { name: 'sshd', description: 'OpenSSH server daemon', process: 'sshd', system: true },
  { name: 'systemd-journald', description: 'Journal Service', process: 'systemd-journal', system: true },
];

const ALL_NODES: UnitDef[] = [
  {
    name: 'dcos-diagnostics',
    description: 'Diagnostics: DC/OS Distributed Diagnostics Tool',
    process: 'dcos-diagnostics',
  },
  { name: 'dcos-download', description: 'Pkgpanda: Download DC/OS to this host.', process: 'pkgpanda', oneshot: true },
  { name: 'dcos-pkgpanda-api', description: 'Pkgpanda API: Manages local DC/OS packages', process: 'pkgpanda-api' },
  { name: 'dcos-setup', description: 'Pkgpanda: Specialize DC/OS for this host.', process: 'pkgpanda', oneshot: true },
  { name: 'dcos-telegraf', description: 'Telegraf: collects DC/OS cluster metrics', process: 'telegraf' },
];

const NET_NEW: UnitDef = {
  name: 'dcos-net',
  description: 'DC/OS Net: A distributed systems & network overlay daemon',
  process: 'dcos-net',
};
const NET_OLD: UnitDef = {
  name: 'dcos-spartan',
  description: 'DNS Dispatcher: An RFC5625 Compliant DNS Forwarder',
  process: 'spartan',
};

const MASTER: UnitDef[] = [
  {
    name: 'dcos-adminrouter',
    description: 'Admin Router Master: exposes a unified control plane proxy for components and services using NGINX',
    process: 'nginx',
  },
  { name: 'dcos-cosmos', description: 'Package Service: DC/OS Packaging API', process: 'java' },
  { name: 'dcos-exhibitor', description: 'Exhibitor: Zookeeper Supervisor Service', process: 'java' },
  { name: 'dcos-history', description: 'Mesos History: DC/OS Resource Metrics History Service/API', process: 'python' },
  { name: 'dcos-log-master', description: 'DC/OS Log: exposes the system journal over HTTP', process: 'dcos-log' },
  { name: 'dcos-marathon', description: 'Marathon: DC/OS Init System', process: 'java' },
  { name: 'dcos-mesos-dns', description: 'Mesos DNS: DNS based Service Discovery', process: 'mesos-dns' },
  { name: 'dcos-mesos-master', description: 'Mesos Master: distributed systems kernel', process: 'mesos-master' },
  { name: 'dcos-metronome', description: 'Jobs Service: DC/OS Metronome', process: 'java' },
  { name: 'dcos-signal', description: 'Signal: DC/OS Signal Service', process: 'dcos-signal' },
];

const MASTER_IAM: UnitDef[] = [
  { name: 'dcos-bouncer', description: 'Bouncer: DC/OS Identity and Access Management', process: 'gunicorn' },
  { name: 'dcos-cockroach', description: 'CockroachDB: Persistent storage for DC/OS IAM', process: 'cockroach' },
];

const AGENT: UnitDef[] = [
  {
    name: 'dcos-adminrouter-agent',
    description: 'Admin Router Agent: exposes a unified control plane proxy for components and services using NGINX',
    process: 'nginx',
  },
  {
    name: 'dcos-log-agent',
    description: 'DC/OS Log: exposes the system journal and task logs over HTTP',
    process: 'dcos-log',
  },
];

export function slaveUnit(role: HostRole): string {
  return role === 'public-agent' ? 'dcos-mesos-slave-public' : 'dcos-mesos-slave';
}

/** Every unit a host of this role runs, sorted by name (as `systemctl list-units` shows them). */
export function unitsFor(role: HostRole, variant: 'open' | 'enterprise', version: string): UnitDef[] {
  if (role === 'bootstrap') return [...SYSTEM];
  const units: UnitDef[] = [...SYSTEM, ...ALL_NODES, versionAtLeast(version, 1, 11) ? NET_NEW : NET_OLD];
  if (role === 'master') {
    units.push(...MASTER);
    if (variant === 'enterprise' || versionAtLeast(version, 1, 13)) units.push(...MASTER_IAM);
    if (variant === 'enterprise') {
      units.push({ name: 'dcos-ca', description: 'DC/OS CA: Certificate Authority', process: 'dcos-ca' });
    }
  } else {
    units.push(...AGENT);
    units.push(
      role === 'public-agent'
        ? {
            name: 'dcos-mesos-slave-public',
            description: 'Mesos Agent Public: distributed systems kernel agent',
            process: 'mesos-agent',
          }
        : {
            name: 'dcos-mesos-slave',
            description: 'Mesos Agent: distributed systems kernel agent',
            process: 'mesos-agent',
          }
    );
  }
  return units.sort((a, b) => a.name.localeCompare(b.name));
}

/** The unit whose state decides whether a DC/OS port answers. */
export const UNIT_FOR_PORT = {
  exhibitor: 'dcos-exhibitor',
  mesosMaster: 'dcos-mesos-master',
  marathon: 'dcos-marathon',
  mesosDns: 'dcos-mesos-dns',
} as const;

/** Accept `dcos-mesos-master`, `dcos-mesos-master.service`. */
export function unitName(arg: string): string {
  return arg.replace(/\.service$/, '');
}
