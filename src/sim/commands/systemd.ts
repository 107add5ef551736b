/**
 * `systemctl` and `journalctl` of a simulated host, in systemd's own output formats, over the
 * model's unit states and per-unit journal.
 */
import { uptime } from 'node:os';
import type { ClusterModel, HostState, UnitRuntime } from '../model';
import { unitName } from '../units';
import {
  agoText,
  type CmdContext,
  type CmdResult,
  fail,
  hostname,
  ok,
  optionValue,
  syslogTime,
  systemdTime,
} from './context';

function activeSub(u: UnitRuntime): { active: string; sub: string } {
  if (u.state === 'active') return { active: 'active', sub: u.def.oneshot ? 'exited' : 'running' };
  if (u.state === 'failed') return { active: 'failed', sub: 'failed' };
  return { active: 'inactive', sub: 'dead' };
}

function unitPath(u: UnitRuntime): string {
  return u.def.system
    ? `/usr/lib/systemd/system/${u.def.name}.service`
    : `/etc/systemd/system/dcos.target.wants/${u.def.name}.service`;
}

function globToRegExp(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

function listUnits(h: HostState, args: string[]): CmdResult {
  const all = args.includes('--all') || args.includes('-a');
  const failedOnly = args.includes('--failed') || optionValue(args, ['--state']) === 'failed';
  const legend = !args.includes('--no-legend');
  const plain = args.includes('--plain');
  const patterns = args.filter((a) => !a.startsWith('-') && a !== 'list-units').map(globToRegExp);
  const rows = [...h.units.values()]
    .filter((u) => all || u.state !== 'inactive')
    .filter((u) => !failedOnly || u.state === 'failed')
    .filter((u) => patterns.length === 0 || patterns.some((p) => p.test(`${u.def.name}.service`) || p.test(u.def.name)))
    .map((u) => {
      const { active, sub } = activeSub(u);
      return {
        failed: u.state === 'failed',
        cols: [`${u.def.name}.service`, 'loaded', active, sub, u.def.description],
      };
    });
  const header = ['UNIT', 'LOAD', 'ACTIVE', 'SUB', 'DESCRIPTION'];
  const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r.cols[i]!.length)));
  const fmt = (cols: string[]): string =>
    cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join(' ');
  const lines: string[] = [];
  if (legend) lines.push(`${plain ? '' : '  '}${fmt(header)}`);
  for (const r of rows) lines.push(`${plain ? '' : r.failed ? '● ' : '  '}${fmt(r.cols)}`);
  if (legend) {
    lines.push(
      '',
      'LOAD   = Reflects whether the unit definition was properly loaded.',
      'ACTIVE = The high-level unit activation state, i.e. generalization of SUB.',
      'SUB    = The low-level unit activation state, values depend on unit type.',
      '',
      `${rows.length} loaded units listed.${all ? '' : ' Pass --all to see loaded but inactive units, too.'}`,
      "To show all installed unit files use 'systemctl list-unit-files'."
    );
  }
  return ok(`${lines.join('\n')}\n`);
}

function journalTail(h: HostState, unit: string, n: number): string[] {
  const host = hostname(h.spec.address);
  return (h.journal.get(unit) ?? []).slice(-n).map((l) => `${syslogTime(l.at)} ${host} ${l.proc}: ${l.msg}`);
}

function status(h: HostState, names: string[]): CmdResult {
  const out: string[] = [];
  const errs: string[] = [];
  let code = 0;
  for (const arg of names) {
    const u = h.units.get(unitName(arg));
    if (!u) {
      errs.push(`Unit ${unitName(arg)}.service could not be found.`);
      code = Math.max(code, 4);
      continue;
    }
    const { active, sub } = activeSub(u);
    const since = `since ${systemdTime(u.since)}; ${agoText(Date.now() - u.since)}`;
    const activeLine = u.state === 'failed' ? `failed (Result: exit-code) ${since}` : `${active} (${sub}) ${since}`;
    const bullet = u.state === 'active' ? '●' : u.state === 'failed' ? '●' : '○';
    if (out.length > 0) out.push('');
    out.push(
      `${bullet} ${u.def.name}.service - ${u.def.description}`,
      `   Loaded: loaded (${unitPath(u)}; enabled; vendor preset: disabled)`,
      `   Active: ${activeLine}`
    );
    if (u.state === 'active' && !u.def.oneshot) {
      out.push(
        ` Main PID: ${u.pid} (${u.def.process})`,
        `   CGroup: /system.slice/${u.def.name}.service`,
        `           └─${u.pid} ${u.def.process}`
      );
    } else if (u.state === 'failed') {
      out.push(` Main PID: ${u.pid} (code=exited, status=1/FAILURE)`);
    }
    out.push('', ...journalTail(h, u.def.name, 10));
    if (u.state !== 'active') code = Math.max(code, 3);
  }
  return { code, stdout: out.length > 0 ? `${out.join('\n')}\n` : '', stderr: errs.map((e) => `${e}\n`).join('') };
}

/** DC/OS's dcos-marathon unit only calls marathon.sh: the Marathon flags live in that script. */
function marathonExecStart(): string {
  return 'EnvironmentFile=/opt/mesosphere/environment\nExecStart=/opt/mesosphere/bin/marathon.sh';
}

function cat(ctx: CmdContext, names: string[]): CmdResult {
  const out: string[] = [];
  for (const arg of names) {
    const u = ctx.host.units.get(unitName(arg));
    if (!u) return fail(1, `No files found for ${unitName(arg)}.service.\n`);
    const exec =
      u.def.name === 'dcos-marathon' ? marathonExecStart() : `ExecStart=/opt/mesosphere/bin/${u.def.process}`;
    out.push(
      `# ${unitPath(u)}`,
      '[Unit]',
      `Description=${u.def.description}`,
      '',
      '[Service]',
      'Restart=always',
      'StartLimitInterval=0',
      'RestartSec=5',
      'EnvironmentFile=/opt/mesosphere/environment',
      `ExecStartPre=/opt/mesosphere/bin/bootstrap ${u.def.name}`,
      exec,
      ''
    );
  }
  return ok(`${out.join('\n')}\n`);
}

/** An epoch-ms moment as CLOCK_MONOTONIC µs of this machine (what /proc/uptime counts from). */
function monotonicUs(epochMs: number): number {
  const bootMs = Date.now() - uptime() * 1000;
  return Math.max(0, Math.round((epochMs - bootMs) * 1000));
}

function show(h: HostState, args: string[]): CmdResult {
  const props = (optionValue(args, ['-p', '--property']) ?? 'Id,ActiveState,SubState,LoadState,MainPID').split(',');
  const valueOnly = args.includes('--value');
  const names = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '-p' && args[i - 1] !== '--property');
  const out: string[] = [];
  for (const arg of names) {
    const u = h.units.get(unitName(arg));
    const { active, sub } = u ? activeSub(u) : { active: 'inactive', sub: 'dead' };
    const values: Record<string, string> = {
      Id: `${unitName(arg)}.service`,
      ActiveState: active,
      SubState: sub,
      LoadState: u ? 'loaded' : 'not-found',
      MainPID: u?.state === 'active' ? String(u.pid) : '0',
      Description: u?.def.description ?? '',
      ActiveEnterTimestamp: u ? systemdTime(u.since) : '',
      // µs since boot, as systemd counts it; 0 when the unit never stopped since boot.
      InactiveEnterTimestampMonotonic: u?.inactiveSince ? String(monotonicUs(u.inactiveSince)) : '0',
    };
    for (const p of props) out.push(valueOnly ? (values[p] ?? '') : `${p}=${values[p] ?? ''}`);
  }
  return ok(`${out.join('\n')}\n`);
}

const ACTIONS = new Set(['start', 'stop', 'restart', 'try-restart', 'reload-or-restart']);

export function systemctl(ctx: CmdContext): CmdResult {
  const { host: h, model } = ctx;
  const args = ctx.args;
  if (args.includes('--version')) {
    return ok(
      `systemd ${h.facts.systemdVersion}\n+PAM +AUDIT +SELINUX +IMA -APPARMOR +SMACK +SYSVINIT +UTMP +LIBCRYPTSETUP +GCRYPT +GNUTLS +ACL +XZ +LZ4 -SECCOMP +BLKID +ELFUTILS +KMOD +IDN\n`
    );
  }
  const quiet = args.includes('-q') || args.includes('--quiet');
  const positional = args.filter((a) => !a.startsWith('-'));
  const verb = positional[0] ?? 'list-units';
  const names = positional.slice(1);
  switch (verb) {
    case 'list-units':
      return listUnits(h, args);
    case 'is-active':
    case 'is-failed': {
      const states = names.map((n) => {
        const u = h.units.get(unitName(n));
        return u ? activeSub(u).active : 'unknown';
      });
      const want = verb === 'is-active' ? 'active' : 'failed';
      return {
        code: states.some((s) => s === want) ? 0 : verb === 'is-active' ? 3 : 1,
        stdout: quiet ? '' : states.map((s) => `${s}\n`).join(''),
      };
    }
    case 'is-enabled': {
      const known = names.every((n) => h.units.has(unitName(n)));
      return {
        code: known ? 0 : 1,
        stdout: quiet ? '' : names.map((n) => (h.units.has(unitName(n)) ? 'enabled\n' : '')).join(''),
        stderr: known ? '' : 'Failed to get unit file state: No such file or directory\n',
      };
    }
    case 'status':
      return names.length === 0 ? listUnits(h, []) : status(h, names);
    case 'cat':
      return cat(ctx, names);
    case 'show':
      return show(
        h,
        args.filter((a) => a !== 'show')
      );
    case 'daemon-reload':
    case 'reset-failed':
      return ok();
    default:
      if (ACTIONS.has(verb)) return manage(ctx, model, verb, names);
      return fail(1, `Unknown operation '${verb}'.\n`);
  }
}

function manage(ctx: CmdContext, model: ClusterModel, verb: string, names: string[]): CmdResult {
  if (names.length === 0) return fail(1, `Too few arguments.\n`);
  const units = names.map(unitName);
  for (const u of units) {
    if (!ctx.host.units.has(u)) return fail(5, `Failed to ${verb} ${u}.service: Unit not found.\n`);
  }
  if (ctx.euid !== 0) {
    return fail(
      1,
      `==== AUTHENTICATING FOR org.freedesktop.systemd1.manage-units ===\nAuthentication is required to manage system services or units.\nFailed to ${verb} ${units[0]}.service: Interactive authentication required.\n`
    );
  }
  model.systemctl(ctx.host, verb === 'stop' ? 'stop' : verb === 'start' ? 'start' : 'restart', units);
  const failed = units.filter((u) => ctx.host.units.get(u)?.state === 'failed');
  if (failed.length > 0 && verb !== 'stop') {
    return fail(
      1,
      `Job for ${failed[0]}.service failed because the control process exited with error code. See "systemctl status ${failed[0]}.service" and "journalctl -xe" for details.\n`
    );
  }
  return ok();
}

export function journalctl(ctx: CmdContext): CmdResult {
  const h = ctx.host;
  const args = ctx.args;
  const units: string[] = [];
  let n = Number.POSITIVE_INFINITY;
  let output = 'short';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-u' || a === '--unit') units.push(unitName(args[++i] ?? ''));
    else if (a.startsWith('--unit=')) units.push(unitName(a.slice(7)));
    else if (a.startsWith('-u') && a.length > 2) units.push(unitName(a.slice(2)));
    else if (a === '-n' || a === '--lines') n = Number(args[++i] ?? '10');
    else if (a.startsWith('--lines=')) n = Number(a.slice(8));
    else if (/^-n\d+$/.test(a)) n = Number(a.slice(2));
    else if (a === '-o' || a === '--output') output = args[++i] ?? 'short';
    else if (a.startsWith('--output=')) output = a.slice(9);
    else if (a === '--since' || a === '--until' || a === '-p' || a === '--priority') i++;
  }
  if (!Number.isFinite(n) && args.includes('-e')) n = 1000;
  const host = hostname(h.spec.address);
  const pick = units.length > 0 ? units : [...h.journal.keys()];
  const all = pick.flatMap((u) => h.journal.get(u) ?? []).sort((a, b) => a.at - b.at);
  const lines = !Number.isFinite(n) ? all : n > 0 ? all.slice(-n) : [];
  const start = ctx.model.bootAt;
  const out: string[] = [];
  if (output !== 'cat') out.push(`-- Logs begin at ${systemdTime(start)}, end at ${systemdTime(Date.now())}. --`);
  if (n === 0 || lines.length === 0) {
    if (output !== 'cat') out.push('-- No entries --');
  } else {
    for (const l of lines) out.push(output === 'cat' ? l.msg : `${syslogTime(l.at)} ${host} ${l.proc}: ${l.msg}`);
  }
  return ok(out.length > 0 ? `${out.join('\n')}\n` : '');
}
