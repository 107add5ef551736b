/**
 * Generated mutations of the fixture's good plan and of its files: every field dropped, nulled,
 * of the wrong type, huge, tiny, unicode, empty or nested; hosts in two roles, master counts,
 * bounds at and past their edge; config and key files empty, binary, nested, alias bombs,
 * duplicate keys, oversized. Used by mutations.test.ts and bad-plans-touch-nothing.test.ts.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { basePlan, type FixtureOptions, type PlanObject } from './fixture';

export interface Mutation {
  name: string;
  opts: FixtureOptions;
}

type Rec = Record<string, unknown>;

/** Every path to a value in the plan object, e.g. ['masters', 1, 'ports', 'exhibitor']. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => paths(x, [...at, i]))];
  if (v && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, k]))];
  return [at];
}

function setAt(root: Rec, path: (string | number)[], value: unknown, drop: boolean): void {
  let cur = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (drop) {
    if (Array.isArray(cur)) cur.splice(last as number, 1);
    else delete cur[last];
  } else cur[last] = value;
}

const VALUES: [string, unknown][] = [
  ['null', null],
  ['zero', 0],
  ['negative', -1],
  ['huge number', 1e20],
  ['fraction', 0.5],
  ['empty string', ''],
  ['long string', 'x'.repeat(5_000)],
  ['unicode', 'häst💥\u202e'],
  ['newline', 'a\nb: c'],
  ['list', ['a', 1]],
  ['mapping', { a: 1 }],
  ['boolean', true],
];

function planCases(): Mutation[] {
  const base = basePlan('open') as unknown as Rec;
  const out: Mutation[] = [];
  for (const p of paths(base).filter((p) => p.length > 0)) {
    const where = p.join('.');
    out.push({ name: `${where} dropped`, opts: { plan: (plan) => setAt(plan as unknown as Rec, p, undefined, true) } });
    for (const [what, value] of VALUES) {
      out.push({
        name: `${where} = ${what}`,
        opts: { plan: (plan) => setAt(plan as unknown as Rec, p, value, false) },
      });
    }
  }
  const extra: [string, (p: PlanObject) => void][] = [
    ['a host in two roles', (p) => p.agents.push('10.0.0.11')],
    ['a host listed twice', (p) => p.agents.push('10.0.1.1')],
    ['a port out of range', (p) => p.masters.push({ host: '10.0.0.14', sshPort: 70000 })],
    ['the bootstrap node as an agent', (p) => p.agents.push('10.0.0.5')],
    ['two masters', (p) => p.masters.pop()],
    ['four masters', (p) => p.masters.push('10.0.0.14')],
    ['IPv6 hosts', (p) => p.agents.push('fd00::1', '::1')],
    ['a host name', (p) => p.agents.push('agent-9.example.com')],
    [
      'a policy with every bound at its edge',
      (p) =>
        Object.assign(p, {
          policy: {
            agentConcurrency: 1000,
            agentFailureBudget: 0,
            gates: {
              pollInterval: '50ms',
              stablePolls: 100,
              exhibitorTimeout: '24h',
              agentWindow: '1h',
              scriptTimeout: '24h',
            },
          },
        }),
    ],
    [
      'a policy just past its bounds',
      (p) => Object.assign(p, { policy: { agentConcurrency: 1001, gates: { pollInterval: '49ms' } } }),
    ],
    ['remoteWorkDir on tmpfs', (p) => Object.assign(p, { remoteWorkDir: '/dev/shm/x' })],
    ['remoteWorkDir with a space', (p) => Object.assign(p, { remoteWorkDir: '/var/lib/a b' })],
    ['an unknown top-level field', (p) => Object.assign(p, { mastrs: [] })],
  ];
  for (const [name, plan] of extra) out.push({ name, opts: { plan } });
  return out;
}

function fileCases(): Mutation[] {
  const files = [
    'genconf/config.yaml',
    'genconf-2.1.4/config.yaml',
    'genconf/ip-detect',
    'keys/dcos_patch',
    'keys/known_hosts',
  ];
  const contents: [string, string | Buffer][] = [
    ['empty', ''],
    ['binary', Buffer.from([0, 255, 1, 254, 0, 0, 7])],
    ['a YAML list', '- a\n- b\n'],
    ['deep nesting', `a: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    ],
    ['duplicate keys', 'cluster_name: a\ncluster_name: b\n'],
    ['oversized', Buffer.alloc(1024 * 1024 + 1, 0x23)],
  ];
  const out: Mutation[] = [];
  for (const f of files) {
    for (const [what, content] of contents) {
      out.push({ name: `${f} ${what}`, opts: { files: (dir) => writeFileSync(join(dir, f), content) } });
    }
    out.push({ name: `${f} missing`, opts: { files: (dir) => rmSync(join(dir, f)) } });
    out.push({
      name: `${f} a directory`,
      opts: {
        files: (dir) => {
          rmSync(join(dir, f));
          mkdirSync(join(dir, f));
        },
      },
    });
  }
  return out;
}

export function mutations(): Mutation[] {
  return [...planCases(), ...fileCases()];
}
