/** A patch's stored report (its result or failure details) read back in full, as the CLI reads it. */
import assert from 'node:assert/strict';
import { readReport } from '../../src/shared/report-wire';
import type { PatchReport } from '../../src/shared/status';

export function asReport(stored: unknown): PatchReport {
  const report = readReport(stored);
  assert.ok(report, `expected a patch report, got ${JSON.stringify(stored)?.slice(0, 200)}`);
  return report;
}
