/**
 * The shape the architecture promises, checked on the source itself: no import cycle in src/,
 * no long function in the workflow code, one catalogue of failure types.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');
const MAX_WORKFLOW_FUNCTION_LINES = 80;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports (type-only ones too: a cycle of types is still a cycle of modules). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => resolveImport(file, s)).filter((p): p is string => p !== undefined);
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every cycle found by a depth-first walk, each as the list of files around it. */
function importCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g]);
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

interface LongFunction {
  where: string;
  lines: number;
}

function longFunctions(file: string, max: number): LongFunction[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) found.push({ where: `${relative(ROOT, file)}:${start + 1}`, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('no import cycle in src/', { timeout: 30_000 }, () => {
  const cycles = importCycles(sourceFiles(SRC)).map((c) => c.map((f) => relative(ROOT, f)).join(' → '));
  assert.deepEqual(cycles, []);
});

test('the cycle check finds a cycle when there is one', { timeout: 30_000 }, () => {
  const dir = join(ROOT, 'test/arch/cycle-sample');
  const cycles = importCycles(sourceFiles(dir));
  assert.equal(cycles.length, 1);
  assert.deepEqual(
    cycles[0]!.map((f) => relative(dir, f)),
    ['a.ts', 'b.ts', 'a.ts']
  );
});

test(`no function in src/workflows/ is longer than ${MAX_WORKFLOW_FUNCTION_LINES} lines`, { timeout: 30_000 }, () => {
  const long = sourceFiles(join(SRC, 'workflows')).flatMap((f) => longFunctions(f, MAX_WORKFLOW_FUNCTION_LINES));
  assert.deepEqual(long, []);
});

test('failure types come from the one catalogue (no bare type strings)', { timeout: 30_000 }, () => {
  const bare = sourceFiles(SRC)
    .filter((f) => !f.includes(`${join('src', 'sim')}`) && !f.endsWith(join('shared', 'failure-types.ts')))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, where: `${relative(ROOT, f)}:${i + 1}` }))
        .filter(
          ({ line }) =>
            /\btype:\s*'[A-Z][A-Za-z]+'/.test(line) ||
            /(?:nonRetryable|retryable)\([^)]*,\s*'[A-Z][A-Za-z]+'/.test(line) ||
            /^\s*'[A-Z][a-z]+[A-Z][A-Za-z]+',?\s*$/.test(line)
        )
        .map(({ where, line }) => `${where}: ${line.trim()}`)
    );
  assert.deepEqual(bare, []);
});

test('the patch state is pure: no Temporal import in its modules', { timeout: 30_000 }, () => {
  const pure = ['patch-state.ts', 'patch-outcome.ts', 'patch-carry.ts'].map((f) => join(SRC, 'workflows', f));
  const impure = pure.filter((f) => /^import (?!type )[^;]*from '@temporalio\//m.test(readFileSync(f, 'utf8')));
  assert.deepEqual(
    impure.map((f) => relative(ROOT, f)),
    []
  );
});

/**
 * docs/runbook.md maps each runbook step to a file, its function and a test: every file named
 * exists, every function named is declared in src/, every quoted test
 * name is in the test file named before it.
 */
test('docs/runbook.md names files, functions and tests that exist', { timeout: 30_000 }, () => {
  const doc = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
  const problems: string[] = [];
  const allSource = sourceFiles(SRC).map((f) => readFileSync(f, 'utf8'));
  for (const row of doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'))) {
    const files = [...row.matchAll(/`((?:src|test)\/[\w./-]+\.ts)`/g)].map((m) => m[1]!);
    for (const f of files) if (!existsSync(join(ROOT, f))) problems.push(`no file ${f}`);
    const names = [...row.matchAll(/`(\w+)`/g)]
      .map((m) => m[1]!)
      .filter((n) => /^[a-z][A-Za-z]+[A-Z]\w*$|^[A-Z][a-z]+[A-Z]\w*$/.test(n));
    for (const name of names) {
      const declared = new RegExp(`(function|class|const|interface|type) ${name}\\b|\\b${name}\\(|'${name}'`);
      if (!allSource.some((t) => declared.test(t))) problems.push(`${name} is declared nowhere in src/`);
    }
    for (const m of row.matchAll(/`(test\/[\w./-]+\.ts)` → ((?:"[^"]+"(?:, )?)+)/g)) {
      const text = existsSync(join(ROOT, m[1]!)) ? readFileSync(join(ROOT, m[1]!), 'utf8') : '';
      for (const q of m[2]!.matchAll(/"([^"]+)"/g)) {
        // "…" stands for words left out
        const parts = q[1]!
          .split('…')
          .map((x) => x.trim())
          .filter(Boolean);
        if (!parts.every((part) => text.includes(part))) problems.push(`${m[1]}: no test "${q[1]}"`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('activity code reaches its Temporal context one way: src/activities/context.ts', { timeout: 30_000 }, () => {
  const others = sourceFiles(SRC)
    .filter((f) => !f.endsWith(join('activities', 'context.ts')))
    .filter((f) => readFileSync(f, 'utf8').includes("from '@temporalio/activity'"));
  assert.deepEqual(
    others.map((f) => relative(ROOT, f)),
    []
  );
});
