/**
 * Webhook notifications through a whole patch on the simulator: a local receiver records every
 * event of a patch with a failed master, a decision and a pause; the secret header reaches it and
 * never the history; a receiver that refuses shows in the status; a dead one holds nothing up
 * (the patch closes while its messages are still being retried by the detached delivery).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeAllSsh } from '../../src/activities/ssh';
import { NOTIFY_EVENT_KINDS, type Plan } from '../../src/shared/plan';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import { answer } from '../helpers/decide';
import { pendingFor, SHORT_GATES, withPatch } from '../helpers/patch-run';
import { asReport } from '../helpers/report';
import { type Env, waitFor } from '../helpers/sim-patch';
import { startTestEnvironment } from '../helpers/temporal';
import { deadUrl, type Receiver, startReceiver } from '../helpers/webhook-receiver';

const SECRET = 'Bearer s3cret-webhook-token-0123456789';

let env: Env;
let live: Receiver;
let refusing: Receiver;
let dead: string;
let headerFile: string;
before(async () => {
  env = await startTestEnvironment();
  live = await startReceiver();
  refusing = await startReceiver(404);
  dead = await deadUrl();
  headerFile = join(mkdtempSync(join(tmpdir(), 'dcos-patch-notify-')), 'header');
  writeFileSync(headerFile, `# the receiver's token\nAuthorization: ${SECRET}\n`, { mode: 0o600 });
});
after(async () => {
  closeAllSsh();
  await live?.close();
  await refusing?.close();
  await env?.teardown();
});

const events = (r: Receiver) => r.received.map((x) => x.body.event as string);

describe('webhook notifications', { timeout: 240_000 }, () => {
  test('a receiver hears every event of a patch with a failed master, a decision and a pause; the others never hold it up', async () => {
    let patchId = '';
    await withPatch(
      env,
      { masters: 1, agents: 1 },
      async (r) => {
        patchId = r.workflowId;
        const m = r.cluster.masters[0]!;
        r.cluster.inject(m.id, { kind: 'script-exit', code: 3 });
        const q = await pendingFor(r.h, m.id);
        await waitFor(() => events(live).includes('decision-needed'), 'the decision to be announced');
        const asked = live.received.find((x) => x.body.event === 'decision-needed')!.body;
        assert.equal(asked.question, q.id);
        assert.match(
          String(asked.command),
          new RegExp(`decide ${r.workflowId} ${m.id} retry\\|abort --question ${q.id}$`)
        );
        await waitFor(
          async () => ((await r.h.query(statusQuery)).notifications?.failed ?? 0) > 0,
          'the refusing webhook to show in the status'
        );
        const st = (await r.h.query(statusQuery)).notifications!;
        assert.match(st.lastFailure!, /webhook 2, .*answered HTTP 404/);
        assert.ok(!st.lastFailure!.includes('s3cret'));

        await r.h.signal(pauseSignal, { reason: 'change window' });
        r.cluster.clearFaults(m.id);
        await answer(r.h, m.id, 'retry');
        await r.h.signal(resumeSignal);
        assert.equal(asReport(await r.h.result()).outcome, 'succeeded');
        // The last message goes through a detached delivery: the patch did not wait for it, nor
        // for the dead webhook, whose messages that delivery is still retrying.
        await waitFor(() => events(live).includes('finished'), 'the finished message', 60_000);
        const delivery = await deliveryOf(r.workflowId);
        assert.equal((await delivery.describe()).status.name, 'RUNNING', 'the dead webhook is still being retried');
        await delivery.terminate('test over');
      },
      SHORT_GATES,
      (_c, plan: Plan) => {
        plan.notify = [
          { url: live.url, headerFile, events: [...NOTIFY_EVENT_KINDS] },
          { url: refusing.url, events: ['decision-needed'] },
          { url: dead, events: [...NOTIFY_EVENT_KINDS] },
        ];
      }
    );
    const seen = events(live);
    for (const e of ['started', 'phase', 'node-failed', 'decision-needed', 'paused', 'resumed']) {
      assert.ok(seen.includes(e), `${e} was sent (got ${seen.join(', ')})`);
    }
    const phases = live.received.filter((x) => x.body.event === 'phase').map((x) => x.body.subject);
    assert.deepEqual(phases.slice(0, 6), ['survey', 'preflight', 'backups', 'bootstrap', 'masters', 'agents']);
    const seqs = live.received.map((x) => x.body.seq as number);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in order'
    );
    assert.equal(new Set(seqs).size, seqs.length, 'each message once');
    for (const x of live.received) {
      assert.equal(x.headers.authorization, SECRET, 'the header file reaches the receiver');
      assert.equal(typeof x.body.text, 'string', 'Slack-compatible: a text line');
      assert.equal(x.body.workflowId, patchId);
    }
    const failed = live.received.find((x) => x.body.event === 'node-failed')!.body;
    assert.match(String(failed.text), /master .* failed \(attempt 1\)/);
    assert.deepEqual(events(refusing), ['decision-needed']);
    const history = JSON.stringify(await env.client.workflow.getHandle(patchId).fetchHistory());
    assert.ok(!history.includes('s3cret'), 'the secret header never enters history');
  });
});

/** The detached deliverNotifications workflow the patch started when it closed. */
async function deliveryOf(patchId: string) {
  const history = await env.client.workflow.getHandle(patchId).fetchHistory();
  const started = history.events?.find(
    (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'deliverNotifications'
  );
  const id = started?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
  assert.ok(id, 'the patch handed its last messages to deliverNotifications');
  return env.client.workflow.getHandle(id);
}
