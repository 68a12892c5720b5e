import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createChannel,
  RECEIVER_TYPES,
  receiverConfigSchema,
  receiversSchema,
  targetsOf,
  throttleOf,
  type ReceiverConfig,
} from '../../src/channels/registry.js';
import { durationSchema, parseDuration } from '../../src/model/duration.js';
import { formatDuration } from '../../src/model/time-text.js';
import { delivery, notification } from './helpers.js';

function errorOf(input: unknown): string {
  const r = receiverConfigSchema.safeParse(input);
  if (r.success) throw new Error('expected a validation error');
  return z.prettifyError(r.error);
}

/** Channel types written in their own folders by others: only their existence is tested here. */
const OTHER_TYPES = ['email', 'telegram', 'discord', 'pagerduty'] as const;

describe('receiverConfigSchema', () => {
  it('knows every channel type', () => {
    expect([...RECEIVER_TYPES].sort()).toEqual(
      ['console', 'discord', 'email', 'file', 'pagerduty', 'telegram', 'webhook'].sort(),
    );
  });

  it('accepts console, file and webhook receivers and applies defaults', () => {
    expect(receiverConfigSchema.parse({ type: 'console' })).toEqual({ type: 'console', send_resolved: true });
    expect(receiverConfigSchema.parse({ type: 'file', path: ' /var/log/klaxon.jsonl ' })).toEqual({
      type: 'file',
      path: '/var/log/klaxon.jsonl',
      send_resolved: true,
    });
    expect(receiverConfigSchema.parse({ type: 'webhook', url: 'https://h.example/x' })).toEqual({
      type: 'webhook',
      url: 'https://h.example/x',
      format: 'json',
      send_resolved: true,
    });
    expect(
      receiverConfigSchema.parse({
        type: 'webhook',
        url: 'https://hooks.slack.com/services/T/B/x',
        format: 'slack',
        headers: { Authorization: 'Bearer x' },
        timeout_ms: 5000,
        rate_limit: { max: 10, per: '1m' },
        throttle: [{ max: 1, per: '1s' }],
        send_resolved: false,
      }),
    ).toEqual({
      type: 'webhook',
      url: 'https://hooks.slack.com/services/T/B/x',
      format: 'slack',
      headers: { Authorization: 'Bearer x' },
      timeout_ms: 5000,
      rate_limit: { max: 10, per: 60_000 },
      throttle: [{ max: 1, per: 1000 }],
      send_resolved: false,
    });
  });

  it.each(OTHER_TYPES)('routes a %s receiver to its own schema', (type) => {
    expect(RECEIVER_TYPES).toContain(type);
    // A wrong common field is refused by that type's schema, not as an unknown type.
    const msg = errorOf({ type, rate_limit: { max: 0, per: '1m' } });
    expect(msg).not.toContain('receiver type must be one of');
    expect(msg).toContain('rate_limit.max must be at least 1');
  });

  it('explains unknown types, unknown keys and missing fields', () => {
    expect(errorOf({ type: 'sms' })).toContain(`receiver type must be one of: ${RECEIVER_TYPES.join(', ')}`);
    expect(errorOf({})).toContain('receiver type must be one of');
    expect(errorOf({ type: 'console', colour: 'red' })).toContain(
      'unknown key "colour" for a console receiver; allowed: type, rate_limit, throttle, send_resolved',
    );
    expect(errorOf({ type: 'file' })).toContain('path is required');
    expect(errorOf({ type: 'file', path: '  ' })).toContain('path must not be empty');
    expect(
      errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 1, per: '1m', burst: 2 } }),
    ).toContain('unknown key "burst" for rate_limit');
    expect(errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 0, per: '1m' } })).toContain(
      'rate_limit.max must be at least 1',
    );
    expect(
      errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 5, per: 'a minute' } }),
    ).toContain("'250ms', '30s', '5m', '1h', '1d'");
    expect(errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 5, per: '0s' } })).toContain(
      'must be longer than zero',
    );
    expect(
      receiverConfigSchema.safeParse({ type: 'webhook', url: 'https://h/x', throttle: 'never' }).success,
    ).toBe(false);
    expect(
      receiverConfigSchema.safeParse({
        type: 'webhook',
        url: 'https://h/x',
        throttle: [{ max: 1.5, per: '1s' }],
      }).success,
    ).toBe(false);
    expect(
      errorOf({ type: 'webhook', url: 'https://h/x', throttle: [{ max: 1, per: '1s', burst: 2 }] }),
    ).toContain('unknown key "burst" for throttle[]; allowed: max, per');
    expect(errorOf({ type: 'webhook', url: 'https://h/x', format: 'xml' })).toContain(
      "format must be 'json' or 'slack'",
    );
    expect(errorOf({ type: 'webhook', url: 'https://h/x', timeout_ms: 0 })).toContain(
      'timeout_ms must be greater than 0',
    );
    expect(errorOf({ type: 'webhook', url: 'https://h/x', timeout_ms: 300_001 })).toContain(
      'timeout_ms must be at most 300000',
    );
  });

  it('rejects non-http URLs and bad header values without quoting them', () => {
    const secret = 'supersecret-token-123';
    const msg = errorOf({ type: 'webhook', url: `ftp://example.com/${secret}` });
    expect(msg).toContain('url must be an absolute http:// or https:// URL');
    expect(msg).not.toContain(secret);
    const hdr = errorOf({
      type: 'webhook',
      url: 'https://h/x',
      headers: { Authorization: `Bearer ${secret}\r\n` },
    });
    expect(hdr).toContain('header values must not contain line breaks');
    expect(hdr).not.toContain(secret);
  });

  it('validates receiver names in the receivers section', () => {
    expect(receiversSchema.safeParse({ ops: { type: 'console' } }).success).toBe(true);
    expect(receiversSchema.safeParse({ 'ops-2.eu_1': { type: 'console' } }).success).toBe(true);
    expect(receiversSchema.safeParse({ 'bad name': { type: 'console' } }).success).toBe(false);
    expect(receiversSchema.safeParse({ _ops: { type: 'console' } }).success).toBe(false);
    expect(receiversSchema.safeParse({ ['x'.repeat(65)]: { type: 'console' } }).success).toBe(false);
  });
});

describe('targetsOf / throttleOf', () => {
  const parse = (input: unknown): ReceiverConfig => receiverConfigSchema.parse(input);

  it('sends console, file and webhook receivers as one delivery each', () => {
    expect(targetsOf(parse({ type: 'console' }))).toEqual([undefined]);
    expect(targetsOf(parse({ type: 'file', path: '/tmp/x.jsonl' }))).toEqual([undefined]);
    expect(targetsOf(parse({ type: 'webhook', url: 'https://h/x' }))).toEqual([undefined]);
  });

  it('keeps to the configured throttle; none for services without limits of their own; none when off', () => {
    expect(throttleOf(parse({ type: 'webhook', url: 'https://h/x' }), undefined)).toEqual([]);
    expect(throttleOf(parse({ type: 'console' }), undefined)).toEqual([]);
    expect(
      throttleOf(
        parse({
          type: 'webhook',
          url: 'https://h/x',
          throttle: [
            { max: 1, per: '1s' },
            { max: 20, per: '1m' },
          ],
        }),
        undefined,
      ),
    ).toEqual([
      { max: 1, per: 1000 },
      { max: 20, per: 60_000 },
    ]);
    expect(throttleOf(parse({ type: 'webhook', url: 'https://h/x', throttle: 'off' }), undefined)).toEqual(
      [],
    );
  });
});

describe('createChannel', () => {
  it('builds a console channel writing to the given stderr', async () => {
    const err = new PassThrough();
    const ch = await createChannel('term', receiverConfigSchema.parse({ type: 'console' }), { stderr: err });
    expect([ch.type, ch.name]).toEqual(['console', 'term']);
    await ch.send(delivery(notification()));
    expect(String(err.read())).toMatch(
      /^2026-01-15T09:31:00\.000Z \[CRITICAL\] Drawdown above 5% on BTCUSDT \|.*\n$/,
    );
  });

  it('builds a file channel', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'klaxon-registry-'));
    try {
      const path = join(dir, 'out.jsonl');
      const ch = await createChannel('audit', receiverConfigSchema.parse({ type: 'file', path }));
      expect([ch.type, ch.name]).toEqual(['file', 'audit']);
      await ch.send(delivery(notification()));
      expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
        version: '1',
        notification: { id: 'n-1' },
        title: '[CRITICAL] Drawdown above 5% on BTCUSDT',
      });
      await expect(ch.verify?.(new AbortController().signal)).resolves.toBe(`${path} is writable`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds a webhook channel with format, headers and timeout from the config', async () => {
    await withHookServer(200, async (base, calls) => {
      const cfg: ReceiverConfig = receiverConfigSchema.parse({
        type: 'webhook',
        url: `${base}/hook`,
        format: 'slack',
        headers: { 'X-Api-Key': 'k' },
        timeout_ms: 1234,
      });
      const ch = await createChannel('hook', cfg, {});
      expect(ch).toMatchObject({ type: 'webhook', name: 'hook', format: 'slack', timeoutMs: 1234 });
      await expect(ch.send(delivery(notification()))).resolves.toEqual({ detail: 'HTTP 200' });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.url).toBe('/hook');
      expect(calls[0]?.headers['x-api-key']).toBe('k');
      expect(JSON.parse(calls[0]?.body ?? '')).toHaveProperty('attachments');
    });
  });

  it('builds a JSON webhook by default', async () => {
    await withHookServer(204, async (base, calls) => {
      const ch = await createChannel(
        'hook',
        receiverConfigSchema.parse({ type: 'webhook', url: `${base}/x` }),
        {},
      );
      expect(ch).toMatchObject({ format: 'json', timeoutMs: 10_000 });
      await ch.send(delivery(notification()));
      expect(JSON.parse(calls[0]?.body ?? '')).toMatchObject({ version: '1', notification: { id: 'n-1' } });
    });
  });
});

describe('parseDuration / durationSchema / formatDuration', () => {
  it('parses the supported units and combinations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(' 2M ')).toBe(120_000);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('0s')).toBe(0);
  });

  it('rejects other shapes with a message that explains the format', () => {
    for (const bad of ['', '5', '1.5h', '5 m', '5min', '-1s', 'm5']) {
      expect(() => parseDuration(bad)).toThrow(/'30s', '5m'/);
    }
    expect(() => parseDuration(-1)).toThrow(RangeError);
    expect(() => parseDuration(Number.NaN)).toThrow(RangeError);
  });

  it('durationSchema outputs milliseconds', () => {
    expect(durationSchema.parse('2m')).toBe(120_000);
    expect(durationSchema.parse(10)).toBe(10);
    const r = durationSchema.safeParse('2 minutes');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain("a string like '250ms', '30s', '5m', '1h', '1d'");
    expect(durationSchema.safeParse(true).error?.issues[0]?.message).toContain('a duration is a number');
  });

  it('formatDuration writes durations for people, whole seconds from a second on', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(59_999)).toBe('59s');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(93_784_000)).toBe('1d 2h 3m 4s');
    expect(formatDuration(-90_000)).toBe('-1m 30s');
    expect(formatDuration(Number.NaN)).toBe('unknown');
    expect(formatDuration(parseDuration('1h30m'))).toBe('1h 30m');
  });
});

/** A local HTTP server answering `status` to every request, recording what it was sent. */
async function withHookServer(
  status: number,
  fn: (base: string, calls: { url: string; headers: IncomingHttpHeaders; body: string }[]) => Promise<void>,
): Promise<void> {
  const calls: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(status).end(status === 204 ? undefined : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
