/** `/opt/mesosphere/bin/mesos-master --version` (and mesos-agent): the Mesos version the installed DC/OS ships. */
import { type CmdContext, type CmdResult, fail, ok } from './context';

export function mesosBinary(binary: 'mesos-master' | 'mesos-agent') {
  return (ctx: CmdContext): CmdResult => {
    if (ctx.args.includes('--version')) return ok(`mesos ${ctx.model.mesosVersionOf(ctx.host)}\n`);
    if (ctx.args.includes('--help') || ctx.args.includes('-h')) {
      return ok(`Usage: ${binary} [options]\n\n  --version    Show version and exit.\n`);
    }
    return fail(
      1,
      `Failed to load flags: ${binary} is managed by systemd on this host (dcos-${binary === 'mesos-master' ? 'mesos-master' : 'mesos-slave'}); only --version is supported by the simulator\n`
    );
  };
}
