/**
 * Where the Temporal Web UI really is, for the links the CLI prints: DCOS_PATCH_UI_URL when set;
 * else the UI of the dev server `dcos-patch dev-server start` started for this very address (it
 * records both in server.json in its state directory); else TEMPORAL_UI_PORT on 127.0.0.1; else
 * the dev server's default, http://127.0.0.1:8233.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_UI_URL = 'http://127.0.0.1:8233';
const ROOT = join(__dirname, '..', '..');

/** The dev server's state directory, found as scripts/dev-server.sh finds it. */
export function devServerStateDir(env: NodeJS.ProcessEnv): string {
  if (env.DCOS_PATCH_STATE_DIR) return env.DCOS_PATCH_STATE_DIR;
  if (existsSync(join(ROOT, 'src'))) return join(ROOT, '.temporal');
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'dcos-patch', 'temporal');
}

export function webUiBase(env: NodeJS.ProcessEnv, address: string): string {
  if (env.DCOS_PATCH_UI_URL) return env.DCOS_PATCH_UI_URL.replace(/\/+$/, '');
  const started = startedDevServer(env);
  if (started && started.address === address) return started.uiUrl;
  if (env.TEMPORAL_UI_PORT && /^\d{1,5}$/.test(env.TEMPORAL_UI_PORT)) return `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`;
  return DEFAULT_UI_URL;
}

function startedDevServer(env: NodeJS.ProcessEnv): { address: string; uiUrl: string } | undefined {
  try {
    const s = JSON.parse(readFileSync(join(devServerStateDir(env), 'server.json'), 'utf8'));
    return typeof s.address === 'string' && typeof s.uiUrl === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}
