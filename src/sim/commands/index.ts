/** The host commands the simulator answers, by the name the shims forward them under. */
import { generateConfig } from '../bootstrap';
import { iamBackup, zkBackup } from './backup';
import { checkRunner } from './checks';
import { cockroach } from './cockroach';
import type { CmdHandler } from './context';
import { mesosBinary } from './mesos';
import { scriptEnd, scriptInvoked, scriptStart, unitsStart, unitsStop } from './script';
import { journalctl, systemctl } from './systemd';

export const COMMANDS: Record<string, CmdHandler> = {
  systemctl,
  journalctl,
  'mesos-master': mesosBinary('mesos-master'),
  'mesos-agent': mesosBinary('mesos-agent'),
  cockroach,
  'dcos-check-runner': checkRunner,
  'dcos-zk': zkBackup,
  'iam-database-backup': iamBackup,
  'generate-config': generateConfig,
  'script-invoked': scriptInvoked,
  'script-start': scriptStart,
  'script-end': scriptEnd,
  'units-stop': unitsStop,
  'units-start': unitsStart,
};
