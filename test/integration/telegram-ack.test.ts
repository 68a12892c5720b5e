import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollerKeys } from '../../src/channels/telegram/updates.js';
import type { Alert } from '../../src/model/alert.js';
import { ManualClock } from '../../src/model/clock.js';
import { fingerprint } from '../../src/model/fingerprint.js';
import { createLogger } from '../../src/ops/logger.js';
import { FakePagerDuty } from '../support/fakes/pagerduty.js';
import { FakeTelegram, type FakeTelegramUser } from '../support/fakes/telegram.js';
import { REDIS_URL, TestKlaxon, TOKEN } from '../support/klaxon.js';
import { startWorker, stopWorker, writeConfig } from '../support/processes.js';
import { waitFor } from '../support/recorder.js';
import { freePort } from '../support/redis-server.js';

const CHAT = 555;
const ALICE: FakeTelegramUser = { id: 111, first_name: 'Alice', username: 'alice' };
const BOB: FakeTelegramUser = { id: 222, first_name: 'Bob' };
const MALLORY: FakeTelegramUser = { id: 666, first_name: 'Mallory', username: 'mallory' };
const ROUTING_KEY = 'R0UT1NGKEYACK0123456789abcdefABC';
const T0 = Date.parse('2026-12-01T09:00:00Z');

async function getAlert(k: TestKlaxon, fp: string): Promise<Alert> {
  const res = await fetch(`${k.app.url}/v1/alerts/${fp}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { alert: Alert }).alert;
}

function stopLoss(source: string, extra: Record<string, unknown> = {}) {
  return {
    source,
    name: 'position_stop_loss_hit',
    severity: 'critical',
    title: `stop loss hit on ${source}`,
    ...extra,
  };
}

const ackButton = (fp: string) => ({
  inline_keyboard: [[{ text: 'Acknowledge', callback_data: `ack:${fp}` }]],
});

/**
 * A critical alert reaches Telegram with an "Acknowledge" button, and PagerDuty; the button is
 * pressed in the chat and the press comes back to Klaxon by long polling.
 */
describe('acknowledging from the Telegram button (long polling)', () => {
  const TG_TOKEN = '700001:ACK-polling-s3cr3t-token';
  const tg = new FakeTelegram();
  const pd = new FakePagerDuty();
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-telegram-ack-${process.pid}`);
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (c: Buffer) => (logText += c.toString('utf8')));
  const fpA = fingerprint('drawdown', { source: 'grid-1', metric: 'drawdown_pct' });
  const fpB = fingerprint('drawdown', { source: 'grid-2', metric: 'drawdown_pct' });
  let msgA = 0;
  const drawdown = (source: string, pct: number) =>
    k.push('/v1/metrics', { source, ts: clock.now(), metrics: { drawdown_pct: pct } });
  const message = (id: number) => tg.messagesIn(CHAT).find((m) => m.message_id === id);

  beforeAll(async () => {
    await Promise.all([tg.start(), pd.start()]);
    await k.start(
      (url) => ({
        defaults: { repeat: '10m' },
        rules: [
          {
            name: 'drawdown',
            kind: 'threshold',
            metric: 'drawdown_pct',
            op: '>',
            bands: { critical: 15 },
            annotations: { title: 'drawdown over 15% on {{source}}' },
          },
        ],
        receivers: {
          hook: { type: 'webhook', url },
          telegram: {
            type: 'telegram',
            token: TG_TOKEN,
            chat_ids: [CHAT],
            api_root: tg.apiRoot,
            throttle: 'off',
            ack_users: [ALICE.id, BOB.id],
            updates: { poll_timeout: '1s' },
          },
          pagerduty: { type: 'pagerduty', routing_key: ROUTING_KEY, server: pd.server },
        },
        routes: { receivers: ['hook', 'telegram', 'pagerduty'] },
      }),
      { clock: clock.now, logger: createLogger({ level: 'debug', destination: logs }) },
    );
  });
  afterAll(async () => {
    await k.close();
    await Promise.all([tg.close(), pd.close()]);
  });

  it('a critical alert carries the button; a press by someone not in ack_users is refused and changes nothing', async () => {
    await drawdown('grid-1', 20);
    await drawdown('grid-2', 21);
    await waitFor(() => tg.messagesIn(CHAT).length === 2 && pd.alerts().length === 2, 10_000, 'the firings');
    const [a, b] = [fpA, fpB].map((fp) =>
      tg.messagesIn(CHAT).find((m) => m.reply_markup?.inline_keyboard[0]?.[0]?.callback_data === `ack:${fp}`),
    );
    expect(a?.reply_markup).toEqual(ackButton(fpA));
    expect(b?.reply_markup).toEqual(ackButton(fpB));
    expect(a?.text.split('\n')[0]).toBe('🔴 CRITICAL drawdown over 15% on grid-1');
    msgA = a!.message_id;

    await tg.press(CHAT, msgA, MALLORY);
    await waitFor(() => tg.callbackAnswers.length === 1, 10_000, 'the answer');
    expect(tg.callbackAnswers[0]).toMatchObject({
      text: 'You may not acknowledge alerts here',
      show_alert: true,
    });
    await k.idle();
    expect((await getAlert(k, fpA)).acknowledged).toBeUndefined();
    expect(message(msgA)?.reply_markup).toEqual(ackButton(fpA));
    expect(tg.requestsTo('editMessageText')).toEqual([]);
    expect(pd.alerts().map((x) => x.status)).toEqual(['triggered', 'triggered']);
    expect(k.recorder.received.filter((n) => n.kind === 'acknowledged')).toEqual([]);
  });

  it('a press by a user in ack_users: answered, acknowledged in their name, the message edited without its button, PagerDuty acknowledged', async () => {
    clock.set(T0 + 60_000);
    await tg.press(CHAT, msgA, ALICE);
    await waitFor(() => tg.callbackAnswers.length === 2, 10_000, 'the answer');
    expect(tg.callbackAnswers[1]).toMatchObject({ text: 'Acknowledged', show_alert: false });

    await waitFor(
      async () => (await getAlert(k, fpA)).acknowledged !== undefined,
      10_000,
      'the acknowledgement',
    );
    expect((await getAlert(k, fpA)).acknowledged).toMatchObject({
      by: '@alice',
      at: T0 + 60_000,
      via: 'telegram',
    });

    await waitFor(() => tg.requestsTo('editMessageText').length === 1, 10_000, 'the edit');
    expect(message(msgA)?.text.split('\n').slice(0, 2)).toEqual([
      '👀 ACKNOWLEDGED drawdown over 15% on grid-1',
      'Acknowledged by @alice (telegram) at 2026-12-01T09:01:00.000Z.',
    ]);
    expect(message(msgA)?.reply_markup).toBeUndefined();

    await waitFor(
      () => pd.alerts().find((x) => x.dedupKey === fpA)?.status === 'acknowledged',
      10_000,
      'the PagerDuty acknowledge',
    );
    const acked = k.recorder.received.filter((n) => n.kind === 'acknowledged');
    expect(acked.map((n) => n.alerts[0]?.fingerprint)).toEqual([fpA]);
    // The other alert was not touched.
    expect((await getAlert(k, fpB)).acknowledged).toBeUndefined();
  });

  it('the acknowledged alert is not reminded; the other one is', async () => {
    await k.idle();
    clock.set(T0 + 15 * 60_000);
    await k.app.sweep();
    await waitFor(() => k.recorder.received.some((n) => n.kind === 'repeat'), 10_000, 'the reminder');
    await k.idle();
    const repeats = k.recorder.received
      .filter((n) => n.kind === 'repeat')
      .map((n) => n.alerts[0]?.fingerprint);
    expect(repeats).toEqual([fpB]);
    // In Telegram: a reply to grid-2's message, with its own button.
    await waitFor(() => tg.messagesIn(CHAT).length === 3, 10_000, 'the Telegram reminder');
    expect(tg.messagesIn(CHAT)[2]?.reply_markup).toEqual(ackButton(fpB));
  });

  it('the resolve still goes out after the acknowledgement: the message edited to RESOLVED, PagerDuty resolved', async () => {
    clock.set(T0 + 20 * 60_000);
    await drawdown('grid-1', 5);
    await waitFor(
      () => pd.alerts().find((x) => x.dedupKey === fpA)?.status === 'resolved',
      10_000,
      'the PagerDuty resolve',
    );
    expect(pd.alerts().find((x) => x.dedupKey === fpA)?.actions).toEqual([
      'trigger',
      'acknowledge',
      'resolve',
    ]);
    await waitFor(
      () => message(msgA)?.text.startsWith('✅ RESOLVED') === true,
      10_000,
      'the Telegram resolve',
    );
    expect(message(msgA)?.reply_markup).toBeUndefined();
  });

  it('a press on an alert resolved since is answered so, and the button goes', async () => {
    const stale = tg.messagesIn(CHAT).at(-1)!; // grid-2's reminder
    expect(stale.reply_markup).toEqual(ackButton(fpB));
    clock.set(T0 + 25 * 60_000);
    await drawdown('grid-2', 5);
    await waitFor(async () => (await getAlert(k, fpB)).status === 'resolved', 10_000, 'the resolve');
    const answers = tg.callbackAnswers.length;
    await tg.press(CHAT, stale.message_id, BOB);
    await waitFor(() => tg.callbackAnswers.length === answers + 1, 10_000, 'the answer');
    expect(tg.callbackAnswers.at(-1)?.text).toBe('Already resolved');
    await waitFor(() => message(stale.message_id)?.reply_markup === undefined, 10_000, 'the button to go');
  });

  it('the bot token is in no log line', () => {
    expect(logText).toContain('telegram button pressed');
    expect(logText).not.toContain(TG_TOKEN);
    expect(logText).not.toContain('s3cr3t');
  });
});

/** The same, with Telegram posting presses to Klaxon (webhook mode). */
describe('acknowledging from the Telegram button (webhook mode)', () => {
  const TG_TOKEN = '700002:ACK-webhook-s3cr3t-token';
  const SECRET = 'S3CRET-webhook-secret-0123456789abcdef';
  const tg = new FakeTelegram();
  const k = new TestKlaxon(`klaxon-test-telegram-hook-${process.pid}`);
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (c: Buffer) => (logText += c.toString('utf8')));
  const fp = fingerprint('position_stop_loss_hit', { source: 'grid-7' });
  let hookUrl = '';

  beforeAll(async () => {
    await tg.start();
    const port = await freePort();
    hookUrl = `http://127.0.0.1:${port}/v1/telegram/desk`;
    await k.start(
      (url) => ({
        server: {
          host: '127.0.0.1',
          public_url: `http://127.0.0.1:${port}`,
          tokens: [{ name: 'bots', token: TOKEN, sources: ['*'], admin: true }],
          rate_limit: { max: 100_000 },
        },
        receivers: {
          hook: { type: 'webhook', url },
          desk: {
            type: 'telegram',
            token: TG_TOKEN,
            chat_ids: [CHAT],
            api_root: tg.apiRoot,
            throttle: 'off',
            ack_users: [ALICE.id],
            updates: { mode: 'webhook', secret_token: SECRET },
          },
        },
        routes: { receivers: ['hook', 'desk'] },
      }),
      { port, logger: createLogger({ level: 'debug', destination: logs }) },
    );
  });
  afterAll(async () => {
    await k.close();
    await tg.close();
  });

  const post = (url: string, headers: Record<string, string>, body: unknown = { update_id: 1 }) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('registers its webhook with Telegram, and polls nothing', async () => {
    await waitFor(() => tg.webhookOf(TG_TOKEN) !== undefined, 10_000, 'setWebhook');
    expect(tg.webhookOf(TG_TOKEN)).toEqual({
      url: hookUrl,
      secret_token: SECRET,
      allowed_updates: ['callback_query'],
    });
    expect(tg.requestsTo('getUpdates')).toEqual([]);
  });

  it('refuses an update without the right secret (403) and one for an unknown receiver (404)', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { 'x-telegram-bot-api-secret-token': 'wrong' },
      { 'x-telegram-bot-api-secret-token': `${SECRET}x` },
    ];
    for (const headers of wrong) {
      const res = await post(hookUrl, headers);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: 'forbidden' });
    }
    const res = await post(hookUrl.replace('/desk', '/hook'), { 'x-telegram-bot-api-secret-token': SECRET });
    expect(res.status).toBe(404);
    // Telegram's own updates other than presses are taken and ignored.
    const ok = await post(
      hookUrl,
      { 'x-telegram-bot-api-secret-token': SECRET },
      { update_id: 2, message: {} },
    );
    expect(ok.status).toBe(200);
  });

  it('a press posted by Telegram is checked, acknowledged and answered; the message is edited', async () => {
    await k.push('/v1/alerts', stopLoss('grid-7'));
    await waitFor(() => tg.messagesIn(CHAT).length === 1, 10_000, 'the firing');
    const msg = tg.messagesIn(CHAT)[0]!;
    expect(msg.reply_markup).toEqual(ackButton(fp));

    expect((await tg.press(CHAT, msg.message_id, MALLORY)).webhookStatus).toBe(200);
    expect(tg.callbackAnswers[0]).toMatchObject({
      text: 'You may not acknowledge alerts here',
      show_alert: true,
    });

    expect((await tg.press(CHAT, msg.message_id, ALICE)).webhookStatus).toBe(200);
    expect(tg.callbackAnswers[1]).toMatchObject({ text: 'Acknowledged' });
    await waitFor(
      async () => (await getAlert(k, fp)).acknowledged !== undefined,
      10_000,
      'the acknowledgement',
    );
    expect((await getAlert(k, fp)).acknowledged).toMatchObject({ by: '@alice', via: 'telegram' });
    await waitFor(() => tg.requestsTo('editMessageText').length === 1, 10_000, 'the edit');
    expect(tg.messagesIn(CHAT)[0]?.text).toContain('Acknowledged by @alice (telegram)');
    expect(tg.messagesIn(CHAT)[0]?.reply_markup).toBeUndefined();
  });

  it('neither the bot token nor the secret is in a log line', () => {
    expect(logText).toContain('request refused');
    for (const s of [TG_TOKEN, SECRET, 's3cr3t']) expect(logText).not.toContain(s);
  });
});

/** Two Klaxon processes with the same bot: only one polls Telegram, and the other takes over. */
describe('two Klaxon processes with one bot', () => {
  const TG_TOKEN = '700003:ACK-two-processes-token';
  const prefix = `klaxon-test-telegram-two-${process.pid}`;
  const tg = new FakeTelegram();
  const k = new TestKlaxon(prefix);
  const redis = new Redis(REDIS_URL);
  const lock = pollerKeys(prefix, '700003').lock;
  let child: ChildProcess | undefined;
  const telegram = () => ({
    type: 'telegram',
    token: TG_TOKEN,
    chat_ids: [CHAT],
    api_root: tg.apiRoot,
    throttle: 'off',
    ack_users: [ALICE.id, BOB.id],
    updates: { poll_timeout: '1s' },
  });

  beforeAll(async () => {
    await tg.start();
    // The other process: `klaxon worker`, started first, so it holds the bot.
    child = startWorker(
      writeConfig({
        redis: { url: REDIS_URL, prefix },
        queue: { shards: 4 },
        receivers: { telegram: telegram() },
        routes: { receivers: ['telegram'] },
      }),
    );
    await waitFor(
      async () => (await redis.get(lock))?.includes(`:${child?.pid}:`) === true,
      30_000,
      'the worker to poll',
    );
    await k.start({ receivers: { telegram: telegram() }, routes: { receivers: ['telegram'] } });
  });
  afterAll(async () => {
    if (child) await stopWorker(child);
    await k.close();
    await tg.close();
    redis.disconnect();
  });

  it('one polls while the other waits; stopping it hands the bot over; Telegram never answers 409', async () => {
    const fp = fingerprint('position_stop_loss_hit', { source: 'grid-9' });
    await k.push('/v1/alerts', stopLoss('grid-9'));
    await waitFor(() => tg.messagesIn(CHAT).length === 1, 10_000, 'the firing');
    const msg = tg.messagesIn(CHAT)[0]!;
    // Several rounds of polling (1 s each) with both processes running.
    const polls = tg.requestsTo('getUpdates').length;
    await waitFor(() => tg.requestsTo('getUpdates').length >= polls + 3, 15_000, 'three more polls');
    expect(await redis.get(lock)).toContain(`:${child?.pid}:`);

    await tg.press(CHAT, msg.message_id, ALICE);
    await waitFor(() => tg.callbackAnswers.length === 1, 10_000, 'the answer from the worker process');

    await stopWorker(child!);
    await waitFor(
      async () => (await redis.get(lock))?.includes(`:${process.pid}:`) === true,
      10_000,
      'the hand-over',
    );
    await tg.press(CHAT, msg.message_id, BOB, `ack:${fp}`);
    await waitFor(() => tg.callbackAnswers.length === 2, 10_000, 'the answer from this process');
    expect(tg.callbackAnswers.map((a) => a.text)).toEqual(['Acknowledged', 'Acknowledged']);
    expect(tg.conflicts).toBe(0);
  });
});
