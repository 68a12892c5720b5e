import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TelegramError } from 'telegraf';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SendError, type SendOutcome } from '../../src/channels/channel.js';
import { describe as describeContent } from '../../src/channels/content.js';
import {
  botApiFailure,
  isTelegramError,
  migratedTo,
  toSendError,
} from '../../src/channels/telegram/errors.js';
import { telegramChannel, telegramReceiverSchema } from '../../src/channels/telegram/index.js';
import { renderEdit, renderHtml, renderParts } from '../../src/channels/telegram/render.js';
import { MESSAGE_MAX } from '../../src/channels/telegram/split.js';
import {
  EDIT_WINDOW_MS,
  TelegramChannel,
  type TelegramChannelOptions,
} from '../../src/channels/telegram/telegram-channel.js';
import type { AlertView } from '../../src/model/alert.js';
import type { MessageRef, Notification } from '../../src/model/notification.js';
import {
  badGatewayHtml,
  botApiError,
  botBlocked,
  cantParseEntities,
  chatNotFound,
  closeSocket,
  FakeTelegram,
  hang,
  parseTelegramHtml,
  processThenFail,
  rawAnswer,
  tooManyRequests,
  unauthorized,
  type FakeTelegramRequest,
} from '../support/fakes/telegram.js';
import { delivery, notification, T0 } from './helpers.js';

const TOKEN = '123456:AAE-s3cr3t_bot_token_0123456789';
const GROUP = '-100123';
const USER = '5550001';
const CHANNEL = '@channel';
const NOW = T0 + 60_000;

let tg: FakeTelegram;
let refusedRoot: string;

beforeAll(async () => {
  tg = await new FakeTelegram({ token: TOKEN }).start();
  // A port that was just free: connecting to it is refused.
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  refusedRoot = `http://127.0.0.1:${(tmp.address() as AddressInfo).port}`;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  await tg.close();
});

beforeEach(() => tg.reset());

function channel(over: Partial<TelegramChannelOptions> = {}): TelegramChannel {
  return new TelegramChannel('ops', {
    token: TOKEN,
    chatIds: [GROUP, USER, CHANNEL],
    apiRoot: tg.apiRoot,
    silentBelow: 'warning',
    ...over,
  });
}

/** A notification to one chat. */
function to(target: string, over: Partial<Notification> = {}, alert: Partial<AlertView> = {}): Notification {
  return notification({ target, ...over }, alert);
}

const resolvedAlert: Partial<AlertView> = { status: 'resolved', endsAt: T0 + 120_000 };

function bodies(method = 'sendMessage'): Record<string, unknown>[] {
  return tg.requestsTo(method).map((r) => r.body);
}

function only(method = 'sendMessage'): FakeTelegramRequest {
  const rs = tg.requestsTo(method);
  expect(rs).toHaveLength(1);
  return rs[0] as FakeTelegramRequest;
}

/** Runs a send that must fail, and checks that nothing printable carries the token. */
async function failure(p: Promise<unknown>): Promise<SendError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  const e = err as SendError;
  const printed = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)} ${String(e.status)} ${String((e as { cause?: unknown }).cause)}`;
  expect(printed).not.toContain(TOKEN);
  expect(printed).not.toContain('s3cr3t');
  return e;
}

describe('telegram: new messages', () => {
  it('firing: one HTML message, exact body, ref = its message_id', async () => {
    const n = to(GROUP);
    const out = await channel().send(delivery(n, { now: NOW }));
    expect(out).toEqual({ ref: { id: '1', sentAt: NOW }, detail: 'sent message 1 to chat -100123' });

    const req = only();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/bot${TOKEN}/sendMessage`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.raw)).toEqual({
      chat_id: -100123,
      text: [
        '🔴 <b>CRITICAL Drawdown above 5% on BTCUSDT</b>',
        '',
        'Equity fell 6.2% from the session high.',
        '',
        '<b>Value:</b> 6.2',
        '<b>Severity:</b> critical',
        '<b>Source:</b> bot-eu-1',
        '<b>Symbol:</b> BTCUSDT',
        '<b>Firing for:</b> 1m',
        '<b>Since:</b> 2026-01-15T09:30:00.000Z',
        '<b>Occurrences:</b> 3',
        '',
        '<i>alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1</i>',
      ].join('\n'),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    const [msg] = tg.messagesIn(GROUP);
    expect(msg?.text.split('\n')[0]).toBe('🔴 CRITICAL Drawdown above 5% on BTCUSDT');
    expect(msg?.disable_notification).toBe(false);
  });

  it('sends user ids as numbers and channel usernames as strings', async () => {
    const ch = channel();
    await ch.send(delivery(to(USER)));
    await ch.send(delivery(to(CHANNEL)));
    expect(bodies().map((b) => b.chat_id)).toEqual([5550001, '@channel']);
  });

  it('silent_below: alerts ranking below it go with disable_notification', async () => {
    const ch = channel(); // silent below warning
    await ch.send(delivery(to(USER, {}, { severity: 'info' })));
    await ch.send(delivery(to(USER, {}, { severity: 'warning' })));
    const strict = channel({ silentBelow: 'critical' });
    await strict.send(delivery(to(USER, {}, { severity: 'high' })));
    await strict.send(delivery(to(USER, {}, { severity: 'critical' })));
    expect(bodies().map((b) => b.disable_notification)).toEqual([true, undefined, true, undefined]);
  });

  it('summary and test: a new message, never a reply, even with a previous message', async () => {
    const ch = channel();
    const previous: MessageRef = { id: '1', sentAt: NOW };
    const s = await ch.send(delivery(to(GROUP, { kind: 'summary', total: 4 }), { previous }));
    const t = await ch.send(delivery(to(GROUP, { kind: 'test' }), { previous }));
    expect(s.ref).toEqual({ id: '1', sentAt: NOW });
    expect(t.ref).toEqual({ id: '2', sentAt: NOW });
    for (const b of bodies()) expect(b.reply_parameters).toBeUndefined();
  });

  it('a notification without a target goes to the only chat, else fails for good', async () => {
    await channel({ chatIds: [USER] }).send(delivery(notification()));
    expect(only().body.chat_id).toBe(5550001);
    const e = await failure(channel().send(delivery(notification())));
    expect(e).toMatchObject({ retryable: false });
    expect(e.message).toBe('telegram receiver "ops": the notification names no chat (target)');
  });
});

describe('telegram: threading', () => {
  for (const kind of ['repeat', 'escalated', 'flapping'] as const) {
    it(`${kind}: a new message replying to the previous one, keeping the ref`, async () => {
      const ch = channel();
      const first = await ch.send(delivery(to(GROUP)));
      const out = await ch.send(delivery(to(GROUP, { kind }), { previous: first.ref }));
      expect(out.ref).toBeUndefined();
      expect(out.detail).toBe('sent message 2 to chat -100123');
      const body = bodies()[1];
      expect(body).toEqual({
        chat_id: -100123,
        text: renderHtml(describeContent(to(GROUP, { kind }))),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        reply_parameters: { message_id: 1, allow_sending_without_reply: true },
      });
      expect(tg.messagesIn(GROUP)[1]?.reply_to).toBe(1);
    });
  }

  it('repeat without a previous message: a plain new message that starts the thread', async () => {
    const out = await channel().send(delivery(to(GROUP, { kind: 'repeat' })));
    expect(out.ref).toEqual({ id: '1', sentAt: NOW });
    expect(only().body.reply_parameters).toBeUndefined();
  });

  it('repeat of an info alert stays silent', async () => {
    await channel().send(
      delivery(to(GROUP, { kind: 'repeat' }, { severity: 'info' }), { previous: { id: '9', sentAt: T0 } }),
    );
    expect(only().body.disable_notification).toBe(true);
  });

  for (const kind of ['resolved', 'acknowledged'] as const) {
    it(`${kind} within 48 h: edits the previous message in place`, async () => {
      const ch = channel();
      const first = await ch.send(delivery(to(GROUP), { now: T0 }));
      const alert = kind === 'resolved' ? resolvedAlert : { acknowledged: { by: 'ana', at: T0 } };
      const n = to(GROUP, { kind }, alert);
      const out = await ch.send(delivery(n, { previous: first.ref, now: T0 + EDIT_WINDOW_MS - 1 }));
      expect(out).toEqual({ detail: 'edited message 1 in chat -100123' });
      expect(JSON.parse(only('editMessageText').raw)).toEqual({
        chat_id: -100123,
        message_id: 1,
        text: renderEdit(
          describeContent(n),
          MESSAGE_MAX,
          kind === 'acknowledged' ? { acknowledged: { by: 'ana', at: T0 } } : {},
        ),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        reply_markup: { inline_keyboard: [] },
      });
      const [msg] = tg.messagesIn(GROUP);
      expect(msg?.text.split('\n')[0]).toBe(
        kind === 'resolved'
          ? '✅ RESOLVED Drawdown above 5% on BTCUSDT'
          : '👀 ACKNOWLEDGED Drawdown above 5% on BTCUSDT',
      );
      expect(msg?.history).toHaveLength(1);
      expect(tg.messagesIn(GROUP)).toHaveLength(1);
    });
  }

  it('resolved edits in previous.chat when the thread lives in another chat', async () => {
    const ch = channel();
    await ch.send(delivery(to('-1009999')));
    const out = await ch.send(
      delivery(to(GROUP, { kind: 'resolved' }, resolvedAlert), {
        previous: { id: '1', sentAt: NOW, chat: '-1009999' },
      }),
    );
    expect(out.detail).toBe('edited message 1 in chat -1009999');
    expect(only('editMessageText').body.chat_id).toBe(-1009999);
  });

  it('resolved after 48 h: a silent reply that becomes the ref', async () => {
    const ch = channel();
    const first = await ch.send(delivery(to(GROUP), { now: T0 }));
    const n = to(GROUP, { kind: 'resolved' }, resolvedAlert);
    const later = T0 + EDIT_WINDOW_MS;
    const out = await ch.send(delivery(n, { previous: first.ref, now: later }));
    expect(out).toEqual({ ref: { id: '2', sentAt: later }, detail: 'sent message 2 to chat -100123' });
    expect(tg.requestsTo('editMessageText')).toHaveLength(0);
    expect(bodies()[1]).toEqual({
      chat_id: -100123,
      text: renderHtml(describeContent(n)),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      disable_notification: true,
      reply_parameters: { message_id: 1, allow_sending_without_reply: true },
    });
  });

  it('resolved with no previous message: a new silent message', async () => {
    const out = await channel().send(delivery(to(USER, { kind: 'resolved' }, resolvedAlert)));
    expect(out.ref).toEqual({ id: '1', sentAt: NOW });
    expect(only().body).toMatchObject({ disable_notification: true });
    expect(only().body.reply_parameters).toBeUndefined();
  });

  it('an edit that changes nothing ("message is not modified") is a success', async () => {
    const ch = channel();
    const n = to(GROUP, { kind: 'resolved' }, resolvedAlert);
    const first = await ch.send(delivery(n));
    await ch.send(delivery(n, { previous: first.ref }));
    const again = await ch.send(delivery(n, { previous: first.ref }));
    expect(again).toEqual({ detail: 'message 1 in chat -100123 already shows this' });
    expect(tg.requestsTo('editMessageText')).toHaveLength(2);
  });

  it('a message that is gone ("message to edit not found"): a silent reply to it, which becomes the ref', async () => {
    const n = to(GROUP, { kind: 'acknowledged' }, { acknowledged: { by: 'ana', at: T0 } });
    const out = await channel().send(delivery(n, { previous: { id: '77', sentAt: NOW } }));
    expect(out).toEqual({
      ref: { id: '1', sentAt: NOW },
      detail:
        'sent message 1 to chat -100123; message 77 could not be edited (Bad Request: message to edit not found): answered it instead',
    });
    expect(bodies()).toEqual([
      {
        chat_id: -100123,
        text: renderHtml(describeContent(n), { acknowledged: { by: 'ana', at: T0 } }),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        disable_notification: true,
        reply_parameters: { message_id: 77, allow_sending_without_reply: true },
      },
    ]);
  });

  it("a message that can't be edited: answered the same way", async () => {
    const ch = channel();
    const first = await ch.send(delivery(to(GROUP)));
    tg.script(botApiError(400, "Bad Request: message can't be edited"), { method: 'editMessageText' });
    const out = await ch.send(
      delivery(to(GROUP, { kind: 'resolved' }, resolvedAlert), { previous: first.ref }),
    );
    expect(out.ref).toEqual({ id: '2', sentAt: NOW });
    expect(bodies()[1]?.reply_parameters).toEqual({ message_id: 1, allow_sending_without_reply: true });
  });
});

describe('telegram: long messages', () => {
  const long = (kind: Notification['kind'] = 'firing', alert: Partial<AlertView> = {}) =>
    to(
      GROUP,
      { kind },
      {
        annotations: { summary: 'Big', description: 'line of text '.repeat(40).concat('\n').repeat(25) },
        ...alert,
      },
    );

  it('splits over 4096 visible characters: every part sent, only the first pings and replies, ref = first', async () => {
    const n = long('repeat');
    const parts = renderParts(describeContent(n));
    expect(parts.length).toBe(4);
    const out = await channel().send(delivery(n, { previous: { id: '5', sentAt: NOW } }));
    expect(out).toEqual({ detail: 'sent message 1 to chat -100123 (4 parts)' });
    expect(bodies()).toEqual(
      parts.map((text, i) => ({
        chat_id: -100123,
        text,
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        ...(i > 0 ? { disable_notification: true } : {}),
        ...(i === 0 ? { reply_parameters: { message_id: 5, allow_sending_without_reply: true } } : {}),
      })),
    );
    // The fake parsed each part as Telegram would: all accepted, each within the limit.
    expect(tg.messagesIn(GROUP).map((m) => m.message_id)).toEqual([1, 2, 3, 4]);
    for (const m of tg.messagesIn(GROUP)) expect(m.text.length).toBeLessThanOrEqual(4096);
  });

  it('the ref of a long firing is its first part', async () => {
    const out = await channel().send(delivery(long()));
    expect(out.ref).toEqual({ id: '1', sentAt: NOW });
  });

  it('a later part that fails is reported as rejected; the send still counts (no duplicate first part)', async () => {
    tg.script(botBlocked(), { method: 'sendMessage', skip: 1 });
    const out = await channel().send(delivery(long()));
    expect(out).toEqual({
      ref: { id: '1', sentAt: NOW },
      detail: 'sent message 1 to chat -100123 (4 parts)',
      rejected: [
        {
          target: GROUP,
          reason:
            'part 2 of 4 not sent: telegram receiver "ops" chat -100123: 403 Forbidden: bot was blocked by the user (the bot was blocked, removed from the chat, or may not post there)',
        },
      ],
    });
    expect(tg.requestsTo('sendMessage')).toHaveLength(2);
  });

  it('an edit is one message: the shortened rendering', async () => {
    const ch = channel();
    const first = await ch.send(delivery(long()));
    const n = long('resolved', resolvedAlert);
    await ch.send(delivery(n, { previous: first.ref }));
    const edit = only('editMessageText').body;
    expect(edit.text).toBe(renderEdit(describeContent(n)));
    expect(parseTelegramHtml(String(edit.text)).text.length).toBeLessThanOrEqual(4096);
    expect(tg.messagesIn(GROUP)[0]?.text.startsWith('✅ RESOLVED Big')).toBe(true);
  });
});

describe('telegram: recovery the Bot API asks for', () => {
  it('a group that became a supergroup: sent again at once to the new chat, remembered, reported', async () => {
    tg.migrateChat(GROUP, -1009999);
    const ch = channel();
    const out = await ch.send(delivery(to(GROUP)));
    expect(out).toEqual({
      ref: { id: '1', sentAt: NOW, chat: '-1009999' },
      detail:
        'sent message 1 to chat -1009999; chat -100123 became supergroup -1009999: sent there; replace -100123 with -1009999 in chat_ids',
    });
    expect(bodies().map((b) => b.chat_id)).toEqual([-100123, -1009999]);
    expect(bodies()[0]).toEqual({ ...bodies()[1], chat_id: -100123 });
    expect(tg.messagesIn(-1009999)).toHaveLength(1);

    // Later sends to the old id go straight to the new chat.
    tg.requests.length = 0;
    const next = await ch.send(delivery(to(GROUP, { kind: 'repeat' }), { previous: out.ref }));
    expect(bodies().map((b) => b.chat_id)).toEqual([-1009999]);
    expect(next.ref).toBeUndefined();
    expect(ch.chatFor(GROUP)).toBe('-1009999');
  });

  it('a migration found while replying moves the ref to the new chat', async () => {
    tg.migrateChat(GROUP, -1009999);
    const out = await channel().send(
      delivery(to(GROUP, { kind: 'repeat' }), { previous: { id: '3', sentAt: NOW } }),
    );
    expect(out.ref).toEqual({ id: '1', sentAt: NOW, chat: '-1009999' });
  });

  it('a migration found while editing: tries the new chat, then answers there', async () => {
    tg.migrateChat(GROUP, -1009999);
    const out = await channel().send(
      delivery(to(GROUP, { kind: 'resolved' }, resolvedAlert), { previous: { id: '3', sentAt: NOW } }),
    );
    expect(tg.requestsTo('editMessageText').map((r) => r.body.chat_id)).toEqual([-100123, -1009999]);
    expect(out.ref).toEqual({ id: '1', sentAt: NOW, chat: '-1009999' });
    expect(out.detail).toContain('chat -100123 became supergroup -1009999');
    expect(bodies()[0]?.chat_id).toBe(-1009999);
  });

  it("HTML Telegram can't parse: the same text again as plain text, without parse_mode", async () => {
    tg.script(cantParseEntities(), { method: 'sendMessage' });
    const n = to(USER, {}, { annotations: { summary: 'a & b', runbook_url: 'https://r.example/x?a=1&b=2' } });
    const out = await channel().send(delivery(n));
    expect(out.ref).toEqual({ id: '1', sentAt: NOW });
    expect(out.detail).toBe(
      'sent message 1 to chat 5550001; sent as plain text: Telegram could not parse the HTML (Bad Request: can\'t parse entities: Unsupported start tag "blink" at byte offset 0)',
    );
    const [html, plain] = bodies();
    expect(html?.parse_mode).toBe('HTML');
    expect(plain).toEqual({
      chat_id: 5550001,
      text: parseTelegramHtml(String(html?.text)).text.replace(
        'Runbook',
        'Runbook (https://r.example/x?a=1&b=2)',
      ),
      link_preview_options: { is_disabled: true },
    });
    expect(String(plain?.text)).toContain('🔴 CRITICAL a & b\n');
  });

  it('an edit Telegram cannot parse goes again as plain text too', async () => {
    const ch = channel();
    const first = await ch.send(delivery(to(USER)));
    tg.script(cantParseEntities(), { method: 'editMessageText' });
    const n = to(USER, { kind: 'resolved' }, resolvedAlert);
    await ch.send(delivery(n, { previous: first.ref }));
    const [, plain] = bodies('editMessageText');
    expect(plain).toEqual({
      chat_id: 5550001,
      message_id: 1,
      text: parseTelegramHtml(renderEdit(describeContent(n))).text,
      link_preview_options: { is_disabled: true },
      reply_markup: { inline_keyboard: [] },
    });
  });
});

describe('telegram: failures', () => {
  it('429: retryable after the retry_after Telegram gave', async () => {
    tg.script(tooManyRequests(7));
    const e = await failure(channel().send(delivery(to(GROUP))));
    expect(e).toMatchObject({ retryable: true, retryAfterMs: 7000, status: 429 });
    expect(e.message).toBe('telegram receiver "ops" chat -100123: 429 Too Many Requests: retry after 7');
  });

  it("403 bot blocked: permanent, with Telegram's description", async () => {
    tg.script(botBlocked());
    const e = await failure(channel().send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: false, status: 403, retryAfterMs: undefined });
    expect(e.message).toBe(
      'telegram receiver "ops" chat 5550001: 403 Forbidden: bot was blocked by the user (the bot was blocked, removed from the chat, or may not post there)',
    );
  });

  it('401: permanent, and a token quoted in the description is scrubbed', async () => {
    tg.script(unauthorized());
    const e = await failure(channel().send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: false, status: 401 });
    expect(e.message).toBe('telegram receiver "ops" chat 5550001: 401 Unauthorized (check the bot token)');

    tg.script(botApiError(401, `Unauthorized: token ${TOKEN} was revoked`));
    const leaked = await failure(channel().send(delivery(to(USER))));
    expect(leaked.message).toBe(
      'telegram receiver "ops" chat 5550001: 401 Unauthorized: token [secret] was revoked (check the bot token)',
    );
  });

  it('a wrong token (the fake answers 401 like Telegram) is permanent', async () => {
    const e = await failure(channel({ token: '123456:AAE-wrong_s3cr3t_token' }).send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: false, status: 401 });
  });

  it('400 chat not found and 404 are permanent', async () => {
    tg.script(chatNotFound());
    expect(await failure(channel().send(delivery(to(USER))))).toMatchObject({
      retryable: false,
      status: 400,
    });
    tg.script(botApiError(404, 'Not Found'));
    const e = await failure(channel().send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: false, status: 404 });
    expect(e.message).toBe(
      'telegram receiver "ops" chat 5550001: 404 Not Found (check the bot token and api_root)',
    );
  });

  it('502 with an HTML body and 500: retryable', async () => {
    tg.script(badGatewayHtml());
    const e = await failure(channel().send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: true, status: 502, retryAfterMs: undefined });
    expect(e.message).toBe('telegram receiver "ops" chat 5550001: 502 Bad Gateway');
    tg.script(botApiError(500, 'Internal Server Error'));
    expect(await failure(channel().send(delivery(to(USER))))).toMatchObject({ retryable: true, status: 500 });
  });

  it('an answer that is not JSON (a proxy page): retryable, and the URL with the token is not repeated', async () => {
    tg.script(rawAnswer(404, '<html>not here</html>', { 'content-type': 'text/html' }));
    const e = await failure(channel().send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: true, status: 'invalid-json' });
    expect(e.message).toBe(
      'telegram receiver "ops" chat 5550001: the answer was not Bot API JSON (check api_root)',
    );
  });

  it('a closed connection: retryable network error', async () => {
    tg.script(closeSocket());
    const e = await failure(channel().send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: true, status: 'ECONNRESET' });
    expect(e.message).toBe('telegram receiver "ops" chat 5550001: network error (ECONNRESET)');
  });

  it('connection refused: retryable network error', async () => {
    const e = await failure(channel({ apiRoot: refusedRoot }).send(delivery(to(USER))));
    expect(e).toMatchObject({ retryable: true, status: 'ECONNREFUSED' });
    expect(e.message).toBe('telegram receiver "ops" chat 5550001: network error (ECONNREFUSED)');
  });

  it('a server that never answers: rejects as soon as the delivery signal aborts', async () => {
    tg.script(hang());
    const started = Date.now();
    const e = await failure(channel().send(delivery(to(USER), { signal: AbortSignal.timeout(100) })));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e).toMatchObject({ retryable: true, status: 'aborted' });
    expect(e.message).toBe('telegram receiver "ops" chat 5550001: send aborted');
    expect(tg.requestsTo('sendMessage')).toHaveLength(1);
    // The signal reached telegraf's fetch: the request itself was cancelled, not just abandoned.
    for (let i = 0; i < 50 && tg.hanging > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(tg.hanging).toBe(0);
  });

  it('an edit that hangs is aborted the same way', async () => {
    tg.script(hang(), { method: 'editMessageText' });
    const ac = new AbortController();
    const p = channel().send(
      delivery(to(USER, { kind: 'resolved' }, resolvedAlert), {
        previous: { id: '1', sentAt: NOW },
        signal: ac.signal,
      }),
    );
    setTimeout(() => ac.abort(), 50);
    expect(await failure(p)).toMatchObject({ retryable: true, status: 'aborted' });
  });

  it('an already aborted signal sends nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(channel().send(delivery(to(USER), { signal: ac.signal })));
    expect(e).toMatchObject({ retryable: true, status: 'aborted' });
    expect(tg.requests).toHaveLength(0);
  });

  it('a message that went out before the connection dropped: retryable, and the retry duplicates it', async () => {
    tg.script(processThenFail());
    const ch = channel();
    expect(await failure(ch.send(delivery(to(USER))))).toMatchObject({ retryable: true });
    await ch.send(delivery(to(USER)));
    expect(tg.messagesIn(USER).map((m) => m.message_id)).toEqual([1, 2]);
  });
});

describe('telegram: verify and the channel definition', () => {
  it('verify asks getMe and names the bot', async () => {
    await expect(channel().verify(AbortSignal.timeout(5000))).resolves.toBe(
      'bot @klaxon_test_bot (id 123456) can send to 3 chats',
    );
    expect(only('getMe').path).toBe(`/bot${TOKEN}/getMe`);
    await expect(channel({ chatIds: [USER] }).verify(AbortSignal.timeout(5000))).resolves.toBe(
      'bot @klaxon_test_bot (id 123456) can send to 1 chat',
    );
  });

  it('verify with a bad token fails for good, without the token', async () => {
    tg.script(unauthorized(), { method: 'getMe' });
    const e = await failure(channel().verify(AbortSignal.timeout(5000)));
    expect(e).toMatchObject({ retryable: false, status: 401 });
    expect(e.message).toBe('telegram receiver "ops": 401 Unauthorized (check the bot token)');
  });

  it('verify stops when its signal aborts', async () => {
    tg.script(hang(), { method: 'getMe' });
    const e = await failure(channel().verify(AbortSignal.timeout(50)));
    expect(e).toMatchObject({ status: 'aborted' });
  });

  it('create() builds a working channel from the receiver config (api_root with a path too)', async () => {
    const cfg = telegramReceiverSchema.parse({
      type: 'telegram',
      token: TOKEN,
      chat_ids: [-100123, 5550001, '@channel'],
      api_root: tg.apiRoot,
    });
    const ch = await telegramChannel.create('ops', cfg, {});
    expect(ch.type).toBe('telegram');
    const out: SendOutcome = await ch.send(delivery(to('@channel')));
    expect(out.ref).toEqual({ id: '1', sentAt: NOW });
    expect(only().path).toBe(`/bot${TOKEN}/sendMessage`);

    // telegraf resolves `./bot<token>/…` against the root: a root with a path works without its `/`.
    const mounted = await telegramChannel.create('ops', { ...cfg, api_root: `${tg.apiRoot}/tg-api` }, {});
    await mounted.send(delivery(to(USER)));
    expect(tg.requests.at(-1)?.path).toBe(`/tg-api/bot${TOKEN}/sendMessage`);
  });
});

describe('telegram: injection', () => {
  it("alert text with tags, mentions and Markdown arrives as text; the only entities are the layout's", async () => {
    const nasty =
      '<b>x</b> <a href="tg://user?id=1">@admin</a> @everyone <@&123> *_[]()~`>#+-=|{}.! &amp; </i>';
    await channel().send(
      delivery(
        to(
          USER,
          {},
          {
            name: nasty,
            annotations: { summary: nasty, description: nasty },
            labels: { source: nasty, evil: nasty },
            links: [{ text: nasty, href: 'https://e.example/"><b>' }],
          },
        ),
      ),
    );
    const [msg] = tg.messagesIn(USER);
    expect(msg?.text.split(nasty).length).toBeGreaterThan(5);
    const urls = msg?.entities.filter((e) => e.type === 'text_link').map((e) => e.url);
    expect(urls).toEqual(['https://e.example/"><b>']);
    expect(msg?.entities.every((e) => ['bold', 'italic', 'code', 'text_link'].includes(e.type))).toBe(true);
  });
});

describe('telegram: the Acknowledge button (ack_users set)', () => {
  const withButton = () => channel({ ackButton: true });
  const button = { inline_keyboard: [[{ text: 'Acknowledge', callback_data: 'ack:fp-0123456789abcdef' }]] };

  it('a firing carries the button, and the chat shows it under the message', async () => {
    await withButton().send(delivery(to(GROUP)));
    expect(only().body.reply_markup).toEqual(button);
    expect(tg.messagesIn(GROUP)[0]?.reply_markup).toEqual(button);
  });

  for (const kind of ['repeat', 'escalated', 'flapping'] as const) {
    it(`${kind}: the reply carries the button too`, async () => {
      await withButton().send(delivery(to(GROUP, { kind }), { previous: { id: '9', sentAt: NOW } }));
      expect(only().body).toMatchObject({
        reply_parameters: { message_id: 9, allow_sending_without_reply: true },
        reply_markup: button,
      });
    });
  }

  it('no button on a group of alerts, a summary, a test, or without ack_users', async () => {
    const alerts = [
      { ...to(GROUP).alerts[0]!, fingerprint: 'a1' },
      { ...to(GROUP).alerts[0]!, fingerprint: 'a2' },
    ];
    await withButton().send(delivery(to(GROUP, { alerts })));
    await withButton().send(delivery(to(GROUP, { kind: 'summary', total: 3 })));
    await withButton().send(delivery(to(GROUP, { kind: 'test' })));
    await channel().send(delivery(to(GROUP)));
    expect(bodies()).toHaveLength(4);
    for (const b of bodies()) expect(b.reply_markup).toBeUndefined();
    for (const m of tg.messagesIn(GROUP)) expect(m.reply_markup).toBeUndefined();
  });

  it('a long firing: only its first part (the one a resolve edits) carries the button', async () => {
    const n = to(GROUP, {}, { annotations: { summary: 'Big', description: 'line of text '.repeat(400) } });
    await withButton().send(delivery(n));
    const sent = bodies();
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.map((b) => b.reply_markup)).toEqual([button, ...sent.slice(1).map(() => undefined)]);
  });

  it('the acknowledgement edits the message to say who, through what and when, and takes the button away', async () => {
    const ch = withButton();
    const first = await ch.send(delivery(to(GROUP), { now: T0 }));
    const ack = { by: '@alice', at: T0 + 90_000, via: 'telegram' };
    const n = to(GROUP, { kind: 'acknowledged' }, { acknowledged: ack });
    const out = await ch.send(delivery(n, { previous: first.ref, now: T0 + 100_000 }));
    expect(out).toEqual({ detail: 'edited message 1 in chat -100123' });
    const [msg] = tg.messagesIn(GROUP);
    expect(msg?.text.split('\n').slice(0, 2)).toEqual([
      '👀 ACKNOWLEDGED Drawdown above 5% on BTCUSDT',
      'Acknowledged by @alice (telegram) at 2026-01-15T09:31:30.000Z.',
    ]);
    expect(msg?.reply_markup).toBeUndefined();
    expect(only('editMessageText').body.reply_markup).toEqual({ inline_keyboard: [] });
  });

  it('the resolve edit takes the button away too', async () => {
    const ch = withButton();
    const first = await ch.send(delivery(to(GROUP)));
    await ch.send(delivery(to(GROUP, { kind: 'resolved' }, resolvedAlert), { previous: first.ref }));
    const [msg] = tg.messagesIn(GROUP);
    expect(msg?.text.split('\n')[0]).toBe('✅ RESOLVED Drawdown above 5% on BTCUSDT');
    expect(msg?.reply_markup).toBeUndefined();
  });

  it('create() shows the button exactly when the receiver has ack_users', async () => {
    const cfg = (extra: Record<string, unknown>) =>
      telegramReceiverSchema.parse({
        type: 'telegram',
        token: TOKEN,
        chat_ids: [USER],
        api_root: tg.apiRoot,
        ...extra,
      });
    await (await telegramChannel.create('ops', cfg({ ack_users: [111] }), {})).send(delivery(to(USER)));
    await (await telegramChannel.create('ops', cfg({}), {})).send(delivery(to(USER)));
    expect(bodies().map((b) => b.reply_markup)).toEqual([button, undefined]);
  });
});

describe('telegram: Bot API failures told without loading telegraf', () => {
  const where = 'telegram receiver "ops" chat -100123';
  const live = new AbortController().signal;
  const failed = (response: ConstructorParameters<typeof TelegramError>[0]) =>
    new TelegramError(response, { method: 'sendMessage', payload: {} });

  it("reads telegraf's own TelegramError: code, description, retry_after, migrate_to_chat_id", () => {
    const limited = failed({
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      parameters: { retry_after: 7 },
    });
    expect(isTelegramError(limited)).toBe(true);
    expect(botApiFailure(limited)).toEqual({
      code: 429,
      description: 'Too Many Requests: retry after 7',
      retryAfter: 7,
      migrateTo: undefined,
    });
    expect(toSendError(limited, where, [TOKEN], live)).toMatchObject({
      message: `${where}: 429 Too Many Requests: retry after 7`,
      retryable: true,
      retryAfterMs: 7000,
      status: 429,
    });

    const moved = failed({
      error_code: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: -1009876 },
    });
    expect(migratedTo(botApiFailure(moved))).toBe(-1009876);

    // What telegraf throws for an HTTP status of 500 or more (it ignores the body).
    expect(
      toSendError(failed({ error_code: 502, description: 'Bad Gateway' }), where, [], live),
    ).toMatchObject({ retryable: true, status: 502 });
    expect(
      toSendError(
        failed({ error_code: 403, description: 'Forbidden: bot was blocked by the user' }),
        where,
        [],
        live,
      ),
    ).toMatchObject({
      message: `${where}: 403 Forbidden: bot was blocked by the user (the bot was blocked, removed from the chat, or may not post there)`,
      retryable: false,
      status: 403,
    });
  });

  it('takes no other error for one: network failures stay network failures', () => {
    const fetchError = Object.assign(new Error('request to https://api.telegram.org failed'), {
      name: 'FetchError',
      type: 'system',
      code: 'ECONNRESET',
    });
    const notErrors = [
      { response: { error_code: 400, description: 'x' }, on: {} },
      null,
      'Bad Request',
      Object.assign(new Error('no call'), { response: { error_code: 400, description: 'x' } }),
    ];
    for (const err of [fetchError, new Error('boom'), ...notErrors]) {
      expect(isTelegramError(err)).toBe(false);
      expect(botApiFailure(err)).toBeUndefined();
    }
    expect(toSendError(fetchError, where, [], live)).toMatchObject({
      message: `${where}: network error (ECONNRESET)`,
      retryable: true,
      status: 'ECONNRESET',
    });
  });
});
