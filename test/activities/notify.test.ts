/**
 * sendNotification against a local receiver: the body and the header file's headers arrive; a
 * 4xx is a refusal (not retried), 5xx and no answer are retried by the policy; an unreadable
 * header file is named by path, its contents never.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { sendNotification } from '../../src/activities/notify';
import type { NotifyMessage } from '../../src/shared/notify-message';
import { deadUrl, type Receiver, startReceiver } from '../helpers/webhook-receiver';

const message: NotifyMessage = {
  event: 'node-failed',
  text: 'master 10.0.0.11 failed (attempt 1): script exited 3',
  subject: 'master-10.0.0.11',
  seq: 4,
  workflowId: 'patch-prod-2.1.4-to-2.1.5',
  cluster: 'prod',
  fromVersion: '2.1.4',
  toVersion: '2.1.5',
  phase: 'masters',
  atMs: 1,
};

let ok: Receiver;
let refusing: Receiver;
let broken: Receiver;
let dir: string;
before(async () => {
  ok = await startReceiver();
  refusing = await startReceiver(403);
  broken = await startReceiver(503);
  dir = mkdtempSync(join(tmpdir(), 'notify-'));
});
after(async () => {
  await Promise.all([ok.close(), refusing.close(), broken.close()]);
});

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e) => e
  );
  assert.ok(err instanceof ApplicationFailure, String(err));
  return err;
}

describe('sendNotification', { timeout: 30_000 }, () => {
  test('POSTs the Slack-compatible body with the header file’s headers; the URL may come from a file', async () => {
    const headerFile = join(dir, 'header');
    writeFileSync(headerFile, 'Authorization: Bearer t0ken\nX-Team: ops\n');
    const urlFile = join(dir, 'url');
    writeFileSync(urlFile, `${ok.url}\n`);
    assert.deepEqual(await sendNotification({ urlFile, headerFile, events: ['node-failed'] }, message), {
      status: 200,
    });
    const got = ok.received.at(-1)!;
    assert.equal(got.headers.authorization, 'Bearer t0ken');
    assert.equal(got.headers['x-team'], 'ops');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.match(String(got.body.text), /^\[dcos-patch prod 2\.1\.4 → 2\.1\.5\] master 10\.0\.0\.11 failed/);
    assert.equal(got.body.event, 'node-failed');
    assert.equal(got.body.seq, 4);
  });

  test('a 4xx is a refusal, not retried; a 5xx and a dead receiver are retried', async () => {
    const refused = await failure(sendNotification({ url: refusing.url, events: [] }, message));
    assert.equal(refused.type, 'WebhookRejected');
    assert.equal(refused.nonRetryable, true);
    assert.match(refused.message, /answered HTTP 403/);
    const down = await failure(sendNotification({ url: broken.url, events: [] }, message));
    assert.equal(down.type, 'WebhookUnavailable');
    assert.equal(down.nonRetryable, false);
    const dead = await failure(sendNotification({ url: await deadUrl(), events: [] }, message));
    assert.equal(dead.type, 'WebhookUnavailable');
    assert.match(dead.message, /did not answer: ECONNREFUSED/);
  });

  test('a URL from a file is never shown; an unreadable or malformed header file is named by path only', async () => {
    const urlFile = join(dir, 'secret-url');
    writeFileSync(urlFile, `${refusing.url}?token=abc`);
    const refused = await failure(sendNotification({ urlFile, events: [] }, message));
    assert.ok(!refused.message.includes('token=abc') && !refused.message.includes(refusing.url), refused.message);
    assert.match(refused.message, new RegExp(`webhook from ${urlFile}`));
    const headerFile = join(dir, 'bad-header');
    writeFileSync(headerFile, 'Bearer s3cret\n');
    const bad = await failure(sendNotification({ url: ok.url, headerFile, events: [] }, message));
    assert.equal(bad.nonRetryable, true);
    assert.match(bad.message, /line 1 is not "Header-Name: value"/);
    assert.ok(!bad.message.includes('s3cret'));
    chmodSync(headerFile, 0o000);
    if (process.getuid?.() !== 0) {
      const unreadable = await failure(sendNotification({ url: ok.url, headerFile, events: [] }, message));
      assert.match(unreadable.message, /cannot be read on this worker: EACCES/);
    }
  });
});
