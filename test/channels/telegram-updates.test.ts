import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReceiverConfig } from '../../src/channels/registry.js';
import { telegramReceiverSchema } from '../../src/channels/telegram/config.js';
import { botClient, TelegramChannel } from '../../src/channels/telegram/telegram-channel.js';
import {
  allowedUsers,
  ANSWERS,
  decidePress,
  handleUpdate,
  pollerKeys,
  readPress,
  sameSecret,
  telegramBots,
  TelegramUpdates,
  telegramWebhooks,
  type PressContext,
  type TelegramBot,
  type UpdatesTimings,
} from '../../src/channels/telegram/updates.js';
import type { AckResult, Acknowledgement } from '../../src/ingest/alert-api.js';
import { createLogger } from '../../src/ops/logger.js';
import {
  botApiError,
  closeSocket,
  FakeTelegram,
  tooManyRequests,
  type FakeTelegramUser,
} from '../support/fakes/telegram.js';
import { REDIS_URL } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';
import { delivery, notification, T0 } from './helpers.js';

const TOKEN = '424242:AAE-updates_s3cr3t_token_0123456789';
const SECRET = 'S3CRET-hook-token_0123456789abcdef';
const CHAT = '-100777';
const FP = 'a3f29c1d7b6e4f0812345678';
const PREFIX = `t-tgu-${process.pid}-${randomBytes(3).toString('hex')}`;
const ALICE: FakeTelegramUser = { id: 111, first_name: 'Alice', username: 'alice' };
const BOB: FakeTelegramUser = { id: 222, first_name: 'Bob' };
const MALLORY: FakeTelegramUser = { id: 666, first_name: 'Mallory', username: 'mallory' };
/** Short lock and backoff times, so a test sees hand-overs and retries without waiting long. */
const FAST: Partial<UpdatesTimings> = { lockTtlMs: 1500, contendMs: 100, backoffMs: 20, maxBackoffMs: 200 };

const tg = new FakeTelegram();
let redis: Redis;
const logs = new PassThrough();
let logText = '';
logs.on('data', (c: Buffer) => (logText += c.toString('utf8')));
const logger = createLogger({ level: 'debug', destination: logs });

/** What Klaxon's AlertApi.acknowledge was asked, and what it answers (accepted unless told). */
class Acks {
  readonly calls: { fingerprint: string; ack: Acknowledgement }[] = [];
  readonly outcomes = new Map<string, AckResult['outcome'] | 'throw'>();
  readonly acknowledge = async (fingerprint: string, ack: Acknowledgement): Promise<AckResult> => {
    this.calls.push({ fingerprint, ack });
    const o = this.outcomes.get(fingerprint) ?? 'accepted';
    if (o === 'throw') throw new Error('Redis is unavailable: connection refused');
    return { outcome: o };
  };
}

function receiver(extra: Record<string, unknown> = {}, token = TOKEN): ReceiverConfig {
  return telegramReceiverSchema.parse({
    type: 'telegram',
    token,
    chat_ids: [CHAT],
    api_root: tg.apiRoot,
    ack_users: [ALICE.id, BOB.id],
    updates: { poll_timeout: '1s' },
    ...extra,
  });
}

/** A firing about alert `fp` with its button, as the channel sends it; its message id. */
async function firingMessage(fp = FP, chat = CHAT, token = TOKEN): Promise<number> {
  const ch = new TelegramChannel('desk', {
    token,
    chatIds: [chat],
    apiRoot: tg.apiRoot,
    silentBelow: 'warning',
    ackButton: true,
  });
  const out = await ch.send(delivery(notification({ target: chat }, { fingerprint: fp })));
  return Number(out.ref?.id);
}

const running: TelegramUpdates[] = [];
function start(receivers: Record<string, ReceiverConfig>, acks: Acks, publicUrl?: string): TelegramUpdates {
  const u = TelegramUpdates.start({
    receivers,
    publicUrl,
    prefix: PREFIX,
    redis,
    acknowledge: acks.acknowledge,
    clock: () => T0,
    logger,
    timings: FAST,
  });
  running.push(u);
  return u;
}

beforeAll(async () => {
  await tg.start();
  redis = new Redis(REDIS_URL);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
  await waitFor(() => !tg.polling(TOKEN), 5000, 'the last poll to end');
});

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await tg.close();
});

beforeEach(() => tg.reset());

describe('a press, decided', () => {
  const bot = (): TelegramBot => telegramBots({ desk: receiver() }).bots[0]!;
  const update = (from: FakeTelegramUser, data: string, chat = Number(CHAT)) => ({
    update_id: 5,
    callback_query: {
      id: 'q1',
      from: { id: from.id, is_bot: false, first_name: from.first_name, username: from.username },
      message: { message_id: 9, chat: { id: chat, type: 'supergroup' }, date: 0 },
      chat_instance: '1',
      data,
    },
  });

  it('an allowed user acknowledges, recorded as @username, else by first name', () => {
    const press = readPress(update(ALICE, `ack:${FP}`))!;
    expect(press).toEqual({
      updateId: 5,
      callbackId: 'q1',
      data: `ack:${FP}`,
      from: { id: 111, username: 'alice', firstName: 'Alice' },
      chat: { id: -100777 },
      messageId: 9,
    });
    expect(decidePress(press, allowedUsers(bot(), press.chat))).toEqual({
      action: 'acknowledge',
      fingerprint: FP,
      by: '@alice',
    });
    const bob = readPress(update(BOB, `ack:${FP}`))!;
    expect(decidePress(bob, allowedUsers(bot(), bob.chat))).toMatchObject({ by: 'Bob' });
  });

  it('a user not in ack_users is refused, whatever the button says', () => {
    for (const data of [`ack:${FP}`, 'something else']) {
      const press = readPress(update(MALLORY, data))!;
      expect(decidePress(press, allowedUsers(bot(), press.chat))).toEqual({ action: 'refuse' });
    }
    const foreign = readPress(update(ALICE, 'vote:42'))!;
    expect(decidePress(foreign, allowedUsers(bot(), foreign.chat))).toEqual({ action: 'invalid' });
  });

  it('a bot shared by two receivers: a press counts for the receivers posting in that chat', () => {
    const { bots, problems } = telegramBots({
      desk: receiver({ chat_ids: [CHAT], ack_users: [ALICE.id] }),
      risk: receiver({ chat_ids: ['-100888', '@Risk_Alerts'], ack_users: [BOB.id] }),
    });
    expect(problems).toEqual([]);
    expect(bots).toHaveLength(1);
    const b = bots[0]!;
    expect(b.hookName).toBe('desk');
    expect([...allowedUsers(b, { id: -100777 })]).toEqual([ALICE.id]);
    expect([...allowedUsers(b, { id: -100888 })]).toEqual([BOB.id]);
    expect([...allowedUsers(b, { id: -100999, username: 'risk_alerts' })]).toEqual([BOB.id]);
    // A chat no receiver names (a group that became a supergroup): the bot's users.
    expect([...allowedUsers(b, { id: -100123 })].sort()).toEqual([ALICE.id, BOB.id]);
  });

  it('anything but a callback query from a user is ignored', () => {
    for (const u of [
      null,
      [],
      'x',
      { update_id: 1, message: { text: '/start' } },
      { update_id: 2, callback_query: { id: 'q', from: { first_name: 'no id' } } },
      { update_id: 3, callback_query: { from: { id: 1 } } },
    ])
      expect(readPress(u)).toBeUndefined();
  });
});

describe('a press, handled (telegraf against the local Bot API)', () => {
  let acks: Acks;
  let ctx: PressContext;
  let offset = 0;

  beforeEach(() => {
    acks = new Acks();
    ctx = {
      bot: telegramBots({ desk: receiver() }).bots[0]!,
      tg: botClient(TOKEN, tg.apiRoot),
      via: 'polling',
      acknowledge: acks.acknowledge,
      clock: () => T0 + 5000,
      logger,
    };
  });

  /** Presses and fetches the update as the bot would. */
  async function pressed(from: FakeTelegramUser, messageId: number, data?: string): Promise<unknown> {
    await tg.press(CHAT, messageId, from, data);
    const [update] = await botClient(TOKEN, tg.apiRoot).callApi('getUpdates', {
      offset,
      timeout: 0,
      allowed_updates: ['callback_query'],
    });
    offset = update!.update_id + 1;
    return update;
  }

  it('an allowed user: acknowledged in their name, answered, and the button taken off', async () => {
    const id = await firingMessage();
    expect(await handleUpdate(await pressed(ALICE, id), ctx)).toBe('acknowledged');
    expect(acks.calls).toEqual([{ fingerprint: FP, ack: { by: '@alice', at: T0 + 5000, via: 'telegram' } }]);
    expect(tg.callbackAnswers).toMatchObject([{ text: 'Acknowledged', show_alert: false }]);
    expect(tg.messagesIn(CHAT)[0]?.reply_markup).toBeUndefined();
  });

  it('a user not in ack_users: told so in an alert box, nothing acknowledged, the button stays', async () => {
    const id = await firingMessage();
    expect(await handleUpdate(await pressed(MALLORY, id), ctx)).toBe('refused');
    expect(acks.calls).toEqual([]);
    expect(tg.callbackAnswers).toMatchObject([
      { text: 'You may not acknowledge alerts here', show_alert: true },
    ]);
    expect(tg.messagesIn(CHAT)[0]?.reply_markup).toBeDefined();
  });

  it('each outcome has its answer; a resolved or unknown alert loses its button too', async () => {
    acks.outcomes.set('dead0000dead0000dead0000', 'not-firing');
    acks.outcomes.set('beef0000beef0000beef0000', 'unknown');
    const resolved = await firingMessage('dead0000dead0000dead0000');
    const unknown = await firingMessage('beef0000beef0000beef0000');
    const other = await firingMessage('cafe0000cafe0000cafe0000');
    expect(await handleUpdate(await pressed(BOB, resolved), ctx)).toBe('not-firing');
    expect(await handleUpdate(await pressed(BOB, unknown), ctx)).toBe('unknown');
    expect(await handleUpdate(await pressed(BOB, other, 'vote:1'), ctx)).toBe('invalid');
    expect(tg.callbackAnswers.map((a) => a.text)).toEqual([
      'Already resolved',
      'Unknown alert',
      ANSWERS.invalid,
    ]);
    expect(tg.messagesIn(CHAT).map((m) => m.reply_markup === undefined)).toEqual([true, true, false]);
  });

  it('an acknowledgement that fails: "try again", logged, the button stays', async () => {
    acks.outcomes.set(FP, 'throw');
    const id = await firingMessage();
    expect(await handleUpdate(await pressed(ALICE, id), ctx)).toBe('failed');
    expect(tg.callbackAnswers.map((a) => a.text)).toEqual(['Could not acknowledge, try again']);
    expect(tg.messagesIn(CHAT)[0]?.reply_markup).toBeDefined();
    expect(logText).toContain('the acknowledgement could not be queued');
  });

  it('Telegram failing to take the answer is logged, never thrown', async () => {
    const id = await firingMessage();
    tg.script(botApiError(500, 'Internal Server Error'), { method: 'answerCallbackQuery' });
    tg.script(closeSocket(), { method: 'editMessageReplyMarkup' });
    expect(await handleUpdate(await pressed(ALICE, id), ctx)).toBe('acknowledged');
    expect(acks.calls).toHaveLength(1);
    expect(logText).toContain('telegram call failed');
  });
});

describe('long polling', () => {
  it('asks for callback queries only, handles a press and keeps the offset in Redis', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    start({ desk: receiver() }, acks);
    await waitFor(() => tg.polling(TOKEN), 5000, 'the poll');
    expect(tg.requestsTo('getUpdates')[0]?.body).toEqual({ timeout: 1, allowed_updates: ['callback_query'] });
    const press = await tg.press(CHAT, id, ALICE);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
    expect(acks.calls.map((c) => c.ack.by)).toEqual(['@alice']);
    await waitFor(
      async () => (await redis.get(pollerKeys(PREFIX, '424242').offset)) === String(press.update_id + 1),
      5000,
      'the offset',
    );
    await waitFor(
      () => tg.requestsTo('getUpdates').some((r) => r.body.offset === press.update_id + 1),
      5000,
      'a poll from the new offset',
    );
    expect(tg.pendingUpdates(TOKEN)).toBe(0);
    expect(await redis.pttl(pollerKeys(PREFIX, '424242').offset)).toBeGreaterThan(0);
  });

  it('a new poller does not handle again a press its predecessor handled', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    // Handled before a crash that left it unconfirmed at Telegram, with the offset in Redis.
    const old = await tg.press(CHAT, id, ALICE);
    await redis.set(pollerKeys(PREFIX, '424242').offset, old.update_id + 1);
    start({ desk: receiver() }, acks);
    await waitFor(
      () => tg.requestsTo('getUpdates').some((r) => r.body.offset === old.update_id + 1),
      5000,
      'a poll from the stored offset',
    );
    const fresh = await tg.press(CHAT, id, BOB);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
    expect(acks.calls.map((c) => c.ack.by)).toEqual(['Bob']);
    expect(tg.callbackAnswers[0]?.callback_query_id).toBe(fresh.callback_query_id);
  });

  it('two processes polling one bot: one polls, the other waits, and takes over when it stops', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    const first = start({ desk: receiver() }, acks);
    await waitFor(() => tg.polling(TOKEN), 5000, 'the first poller');
    const second = start({ desk: receiver() }, acks);
    const polls = tg.requestsTo('getUpdates').length;
    // Several rounds of polling (1 s each) while the second one keeps trying the lock.
    await waitFor(() => tg.requestsTo('getUpdates').length >= polls + 3, 10_000, 'three more polls');
    await tg.press(CHAT, id, ALICE, `ack:${FP}`);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
    await first.stop();
    await tg.press(CHAT, id, BOB, `ack:${FP}`);
    await waitFor(() => tg.callbackAnswers.length === 2, 5000, 'the answer from the second poller');
    expect(acks.calls.map((c) => c.ack.by)).toEqual(['@alice', 'Bob']);
    expect(tg.conflicts).toBe(0);
    await second.stop();
  });

  it('a poller whose lock went to another process stops polling, and polls again once it is free', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    const keys = pollerKeys(PREFIX, '424242');
    start({ desk: receiver() }, acks);
    await waitFor(() => tg.polling(TOKEN), 5000, 'the poll');
    await redis.set(keys.lock, 'another-process', 'PX', 60_000);
    await waitFor(() => !tg.polling(TOKEN), 5000, 'the poll to end');
    await tg.press(CHAT, id, ALICE);
    expect(tg.pendingUpdates(TOKEN)).toBe(1);
    await redis.del(keys.lock);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
    expect(acks.calls).toHaveLength(1);
    expect(tg.conflicts).toBe(0);
  });

  it('stop() ends a long poll at once and gives the lock back', async () => {
    const u = start({ desk: receiver({ updates: { poll_timeout: '50s' } }) }, new Acks());
    await waitFor(() => tg.polling(TOKEN), 5000, 'the poll');
    expect(await redis.get(pollerKeys(PREFIX, '424242').lock)).toMatch(new RegExp(`:${process.pid}:`));
    await u.stop();
    await waitFor(() => !tg.polling(TOKEN), 5000, 'the poll to end');
    expect(await redis.exists(pollerKeys(PREFIX, '424242').lock)).toBe(0);
  });

  it('failures are waited out and logged, never thrown: 500s, a dropped connection, a 429', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    tg.script(botApiError(500, 'Internal Server Error'), { method: 'getUpdates', times: 2 });
    tg.script(closeSocket(), { method: 'getUpdates' });
    tg.script(tooManyRequests(0), { method: 'getUpdates' });
    start({ desk: receiver() }, acks);
    await waitFor(() => tg.polling(TOKEN), 5000, 'the poll after the failures');
    await tg.press(CHAT, id, ALICE);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
    expect(acks.calls).toHaveLength(1);
    expect(logText).toContain('telegram getUpdates failed');
  });

  it('another client polling the same token: waited out (409), then polled', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    const other = new AbortController();
    const foreign = botClient(TOKEN, tg.apiRoot)
      .callApi('getUpdates', { timeout: 30 }, { signal: other.signal as never })
      .catch(() => undefined);
    await waitFor(() => tg.polling(TOKEN), 5000, 'the other client');
    start({ desk: receiver() }, acks);
    await waitFor(() => tg.conflicts >= 2, 5000, 'the poller to meet the conflict');
    other.abort();
    await foreign;
    await tg.press(CHAT, id, ALICE);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
    expect(logText).toContain('another client polls this bot');
  });

  it('a bot left with a webhook (mode changed to polling): the webhook is deleted, then polled', async () => {
    const acks = new Acks();
    const id = await firingMessage();
    await botClient(TOKEN, tg.apiRoot).callApi('setWebhook', { url: 'https://old.example.test/hook' });
    start({ desk: receiver() }, acks);
    await waitFor(() => tg.polling(TOKEN), 5000, 'the poll');
    expect(tg.requestsTo('deleteWebhook')).toHaveLength(1);
    expect(tg.webhookOf(TOKEN)).toBeUndefined();
    await tg.press(CHAT, id, ALICE);
    await waitFor(() => tg.callbackAnswers.length === 1, 5000, 'the answer');
  });
});

describe('webhook mode', () => {
  const hooked = (extra: Record<string, unknown> = {}) =>
    receiver({ updates: { mode: 'webhook', secret_token: SECRET }, ...extra });

  it('registers the webhook (URL, secret, callback queries only) and does not poll', async () => {
    start({ desk: hooked() }, new Acks(), 'https://klaxon.example.test/');
    await waitFor(() => tg.webhookOf(TOKEN) !== undefined, 5000, 'setWebhook');
    expect(tg.webhookOf(TOKEN)).toEqual({
      url: 'https://klaxon.example.test/v1/telegram/desk',
      secret_token: SECRET,
      allowed_updates: ['callback_query'],
    });
    expect(tg.requestsTo('getUpdates')).toEqual([]);
  });

  it('retries a failed registration; one Telegram refuses is logged, not thrown', async () => {
    tg.script(botApiError(502, 'Bad Gateway'), { method: 'setWebhook' });
    start({ desk: hooked() }, new Acks(), 'https://klaxon.example.test');
    await waitFor(() => tg.webhookOf(TOKEN) !== undefined, 5000, 'setWebhook after the 502');
    tg.reset();
    tg.script(botApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook'), {
      method: 'setWebhook',
    });
    start({ desk: hooked() }, new Acks(), 'http://klaxon.example.test');
    await waitFor(() => logText.includes('telegram refused the webhook'), 5000, 'the error');
    expect(tg.webhookOf(TOKEN)).toBeUndefined();
  });

  it('the endpoint checks the secret and handles a press like polling does', async () => {
    const acks = new Acks();
    const hooks = telegramWebhooks(
      {
        desk: hooked(),
        risk: hooked({ chat_ids: ['-100888'] }),
        poll: receiver({}, '999:polling-bot-token'),
      },
      { acknowledge: acks.acknowledge, clock: () => T0, logger },
    );
    const desk = hooks.endpoint('desk')!;
    expect(hooks.endpoint('risk')).toBe(desk); // one bot, one endpoint
    expect(hooks.endpoint('poll')).toBeUndefined();
    expect(hooks.endpoint('nobody')).toBeUndefined();
    expect(desk.verify(SECRET)).toBe(true);
    for (const wrong of [undefined, '', `${SECRET}x`, SECRET.slice(1), SECRET.toLowerCase()])
      expect(desk.verify(wrong)).toBe(false);
    expect(sameSecret('a', 'a')).toBe(true);

    const id = await firingMessage();
    await botClient(TOKEN, tg.apiRoot).callApi('deleteWebhook', {});
    await tg.press(CHAT, id, ALICE);
    const [update] = await botClient(TOKEN, tg.apiRoot).callApi('getUpdates', { timeout: 0 });
    expect(await desk.handle(update)).toBe('acknowledged');
    expect(acks.calls.map((c) => c.ack)).toEqual([{ by: '@alice', at: T0, via: 'telegram' }]);
    expect(tg.callbackAnswers.map((a) => a.text)).toEqual(['Acknowledged']);
    await botClient(TOKEN, tg.apiRoot).callApi('getUpdates', { offset: update!.update_id + 1, timeout: 0 });
  });

  it('settings that cannot work are refused at start, naming the receivers', () => {
    expect(() => start({ desk: hooked() }, new Acks())).toThrow(
      /receivers\.desk\.updates\.mode: updates\.mode webhook needs server\.public_url/,
    );
    const { problems } = telegramBots(
      { desk: receiver(), risk: hooked({ chat_ids: ['-100888'] }) },
      'https://k',
    );
    expect(problems).toEqual([
      {
        path: 'receivers.risk.updates',
        message:
          'receivers desk and risk use the same bot but not the same api_root and updates: a bot receives its button presses one way; give them the same settings',
      },
    ]);
    // Receivers without ack_users take no part.
    expect(
      telegramBots({ quiet: telegramReceiverSchema.parse({ type: 'telegram', token: TOKEN, chat_ids: [1] }) })
        .bots,
    ).toEqual([]);
  });
});

describe('secrets', () => {
  it('no log line written above carries the bot token or the webhook secret', () => {
    expect(logText.length).toBeGreaterThan(0);
    for (const s of [TOKEN, encodeURIComponent(TOKEN), SECRET, 's3cr3t']) expect(logText).not.toContain(s);
  });
});
