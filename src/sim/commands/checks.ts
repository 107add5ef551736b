/**
 * `dcos-check-runner check node-poststart|node-prestart|cluster`: indented JSON, exit code = the
 * worst status (0 ok, 1 warning, 2 failure, 3 unknown). No cluster checks exist by default.
 */
import type { ClusterModel, HostState } from '../model';
import { slaveUnit } from '../units';
import { type CmdContext, type CmdResult, fail } from './context';

interface CheckResult {
  status: number;
  output: string;
}

function nodeChecks(model: ClusterModel, h: HostState): Record<string, CheckResult> {
  const down = model.dcosUnits(h).filter((u) => u.state !== 'active');
  const checks: Record<string, CheckResult> = {
    clock_sync: { status: 0, output: 'Clock is synced\n' },
    [h.role === 'master' ? 'components_master' : 'components_agent']: down.length
      ? {
          status: 2,
          output: `Units not healthy: ${down.map((u) => `${u.def.name}.service (${u.state})`).join(', ')}\n`,
        }
      : { status: 0, output: '' },
    ip_detect_script: { status: 0, output: `${h.spec.address} is a valid IPv4 address\n` },
    journald_dir_permissions: {
      status: 0,
      output: 'directory /var/log/journal has the group owner `systemd-journal` and group permissions r-x\n',
    },
    xz: { status: 0, output: '' },
  };
  if (h.role === 'master') {
    const ex = model.exhibitorStatusOf(h);
    checks.zookeeper_serving =
      ex.code === 3 ? { status: 0, output: '' } : { status: 2, output: `Exhibitor reports ${ex.description}\n` };
    checks.mesos_master_replog_synchronized = h.registrarRecovered
      ? { status: 0, output: '' }
      : { status: 2, output: 'registrar/log/recovered is 0\n' };
  } else {
    checks.mesos_agent_registered_with_masters =
      model.agentActive(h) && model.unitActive(h, slaveUnit(h.role))
        ? { status: 0, output: '' }
        : { status: 2, output: 'Agent is not registered with the leading master\n' };
  }
  return checks;
}

export function checkRunner(ctx: CmdContext): CmdResult {
  const [verb, kind] = ctx.args.filter((a) => !a.startsWith('-'));
  if (verb !== 'check' || !kind) {
    return fail(1, 'Usage: dcos-check-runner check <node-prestart|node-poststart|cluster> [--list]\n');
  }
  let checks: Record<string, CheckResult>;
  if (kind === 'cluster') checks = {};
  else if (kind === 'node-poststart') checks = nodeChecks(ctx.model, ctx.host);
  else if (kind === 'node-prestart') checks = { ip_detect_script: { status: 0, output: '' } };
  else return fail(3, `Error: unknown check type "${kind}"\n`);
  if (ctx.args.includes('--list')) {
    return {
      code: 0,
      stdout: `${JSON.stringify(Object.fromEntries(Object.keys(checks).map((k) => [k, { description: k }])), null, 2)}\n`,
    };
  }
  const status = Object.values(checks).reduce((w, c) => Math.max(w, c.status), 0);
  return { code: status, stdout: `${JSON.stringify({ status, checks }, null, 2)}\n` };
}
