import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/ops/logger.js';
import { FakeDiscord } from '../support/fakes/discord.js';
import { FakePagerDuty, invalidEvent } from '../support/fakes/pagerduty.js';
import { FakeSmtp } from '../support/fakes/smtp.js';
import { FakeTelegram, unauthorized } from '../support/fakes/telegram.js';
import { AM_TOKEN, REDIS_URL, TestKlaxon, TOKEN } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const SECRETS = {
  telegramToken: '123456:SECRET-telegram-token-0123456789',
  discordToken: `SECRETdiscord${'x'.repeat(55)}`,
  routingKey: 'SECRETROUTINGKEY0123456789abcdef',
  smtpPassword: 'SECRET-smtp-password-42',
  webhookPath: 'SECRET-webhook-path-token',
  webhookHeader: 'Bearer SECRET-webhook-header-value',
  botToken: TOKEN,
  alertmanagerToken: AM_TOKEN,
};

/**
 * Every receiver is refused by its service, with the credential in hand: whatever Klaxon then
 * writes (logs at debug level, HTTP answers, /health, /metrics, dead letters in Redis) is searched
 * for every secret, as given and URL-encoded.
 */
describe('secrets never leave Klaxon', () => {
  const tg = new FakeTelegram({ token: '123456:the-right-token' });
  const discord = new FakeDiscord();
  const pd = new FakePagerDuty();
  const smtp = new FakeSmtp({ auth: { user: 'alerts', pass: 'the-right-password' } });
  const k = new TestKlaxon(`klaxon-test-secrets-${process.pid}`);
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (c: Buffer) => (logText += c.toString('utf8')));
  const captured: string[] = [];

  beforeAll(async () => {
    await Promise.all([tg.start(), discord.start(), pd.start(), smtp.start()]);
    tg.script(unauthorized(), { times: 1000 });
    pd.script({ status: 400, body: invalidEvent(['payload.summary is rejected']) }, 1000);
    await k.start(
      (url) => ({
        queue: { shards: 2, delivery: { backoff: 20, max_backoff: 50, attempts: 3 } },
        receivers: {
          telegram: { type: 'telegram', token: SECRETS.telegramToken, chat_ids: [555], api_root: tg.apiRoot },
          discord: {
            type: 'discord',
            webhook_url: `https://discord.com/api/webhooks/${discord.webhook.id}/${SECRETS.discordToken}`,
            api_root: discord.apiRoot,
          },
          pagerduty: { type: 'pagerduty', routing_key: SECRETS.routingKey, server: pd.server },
          email: {
            type: 'email',
            to: ['oncall@example.test'],
            from: 'klaxon@example.test',
            smtp: {
              host: smtp.host,
              port: smtp.port,
              require_tls: false,
              user: 'alerts',
              pass: SECRETS.smtpPassword,
            },
          },
          hook: {
            type: 'webhook',
            url: `${url.replace('/hook', '')}/${SECRETS.webhookPath}`,
            headers: { Authorization: SECRETS.webhookHeader },
          },
        },
        routes: { receivers: ['telegram', 'discord', 'pagerduty', 'email', 'hook'] },
      }),
      { logger: createLogger({ level: 'debug', destination: logs }) },
    );
    k.recorder.status = 500;
  });
  afterAll(async () => {
    await k.close();
    await Promise.all([tg.close(), discord.close(), pd.close(), smtp.close()]);
  });

  it('appear in no log line, answer, health report, metric or dead letter', async () => {
    // A push with a wrong token, and one that goes through to every (refusing) receiver.
    const denied = await k.post('/v1/metrics', { source: 'x', metrics: { a: 1 } }, `${TOKEN}-wrong`);
    captured.push(await denied.text());
    await k.push('/v1/alerts', { source: 'bot', name: 'leak_probe', severity: 'critical', title: 'probe' });
    const redis = new Redis(REDIS_URL);
    const deadKey = k.app.keys.deadLetters();
    try {
      await waitFor(
        async () => (await redis.llen(deadKey)) >= 5,
        20_000,
        'a dead letter from every receiver',
      );
      await k.idle(20_000);
      captured.push(...(await redis.lrange(deadKey, 0, -1)));
    } finally {
      redis.disconnect();
    }
    captured.push(await (await fetch(`${k.app.url}/health`)).text());
    captured.push(await (await fetch(`${k.app.url}/metrics`)).text());
    captured.push(logText);

    const dead = captured.slice(1, -3).map((d) => JSON.parse(d) as { receiver: string; reason: string });
    expect(new Set(dead.map((d) => d.receiver))).toEqual(
      new Set(['telegram', 'discord', 'pagerduty', 'email', 'hook']),
    );
    // The reasons are the services' own words, so the check above looked at real error texts.
    expect(dead.find((d) => d.receiver === 'telegram')?.reason).toMatch(/Unauthorized/);
    expect(dead.find((d) => d.receiver === 'email')?.reason).toMatch(/535|auth/i);
    expect(logText).toMatch(/send failed/);

    const all = captured.join('\n');
    for (const [name, secret] of Object.entries(SECRETS)) {
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        expect(all.includes(form), `${name} leaked`).toBe(false);
      }
    }
  });
});
