import { describe, expect, it } from 'vitest';
import { describe as describeContent, type MessageContent } from '../../src/channels/content.js';
import {
  telegramReceiverSchema,
  telegramTargets,
  telegramThrottle,
} from '../../src/channels/telegram/config.js';
import { escapeAttr, escapeHtml, plainText, visibleLength } from '../../src/channels/telegram/html.js';
import { telegramChannel } from '../../src/channels/telegram/index.js';
import {
  ackCallbackData,
  ackKeyboard,
  acknowledgedNote,
  parseAckData,
  renderEdit,
  renderHtml,
  renderParts,
} from '../../src/channels/telegram/render.js';
import { MESSAGE_MAX, splitHtml } from '../../src/channels/telegram/split.js';
import type { Notification } from '../../src/model/notification.js';
import { parseTelegramHtml } from '../support/fakes/telegram.js';
import { alertView, notification, T0, unicodeLongDescription } from './helpers.js';

const content = (n: Notification, publicUrl?: string): MessageContent => describeContent(n, { publicUrl });

/** Parses like Telegram and checks the limit: what the Bot API would show. */
function shown(html: string): {
  text: string;
  entities: { type: string; offset: number; length: number; url?: string }[];
} {
  const parsed = parseTelegramHtml(html);
  expect(parsed.text.length).toBeLessThanOrEqual(MESSAGE_MAX);
  return parsed;
}

describe('renderHtml: layout', () => {
  it('lays out one firing alert: marker, bold headline, description, facts, labels, links, footer', () => {
    const n = notification(
      {},
      {
        labels: { source: 'bot-eu-1', symbol: 'BTCUSDT', env: 'prod', team: 'risk' },
        annotations: {
          summary: 'Drawdown above 5% on BTCUSDT',
          description: 'Equity fell 6.2% from the session high.\nSecond line.',
          runbook_url: 'https://runbooks.example/drawdown',
        },
      },
    );
    expect(renderHtml(content(n, 'https://klaxon.example'))).toBe(
      [
        '🔴 <b>CRITICAL Drawdown above 5% on BTCUSDT</b>',
        '',
        'Equity fell 6.2% from the session high.',
        'Second line.',
        '',
        '<b>Value:</b> 6.2',
        '<b>Severity:</b> critical',
        '<b>Source:</b> bot-eu-1',
        '<b>Symbol:</b> BTCUSDT',
        '<b>Firing for:</b> 1m',
        '<b>Since:</b> 2026-01-15T09:30:00.000Z',
        '<b>Occurrences:</b> 3',
        '<b>Labels:</b> <code>env=prod</code>, <code>team=risk</code>',
        '',
        '<a href="https://runbooks.example/drawdown">Runbook</a> · <a href="https://klaxon.example/v1/alerts/fp-0123456789abcdef">Alert in Klaxon</a>',
        '',
        '<i>alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1</i>',
      ].join('\n'),
    );
  });

  it('puts notes in italics under the headline (a reminder)', () => {
    const html = renderHtml(content(notification({ kind: 'repeat' })));
    expect(html.split('\n').slice(0, 3)).toEqual([
      '🔴 <b>CRITICAL Drawdown above 5% on BTCUSDT</b>',
      '<i>Reminder: this alert is still firing.</i>',
      '',
    ]);
  });

  it('marks severity, resolution, acknowledgement and tests', () => {
    const first = (n: Notification) => renderHtml(content(n)).split('\n')[0];
    expect(first(notification({}, { severity: 'high' }))).toBe('🟠 <b>HIGH Drawdown above 5% on BTCUSDT</b>');
    expect(first(notification({}, { severity: 'warning' }))).toBe(
      '🟡 <b>WARNING Drawdown above 5% on BTCUSDT</b>',
    );
    expect(first(notification({}, { severity: 'info' }))).toBe('🔵 <b>INFO Drawdown above 5% on BTCUSDT</b>');
    expect(first(notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 120_000 }))).toBe(
      '✅ <b>RESOLVED Drawdown above 5% on BTCUSDT</b>',
    );
    expect(first(notification({ kind: 'acknowledged' }, { acknowledged: { by: 'ana', at: T0 } }))).toBe(
      '👀 <b>ACKNOWLEDGED Drawdown above 5% on BTCUSDT</b>',
    );
    expect(first(notification({ kind: 'test' }))).toBe('🧪 <b>TEST Drawdown above 5% on BTCUSDT</b>');
  });

  it('lays out a group: each alert with its marker and detail, every one of them', () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alertView({
        fingerprint: `fp-${i}`,
        name: `A${i}`,
        annotations: { summary: `alert <${i}>` },
        labels: { source: 's', symbol: `S${i}` },
        severity: i === 0 ? 'warning' : 'critical',
        status: i === 1 ? 'resolved' : 'firing',
      }),
    );
    const html = renderHtml(content(notification({ kind: 'firing', alerts })));
    const lines = html.split('\n');
    expect(lines.slice(0, 11)).toEqual([
      '🔴 <b>CRITICAL 11 alerts firing, 1 resolved on s</b>',
      '',
      '<b>Firing:</b> 11',
      '<b>Resolved:</b> 1',
      '<b>Source:</b> s',
      '<b>Since:</b> 2026-01-15T09:30:00.000Z',
      '',
      '🟡 <b>WARNING alert &lt;0&gt;</b>',
      'symbol=S0 · value 6.2 · since 2026-01-15T09:30:00.000Z',
      '✅ <b>RESOLVED alert &lt;1&gt;</b>',
      'symbol=S1 · value 6.2 · since 2026-01-15T09:30:00.000Z',
    ]);
    expect(lines.filter((l) => l.includes('alert &lt;'))).toHaveLength(12);
    expect(lines.slice(-2)).toEqual(['', '<i>group of 12 alerts · notification n-1</i>']);
    shown(html);
  });

  it('lays out a rate-limit summary', () => {
    const html = renderHtml(content(notification({ kind: 'summary', total: 3 })));
    expect(html.split('\n').slice(0, 2)).toEqual([
      '🔴 <b>CRITICAL 3 more alerts held back by the rate limit</b>',
      '<i>These alerts were held back by the rate limit; each is listed with its state when it was held.</i>',
    ]);
  });
});

describe('escaping: alert text arrives inert', () => {
  const nasty =
    '<script>alert(1)</script> <b>bold?</b></b> <a href="javascript:x">x</a> &amp; & @everyone <@&123> *_[]()~`>#+-=|{}.! &lt;';

  it('escapes <, > and & in text and " in attributes', () => {
    expect(escapeHtml('<b>&"x"</b>')).toBe('&lt;b&gt;&amp;"x"&lt;/b&gt;');
    expect(escapeAttr('https://x/?a=1&b="2"<')).toBe('https://x/?a=1&amp;b=&quot;2&quot;&lt;');
  });

  it('every piece of alert text shows verbatim and makes no entity of its own', () => {
    const n = notification(
      {},
      {
        name: nasty,
        labels: { source: nasty, [nasty.slice(0, 8)]: nasty },
        annotations: { summary: nasty, description: nasty, note: nasty },
        links: [{ text: nasty, href: 'https://example.com/?q="><b>x</b>&y=1' }],
      },
    );
    const { text, entities } = shown(renderHtml(content(n)));
    expect(text.split(nasty).length - 1).toBeGreaterThanOrEqual(6);
    // Only the layout's own entities: the bold headline and labels, the code labels, the link, the footer.
    expect(new Set(entities.map((e) => e.type))).toEqual(new Set(['bold', 'code', 'text_link', 'italic']));
    const link = entities.find((e) => e.type === 'text_link');
    expect(link?.url).toBe('https://example.com/?q="><b>x</b>&y=1');
    expect(text.slice(link!.offset, link!.offset + link!.length)).toBe(nasty);
    // Bold is the whole headline or a fact label, never a piece of alert text.
    for (const e of entities.filter((x) => x.type === 'bold')) {
      const t = text.slice(e.offset, e.offset + e.length);
      expect(t === `CRITICAL ${nasty}` || /^[A-Za-z ]+:$/.test(t)).toBe(true);
    }
  });

  it('group items and notes are escaped too', () => {
    const alerts = [
      alertView({ annotations: { summary: nasty } }),
      alertView({ fingerprint: 'b', name: nasty }),
    ];
    const { text } = shown(renderHtml(content(notification({ alerts, fallbackFor: '<b>x</b>' }))));
    expect(text).toContain(nasty);
    const single = shown(renderHtml(content(notification({ fallbackFor: '<b>pd</b>' }))));
    expect(single.text).toContain('receiver <b>pd</b> could not be reached');
  });
});

describe('splitHtml: parts within 4096 visible characters, well-formed', () => {
  it('cuts between lines, dropping the line break and blank lines at the cut', () => {
    expect(splitHtml('<b>head</b>\nline one\n\nline two', 12)).toEqual([
      '<b>head</b>',
      'line one',
      'line two',
    ]);
    expect(splitHtml('a\n\n\n\nb', 2)).toEqual(['a', 'b']);
    expect(splitHtml('short', 12)).toEqual(['short']);
  });

  it('cuts a long line after a space, closing and re-opening tags (with their attributes)', () => {
    expect(splitHtml('<b>aaa bbb ccc ddd</b> tail', 8)).toEqual(['<b>aaa bbb</b>', '<b>ccc ddd</b>', 'tail']);
    expect(splitHtml('<i>x</i>\n<a href="https://e/?a=1&amp;b=&quot;q&quot;">link text here</a>', 9)).toEqual(
      [
        '<i>x</i>',
        '<a href="https://e/?a=1&amp;b=&quot;q&quot;">link</a>',
        '<a href="https://e/?a=1&amp;b=&quot;q&quot;">text here</a>',
      ],
    );
    expect(splitHtml('abc <b>def</b> ghi', 4)).toEqual(['abc', '<b>def</b>', 'ghi']);
  });

  it('never cuts an entity or a surrogate pair, and counts an entity as one character', () => {
    expect(splitHtml('&amp;&amp;&amp;&amp;&amp;', 2)).toEqual(['&amp;&amp;', '&amp;&amp;', '&amp;']);
    expect(splitHtml('🔥🔥🔥', 3)).toEqual(['🔥', '🔥', '🔥']);
    const amps = splitHtml(escapeHtml('&'.repeat(5000)));
    expect(amps.map(visibleLength)).toEqual([4096, 904]);
  });

  it('splits the real multilingual fixture: every part parses, fits, and nothing is lost', () => {
    const u = unicodeLongDescription();
    const c = content(
      notification({}, { annotations: { description: u.description.repeat(2) }, labels: u.labels }),
    );
    const html = renderHtml(c);
    expect(visibleLength(html)).toBeGreaterThan(MESSAGE_MAX * 2);
    const parts = renderParts(c);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const norm = (s: string) => s.replace(/\s+/gu, ' ').trim();
    const texts = parts.map((p) => shown(p).text);
    expect(norm(texts.join(' '))).toBe(norm(parseTelegramHtml(html).text));
    for (const t of texts)
      expect(t).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    expect(texts[0]?.startsWith('🔴 CRITICAL')).toBe(true);
    expect(texts.at(-1)?.endsWith('notification n-1')).toBe(true);
  });

  it('one bold line longer than a message stays bold in every part', () => {
    const html = `<b>${'word '.repeat(2000)}</b>`;
    const parts = splitHtml(html);
    expect(parts).toHaveLength(3);
    for (const p of parts) {
      const { text, entities } = shown(p);
      expect(entities).toEqual([{ type: 'bold', offset: 0, length: text.length }]);
    }
  });
});

describe('renderEdit: one message', () => {
  it('is the full message when it fits', () => {
    const c = content(notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 60_000 }));
    expect(renderEdit(c)).toBe(renderHtml(c));
  });

  it('cuts the description when the full message is too long, keeping facts and footer', () => {
    const c = content(
      notification(
        { kind: 'resolved' },
        { status: 'resolved', endsAt: T0, annotations: { description: 'x'.repeat(9000) } },
      ),
    );
    const html = renderEdit(c);
    const { text } = shown(html);
    expect(text).toContain('x'.repeat(999) + '…');
    expect(text).not.toContain('x'.repeat(1000));
    expect(text).toContain('Resolved at: 2026-01-15T09:30:00.000Z');
    expect(text.endsWith('notification n-1')).toBe(true);
  });

  it('when even that is too long, keeps the first part and ends with …', () => {
    const c = content(notification({}, { annotations: { description: 'y '.repeat(400) } }));
    const html = renderEdit(c, 300);
    expect(visibleLength(html)).toBeLessThanOrEqual(300);
    expect(html.endsWith('\n…')).toBe(true);
    expect(html.startsWith('🔴 <b>CRITICAL')).toBe(true);
    shown(html);
  });
});

describe('plainText: the fallback when Telegram refuses the HTML', () => {
  it('drops tags, decodes entities and writes link addresses out', () => {
    expect(plainText('<b>a &lt;b&gt; &amp;</b> <a href="https://e/?a=1&amp;b=2">docs</a>', 4096)).toBe(
      'a <b> & docs (https://e/?a=1&b=2)',
    );
    expect(plainText('<a href="https://e/">https://e/</a>', 4096)).toBe('https://e/');
  });

  it('leaves the addresses out rather than go over the limit', () => {
    expect(plainText(`${'z'.repeat(10)}<a href="https://e/">docs</a>`, 14)).toBe(`${'z'.repeat(10)}docs`);
  });
});

describe('telegram receiver config', () => {
  const TOKEN = '123456:AAE-s3cr3t_token_value';
  const parse = (v: Record<string, unknown>) => telegramReceiverSchema.safeParse({ type: 'telegram', ...v });

  it('applies defaults and writes chat ids as strings', () => {
    const r = parse({ token: TOKEN, chat_ids: [-100123, 5550001, '@channel', ' -0042 '] });
    expect(r.success && r.data).toEqual({
      type: 'telegram',
      token: TOKEN,
      chat_ids: ['-100123', '5550001', '@channel', '-42'],
      api_root: 'https://api.telegram.org',
      silent_below: 'warning',
      send_resolved: true,
    });
  });

  it('rejects bad values with messages that name the field and never quote the token', () => {
    const r = parse({
      token: 'not a token s3cr3t',
      chat_ids: [1.5, '@ab', 'me'],
      api_root: 'ftp://x',
      silent_below: 'loud',
      chat: 1,
    });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual([
      'token: token must look like 123456789:AAE… (the bot token from @BotFather); check the variable it comes from',
      'chat_ids.0: each of chat_ids must be a whole number (a user, or a group: negative, e.g. -1001234567890) or a channel as "@channelusername"',
      'chat_ids.1: each of chat_ids must be a whole number (a user, or a group: negative, e.g. -1001234567890) or a channel as "@channelusername"',
      'chat_ids.2: each of chat_ids must be a whole number (a user, or a group: negative, e.g. -1001234567890) or a channel as "@channelusername"',
      'api_root: api_root must be an absolute http:// or https:// URL',
      'silent_below: silent_below must be one of: critical, high, warning, info',
      ': unknown key "chat" for a telegram receiver; allowed: type, token, chat_ids, api_root, silent_below, ack_users, updates, rate_limit, throttle, send_resolved',
    ]);
    expect(JSON.stringify(r.error)).not.toContain('s3cr3t');
    expect(parse({ token: TOKEN, chat_ids: [] }).error?.issues[0]?.message).toBe(
      'chat_ids must name at least one chat',
    );
    expect(parse({ token: TOKEN, chat_ids: [1, '1'] }).error?.issues[0]?.message).toBe(
      'chat_ids lists a chat twice: remove the duplicate',
    );
    expect(parse({ chat_ids: [1] }).error?.issues[0]?.message).toBe(
      'token is required: the bot token from @BotFather, e.g. ${TELEGRAM_BOT_TOKEN}',
    );
  });

  it('each chat is a target; 1/s per chat, and 20/min more in groups', () => {
    expect(telegramTargets({ chat_ids: ['-100123', '5550001', '@channel'] })).toEqual([
      '-100123',
      '5550001',
      '@channel',
    ]);
    const cfg = telegramReceiverSchema.parse({
      type: 'telegram',
      token: TOKEN,
      chat_ids: [-100123, 5550001, '@channel'],
    });
    expect(telegramChannel.targets?.(cfg)).toEqual(['-100123', '5550001', '@channel']);
    expect(telegramChannel.throttle?.(cfg, '-100123')).toEqual([
      { max: 1, per: 1000 },
      { max: 20, per: 60_000 },
    ]);
    expect(telegramChannel.throttle?.(cfg, '5550001')).toEqual([{ max: 1, per: 1000 }]);
    expect(telegramThrottle('@channel')).toEqual([{ max: 1, per: 1000 }]);
  });
});

describe('the Acknowledge button', () => {
  const fp = 'a3f29c1d7b6e4f0812345678'; // a fingerprint: 24 hex characters
  const firing = (over: Partial<Notification> = {}) => notification(over, { fingerprint: fp });

  it('messages telling one alert fires carry it: firing, repeat, escalated, flapping', () => {
    for (const kind of ['firing', 'repeat', 'escalated', 'flapping'] as const)
      expect(ackKeyboard(firing({ kind }))).toEqual({
        inline_keyboard: [[{ text: 'Acknowledge', callback_data: `ack:${fp}` }]],
      });
  });

  it('no button where nothing waits for a person: resolve, acknowledgement, summary, test, a group', () => {
    for (const kind of ['resolved', 'acknowledged', 'summary', 'test'] as const)
      expect(ackKeyboard(firing({ kind }))).toBeUndefined();
    const two = [alertView({ fingerprint: 'a1' }), alertView({ fingerprint: 'a2' })];
    expect(ackKeyboard(notification({ alerts: two }))).toBeUndefined();
    expect(ackKeyboard(notification({ kind: 'repeat' }, { status: 'resolved' }))).toBeUndefined();
  });

  it('callback_data is ack:<fingerprint> within 64 bytes; anything else is not an ack', () => {
    expect(ackCallbackData(fp)).toBe(`ack:${fp}`);
    expect(Buffer.byteLength(ackCallbackData(fp)!)).toBeLessThanOrEqual(64);
    expect(ackCallbackData('x'.repeat(61))).toBeUndefined();
    expect(ackKeyboard(notification({}, { fingerprint: 'x'.repeat(61) }))).toBeUndefined();
    expect(parseAckData(`ack:${fp}`)).toBe(fp);
    for (const other of [undefined, '', 'ack:', 'ack:a b', 'ack:<b>', 'nack:abc', fp])
      expect(parseAckData(other)).toBeUndefined();
  });

  it('an acknowledgement says who, through what and when (and until when)', () => {
    expect(acknowledgedNote({ by: '@alice', at: T0, via: 'telegram' })).toBe(
      'Acknowledged by @alice (telegram) at 2026-01-15T09:30:00.000Z.',
    );
    expect(acknowledgedNote({ by: 'ops\nbot', at: T0, until: T0 + 7_200_000 })).toBe(
      'Acknowledged by ops bot at 2026-01-15T09:30:00.000Z, until 2026-01-15T11:30:00.000Z.',
    );
  });

  it('the acknowledged message shows the full note in place of the short one, escaped', () => {
    const ack = { by: '<b>@mallory</b>', at: T0, via: 'telegram' };
    const n = notification({ kind: 'acknowledged' }, { acknowledged: ack });
    const html = renderHtml(content(n), { acknowledged: ack });
    expect(html.split('\n').slice(0, 3)).toEqual([
      '👀 <b>ACKNOWLEDGED Drawdown above 5% on BTCUSDT</b>',
      '<i>Acknowledged by &lt;b&gt;@mallory&lt;/b&gt; (telegram) at 2026-01-15T09:30:00.000Z.</i>',
      '',
    ]);
    expect(renderEdit(content(n), MESSAGE_MAX, { acknowledged: ack })).toBe(html);
    // Other kinds ignore it.
    expect(renderHtml(content(notification()), { acknowledged: ack })).toBe(
      renderHtml(content(notification())),
    );
  });
});

describe('telegram receiver config: ack_users and updates', () => {
  const TOKEN = '123456:AAE-s3cr3t_token_value';
  const SECRET = 'S3CRET_webhook-token_0123456789';
  const parse = (v: Record<string, unknown>) =>
    telegramReceiverSchema.safeParse({ type: 'telegram', token: TOKEN, chat_ids: [1], ...v });
  const messages = (v: Record<string, unknown>) =>
    parse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('takes user ids (numbers, or digits from an env variable) and the updates settings', () => {
    const r = parse({
      ack_users: [123456789, '987654321'],
      updates: { mode: 'webhook', secret_token: SECRET, poll_timeout: '10s' },
    });
    expect(r.success && r.data).toMatchObject({
      ack_users: [123456789, 987654321],
      updates: { mode: 'webhook', secret_token: SECRET, poll_timeout: 10_000 },
    });
    expect(parse({ ack_users: [1], updates: {} }).data?.updates).toEqual({
      mode: 'polling',
      poll_timeout: 25_000,
    });
    expect(parse({ ack_users: [1] }).data?.updates).toBeUndefined();
  });

  it('refuses bad values with messages that name the field and never quote the secret', () => {
    expect(messages({ ack_users: ['@alice', -5, 1.5] })).toEqual([
      'ack_users.0: each of ack_users must be a Telegram user id: a positive whole number such as 123456789 (not a @username)',
      'ack_users.1: each of ack_users must be a Telegram user id: a positive whole number such as 123456789 (not a @username)',
      'ack_users.2: each of ack_users must be a Telegram user id: a positive whole number such as 123456789 (not a @username)',
    ]);
    expect(messages({ ack_users: [] })).toEqual([
      'ack_users: ack_users must name at least one user (or leave it out: no button then)',
    ]);
    expect(messages({ ack_users: [7, '7'] })).toEqual([
      'ack_users: ack_users lists a user twice: remove the duplicate',
    ]);
    expect(messages({ ack_users: 7 })).toEqual([
      'ack_users: ack_users must be a list of Telegram user ids, e.g. [123456789]',
    ]);
    expect(messages({ ack_users: [1], updates: { mode: 'webhook' } })).toEqual([
      'updates.secret_token: updates.mode webhook needs updates.secret_token (e.g. ${TELEGRAM_WEBHOOK_SECRET}): it is how Klaxon knows an update comes from Telegram',
    ]);
    const bad = messages({
      ack_users: [1],
      updates: { mode: 'push', secret_token: `${SECRET} !`, poll_timeout: '2m', x: 1 },
    });
    expect(bad).toEqual([
      'updates.mode: updates.mode must be polling (Klaxon asks Telegram for button presses) or webhook (Telegram posts them to server.public_url)',
      'updates.secret_token: updates.secret_token must be 1-256 letters, digits, _ or - (generate one with: openssl rand -hex 32)',
      'updates.poll_timeout: updates.poll_timeout must be between 1s and 50s',
      'updates: unknown key "x" for updates; allowed: mode, secret_token, poll_timeout',
    ]);
    expect(
      JSON.stringify(parse({ ack_users: [1], updates: { secret_token: `${SECRET} !` } }).error),
    ).not.toContain(SECRET);
    expect(messages({ updates: { mode: 'polling' } })).toEqual([
      'updates: updates is set but ack_users is not: without ack_users messages have no button and there are no presses to receive; add ack_users or remove updates',
    ]);
  });
});
