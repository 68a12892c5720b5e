import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createChannel,
  RECEIVER_TYPES,
  receiverConfigSchema,
  receiversSchema,
  type ReceiverConfig,
} from '../../src/channels/registry.js';
import { durationSchema, parseDuration } from '../../src/model/duration.js';
import { notification } from './helpers.js';

function errorOf(input: unknown): string {
  const r = receiverConfigSchema.safeParse(input);
  if (r.success) throw new Error('expected a validation error');
  return z.prettifyError(r.error);
}

describe('receiverConfigSchema', () => {
  it('accepts the three types and applies defaults', () => {
    expect(receiverConfigSchema.parse({ type: 'console' })).toEqual({ type: 'console', send_resolved: true });
    expect(receiverConfigSchema.parse({ type: 'file', path: ' /var/log/klaxon.jsonl ' })).toEqual({
      type: 'file',
      path: '/var/log/klaxon.jsonl',
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
        send_resolved: false,
      }),
    ).toEqual({
      type: 'webhook',
      url: 'https://hooks.slack.com/services/T/B/x',
      format: 'slack',
      headers: { Authorization: 'Bearer x' },
      timeout_ms: 5000,
      rate_limit: { max: 10, per: 60_000 },
      send_resolved: false,
    });
    expect(RECEIVER_TYPES).toEqual(['console', 'file', 'webhook']);
  });

  it('explains unknown types, unknown keys and missing fields', () => {
    expect(errorOf({ type: 'sms' })).toContain('receiver type must be one of: console, file, webhook');
    expect(errorOf({ type: 'console', colour: 'red' })).toContain(
      'unknown key "colour" for a console receiver; allowed: type, rate_limit, send_resolved',
    );
    expect(errorOf({ type: 'file' })).toContain('path is required');
    expect(
      errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 1, per: '1m', burst: 2 } }),
    ).toContain('unknown key "burst" for rate_limit');
    expect(errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 0, per: '1m' } })).toContain(
      'rate_limit.max must be at least 1',
    );
    expect(
      errorOf({ type: 'webhook', url: 'https://h/x', rate_limit: { max: 5, per: 'a minute' } }),
    ).toContain("'250ms', '30s', '5m', '1h', '1d'");
    expect(errorOf({ type: 'webhook', url: 'https://h/x', format: 'xml' })).toContain(
      "format must be 'json' or 'slack'",
    );
    expect(errorOf({ type: 'webhook', url: 'https://h/x', timeout_ms: 0 })).toContain(
      'timeout_ms must be greater than 0',
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
    expect(receiversSchema.safeParse({ 'bad name': { type: 'console' } }).success).toBe(false);
  });
});

describe('createChannel', () => {
  it('builds a console channel writing to the given stdout', async () => {
    const out = new PassThrough();
    const ch = createChannel('term', receiverConfigSchema.parse({ type: 'console' }), { stdout: out });
    expect([ch.type, ch.name]).toEqual(['console', 'term']);
    await ch.send(ch.render(notification()), { signal: new AbortController().signal });
    expect(String(out.read())).toMatch(
      /^2026-01-15T09:31:00.000Z \[CRITICAL\] Drawdown above 5% on BTCUSDT \|.*\n$/,
    );
  });

  it('builds a file channel', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'klaxon-registry-'));
    try {
      const path = join(dir, 'out.jsonl');
      const ch = createChannel('audit', receiverConfigSchema.parse({ type: 'file', path }));
      expect(ch.type).toBe('file');
      await ch.send(ch.render(notification()), { signal: new AbortController().signal });
      expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ notification: { id: 'n-1' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds a webhook channel with format, headers and timeout from the config', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(input), init: init ?? {} });
      return new Response('ok', { status: 200 });
    }) as typeof fetch;
    const cfg: ReceiverConfig = receiverConfigSchema.parse({
      type: 'webhook',
      url: 'https://example.com/hook',
      format: 'slack',
      headers: { 'X-Api-Key': 'k' },
      timeout_ms: 1234,
    });
    const ch = createChannel('hook', cfg, { fetch: fakeFetch });
    expect(ch).toMatchObject({ type: 'webhook', name: 'hook', format: 'slack', timeoutMs: 1234 });
    await ch.send(ch.render(notification()), { signal: new AbortController().signal });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://example.com/hook');
    expect(new Headers(calls[0]?.init.headers).get('x-api-key')).toBe('k');
    expect(JSON.parse(String(calls[0]?.init.body))).toHaveProperty('attachments');
  });
});

describe('parseDuration / durationSchema', () => {
  it('parses the supported units and combinations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
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
});
