/**
 * Bad plans and configs: each case writes a good plan, breaks one thing, and asserts the exact
 * finding the operator gets (code, file, field, what the message and the fix say) and that no
 * other error comes with it.
 */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkPlanFile, type PlanCheckResult } from '../../src/plan/check';
import type { Finding } from '../../src/plan/findings';
import { cases, type Expect } from './bad-cases';
import { cleanFixtures, makeFixture } from './fixture';

after(cleanFixtures);

function fileOf(expect: Expect, f: { planPath: string; oldConfigPath: string; newConfigPath: string }): string {
  return expect.file === 'plan' ? f.planPath : expect.file === 'old' ? f.oldConfigPath : f.newConfigPath;
}

function show(findings: Finding[]): string {
  return findings.map((f) => `  ${f.severity} ${f.code} ${f.field}: ${f.message}`).join('\n');
}

describe('a bad plan or config gets exactly the finding that names the problem', () => {
  for (const c of cases) {
    test(c.name, { timeout: 30_000 }, () => {
      const fixture = makeFixture(c);
      const result = fixture.check();
      const severity = c.expect.severity ?? 'error';
      const found = result.findings.find(
        (f) => f.code === c.expect.code && f.field === c.expect.field && f.severity === severity
      );
      assert.ok(found, `expected ${severity} ${c.expect.code} at ${c.expect.field}; got:\n${show(result.findings)}`);
      assert.equal(found.file, fileOf(c.expect, fixture));
      if (c.expect.message) assert.match(found.message, c.expect.message);
      if (c.expect.fix) assert.match(found.fix, c.expect.fix);
      assert.ok(found.fix.length > 0, 'every finding says what to do');

      const errors = result.findings.filter((f) => f.severity === 'error').map((f) => f.code);
      const expectedErrors = [...(severity === 'error' ? [c.expect.code] : []), ...(c.expect.alsoErrors ?? [])];
      assert.deepEqual(errors.sort(), expectedErrors.sort(), `unexpected errors:\n${show(result.findings)}`);
      if (severity === 'error') assert.equal(result.plan, undefined, 'no plan when there is an error');
      else assert.ok(result.plan, 'a warning leaves the plan valid');
    });
  }
});

describe('the check never throws and never prints a stack', () => {
  test('every bad case returns findings instead of throwing', { timeout: 30_000 }, () => {
    for (const c of cases) {
      const fixture = makeFixture(c);
      let result: PlanCheckResult | undefined;
      assert.doesNotThrow(() => {
        result = fixture.check();
      }, c.name);
      assert.ok(result);
      assert.ok(result.findings.length > 0, c.name);
      for (const f of result.findings) {
        assert.doesNotMatch(`${f.message} ${f.fix}`, /\n\s+at /, `${c.name}: no stack trace in findings`);
        assert.notEqual(f.code, 'internal-error', c.name);
      }
    }
  });

  test('a plan file that does not exist is a finding', { timeout: 30_000 }, () => {
    const fixture = makeFixture();
    const missing = join(fixture.dir, 'nope.yaml');
    const result = checkPlanFile(missing);
    assert.equal(result.plan, undefined);
    assert.equal(result.findings[0]?.code, 'file-missing');
    assert.equal(result.findings[0]?.file, missing);
  });

  test('an unreadable file is a finding', { skip: process.getuid?.() === 0 ? 'root reads everything' : false }, () => {
    const fixture = makeFixture({ files: (dir) => chmodSync(join(dir, 'keys/dcos_patch'), 0o000) });
    const result = fixture.check();
    const f = result.findings.find((x) => x.field === 'ssh.privateKey');
    assert.equal(f?.code, 'file-unreadable');
  });
});
