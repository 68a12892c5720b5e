import { describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/channel.js';
import { readAnswer, readFailure, type AnswerContext } from '../../src/channels/pagerduty/classify.js';
import { pagerdutyChannel, pagerdutyReceiverSchema } from '../../src/channels/pagerduty/index.js';
import { PagerDutyChannel } from '../../src/channels/pagerduty/pagerduty-channel.js';
import { formatServer, parseServer } from '../../src/channels/pagerduty/schema.js';

const KEY = 'c0ffee00deadbeef5ec2e7a1b2c3d4e5';

function problems(input: Record<string, unknown>): string[] {
  const r = pagerdutyReceiverSchema.safeParse({ type: 'pagerduty', routing_key: KEY, ...input });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('pagerduty receiver config', () => {
  it('fills the defaults', () => {
    expect(pagerdutyReceiverSchema.parse({ type: 'pagerduty', routing_key: ` ${KEY} ` })).toEqual({
      type: 'pagerduty',
      routing_key: KEY,
      server: 'events.pagerduty.com',
      client: 'Klaxon',
      send_resolved: true,
    });
  });

  it.each([
    'events.eu.pagerduty.com',
    'events.pagerduty.com:443',
    '127.0.0.1:8443',
    'localhost',
    '[::1]:8443',
  ])('accepts server %s', (server) => {
    expect(problems({ server })).toEqual([]);
  });

  it.each([
    ['https://events.pagerduty.com', 'without a scheme'],
    ['events.pagerduty.com/v2/enqueue', 'without a path'],
    ['events.pagerduty.com:70000', 'port must be between 1 and 65535'],
    ['bad host', 'must be a host name'],
    ['', 'must be a host name'],
  ])('rejects server %j (%s)', (server, says) => {
    const p = problems({ server });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^server: /);
    expect(p[0]).toContain(says);
  });

  it('requires the routing key, and says so', () => {
    const r = pagerdutyReceiverSchema.safeParse({ type: 'pagerduty' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/^routing_key is required: the 32-character Integration Key/);
  });

  it('wants exactly 32 characters and never quotes the key', () => {
    for (const key of [KEY.slice(1), `${KEY}x`]) {
      const r = pagerdutyReceiverSchema.safeParse({ type: 'pagerduty', routing_key: key });
      expect(r.success).toBe(false);
      const printed = JSON.stringify(r.error?.issues) + String(r.error?.message);
      expect(printed).toContain('routing_key must be exactly 32 characters');
      expect(printed).not.toContain(key);
    }
  });

  it('checks client and client_url, and rejects unknown keys', () => {
    expect(problems({ client: '' })).toEqual([
      'client: client must not be empty (the name PagerDuty shows as the sender)',
    ]);
    expect(problems({ client_url: 'klaxon.example.com' })).toEqual([
      'client_url: client_url must be an absolute http:// or https:// URL',
    ]);
    expect(problems({ client_url: 'https://klaxon.example.com' })).toEqual([]);
    expect(problems({ severity: 'critical' })[0]).toContain(
      'unknown key "severity" for a pagerduty receiver',
    );
  });

  it('creates the channel; keeps to 120 events a minute', async () => {
    const cfg = pagerdutyReceiverSchema.parse({ type: 'pagerduty', routing_key: KEY });
    const ch = await pagerdutyChannel.create('pd', cfg, {});
    expect(ch).toBeInstanceOf(PagerDutyChannel);
    expect(ch.type).toBe('pagerduty');
    expect(ch.name).toBe('pd');
    expect((ch as PagerDutyChannel).server).toBe('events.pagerduty.com');
    expect(pagerdutyChannel.throttle?.(cfg, undefined)).toEqual([{ max: 120, per: 60_000 }]);
    expect(pagerdutyChannel.targets).toBeUndefined();
  });

  it('refuses a routing key of the wrong length when built directly, without quoting it', () => {
    expect(() => new PagerDutyChannel('pd', { routingKey: 'short-secret-key' })).toThrow(
      'pagerduty receiver "pd": routing_key must be exactly 32 characters',
    );
  });

  it('splits and shows server addresses', () => {
    expect(parseServer('events.pagerduty.com')).toEqual({ host: 'events.pagerduty.com', port: 443 });
    expect(parseServer('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseServer('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(formatServer({ host: '::1', port: 8443 })).toBe('[::1]:8443');
    expect(formatServer({ host: 'events.eu.pagerduty.com', port: 443 })).toBe('events.eu.pagerduty.com:443');
  });
});

describe('pagerduty answer classification', () => {
  const ctx: AnswerContext = { where: 'pagerduty receiver "pd"', sentKey: 'fp-1', now: 0, secrets: [KEY] };

  function thrown(f: () => unknown): SendError {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(SendError);
      return e as SendError;
    }
    throw new Error('did not throw');
  }

  it('202: PagerDuty dedup_key, else the one sent', () => {
    expect(
      readAnswer(202, { status: 'success', message: 'Event processed', dedup_key: 'k' }, undefined, ctx),
    ).toEqual({
      status: 202,
      dedupKey: 'k',
      message: 'Event processed',
    });
    expect(readAnswer(202, {}, undefined, ctx)).toEqual({ status: 202, dedupKey: 'fp-1', message: '' });
  });

  it.each([
    [408, true],
    [413, false],
    [422, false],
    [500, true],
    [504, true],
  ])('HTTP %i retryable: %s', (status, retryable) => {
    expect(thrown(() => readAnswer(status, {}, undefined, ctx))).toMatchObject({ retryable, status });
  });

  it('429: Retry-After seconds, else 30 s', () => {
    expect(thrown(() => readAnswer(429, {}, '2', ctx)).retryAfterMs).toBe(2000);
    expect(thrown(() => readAnswer(429, {}, 'soon', ctx)).retryAfterMs).toBe(30_000);
    expect(thrown(() => readAnswer(429, undefined, undefined, ctx)).retryAfterMs).toBe(30_000);
  });

  it('cuts and flattens long PagerDuty text', () => {
    const e = thrown(() => readAnswer(400, { message: `line1\nline2 ${'x'.repeat(5000)}` }, undefined, ctx));
    expect(e.message).not.toContain('\n');
    expect(e.message.length).toBeLessThan(1100);
  });

  it('network errors give only their code', () => {
    const err = Object.assign(new Error(`request to https://x/v2/enqueue failed, body ${KEY}`), {
      type: 'system',
      code: 'ETIMEDOUT',
    });
    const e = thrown(() => readFailure(err, undefined, false, ctx));
    expect(e).toMatchObject({ retryable: true, status: 'ETIMEDOUT' });
    expect(e.message).toBe('pagerduty receiver "pd": network error (ETIMEDOUT)');
    expect(thrown(() => readFailure(new Error('odd'), undefined, false, ctx)).status).toBe('network');
    expect(thrown(() => readFailure({ type: 'request-timeout' }, undefined, false, ctx)).status).toBe(
      'timeout',
    );
  });
});
