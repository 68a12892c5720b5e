import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botBlocked, FakeTelegram, hang, rawAnswer, tooManyRequests } from '../support/fakes/telegram.js';
import { TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const TOKEN = '123456:TEST-delivery-failures-token';

/**
 * The delivery worker against a real channel (telegraf and the local Telegram server) whose
 * service misbehaves: what the operator would see, and that nothing is lost or reordered.
 */
describe('delivery when the service misbehaves', () => {
  const tg = new FakeTelegram();
  const k = new TestKlaxon(`klaxon-test-delivery-failures-${process.pid}`);
  let t = Date.now();

  beforeAll(async () => {
    await tg.start();
    await k.start((url) => ({
      queue: { shards: 2, delivery: { backoff: 50, max_backoff: 200, attempts: 40, timeout: 600 } },
      receivers: {
        tg: {
          type: 'telegram',
          token: TOKEN,
          chat_ids: [555],
          api_root: tg.apiRoot,
          throttle: [{ max: 1, per: 300 }],
        },
        hook: { type: 'webhook', url },
      },
      routes: { receivers: ['tg'], fallback: ['hook'], fallback_after: '1500ms' },
      rules: [{ name: 'latency', kind: 'threshold', metric: 'latency_ms', bands: { critical: 1000 } }],
    }));
  });
  afterAll(async () => {
    await k.close();
    await tg.close();
  });
  beforeEach(() => {
    tg.reset();
    k.recorder.received.length = 0;
  });

  const latency = async (source: string, value: number) => {
    t += 1000;
    await k.push('/v1/metrics', { source, ts: t, metrics: { latency_ms: value } });
  };
  const health = async () =>
    (await (await fetch(`${k.app.url}/health`)).json()) as {
      receivers: Record<string, { state: string; lastError?: string }>;
      deadLetters: { latest: { receiver: string; reason: string; notification: string }[] };
    };
  const sends = () => tg.requestsTo('sendMessage');

  it('waits as long as a 429 says, and a resolve never overtakes its firing: it edits that message', async () => {
    tg.script(tooManyRequests(1), { method: 'sendMessage', times: 1 });
    await latency('ordered', 2000);
    await latency('ordered', 10);
    await waitFor(() => tg.requestsTo('editMessageText').length === 1, 10_000, 'the edit on resolve');
    await k.idle();
    const [refused, sent] = sends();
    expect(sends()).toHaveLength(2);
    expect(sent!.at - refused!.at).toBeGreaterThanOrEqual(1000);
    const edit = tg.requestsTo('editMessageText')[0]!;
    expect(edit.at).toBeGreaterThan(sent!.at);
    const firing = tg.messages[0]!;
    expect(edit.body).toMatchObject({ chat_id: 555, message_id: firing.message_id });
    expect(firing.text).toMatch(/^✅ RESOLVED latency_ms back to 10 on ordered/);
  });

  it('cuts a hung request off at delivery.timeout and tries again', async () => {
    tg.script(hang(), { method: 'sendMessage', times: 1 });
    await latency('hung', 2000);
    await waitFor(() => tg.messages.length === 1, 10_000, 'the message after the hang');
    const [hung, sent] = sends();
    expect(sent!.at - hung!.at).toBeGreaterThanOrEqual(550);
    expect(sent!.at - hung!.at).toBeLessThan(5000);
  });

  it('keeps to the service rate limit: what exceeds it waits, nothing is dropped', async () => {
    for (const s of ['burst-a', 'burst-b', 'burst-c']) await latency(s, 2000);
    await waitFor(() => tg.messages.length === 3, 10_000, 'three messages');
    const times = sends().map((r) => r.at);
    // One send per fixed 300 ms window: three sends span three windows, so more than one window
    // lies between the first and the third (less a little for the time on the wire).
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(250);
  });

  it('a refusal for good: dead letter in the service’s words, receiver broken, the fallback told', async () => {
    tg.script(botBlocked(), { method: 'sendMessage', times: 100 });
    await latency('blocked', 2000);
    await waitFor(() => k.recorder.received.length === 1, 10_000, 'the fallback notification');
    const fb = k.recorder.received[0]!;
    expect(fb).toMatchObject({ receiver: 'hook', fallbackFor: 'tg', kind: 'firing' });
    expect(sends()).toHaveLength(1); // a 403 is not retried
    const h = await health();
    expect(h.receivers.tg?.state).toBe('broken');
    const dead = h.deadLetters.latest.find((d) => d.receiver === 'tg')!;
    expect(dead.reason).toMatch(/bot was blocked by the user/);
    expect(JSON.stringify(h)).not.toContain('TEST-delivery-failures-token');
    const metrics = await (await fetch(`${k.app.url}/metrics`)).text();
    expect(metrics).toMatch(/klaxon_receiver_state\{receiver="tg",state="broken"\} 1/);
    expect(metrics).not.toContain('TEST-delivery-failures-token');
  });

  it('a service down past fallback_after: the fallback is told, and the receiver still gets it once back', async () => {
    tg.script(rawAnswer(502, '<html>bad gateway</html>', { 'content-type': 'text/html' }), {
      method: 'sendMessage',
      times: 1000,
    });
    await latency('down', 2000);
    await waitFor(() => k.recorder.received.length === 1, 15_000, 'the fallback notification');
    expect(k.recorder.received[0]).toMatchObject({ receiver: 'hook', fallbackFor: 'tg' });
    expect(tg.messages).toHaveLength(0);
    expect((await health()).receivers.tg?.state).toBe('failing');
    tg.reset();
    await waitFor(() => tg.messages.length === 1, 15_000, 'the message once Telegram is back');
    await k.idle(15_000);
    expect(k.recorder.received).toHaveLength(1);
    expect((await health()).receivers.tg?.state).toBe('ok');
  });
});
