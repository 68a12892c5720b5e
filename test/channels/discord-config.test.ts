import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiBase, DiscordChannel } from '../../src/channels/discord/discord-channel.js';
import { discordChannel, discordReceiverSchema } from '../../src/channels/discord/index.js';
import { parseDiscordWebhookUrl } from '../../src/channels/discord/webhook-url.js';
import { createChannel, receiverConfigSchema, throttleOf } from '../../src/channels/registry.js';

const ID = '1234567890123456789';
const TOKEN = 'aB3_-'.repeat(13) + 'xyz'; // 68 characters, like Discord's

function errorOf(input: unknown): string {
  const r = discordReceiverSchema.safeParse(input);
  if (r.success) throw new Error('expected a validation error');
  return z.prettifyError(r.error);
}

describe('parseDiscordWebhookUrl', () => {
  it.each([
    `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
    `https://discordapp.com/api/webhooks/${ID}/${TOKEN}`,
    `https://ptb.discord.com/api/webhooks/${ID}/${TOKEN}`,
    `https://canary.discord.com/api/webhooks/${ID}/${TOKEN}`,
    `https://canary.discordapp.com/api/webhooks/${ID}/${TOKEN}`,
    `https://discord.com/api/v10/webhooks/${ID}/${TOKEN}`,
    `https://discord.com/api/v9/webhooks/${ID}/${TOKEN}`,
    `https://discord.com/api/webhooks/${ID}/${TOKEN}/`,
    `https://discord.com/api/webhooks/${ID}/${TOKEN}?wait=true`,
    `https://DISCORD.com/api/webhooks/${ID}/${TOKEN}#frag`,
    `  https://discord.com/api/webhooks/${ID}/${TOKEN}\n`,
  ])('reads id and token from %s', (url) => {
    expect(parseDiscordWebhookUrl(url)).toEqual({ id: ID, token: TOKEN });
  });

  it('takes a thread_id from the query', () => {
    expect(
      parseDiscordWebhookUrl(`https://discord.com/api/webhooks/${ID}/${TOKEN}?thread_id=98765432109876543`),
    ).toEqual({ id: ID, token: TOKEN, threadId: '98765432109876543' });
  });

  it.each([
    '',
    'not a url',
    `ftp://discord.com/api/webhooks/${ID}/${TOKEN}`,
    `https://evil.example/api/webhooks/${ID}/${TOKEN}`,
    `https://discord.com.evil.example/api/webhooks/${ID}/${TOKEN}`,
    `https://user:pw@discord.com/api/webhooks/${ID}/${TOKEN}`,
    `https://discord.com:8443/api/webhooks/${ID}/${TOKEN}`,
    `https://discord.com/webhooks/${ID}/${TOKEN}`,
    `https://discord.com/api/webhooks/${ID}`,
    `https://discord.com/api/webhooks/12345/${TOKEN}`,
    `https://discord.com/api/webhooks/${ID}/short`,
    `https://discord.com/api/webhooks/${ID}/${TOKEN}/slack`,
    `https://discord.com/api/webhooks/${ID}/tok%20en${TOKEN}`,
  ])('refuses %j', (url) => {
    expect(parseDiscordWebhookUrl(url)).toBeUndefined();
  });
});

describe('discordReceiverSchema', () => {
  it('applies the defaults', () => {
    expect(
      discordReceiverSchema.parse({
        type: 'discord',
        webhook_url: `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
      }),
    ).toEqual({
      type: 'discord',
      webhook_url: `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
      api_root: 'https://discord.com/api',
      username: 'Klaxon',
      send_resolved: true,
    });
  });

  it('takes every key, through the registry too', () => {
    const cfg = {
      type: 'discord',
      webhook_url: `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
      api_root: 'http://127.0.0.1:9/api',
      username: 'Trading alerts',
      avatar_url: 'https://cdn.example/klaxon.png',
      thread_id: '112233445566778899',
      send_resolved: false,
    };
    expect(receiverConfigSchema.parse(cfg)).toEqual(cfg);
  });

  it('explains a bad webhook_url without quoting it', () => {
    const bad = `https://evil.example/api/webhooks/${ID}/${TOKEN}`;
    const msg = errorOf({ type: 'discord', webhook_url: bad });
    expect(msg).toContain(
      'webhook_url is not a Discord webhook URL: expected https://discord.com/api/webhooks/<id>/<token>',
    );
    expect(msg).not.toContain(TOKEN);
    expect(msg).not.toContain('evil.example');
    expect(errorOf({ type: 'discord' })).toContain('webhook_url is required');
    expect(errorOf({ type: 'discord', webhook_url: '  ' })).toContain('webhook_url must not be empty');
  });

  it('explains the other keys', () => {
    const url = `https://discord.com/api/webhooks/${ID}/${TOKEN}`;
    expect(
      errorOf({ type: 'discord', webhook_url: url, thread_id: Number('1234567890123456789') }),
    ).toContain("thread_id must be the thread's id in quotes");
    expect(errorOf({ type: 'discord', webhook_url: url, thread_id: '12ab' })).toContain(
      "thread_id must be the thread's id: 17 to 20 digits",
    );
    expect(errorOf({ type: 'discord', webhook_url: url, username: 'Discord bot' })).toContain(
      'username must not contain "discord" or "clyde"',
    );
    expect(errorOf({ type: 'discord', webhook_url: url, username: 'x'.repeat(81) })).toContain('at most 80');
    expect(errorOf({ type: 'discord', webhook_url: url, api_root: 'discord.com' })).toContain(
      'api_root must be an absolute http:// or https:// URL',
    );
    expect(errorOf({ type: 'discord', webhook_url: url, avatar: 'x' })).toContain(
      'unknown key "avatar" for a discord receiver; allowed: type, webhook_url, api_root, username, avatar_url, thread_id',
    );
  });

  it('throttles to 5 messages per 2 s per webhook', () => {
    const cfg = receiverConfigSchema.parse({
      type: 'discord',
      webhook_url: `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
    });
    expect(throttleOf(cfg, undefined)).toEqual([{ max: 5, per: 2000 }]);
  });

  it('builds a DiscordChannel', async () => {
    const cfg = receiverConfigSchema.parse({
      type: 'discord',
      webhook_url: `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
    });
    const ch = await createChannel('ops', cfg);
    expect(ch).toBeInstanceOf(DiscordChannel);
    expect(ch.type).toBe('discord');
    expect(ch.name).toBe('ops');
    await ch.close?.();
    await expect(
      discordChannel.create(
        'ops',
        {
          ...discordReceiverSchema.parse({
            type: 'discord',
            webhook_url: `https://discord.com/api/webhooks/${ID}/${TOKEN}`,
          }),
          webhook_url: 'https://x.example/',
        },
        {},
      ),
    ).rejects.toThrow('discord receiver "ops": webhook_url is not a Discord webhook URL');
  });

  it('apiBase() drops a trailing slash and a version (discord.js appends /v10)', () => {
    expect(apiBase('https://discord.com/api/')).toBe('https://discord.com/api');
    expect(apiBase('https://discord.com/api/v10')).toBe('https://discord.com/api');
    expect(apiBase('http://127.0.0.1:1234/api')).toBe('http://127.0.0.1:1234/api');
  });
});
