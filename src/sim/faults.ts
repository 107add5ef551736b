/**
 * Faults injected into a host: kept per host, consumed when they have a `times` budget, and looked
 * up by the parts of the simulator that apply them (SSH server, HTTP servers, script protocol, model).
 */
import type { Fault, FaultKind, PortName, ScriptPhase } from './types';

export type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;

const KINDS: readonly FaultKind[] = [
  'script-exit',
  'script-hang',
  'script-slow',
  'ssh-drop',
  'ssh-refuse',
  'host-key-change',
  'unit-never-returns',
  'agent-new-id',
  'exhibitor-never-converges',
  'cockroach-never-catches-up',
  'wrong-version-after-patch',
  'endpoint',
];

/** Validate a fault that arrived as JSON (control API, CLI). */
export function parseFault(value: unknown): Fault {
  if (typeof value !== 'object' || value === null) throw new Error('fault must be an object');
  const f = value as Record<string, unknown>;
  const kind = f.kind;
  if (typeof kind !== 'string' || !KINDS.includes(kind as FaultKind)) {
    throw new Error(`unknown fault kind ${JSON.stringify(kind)}; one of ${KINDS.join(', ')}`);
  }
  const num = (k: string, required: boolean): void => {
    if (f[k] === undefined && !required) return;
    if (typeof f[k] !== 'number' || !Number.isFinite(f[k])) throw new Error(`fault ${kind}: ${k} must be a number`);
  };
  const str = (k: string, required: boolean): void => {
    if (f[k] === undefined && !required) return;
    if (typeof f[k] !== 'string') throw new Error(`fault ${kind}: ${k} must be a string`);
  };
  const phase = (): void => {
    if (f.at !== undefined && !['fetch', 'swap', 'end'].includes(String(f.at))) {
      throw new Error(`fault ${kind}: at must be fetch, swap or end`);
    }
  };
  switch (kind) {
    case 'script-exit':
      num('code', true);
      num('times', false);
      phase();
      break;
    case 'script-hang':
      num('times', false);
      phase();
      break;
    case 'script-slow':
      num('ms', true);
      num('times', false);
      break;
    case 'ssh-drop':
      num('afterMs', true);
      num('times', false);
      str('match', false);
      break;
    case 'ssh-refuse':
      num('forMs', true);
      break;
    case 'unit-never-returns':
      str('unit', true);
      break;
    case 'agent-new-id':
      num('times', false);
      break;
    case 'wrong-version-after-patch':
      str('version', true);
      str('dcosVersion', false);
      break;
    case 'endpoint':
      if (!['exhibitor', 'mesosMaster', 'mesosAgent', 'marathon', 'bootstrap'].includes(String(f.port))) {
        throw new Error('fault endpoint: port must be exhibitor, mesosMaster, mesosAgent, marathon or bootstrap');
      }
      if (!['garbage', '500', 'timeout', 'refuse'].includes(String(f.mode))) {
        throw new Error('fault endpoint: mode must be garbage, 500, timeout or refuse');
      }
      str('path', false);
      num('times', false);
      break;
  }
  return f as unknown as Fault;
}

export class FaultSet {
  private list: Fault[] = [];

  all(): Fault[] {
    return this.list.map((f) => ({ ...f }));
  }

  add(fault: Fault): void {
    this.list.push({ ...fault });
  }

  clear(): Fault[] {
    const old = this.list;
    this.list = [];
    return old;
  }

  remove(fault: Fault): void {
    this.list = this.list.filter((f) => f !== fault);
  }

  find<K extends FaultKind>(kind: K, pred?: (f: FaultOf<K>) => boolean): FaultOf<K> | undefined {
    for (const f of this.list) {
      if (f.kind === kind && (!pred || pred(f as FaultOf<K>))) return f as FaultOf<K>;
    }
    return undefined;
  }

  has(kind: FaultKind): boolean {
    return this.list.some((f) => f.kind === kind);
  }

  /** Use one unit of a fault's `times` budget; it disappears when the budget is spent. */
  consume(fault: Fault & { times?: number }): void {
    if (fault.times === undefined) return;
    fault.times--;
    if (fault.times <= 0) this.remove(fault);
  }

  /** How long this run of the script takes on this host when a `script-slow` fault says so (consumed). */
  takeScriptDuration(): number | undefined {
    const f = this.find('script-slow');
    if (!f) return undefined;
    this.consume(f);
    return f.ms;
  }

  /** The script fault for this run, consumed now (a run sees it once). */
  takeScriptFault(): { kind: 'exit' | 'hang'; at: ScriptPhase; code: number } | undefined {
    const exit = this.find('script-exit');
    const hang = this.find('script-hang');
    const f = exit ?? hang;
    if (!f) return undefined;
    this.consume(f);
    return f.kind === 'script-exit'
      ? { kind: 'exit', at: f.at ?? 'fetch', code: f.code }
      : { kind: 'hang', at: f.at ?? 'fetch', code: 0 };
  }

  /** The endpoint fault that applies to one request, consumed; `refuse` is handled by the listener. */
  takeEndpointFault(port: PortName | 'bootstrap', reqPath: string): FaultOf<'endpoint'> | undefined {
    const f = this.find(
      'endpoint',
      (e) => e.port === port && e.mode !== 'refuse' && (e.path === undefined || reqPath.startsWith(e.path))
    );
    if (!f) return undefined;
    const applied = { ...f };
    this.consume(f);
    return applied;
  }

  refuses(port: PortName | 'bootstrap'): boolean {
    return this.find('endpoint', (e) => e.port === port && e.mode === 'refuse') !== undefined;
  }
}
