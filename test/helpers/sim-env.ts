/**
 * One dev-server environment for a file of simulator tests: started before its tests, torn down
 * after them, with every SSH connection the activities cached closed first.
 */
import { after, before } from 'node:test';
import { closeAllSsh } from '../../src/activities/ssh';
import type { Env } from './sim-patch';
import { startTestEnvironment } from './temporal';

export function useSimEnvironment(): { readonly env: Env } {
  let env: Env | undefined;
  before(async () => {
    env = await startTestEnvironment();
  });
  after(async () => {
    closeAllSsh();
    await env?.teardown();
  });
  return {
    get env(): Env {
      if (!env) throw new Error('the test environment is not started (use it inside a test)');
      return env;
    },
  };
}
