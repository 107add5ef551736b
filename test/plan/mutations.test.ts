/**
 * Hundreds of generated mutations of a good plan (every field dropped, nulled, given the wrong
 * type, huge and tiny values, unicode, empty, nested where a scalar belongs) and of its config
 * files: the check never throws and never hangs; each result is either refused with findings
 * that name the file, the field and a fix, or a valid plan that the workflow's own input check
 * accepts too (the check and the workflow never disagree).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { planInputProblems } from '../../src/shared/plan-input';
import { cleanFixtures, makeFixture } from './fixture';
import { mutations } from './mutations';

after(cleanFixtures);

describe('generated mutations of a good plan and its files', () => {
  const cases = mutations();

  test('there are at least 300 of them', () => {
    assert.ok(cases.length >= 300, `${cases.length}`);
  });

  test('each is refused with file, field and fix, or valid and accepted by the workflow too; never a crash', {
    timeout: 120_000,
  }, () => {
    let refused = 0;
    let slowest = 0;
    for (const c of cases) {
      const fixture = makeFixture(c.opts);
      const t = Date.now();
      const result = fixture.check();
      slowest = Math.max(slowest, Date.now() - t);
      const errors = result.findings.filter((f) => f.severity === 'error');
      for (const f of result.findings) {
        assert.ok(f.file && f.code && f.fix, `${c.name}: a finding without file, code or fix: ${JSON.stringify(f)}`);
        assert.ok(
          !/Maximum call stack|internal error|TypeError|Cannot read propert/i.test(f.message),
          `${c.name}: ${f.message}`
        );
      }
      if (result.plan) {
        assert.deepEqual(errors, [], `${c.name}: a plan with errors`);
        assert.deepEqual(planInputProblems(result.plan), [], `${c.name}: the check accepts what the workflow refuses`);
      } else {
        assert.ok(errors.length > 0, `${c.name}: no plan and no error`);
        refused++;
      }
    }
    assert.ok(refused > cases.length / 2, `${refused} of ${cases.length} refused`);
    // A figure, not an assert: the slowest single check.
    console.log(
      `${cases.length} mutations: ${refused} refused, ${cases.length - refused} valid; slowest check ${slowest} ms`
    );
  });
});
