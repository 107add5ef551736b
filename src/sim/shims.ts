/**
 * The host commands of a simulated host, as bash scripts (src/sim/shims/*.sh) rendered and written
 * into each host root. Commands that need live cluster state forward to the simulator through
 * `.simcmd` (curl to the control API); the rest are plain bash reading the host's files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const cache = new Map<string, string>();

export function shimTemplate(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(__dirname, 'shims', name), 'utf8');
    cache.set(name, text);
  }
  return text;
}

export function render(name: string, vars: Record<string, string>): string {
  return shimTemplate(name).replace(/@([A-Z_]+)@/g, (m, k: string) => vars[k] ?? m);
}

/** A command answered by the simulator from live state. */
export function forwardShim(command: string): string {
  return render('forward.sh', { NAME: command });
}

/** Shims in `<root>/sim-bin` on every host (ipset only while the fact says it is installed). */
export function simBinShims(): Record<string, string> {
  return {
    '.simcmd': shimTemplate('simcmd.sh'),
    sudo: shimTemplate('sudo.sh'),
    systemctl: forwardShim('systemctl'),
    journalctl: forwardShim('journalctl'),
    sysctl: shimTemplate('sysctl.sh'),
  };
}

/** Shims in `<root>/opt/mesosphere/bin` on DC/OS nodes. */
export function mesosphereBinShims(role: 'master' | 'agent' | 'public-agent'): Record<string, string> {
  const shims: Record<string, string> = {
    detect_ip: shimTemplate('detect_ip.sh'),
    'dcos-check-runner': forwardShim('dcos-check-runner'),
    'dcos-shell': shimTemplate('dcos-shell.sh'),
  };
  if (role === 'master') {
    shims['mesos-master'] = forwardShim('mesos-master');
    shims.cockroach = forwardShim('cockroach');
  } else {
    shims['mesos-agent'] = forwardShim('mesos-agent');
  }
  return shims;
}
