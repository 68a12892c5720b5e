import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/channel.js';
import { parseRetryAfter } from '../../src/channels/http-classify.js';
import type { JsonWebhookPayload, SlackWebhookPayload } from '../../src/channels/webhook/render-webhook.js';
import { WebhookChannel } from '../../src/channels/webhook/webhook-channel.js';
import { delivery, notification, T0 } from './helpers.js';

const SECRET_TOKEN = 'T0KEN-s3cr3t-abcdef0123456789';
const HEADER_SECRET = 'Bearer hdr-s3cr3t-9876543210';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let refusedUrl: string;
const received: Recorded[] = [];
const hanging = new Set<ServerResponse>();

/** The path decides the answer; every path carries the secret token, like a Slack/Discord URL. */
const behaviours: Record<string, Behaviour> = {
  ok: (_q, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  bad: (_q, res) =>
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`invalid_payload for /hooks/${SECRET_TOKEN}`),
  gone: (_q, res) => res.writeHead(404).end(),
  limited: (_q, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'),
  'limited-date': (_q, res) =>
    res.writeHead(429, { 'retry-after': new Date(T0 + 30_000).toUTCString() }).end('slow down'),
  unavailable: (_q, res) => res.writeHead(503, { 'retry-after': '120' }).end(),
  broken: (_q, res) => res.writeHead(500).end('boom'),
  'server-timeout': (_q, res) => res.writeHead(408).end(),
  redirect: (_q, res) => res.writeHead(301, { location: `${base}/ok/${SECRET_TOKEN}` }).end(),
  hang: (_q, res) => {
    hanging.add(res); // never answers
  },
};

function url(kind: string): string {
  return `${base}/${kind}/${SECRET_TOKEN}`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const kind = (req.url ?? '').split('/')[1] ?? '';
      (behaviours[kind] ?? behaviours.gone!)(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A port that was just free: connecting to it is refused.
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  refusedUrl = `http://127.0.0.1:${(tmp.address() as AddressInfo).port}/hooks/${SECRET_TOKEN}`;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function channel(kind: string, extra: Partial<ConstructorParameters<typeof WebhookChannel>[1]> = {}) {
  return new WebhookChannel('ops-hook', {
    url: url(kind),
    headers: { Authorization: HEADER_SECRET },
    now: () => T0,
    ...extra,
  });
}

async function failure(ch: WebhookChannel, n = notification()): Promise<SendError> {
  const err = await ch.send(delivery(n)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  const e = err as SendError;
  // Nothing a log could print may carry the credentials.
  const printed = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)} ${String(e.status)}`;
  expect(printed).not.toContain(SECRET_TOKEN);
  expect(printed).not.toContain(HEADER_SECRET);
  expect(printed).not.toContain('hdr-s3cr3t');
  expect(e.message).toContain('webhook receiver "ops-hook"');
  expect((e as { cause?: unknown }).cause).toBeUndefined();
  return e;
}

function lastRequest(): Recorded {
  const r = received.at(-1);
  if (!r) throw new Error('no request recorded');
  return r;
}

describe('WebhookChannel against a local HTTP server', () => {
  it('posts the JSON format with the notification, title, text and configured headers', async () => {
    const n = notification();
    const ch = channel('ok');
    await expect(ch.send(delivery(n))).resolves.toEqual({ detail: 'HTTP 200' });

    const req = lastRequest();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/ok/${SECRET_TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.headers['user-agent']).toBe('klaxon-webhook/1');
    expect(req.headers.authorization).toBe(HEADER_SECRET);
    expect(req.headers['x-klaxon-notification-id']).toBe('n-1');
    const body = JSON.parse(req.body) as JsonWebhookPayload;
    expect(body.version).toBe('1');
    expect(body.notification).toEqual(n);
    expect(body.title).toBe('[CRITICAL] Drawdown above 5% on BTCUSDT');
    expect(body.text).toContain('\nValue: 6.2\n');
    expect(body.text).toContain('\nFiring for: 1m\n');
    expect(
      body.text.endsWith('alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1'),
    ).toBe(true);
  });

  it('sends what the delivery content says (the link to Klaxon included), not wording of its own', async () => {
    const ch = channel('ok');
    const d = delivery(notification(), { publicUrl: 'https://klaxon.example' });
    d.content = { ...d.content, subject: '[CRITICAL] decided by content.ts' };
    await ch.send(d);
    const body = JSON.parse(lastRequest().body) as JsonWebhookPayload;
    expect(body.title).toBe('[CRITICAL] decided by content.ts');
    expect(body.text).toContain(
      'Links:\n  Alert in Klaxon: https://klaxon.example/v1/alerts/fp-0123456789abcdef\n',
    );
  });

  it('posts the Slack format: coloured attachment, fields, escaped text', async () => {
    const ch = channel('ok', { format: 'slack' });
    const n = notification(
      {},
      {
        severity: 'warning',
        labels: { source: 'bot-eu-1', symbol: 'BTCUSDT', team: 'risk & <ops>' },
        annotations: { summary: 'Spread <!channel> & wide', description: 'see <https://evil.example|here>' },
      },
    );
    await ch.send(delivery(n));
    const body = JSON.parse(lastRequest().body) as SlackWebhookPayload;
    expect(body.text).toBe('[WARNING] Spread &lt;!channel&gt; &amp; wide');
    expect(body.attachments).toHaveLength(1);
    const att = body.attachments[0]!;
    expect(att.color).toBe('#f2c744');
    expect(att.title).toBe(body.text);
    expect(att.fallback).toBe(body.text);
    expect(att.ts).toBe(T0 / 1000);
    expect(att.text).toContain('see &lt;https://evil.example|here&gt;');
    expect(att.text).not.toContain('<');
    expect(att.fields).toContainEqual({ title: 'Severity', value: 'warning', short: true });
    expect(att.fields).toContainEqual({ title: 'Value', value: '6.2', short: true });
    expect(att.fields).toContainEqual({ title: 'Source', value: 'bot-eu-1', short: true });
    expect(att.fields.at(-1)).toEqual({
      title: 'Labels',
      value: 'team=risk &amp; &lt;ops&gt;',
      short: false,
    });

    const resolved = notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 5000 });
    await ch.send(delivery(resolved));
    const rb = JSON.parse(lastRequest().body) as SlackWebhookPayload;
    expect(rb.attachments[0]?.color).toBe('#2eb886');
    expect(rb.text).toBe('[RESOLVED] Drawdown above 5% on BTCUSDT');
    expect(rb.attachments[0]?.ts).toBe((T0 + 5000) / 1000);
    expect(rb.attachments[0]?.fields).toContainEqual({ title: 'Lasted', value: '5s', short: true });

    const critical = notification({}, { severity: 'critical' });
    await ch.send(delivery(critical));
    expect((JSON.parse(lastRequest().body) as SlackWebhookPayload).attachments[0]?.color).toBe('#d00000');
  });

  it('does not send at all when the delivery is already aborted', async () => {
    const before = received.length;
    const ac = new AbortController();
    ac.abort();
    const ch = channel('ok');
    await expect(ch.send(delivery(notification(), { signal: ac.signal }))).rejects.toMatchObject({
      retryable: true,
      message: 'webhook receiver "ops-hook": send aborted',
    });
    expect(received.length).toBe(before);
  });

  it('400 is permanent and names the receiver and status, not the URL or the body', async () => {
    const e = await failure(channel('bad'));
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(400);
    expect(e.retryAfterMs).toBeUndefined();
    expect(e.message).toBe(
      'webhook receiver "ops-hook": HTTP 400 (bad request: the receiver rejected the payload)',
    );
  });

  it('404 is permanent', async () => {
    const e = await failure(channel('gone'));
    expect(e).toMatchObject({ retryable: false, status: 404 });
  });

  it('429 is retryable with Retry-After in seconds', async () => {
    const e = await failure(channel('limited'));
    expect(e).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 });
    expect(e.message).toBe('webhook receiver "ops-hook": HTTP 429 (rate limited), retry after 7000 ms');
  });

  it('429 with an HTTP-date Retry-After gives the wait from now', async () => {
    const e = await failure(channel('limited-date'));
    expect(e).toMatchObject({ retryable: true, status: 429, retryAfterMs: 30_000 });
  });

  it('503 honours Retry-After; 500 and 408 are retryable without a delay', async () => {
    expect(await failure(channel('unavailable'))).toMatchObject({
      retryable: true,
      status: 503,
      retryAfterMs: 120_000,
    });
    expect(await failure(channel('broken'))).toMatchObject({
      retryable: true,
      status: 500,
      retryAfterMs: undefined,
    });
    expect(await failure(channel('server-timeout'))).toMatchObject({ retryable: true, status: 408 });
  });

  it('does not follow redirects (permanent: configure the final URL)', async () => {
    const before = received.length;
    const e = await failure(channel('redirect'));
    expect(e).toMatchObject({ retryable: false, status: 301 });
    expect(received.length).toBe(before + 1);
  });

  it('times out a server that never answers (retryable)', async () => {
    const started = Date.now();
    const e = await failure(channel('hang', { timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e).toMatchObject({ retryable: true, status: 'timeout' });
    expect(e.message).toBe('webhook receiver "ops-hook": no answer within 200 ms');
  });

  it('stops when the caller aborts (retryable)', async () => {
    const ac = new AbortController();
    const ch = channel('hang', { timeoutMs: 10_000 });
    const p = ch.send(delivery(notification(), { signal: ac.signal }));
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ retryable: true, status: 'aborted' });
  });

  it('connection refused is a retryable network error that does not reveal the URL', async () => {
    const ch = new WebhookChannel('ops-hook', { url: refusedUrl, headers: { Authorization: HEADER_SECRET } });
    const e = await failure(ch);
    expect(e.retryable).toBe(true);
    expect(e.message).toBe('webhook receiver "ops-hook": network error (ECONNREFUSED)');
  });
});

describe('WebhookChannel construction', () => {
  it('rejects bad URLs and headers without quoting them', () => {
    const attempts = [
      () => new WebhookChannel('w', { url: `not a url ${SECRET_TOKEN}` }),
      () => new WebhookChannel('w', { url: `ftp://host/${SECRET_TOKEN}` }),
      () =>
        new WebhookChannel('w', { url: 'https://h/x', headers: { Authorization: `${HEADER_SECRET}\nX: y` } }),
    ];
    for (const make of attempts) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^webhook receiver "w": /);
      expect((err as Error).message).not.toContain(SECRET_TOKEN);
      expect((err as Error).message).not.toContain('hdr-s3cr3t');
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-15T09:30:00Z');
  it('reads seconds and HTTP-dates', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 12 ', now)).toBe(12_000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 15 Jan 2026 09:31:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Thu, 15 Jan 2026 09:29:00 GMT', now)).toBe(0); // in the past
    expect(parseRetryAfter('99999999', now)).toBe(24 * 3_600_000); // capped
  });
  it('ignores missing or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
