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
      auth: true,
      tokens: [],
      alertmanager: { source: 'alertmanager' },
      rate_limit: { max: 100, window: 1000 },
      enqueue_timeout: 10000,
      trust_proxy: false,
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
