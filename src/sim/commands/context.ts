/** What a host command answered by the simulator receives and returns. */
import type { ClusterModel, HostState } from '../model';
import type { SimTimings } from '../types';

/** Static facts about the simulated cluster that commands need. */
export interface SimEnv {
  variant: 'open' | 'enterprise';
  security: 'disabled' | 'permissive' | 'strict';
  /** Version the cluster was installed with. */
  version: string;
  targetVersion: string;
  user: string;
  clusterName: string;
  timings: SimTimings;
  marathonEventSubscriber: boolean;
}

export interface CmdContext {
  model: ClusterModel;
  host: HostState;
  env: SimEnv;
  args: string[];
  /** The command's working directory (a real path under the host root). */
  cwd: string;
  /** 0 under sudo. */
  euid: number;
}

export interface CmdResult {
  code: number;
  stdout?: string | Buffer;
  stderr?: string;
}

export type CmdHandler = (ctx: CmdContext) => CmdResult | Promise<CmdResult>;

export const ok = (stdout = ''): CmdResult => ({ code: 0, stdout });
export const fail = (code: number, stderr: string, stdout = ''): CmdResult => ({ code, stdout, stderr });

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** `Nov 26 10:00:00` as journald prints (UTC). */
export function syslogTime(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** `Tue 2024-11-26 10:00:00 UTC` as systemctl prints. */
export function systemdTime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

export function agoText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}min ${s % 60}s ago`;
  return `${Math.floor(m / 60)}h ${m % 60}min ago`;
}

/** The hostname a host shows in logs: ip-127-42-7-11. */
export function hostname(address: string): string {
  return `ip-${address.replace(/[.:]/g, '-')}`;
}

/** Split `--name=value` / `--name value` style options; returns the value or undefined. */
export function optionValue(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const n of names) {
      if (a === n) return args[i + 1];
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}
