/**
 * Runbook step 1, "preconditions", as data: every preflight check with its stable name, what it
 * looks at and what the operator does when it fails. The names are what `preflight.override` in
 * the plan and `dcos-patch decide … override <names>` refer to, so never rename one. The same
 * list, with the reasons, is in docs/preflight.md.
 *
 * Pure: no I/O. The evaluators that turn observations into findings are beside this file
 * (host-facts.ts, cluster.ts, marathon.ts); the activity that gathers the observations is
 * src/activities/preflight.ts.
 */
import type { PreflightFinding } from '../shared/activity-types';

export const CHECK_NAMES = [
  'ssh-reachable',
  'sudo',
  'installed-version',
  'systemd-version',
  'ipset',
  'ipv6',
  'exhibitor-serving',
  'mesos-leader',
  'agents-registered',
  'marathon-event-subscribers',
  'marathon-constraints',
  'marathon-on-marathon',
  'marathon-apps-healthy',
  'cockroach-replicated',
  'strict-mode-restarts',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckInfo {
  name: CheckName;
  /** `host`: one finding per host; `cluster`: findings about the cluster (or an app) as a whole. */
  scope: 'host' | 'cluster';
  /** Which hosts it looks at (host checks). */
  hosts?: 'all-with-bootstrap' | 'cluster-nodes' | 'masters' | 'agents';
  what: string;
  fix: string;
}

export const CHECKS: Readonly<Record<CheckName, CheckInfo>> = {
  'ssh-reachable': {
    name: 'ssh-reachable',
    scope: 'host',
    hosts: 'all-with-bootstrap',
    what: 'the worker logs in with ssh.user and ssh.privateKey, and the host key is in ssh.knownHosts and matches',
    fix: 'make the host reachable on its SSH port; add its key to ssh.knownHosts (ssh-keyscan -p <port> <host> >> known_hosts, after checking the fingerprint); install the public key for ssh.user',
  },
  sudo: {
    name: 'sudo',
    scope: 'host',
    hosts: 'all-with-bootstrap',
    what: '`sudo -n true` succeeds for ssh.user (the patch runs the node script and reads root-owned files with sudo, never with a password)',
    fix: 'give ssh.user passwordless sudo, e.g. a sudoers.d entry `<user> ALL=(ALL) NOPASSWD: ALL`',
  },
  'installed-version': {
    name: 'installed-version',
    scope: 'host',
    hosts: 'cluster-nodes',
    what: '/opt/mesosphere/etc/dcos-version.json shows cluster.from (or already cluster.to: that host is skipped)',
    fix: 'correct cluster.from in the plan, or bring the host to cluster.from first (the node script refuses any other installed version)',
  },
  'systemd-version': {
    name: 'systemd-version',
    scope: 'host',
    hosts: 'cluster-nodes',
    what: '`systemctl --version` is 218 or later (a DC/OS requirement)',
    fix: 'upgrade the OS (systemd ≥ 218) on that host before patching',
  },
  ipset: {
    name: 'ipset',
    scope: 'host',
    hosts: 'cluster-nodes',
    what: 'the ipset tool is installed on CentOS/RHEL hosts (/etc/os-release ID or ID_LIKE centos/rhel)',
    fix: 'sudo yum install -y ipset',
  },
  ipv6: {
    name: 'ipv6',
    scope: 'host',
    hosts: 'cluster-nodes',
    what: 'when the new config.yaml has enable_ipv6 true or absent (DC/OS default true), the kernel has IPv6 enabled (`sysctl -n net.ipv6.conf.all.disable_ipv6` = 0); a cluster-wide warning points at the overlay-network advisory',
    fix: 'enable IPv6 in the kernel of that host (net.ipv6.conf.all.disable_ipv6 = 0, no ipv6.disable=1 boot option); enable_ipv6 itself may not change on an installed cluster',
  },
  'exhibitor-serving': {
    name: 'exhibitor-serving',
    scope: 'host',
    hosts: 'masters',
    what: 'every master answers /exhibitor/v1/cluster/status on the Exhibitor port and every ensemble member is "serving"',
    fix: 'bring ZooKeeper back on that master (journalctl -u dcos-exhibitor; /opt/mesosphere/active/exhibitor/usr/zookeeper/zookeeper.out) before patching',
  },
  'mesos-leader': {
    name: 'mesos-leader',
    scope: 'cluster',
    what: 'exactly one master reports master/elected = 1 and that leader has registrar/log/recovered = 1',
    fix: 'wait for a leader to be elected and its registry to recover (journalctl -u dcos-mesos-master on the masters)',
  },
  'agents-registered': {
    name: 'agents-registered',
    scope: 'host',
    hosts: 'agents',
    what: "every agent and public agent in the plan is registered and active in the leading master's /state",
    fix: 'start the agent (journalctl -u dcos-mesos-slave / dcos-mesos-slave-public) or remove it from the plan if it left the cluster',
  },
  'marathon-event-subscribers': {
    name: 'marathon-event-subscribers',
    scope: 'host',
    hosts: 'masters',
    what: '/opt/mesosphere/bin/marathon.sh (and the dcos-marathon unit) on the masters do not pass --event_subscriber http_callback',
    fix: 'remove `--event_subscriber http_callback` (or MARATHON_EVENT_SUBSCRIBER=http_callback) from /opt/mesosphere/bin/marathon.sh (or the dcos-marathon unit) on that master and restart Marathon there',
  },
  'marathon-constraints': {
    name: 'marathon-constraints',
    scope: 'cluster',
    what: "every app's constraints in Marathon's /v2/apps are valid: [field, operator(, value)], with the value rules of each operator",
    fix: 'correct the constraint with `dcos marathon app update <app id>` (or the UI) before patching',
  },
  'marathon-on-marathon': {
    name: 'marathon-on-marathon',
    scope: 'cluster',
    what: 'apps that are Marathon instances (label DCOS_PACKAGE_NAME=marathon, or image mesosphere/marathon) run 1.3.5 or later',
    fix: 'upgrade that Marathon instance to 1.3.5 or later first',
  },
  'marathon-apps-healthy': {
    name: 'marathon-apps-healthy',
    scope: 'cluster',
    what: 'every Marathon app has all its instances running and, with health checks, passing them (/v2/apps): the workload baseline — an app already not healthy is named and never blocks the patch (policy.health: baseline); one healthy now must be healthy again after every node',
    fix: 'look at the app (`dcos marathon app show <id>`); fix it first, or patch knowing it was broken before',
  },
  'cockroach-replicated': {
    name: 'cockroach-replicated',
    scope: 'cluster',
    what: 'CockroachDB (the IAM database, where it runs) has every node live and no range unavailable, and how many ranges are under-replicated (`cockroach node status --ranges` on a master): with policy.health baseline that many are the baseline — the gates after each master want no more than before; strict wants 0',
    fix: 'check journalctl -u dcos-cockroach on the masters and let CockroachDB catch up before patching',
  },
  'strict-mode-restarts': {
    name: 'strict-mode-restarts',
    scope: 'cluster',
    what: 'moving to strict mode: pods (DEFAULT executors) and tasks on the Mesos HTTP command executor are listed, because they restart when the masters are patched',
    fix: 'plan for those restarts (scale or move the listed services first) or patch in a maintenance window',
  },
};

/** The order findings are reported in: catalog order, then host order as given. */
export function sortFindings(findings: PreflightFinding[], hostOrder: readonly string[]): PreflightFinding[] {
  const checkRank = (c: string) => {
    const i = (CHECK_NAMES as readonly string[]).indexOf(c);
    return i < 0 ? CHECK_NAMES.length : i;
  };
  const hostRank = (h: string | undefined) => {
    if (h === undefined) return -1;
    const i = hostOrder.indexOf(h);
    return i < 0 ? hostOrder.length : i;
  };
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => checkRank(a.f.check) - checkRank(b.f.check) || hostRank(a.f.host) - hostRank(b.f.host) || a.i - b.i)
    .map((x) => x.f);
}

/** Builders that keep messages in one shape: what was seen; for warn/fail also what to do. */
export function pass(check: CheckName, message: string, host?: string): PreflightFinding {
  return host === undefined ? { check, status: 'pass', message } : { check, host, status: 'pass', message };
}

export function warn(check: CheckName, message: string, host?: string, fix = CHECKS[check].fix): PreflightFinding {
  const text = fix ? `${message}; fix: ${fix}` : message;
  return host === undefined ? { check, status: 'warn', message: text } : { check, host, status: 'warn', message: text };
}

export function fail(check: CheckName, message: string, host?: string, fix = CHECKS[check].fix): PreflightFinding {
  const text = fix ? `${message}; fix: ${fix}` : message;
  return host === undefined ? { check, status: 'fail', message: text } : { check, host, status: 'fail', message: text };
}
