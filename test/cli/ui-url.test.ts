/**
 * The Web UI address in the CLI's links: the one the server really serves — DCOS_PATCH_UI_URL,
 * else the UI recorded by the dev server started at this address, else TEMPORAL_UI_PORT.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { webUiBase } from '../../src/cli/ui-url';

describe('the Web UI address', { timeout: 10_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ui-url-'));
  writeFileSync(join(dir, 'server.json'), '{"address":"127.0.0.1:7300","uiUrl":"http://127.0.0.1:8300"}\n');
  const env = { DCOS_PATCH_STATE_DIR: dir };

  test('the dev server started for this address gives its own UI port', () => {
    assert.equal(webUiBase(env, '127.0.0.1:7300'), 'http://127.0.0.1:8300');
  });

  test('another address falls back to TEMPORAL_UI_PORT, then the default', () => {
    assert.equal(webUiBase({ ...env, TEMPORAL_UI_PORT: '8400' }, 'temporal.example.com:7233'), 'http://127.0.0.1:8400');
    assert.equal(webUiBase(env, 'temporal.example.com:7233'), 'http://127.0.0.1:8233');
  });

  test('DCOS_PATCH_UI_URL wins, without a trailing slash', () => {
    assert.equal(
      webUiBase({ ...env, DCOS_PATCH_UI_URL: 'https://ui.example.com/' }, '127.0.0.1:7300'),
      'https://ui.example.com'
    );
  });

  test('no state directory, or an unreadable record: the fallbacks', () => {
    assert.equal(webUiBase({ DCOS_PATCH_STATE_DIR: join(dir, 'none') }, '127.0.0.1:7300'), 'http://127.0.0.1:8233');
    const bad = mkdtempSync(join(tmpdir(), 'ui-url-'));
    writeFileSync(join(bad, 'server.json'), 'not json');
    assert.equal(webUiBase({ DCOS_PATCH_STATE_DIR: bad }, '127.0.0.1:7300'), 'http://127.0.0.1:8233');
  });
});
