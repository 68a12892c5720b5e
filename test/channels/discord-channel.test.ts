import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SendError, type Channel } from '../../src/channels/channel.js';
import { DiscordChannel, type DiscordChannelOptions } from '../../src/channels/discord/discord-channel.js';
import { discordChannel, discordReceiverSchema } from '../../src/channels/discord/index.js';
import { DISCORD_COLORS, renderEmbed } from '../../src/channels/discord/render-discord.js';
import type { MessageRef, Notification } from '../../src/model/notification.js';
import { discordAnswers, FakeDiscord, type FakeWebhook } from '../support/fakes/discord.js';
import { alertView, delivery, notification, T0 } from './helpers.js';

let fake: FakeDiscord;
const open: Channel[] = [];

beforeAll(async () => {
  fake = await new FakeDiscord().start();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

afterEach(async () => {
  for (const ch of open.splice(0)) await ch.close?.();
});

/** A channel built the way Klaxon builds it: config through the schema, then the definition. */
async function channel(
  over: Record<string, unknown> = {},
  hook: FakeWebhook = fake.webhook,
): Promise<Channel> {
  const cfg = discordReceiverSchema.parse({
    type: 'discord',
    webhook_url: fake.webhookUrl(hook),
    api_root: fake.apiRoot,
    ...over,
  });
  const ch = await discordChannel.create('ops', cfg, {});
  open.push(ch);
  return ch;
}

/** A channel with options the config does not expose (a short REST timeout). */
function direct(opts: Partial<DiscordChannelOptions>): Channel {
  const ch = new DiscordChannel('ops', {
    id: fake.webhook.id,
    token: fake.webhook.token,
    webhookUrl: fake.webhookUrl(),
    apiRoot: fake.apiRoot,
    ...opts,
  });
  open.push(ch);
  return ch;
}

const resolvedN = (over: Partial<Notification> = {}) =>
  notification({ kind: 'resolved', ...over }, { status: 'resolved', endsAt: T0 + 1_800_000 });

/** Awaits a rejection and checks what every failure must hold: a SendError that names the receiver and no secret. */
async function failure(p: Promise<unknown>, hook: FakeWebhook = fake.webhook): Promise<SendError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  const e = err as SendError;
  const printed = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)} ${String(e.status)}`;
  expect(printed).not.toContain(hook.token);
  expect(printed).not.toContain(fake.webhookUrl(hook));
  expect(e.message).toContain('discord receiver "ops"');
  // discord.js errors carry the URL with the token: none may ride along as the cause.
  expect((e as { cause?: unknown }).cause).toBeUndefined();
  return e;
}

const FIRING_EMBED = {
  title: 'CRITICAL Drawdown above 5% on BTCUSDT',
  description: 'Equity fell 6.2% from the session high.',
  color: 0xd00000,
  fields: [
    { name: 'Value', value: '6.2', inline: true },
    { name: 'Severity', value: 'critical', inline: true },
    { name: 'Source', value: 'bot-eu-1', inline: true },
    { name: 'Symbol', value: 'BTCUSDT', inline: true },
    { name: 'Firing for', value: '1m', inline: true },
    { name: 'Since', value: '2026-01-15T09:30:00.000Z', inline: true },
    { name: 'Occurrences', value: '3', inline: true },
  ],
  footer: { text: 'alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1' },
  timestamp: '2026-01-15T09:30:00.000Z',
};

const RESOLVED_EMBED = {
  title: 'RESOLVED Drawdown above 5% on BTCUSDT',
  description: 'Resolved after 30m (was CRITICAL).\n\nEquity fell 6.2% from the session high.',
  color: 0x2eb886,
  fields: [
    { name: 'Value at resolve', value: '6.2', inline: true },
    { name: 'Severity', value: 'critical', inline: true },
    { name: 'Source', value: 'bot-eu-1', inline: true },
    { name: 'Symbol', value: 'BTCUSDT', inline: true },
    { name: 'Lasted', value: '30m', inline: true },
    { name: 'Resolved at', value: '2026-01-15T10:00:00.000Z', inline: true },
    { name: 'Occurrences', value: '3', inline: true },
  ],
  footer: { text: 'alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1' },
  timestamp: '2026-01-15T10:00:00.000Z',
};

describe('DiscordChannel: sending (real discord.js against the fake)', () => {
  it('posts one embed with wait=true, no content, allowed_mentions empty, and returns the message as ref', async () => {
    const d = delivery(notification());
    const out = await (await channel()).send(d);

    const req = fake.lastRequest();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/api/v10/webhooks/${fake.webhook.id}/${fake.webhook.token}`);
    expect(req.query).toEqual({ wait: 'true' });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toStrictEqual({
      tts: false,
      enforce_nonce: false,
      embeds: [FIRING_EMBED],
      username: 'Klaxon',
      allowed_mentions: { parse: [] },
    });

    const [msg] = [...fake.messages.values()];
    expect(out).toEqual({
      ref: { id: msg!.id, sentAt: d.now },
      detail: `message ${msg!.id} in channel ${fake.webhook.channelId}`,
    });
    expect(msg!.content).toBe('');
    expect(msg!.mention_everyone).toBe(false);
    expect(msg!.embeds).toEqual([{ type: 'rich', ...FIRING_EMBED }]);
  });

  it('sends username and avatar_url overrides, and posts into thread_id', async () => {
    const ch = await channel({
      username: 'Trading alerts',
      avatar_url: 'https://cdn.example/k.png',
      thread_id: '987654321098765432',
    });
    await ch.send(delivery(notification()));
    const req = fake.lastRequest();
    expect(req.query).toEqual({ wait: 'true', thread_id: '987654321098765432' });
    expect(req.body).toStrictEqual({
      tts: false,
      enforce_nonce: false,
      embeds: [FIRING_EMBED],
      username: 'Trading alerts',
      avatar_url: 'https://cdn.example/k.png',
      allowed_mentions: { parse: [] },
    });
    const [msg] = [...fake.messages.values()];
    expect(msg!.channel_id).toBe('987654321098765432');
    expect(msg!.author.username).toBe('Trading alerts');
  });

  it('takes the thread from the webhook URL query when thread_id is not set', async () => {
    const ch = await channel({ webhook_url: `${fake.webhookUrl()}?thread_id=111111111111111111` });
    await ch.send(delivery(notification()));
    expect(fake.lastRequest().query).toEqual({ wait: 'true', thread_id: '111111111111111111' });
  });

  it('alert text arrives inert: nothing pings, no markup survives', async () => {
    const n = notification(
      {},
      {
        annotations: {
          summary: '@everyone **pwned** <@&123>',
          description: '@here [click](https://evil.example) <script>x</script> ||s|| `c`\n# big\n> q',
        },
        labels: { source: '<@456>', team: '@everyone' },
      },
    );
    await (await channel()).send(delivery(n));
    const body = fake.lastRequest().body as {
      content?: string;
      allowed_mentions: unknown;
      embeds: unknown[];
    };
    expect(body.content).toBeUndefined();
    expect(body.allowed_mentions).toEqual({ parse: [] });
    const text = JSON.stringify(body.embeds);
    expect(text).not.toMatch(/@(everyone|here)/);
    const [msg] = [...fake.messages.values()];
    expect(msg!.mention_everyone).toBe(false);
    const e = msg!.embeds[0] as {
      title: string;
      description: string;
      fields: { name: string; value: string }[];
    };
    expect(e.title).toBe('CRITICAL @\u200beveryone \\*\\*pwned\\*\\* \\<@&123>');
    expect(e.description).toBe(
      '@\u200bhere \\[click\\](https://evil.example) \\<script>x\\</script> \\|\\|s\\|\\| \\`c\\`\n\\# big\n\\> q',
    );
    expect(e.fields.find((f) => f.name === 'Source')?.value).toBe('\\<@456>');
    expect(e.fields.find((f) => f.name === 'Labels')?.value).toBe('team=@\u200beveryone');
  });

  it('stays within every embed limit the fake enforces, whatever the alert holds', async () => {
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label_${i}`, 'ü'.repeat(200)]));
    const annotations = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`note${i}`, '😀'.repeat(600)]),
    );
    const n = notification(
      {},
      {
        name: 'Huge',
        labels,
        annotations: {
          ...annotations,
          title: 'T'.repeat(400),
          summary: 's'.repeat(3000),
          description: 'd '.repeat(5000),
        },
        links: Array.from({ length: 50 }, (_, i) => ({
          href: `https://x.example/${'p'.repeat(100)}/${i}`,
          text: `link ${i}`,
        })),
      },
    );
    await expect((await channel()).send(delivery(n))).resolves.toMatchObject({
      ref: { id: expect.any(String) },
    });
    expect(fake.lastRequest().answered).toBe(200);
  });
});

describe('DiscordChannel: threading per kind', () => {
  async function firing(ch: Channel): Promise<MessageRef> {
    const out = await ch.send(delivery(notification()));
    return out.ref!;
  }

  it('resolved edits the first message (PATCH) to show the new content, keeping the ref', async () => {
    const ch = await channel();
    const ref = await firing(ch);
    const out = await ch.send(delivery(resolvedN(), { previous: ref }));
    expect(out).toEqual({ detail: `edited message ${ref.id} in channel ${fake.webhook.channelId}` });

    const req = fake.lastRequest();
    expect(req.method).toBe('PATCH');
    expect(req.route).toBe('edit');
    expect(req.path).toBe(`/api/v10/webhooks/${fake.webhook.id}/${fake.webhook.token}/messages/${ref.id}`);
    expect(req.query).toEqual({});
    expect(req.body).toStrictEqual({
      tts: false,
      enforce_nonce: false,
      embeds: [RESOLVED_EMBED],
      allowed_mentions: { parse: [] },
    });
    expect(fake.messages.size).toBe(1);
    const msg = fake.messages.get(ref.id)!;
    expect(msg.embeds).toEqual([{ type: 'rich', ...RESOLVED_EMBED }]);
    expect(msg.edited_timestamp).not.toBeNull();
  });

  it('acknowledged edits it too, grey-blue', async () => {
    const ch = await channel();
    const ref = await firing(ch);
    const n = notification({ kind: 'acknowledged' }, { acknowledged: { by: 'ana', at: T0 + 90_000 } });
    const d = delivery(n, { previous: ref });
    expect(await ch.send(d)).toEqual({
      detail: `edited message ${ref.id} in channel ${fake.webhook.channelId}`,
    });
    expect(fake.lastRequest().body).toStrictEqual({
      tts: false,
      enforce_nonce: false,
      embeds: [renderEmbed(d.content)],
      allowed_mentions: { parse: [] },
    });
    const e = fake.messages.get(ref.id)!.embeds[0] as { color: number; title: string };
    expect(e.color).toBe(DISCORD_COLORS.acknowledged);
    expect(e.title).toBe('ACKNOWLEDGED Drawdown above 5% on BTCUSDT');
  });

  it('edits inside the configured thread', async () => {
    const ch = await channel({ thread_id: '987654321098765432' });
    const ref = await firing(ch);
    await ch.send(delivery(resolvedN(), { previous: ref }));
    expect(fake.lastRequest().query).toEqual({ thread_id: '987654321098765432' });
    expect(fake.messages.get(ref.id)!.embeds[0]).toMatchObject({ color: DISCORD_COLORS.resolved });
  });

  it('a deleted message (404 Unknown Message 10008) is told in a new message, which becomes the ref', async () => {
    const ch = await channel();
    const gone: MessageRef = { id: '1399999999999999999', sentAt: T0 };
    const d = delivery(resolvedN(), { previous: gone });
    const out = await ch.send(d);
    expect(fake.requests.map((r) => [r.route, r.answered])).toEqual([
      ['edit', 404],
      ['execute', 200],
    ]);
    const [msg] = [...fake.messages.values()];
    expect(out).toEqual({
      ref: { id: msg!.id, sentAt: d.now },
      detail: `message ${msg!.id} in channel ${fake.webhook.channelId} (message ${gone.id} to edit is gone)`,
    });
    expect(fake.lastRequest().body).toStrictEqual({
      tts: false,
      enforce_nonce: false,
      embeds: [RESOLVED_EMBED],
      username: 'Klaxon',
      allowed_mentions: { parse: [] },
    });
  });

  it('an edit that fails otherwise is not retried as a new message', async () => {
    const ch = await channel();
    const ref = await firing(ch);
    fake.script(discordAnswers.forbidden(), { route: 'edit' });
    const e = await failure(ch.send(delivery(resolvedN(), { previous: ref })));
    expect(e.retryable).toBe(false);
    expect(fake.requestsTo('execute')).toHaveLength(1);
  });

  it('resolved or acknowledged without a previous message sends a new one and returns its ref', async () => {
    const ch = await channel();
    for (const n of [resolvedN(), notification({ kind: 'acknowledged' })]) {
      const out = await ch.send(delivery(n));
      expect(fake.lastRequest().route).toBe('execute');
      expect(out.ref?.id).toBe([...fake.messages.keys()].at(-1));
    }
  });

  it.each(['repeat', 'escalated', 'flapping'] as const)(
    '%s sends a new message and keeps the first one as the ref',
    async (kind) => {
      const ch = await channel();
      const ref = await firing(ch);
      const out = await ch.send(delivery(notification({ kind }), { previous: ref }));
      expect(fake.lastRequest().route).toBe('execute');
      expect(fake.messages.size).toBe(2);
      expect(out.ref).toBeUndefined();
      expect(out.detail).toMatch(/^message \d+ in channel \d+$/);
      // Without a first message, this one starts the thread.
      const alone = await ch.send(delivery(notification({ kind })));
      expect(alone.ref?.id).toBe([...fake.messages.keys()].at(-1));
    },
  );

  it('a severity rise (firing with raisedFrom) is a new message and the new ref', async () => {
    const ch = await channel();
    const ref = await firing(ch);
    const out = await ch.send(delivery(notification({ raisedFrom: 'warning' }), { previous: ref }));
    expect(fake.lastRequest().route).toBe('execute');
    expect(out.ref?.id).not.toBe(ref.id);
    expect((fake.lastRequest().body as { embeds: { description: string }[] }).embeds[0]!.description).toBe(
      'Severity rose from WARNING to CRITICAL.\n\nEquity fell 6.2% from the session high.',
    );
  });

  it.each(['summary', 'test'] as const)('%s is a new message with no ref', async (kind) => {
    const alerts =
      kind === 'summary' ? [alertView(), alertView({ fingerprint: 'fp-2', name: 'Other' })] : undefined;
    const out = await (await channel()).send(delivery(notification({ kind, ...(alerts ? { alerts } : {}) })));
    expect(fake.lastRequest().route).toBe('execute');
    expect(out.ref).toBeUndefined();
    expect(out.detail).toMatch(/^message \d+ in channel \d+$/);
  });
});

describe('DiscordChannel: failures', () => {
  it('429: retryable with the Retry-After Discord gave, and no retry of its own', async () => {
    fake.script(discordAnswers.rateLimited(1.5), { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBe(1500);
    expect(e.status).toBe(429);
    expect(e.message).toBe(
      `discord receiver "ops": rate limited (Discord's user limit), retry after 1500 ms`,
    );
    expect(fake.requests).toHaveLength(1);
  });

  it('429 global says so', async () => {
    fake.script(discordAnswers.rateLimited(2, { global: true }), { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryAfterMs).toBe(2000);
    expect(e.message).toContain("(Discord's global limit)");
  });

  it('429 without Retry-After falls back to when the bucket resets', async () => {
    fake.script(discordAnswers.rateLimited(0.8, { header: null }), { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBeGreaterThan(600);
    expect(e.retryAfterMs).toBeLessThanOrEqual(800);
  });

  it('after a 429 the client holds further requests back itself, with the remaining wait', async () => {
    const ch = await channel();
    // discord.js keeps limits per bucket, and learns the bucket from a first answer
    // (X-RateLimit-Bucket): a 429 on the very first request is not remembered.
    await ch.send(delivery(notification()));
    fake.script(discordAnswers.rateLimited(5), { route: 'execute' });
    await failure(ch.send(delivery(notification())));
    const e = await failure(ch.send(delivery(notification())));
    expect(e.retryAfterMs).toBeGreaterThan(4000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(5000);
    expect(fake.requests.map((r) => r.answered)).toEqual([200, 429]);
  });

  it('a Discord that enforces 2 per minute: the third send waits without a request', async () => {
    const strict = await new FakeDiscord({
      rateLimit: { limit: 2, windowMs: 60_000, enforce: true },
    }).start();
    try {
      const cfg = discordReceiverSchema.parse({
        type: 'discord',
        webhook_url: strict.webhookUrl(),
        api_root: strict.apiRoot,
      });
      const ch = await discordChannel.create('ops', cfg, {});
      open.push(ch);
      await ch.send(delivery(notification()));
      await ch.send(delivery(notification()));
      const e = await failure(ch.send(delivery(notification())), strict.webhook);
      expect(e.retryable).toBe(true);
      expect(e.retryAfterMs).toBeGreaterThan(55_000);
      expect(strict.requests).toHaveLength(2);
    } finally {
      await strict.close();
    }
  });

  it('400 Invalid Form Body: permanent, with the error path and code', async () => {
    fake.script(discordAnswers.invalidFormBody(), { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(400);
    expect(e.message).toBe(
      'discord receiver "ops": HTTP 400 Discord error 50035: Invalid Form Body; ' +
        'embeds[0].description[BASE_TYPE_MAX_LENGTH]: Must be 4096 or fewer in length. ' +
        '(Discord refused the message as sent)',
    );
  });

  it.each([
    [
      discordAnswers.unauthorized(),
      401,
      'HTTP 401 Discord error 50027: Invalid Webhook Token (the token in webhook_url is wrong: copy the URL again)',
    ],
    [discordAnswers.forbidden(), 403, 'HTTP 403 Discord error 50013: Missing Permissions'],
    [
      discordAnswers.unknownWebhook(),
      404,
      'HTTP 404 Discord error 10015: Unknown Webhook (the webhook was deleted: create a new one and update webhook_url',
    ],
  ])("%o: permanent with Discord's message", async (answer, status, text) => {
    fake.script(answer, { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(status);
    expect(e.message).toContain(`discord receiver "ops": ${text}`);
  });

  it('a wrong token or a deleted webhook, as the fake answers by itself', async () => {
    const wrong = await failure(
      (
        await channel({
          webhook_url: `https://discord.com/api/webhooks/${fake.webhook.id}/${'w'.repeat(68)}`,
        })
      ).send(delivery(notification())),
      {
        ...fake.webhook,
        token: 'w'.repeat(68),
      },
    );
    expect(wrong.status).toBe(401);
    const doomed = fake.addWebhook({ name: 'Doomed' });
    fake.removeWebhook(doomed.id);
    const gone = await failure((await channel({}, doomed)).send(delivery(notification())), doomed);
    expect(gone.retryable).toBe(false);
    expect(gone.message).toContain('Discord error 10015: Unknown Webhook');
  });

  it('scrubs the token even when Discord quotes it', async () => {
    const t = fake.webhook.token;
    fake.script(
      {
        status: 400,
        body: { code: 50035, message: `bad /webhooks/x/${t} and ${encodeURIComponent(fake.webhookUrl())}` },
      },
      { route: 'execute' },
    );
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.message).toContain('[secret]');
  });

  it.each([500, 502, 503, 504])('%i: retryable, one request only', async (status) => {
    fake.script(discordAnswers.serverError(status), { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(true);
    expect(e.status).toBe(status);
    expect(fake.requests).toHaveLength(1);
  });

  it('a hung request rejects when the signal aborts, and is abandoned (the next send goes through)', async () => {
    const ch = await channel();
    fake.script(discordAnswers.hang(), { route: 'execute' });
    const started = Date.now();
    const e = await failure(ch.send(delivery(notification(), { signal: AbortSignal.timeout(100) })));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.retryable).toBe(true);
    expect(e.status).toBe('aborted');
    expect(e.message).toBe('discord receiver "ops": send aborted');
    // The per-webhook queue of discord.js is free again at once (not after the 10 s REST timeout).
    const t1 = Date.now();
    await ch.send(delivery(notification()));
    expect(Date.now() - t1).toBeLessThan(1000);
    expect(fake.requests.map((r) => r.answered)).toEqual(['hang', 200]);
  });

  it('a hung request times out in the REST layer when nobody aborts', async () => {
    fake.script(discordAnswers.hang(), { route: 'execute' });
    const e = await failure(
      direct({ timeoutMs: 150 }).send(delivery(notification(), { signal: new AbortController().signal })),
    );
    expect(e.retryable).toBe(true);
    expect(e.status).toBe('timeout');
    expect(e.message).toBe('discord receiver "ops": no answer from Discord within 150 ms');
    expect(fake.requests).toHaveLength(1);
  });

  it('an aborted signal sends nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure((await channel()).send(delivery(notification(), { signal: ac.signal })));
    expect(e.status).toBe('aborted');
    expect(fake.requests).toHaveLength(0);
  });

  it('a reset connection is retryable', async () => {
    fake.script(discordAnswers.reset(), { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/^discord receiver "ops": network error \((UND_ERR_SOCKET|ECONNRESET)\)$/);
    expect(fake.requests).toHaveLength(1);
  });

  it('a request that succeeded but lost its answer is retryable (the retry makes a second message)', async () => {
    const ch = await channel();
    fake.script(discordAnswers.appliedThenReset(), { route: 'execute' });
    const e = await failure(ch.send(delivery(notification())));
    expect(e.retryable).toBe(true);
    expect(fake.messages.size).toBe(1);
    await ch.send(delivery(notification()));
    expect(fake.messages.size).toBe(2);
  });

  it('an answer without a message id (not Discord behind api_root) is permanent', async () => {
    fake.script({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } }, { route: 'execute' });
    const e = await failure((await channel()).send(delivery(notification())));
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      'discord receiver "ops": the answer carried no message id (is api_root Discord\'s API?)',
    );
  });

  it('a refused connection is retryable', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const e = await failure(
      (await channel({ api_root: `http://127.0.0.1:${port}/api` })).send(delivery(notification())),
    );
    expect(e.retryable).toBe(true);
    expect(e.message).toBe('discord receiver "ops": network error (ECONNREFUSED)');
  });
});

describe('DiscordChannel: verify and close', () => {
  it('verify GETs the webhook and says where it posts', async () => {
    const ch = await channel();
    await expect(ch.verify!(AbortSignal.timeout(2000))).resolves.toBe(
      `webhook "Alerts" in channel ${fake.webhook.channelId}`,
    );
    const req = fake.lastRequest();
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/api/v10/webhooks/${fake.webhook.id}/${fake.webhook.token}`);
    expect(fake.messages.size).toBe(0);
    const threaded = await channel({ thread_id: '987654321098765432' });
    await expect(threaded.verify!(AbortSignal.timeout(2000))).resolves.toBe(
      `webhook "Alerts" in channel ${fake.webhook.channelId}, posting into thread 987654321098765432`,
    );
  });

  it('verify fails like send: permanent for a bad token, aborted on a hang', async () => {
    const bad = await channel({
      webhook_url: `https://discord.com/api/webhooks/${fake.webhook.id}/${'w'.repeat(68)}`,
    });
    const e = await failure(bad.verify!(AbortSignal.timeout(2000)), {
      ...fake.webhook,
      token: 'w'.repeat(68),
    });
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(401);
    fake.script(discordAnswers.hang(), { route: 'get-webhook' });
    const hung = await failure((await channel()).verify!(AbortSignal.timeout(100)));
    expect(hung.status).toBe('aborted');
  });

  it('close destroys the client (and may be called twice)', async () => {
    const ch = await channel();
    await ch.send(delivery(notification()));
    await expect(ch.close!()).resolves.toBeUndefined();
    await expect(ch.close!()).resolves.toBeUndefined();
  });
});

describe('FakeDiscord enforces what Discord enforces', () => {
  async function post(body: unknown, query = '?wait=true'): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${fake.apiRoot}/v10/webhooks/${fake.webhook.id}/${fake.webhook.token}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  }

  it('answers 400 50035 with the error tree for each broken embed limit', async () => {
    const r = await post({
      embeds: [
        {
          title: 't'.repeat(257),
          description: 'd'.repeat(4097),
          fields: [
            ...Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })),
            { name: ' ', value: 'v'.repeat(1025) },
          ],
          footer: { text: 'f'.repeat(2049) },
        },
      ],
    });
    expect(r.status).toBe(400);
    const max = (n: number) => ({
      _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${n} or fewer in length.` }],
    });
    expect(r.body).toEqual({
      code: 50035,
      message: 'Invalid Form Body',
      errors: {
        embeds: {
          '0': {
            title: max(256),
            description: max(4096),
            fields: {
              ...max(25),
              '26': {
                name: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] },
                value: max(1024),
              },
            },
            footer: { text: max(2048) },
          },
          _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }],
        },
      },
    });
    expect(fake.messages.size).toBe(0);
  });

  it('counts the 6000 total in code points after trimming', async () => {
    const ok = {
      embeds: [
        {
          title: `  ${'😀'.repeat(256)}  `,
          description: '😀'.repeat(4096),
          footer: { text: 'x'.repeat(1648) },
        },
      ],
    };
    expect((await post(ok)).status).toBe(200);
    ok.embeds[0]!.footer.text += 'x';
    expect(await post(ok)).toMatchObject({
      status: 400,
      body: { errors: { embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED' }] } } },
    });
  });

  it('refuses an empty message, and answers 204 without wait=true', async () => {
    expect(await post({ content: ' ' })).toEqual({
      status: 400,
      body: { message: 'Cannot send an empty message', code: 50006 },
    });
    expect(await post({ content: 'hi' }, '')).toEqual({ status: 204, body: undefined });
    expect(fake.lastRequest().answered).toBe(204);
  });

  it('says when content would ping @everyone, and sends rate-limit headers', async () => {
    const pings = await post({ content: '@everyone' });
    expect(pings.body).toMatchObject({ mention_everyone: true });
    const quiet = await post({ content: '@everyone', allowed_mentions: { parse: [] } });
    expect(quiet.body).toMatchObject({ mention_everyone: false });
    const res = await fetch(`${fake.apiRoot}/v10/webhooks/${fake.webhook.id}/${fake.webhook.token}`);
    expect(res.headers.get('x-ratelimit-limit')).toBe('5');
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('x-ratelimit-reset-after')).toMatch(/^\d+\.\d{3}$/);
  });
});

describe('discord: a group too large for one message', () => {
  const group = (kind: Notification['kind'], status: 'firing' | 'resolved') =>
    notification({
      id: 'group.ops.abc.1',
      kind,
      thread: 'group:abc',
      alerts: Array.from({ length: 150 }, (_, i) =>
        alertView({ fingerprint: `fp-${i}`, status, labels: { source: 'grid-1', symbol: `SYM${i}` } }),
      ),
    });
  const named = () =>
    fake
      .requestsTo('execute')
      .map((r) => JSON.stringify(r.body))
      .join('\n');

  it('is told in several messages that name every alert; its resolve is told anew, not edited', async () => {
    const ch = await channel();
    const out = await ch.send(delivery(group('firing', 'firing')));
    const posts = fake.requestsTo('execute');
    expect(posts.length).toBeGreaterThan(1);
    expect(out.detail).toContain(`(${posts.length} messages)`);
    expect(out.rejected).toBeUndefined();
    for (let i = 0; i < 150; i++) expect(named()).toContain(`symbol=SYM${i} `);
    const resolved = await ch.send(delivery(group('resolved', 'resolved'), { previous: out.ref }));
    expect(fake.requestsTo('edit')).toHaveLength(0);
    expect(resolved.detail).toMatch(/messages\)$/);
  });

  it('a later message that fails is reported, not retried with the first', async () => {
    const ch = await channel();
    fake.script(discordAnswers.forbidden(), { route: 'execute', after: 1 });
    const out = await ch.send(delivery(group('firing', 'firing')));
    expect(out.ref).toBeDefined();
    expect(out.rejected?.[0]?.reason).toMatch(/^message 2 of \d+ not sent: /);
  });
});
