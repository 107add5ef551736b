/**
 * `/opt/mesosphere/bin/cockroach node status --ranges ...` on masters: one row per master with the
 * FACTS.md columns; `ranges_underreplicated` > 0 on the live rows while any master's CockroachDB is
 * down or catching up. Formats: pretty (pipe table, default), tsv, csv.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HostState } from '../model';
import { type CmdContext, type CmdResult, fail, ok, optionValue } from './context';

const COLUMNS = [
  'id',
  'address',
  'build',
  'updated_at',
  'started_at',
  'replicas_leaders',
  'replicas_leaseholders',
  'ranges',
  'ranges_unavailable',
  'ranges_underreplicated',
];

const RANGES = 24;

function ts(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000+00:00`;
}

function dialError(target: string): CmdResult {
  return fail(
    1,
    `Error: cannot dial server.\nIs the server running?\nIf the server is running, check --host client-side and --advertise server-side.\n\ndial tcp ${target}:26257: connect: connection refused\nFailed running "node status"\n`
  );
}

export function table(rows: string[][], format: string): string {
  if (format === 'tsv' || format === 'csv') {
    const sep = format === 'tsv' ? '\t' : ',';
    return `${rows.length - 1} rows\n${rows.map((r) => r.join(sep)).join('\n')}\n`;
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const center = (s: string, w: number): string => {
    const left = Math.floor((w - s.length) / 2);
    return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
  };
  const line = (r: string[], head: boolean): string =>
    `|${r.map((c, i) => ` ${head ? center(c, widths[i]!) : c.padStart(widths[i]!)} `).join('|')}|`;
  const body = rows.slice(1).map((r) => line(r, false));
  return `${[rule, line(rows[0]!, true), rule, ...body, rule].join('\n')}\n(${body.length} row${body.length === 1 ? '' : 's'})\n`;
}

export function cockroach(ctx: CmdContext): CmdResult {
  const { model, host, args, env } = ctx;
  const positional = args.filter(
    (a, i) => !a.startsWith('-') && !/^--(host|certs-dir|port|format)$/.test(args[i - 1] ?? '')
  );
  if (positional[0] === 'version')
    return ok('Build Tag:    v2.1.11\nPlatform:     linux amd64\nGo Version:   go1.10\n');
  if (positional[0] !== 'node' || positional[1] !== 'status') {
    return fail(
      1,
      `Error: unknown command "${positional.join(' ')}" for "cockroach"\nRun 'cockroach --help' for usage.\n`
    );
  }
  const insecure = args.includes('--insecure');
  const secure = env.variant === 'enterprise';
  if (secure && insecure) {
    return fail(1, 'Error: node is running secure mode, SSL connection required\nFailed running "node status"\n');
  }
  if (!insecure) {
    const dir = optionValue(args, ['--certs-dir']) ?? path.join(ctx.cwd, '.cockroach-certs');
    const real = path.resolve(ctx.cwd, dir);
    if (!real.startsWith(host.spec.root) || !existsSync(path.join(real, 'ca.crt'))) {
      return fail(
        1,
        'Error: cannot load certificates.\nCheck your certificate settings, set --certs-dir, or use --insecure for insecure clusters.\n\nproblem with CA certificate: not found\nFailed running "node status"\n'
      );
    }
  }
  const hostArg = (optionValue(args, ['--host']) ?? 'localhost').replace(/:\d+$/, '');
  const target: HostState | undefined =
    hostArg === 'localhost' || hostArg === '127.0.0.1' ? host : model.masters.find((m) => m.spec.address === hostArg);
  if (target?.role !== 'master' || !model.unitActive(target, model.cockroachUnit(target))) {
    return dialError(hostArg);
  }
  const now = Date.now();
  const under = model.masters.some((m) => !model.unitActive(m, model.cockroachUnit(m)) || !m.cockroachCaughtUp);
  const n = model.masters.length;
  const replicas = Math.min(3, n);
  const rows: string[][] = [COLUMNS];
  // Ranges under-replicated whatever the patch does (a zone wanting more replicas than masters): on the first live row.
  let stuck = model.cockroachStuckRanges;
  model.masters.forEach((m, i) => {
    const live = model.unitActive(m, model.cockroachUnit(m));
    const extra = live ? stuck : 0;
    if (live) stuck = 0;
    const unit = m.units.get(model.cockroachUnit(m));
    const leaders = Math.floor(RANGES / n) + (i < RANGES % n ? 1 : 0);
    rows.push([
      String(i + 1),
      `${m.spec.address}:26257`,
      'v2.1.11',
      ts(live ? now : (unit?.since ?? now)),
      ts(m.cockroachStartedAt),
      String(live ? leaders : 0),
      String(live ? leaders : 0),
      String(live ? Math.round((RANGES * replicas) / n) : 0),
      '0',
      String((live && under ? Math.max(1, Math.round(RANGES / n)) : 0) + extra),
    ]);
  });
  const format = optionValue(args, ['--format']) ?? 'pretty';
  if (!['pretty', 'table', 'tsv', 'csv'].includes(format)) {
    return fail(1, `Error: invalid argument "${format}" for "--format" flag: invalid table display format\n`);
  }
  return ok(table(rows, format));
}
