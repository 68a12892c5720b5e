import { describe, expect, it } from 'vitest';
import { ingestConfigSchema } from '../../src/ingest/config.js';
import { Authenticator } from '../../src/ingest/auth.js';

describe('ingestConfigSchema', () => {
  it('fills defaults', () => {
    expect(ingestConfigSchema.parse({})).toEqual({
      host: '0.0.0.0',
      port: 8080,
      body_limit: 1048576,
      max_batch: 5000,
      max_json_depth: 32,
      max_future_skew: 300_000,
      auth: true,
      tokens: [],
      alertmanager: { source: 'alertmanager' },
      rate_limit: { max: 100, window: 1000 },
      enqueue_timeout: 10000,
      trust_proxy: false,
      ui: { enabled: true, session_ttl: 12 * 3_600_000 },
    });
  });

  it('reads sizes and durations', () => {
    const c = ingestConfigSchema.parse({
      body_limit: '2mib',
      rate_limit: { max: 10, window: '1m' },
      enqueue_timeout: '2s',
    });
    expect(c.body_limit).toBe(2 * 1024 * 1024);
    expect(c.rate_limit).toEqual({ max: 10, window: 60000 });
    expect(c.enqueue_timeout).toBe(2000);
  });

  it('reads max_json_depth and max_future_skew within their bounds', () => {
    const c = ingestConfigSchema.parse({ max_json_depth: 8, max_future_skew: '30s' });
    expect(c.max_json_depth).toBe(8);
    expect(c.max_future_skew).toBe(30_000);
    expect(ingestConfigSchema.parse({ max_future_skew: '1h' }).max_future_skew).toBe(3_600_000);
    for (const bad of [3, 257, 1.5, '32'])
      expect(ingestConfigSchema.safeParse({ max_json_depth: bad }).success, String(bad)).toBe(false);
    for (const bad of ['soon', 0, -1])
      expect(ingestConfigSchema.safeParse({ max_future_skew: bad }).success, String(bad)).toBe(false);
  });

  it('refuses an alertmanager.source that is not a valid source', () => {
    expect(ingestConfigSchema.parse({ alertmanager: { source: 'prom/eu-1' } }).alertmanager.source).toBe(
      'prom/eu-1',
    );
    for (const bad of ['prom/../x', 'a\u0000b', '/abs', 'x'.repeat(129)])
      expect(ingestConfigSchema.safeParse({ alertmanager: { source: bad } }).success, bad).toBe(false);
  });

  it('rejects unknown keys, short secrets, duplicate names and lone usernames', () => {
    expect(ingestConfigSchema.safeParse({ prot: 1 }).success).toBe(false);
    expect(
      ingestConfigSchema.safeParse({ tokens: [{ name: 'a', token: 'short', sources: ['*'] }] }).success,
    ).toBe(false);
    const t = { token: 'fake-token-0123456789abcdef', sources: ['*'] };
    const dup = ingestConfigSchema.safeParse({
      tokens: [
        { name: 'a', ...t },
        { name: 'a', ...t, token: `${t.token}x` },
      ],
    });
    expect(dup.success).toBe(false);
    expect(ingestConfigSchema.safeParse({ alertmanager: { username: 'am' } }).success).toBe(false);
    expect(ingestConfigSchema.safeParse({ body_limit: 'lots' }).success).toBe(false);
  });
});

describe('Authenticator', () => {
  const auth = new Authenticator(
    ingestConfigSchema.parse({
      tokens: [
        { name: 'one', token: 'fake-token-one-0123456789', sources: ['grid-bot'] },
        { name: 'glob', token: 'fake-token-glob-0123456789', sources: ['grid-*', 'dca-?'] },
      ],
    }),
  );

  it('matches globs and exact names', () => {
    const glob = auth.authenticate('Bearer fake-token-glob-0123456789', 'ingest');
    expect(glob.ok).toBe(true);
    if (!glob.ok) return;
    expect(auth.maySend(glob.principal, 'grid-a.b')).toBe(true);
    expect(auth.maySend(glob.principal, 'dca-1')).toBe(true);
    expect(auth.maySend(glob.principal, 'dca-12')).toBe(false);
    expect(auth.maySend(glob.principal, 'xgrid-a')).toBe(false);
    expect(auth.defaultSource(glob.principal)).toBeUndefined();
    const one = auth.authenticate('bearer   fake-token-one-0123456789 ', 'ingest');
    expect(one.ok && auth.defaultSource(one.principal)).toBe('grid-bot');
  });

  it('refuses unknown, missing and malformed credentials', () => {
    expect(auth.authenticate('Bearer nope', 'ingest')).toEqual({ ok: false, reason: 'unknown' });
    expect(auth.authenticate(undefined, 'ingest')).toEqual({ ok: false, reason: 'missing' });
    expect(auth.authenticate('fake-token-one-0123456789', 'ingest')).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(auth.authenticate('Bearer fake-token-one-0123456789', 'admin')).toMatchObject({ ok: true });
  });
});
