import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeContent } from '../../src/channels/content.js';
import { ACK_LINK_TTL, ackLink, ackToken, verifyAckToken } from '../../src/ingest/ack-links.js';
import { parseIngestConfig } from '../../src/ingest/config.js';
import { loggedPath } from '../../src/ingest/routes-ack-link.js';
import type { AlertView } from '../../src/model/alert.js';
import type { Notification, NotificationKind } from '../../src/model/notification.js';
import { NOW, TOKENS, baseConfig, startServer, testAlert, type Harness } from './helpers.js';

const SECRET = 'link-secret-0123456789abcdef0123';
const PUBLIC = 'https://klaxon.example.test/base/';
const FP = '3f2a4b5c6d7e8f9012345678';

describe('signed acknowledge tokens', () => {
  it('a token verifies until it expires, for its fingerprint only, and fits a path parameter', () => {
    const token = ackToken(SECRET, FP, NOW + 1000);
    expect(token.length).toBeLessThanOrEqual(128);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyAckToken(SECRET, token, NOW)).toEqual({ ok: true, fingerprint: FP, expiresAt: NOW + 1000 });
    expect(verifyAckToken(SECRET, token, NOW + 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(ackLink({ publicUrl: PUBLIC, secret: SECRET }, FP, NOW + 1000)).toBe(
      `https://klaxon.example.test/base/v1/ack/${token}`,
    );
  });

  it('a token changed anywhere, or signed with another secret, is invalid', () => {
    const token = ackToken(SECRET, FP, NOW + 1000);
    const [payload = '', sig = ''] = token.split('.');
    // Another fingerprint or a later expiry under the old signature.
    const forged = Buffer.from(JSON.stringify(['ffffffffffffffffffffffff', NOW + 1000])).toString(
      'base64url',
    );
    const extended = Buffer.from(JSON.stringify([FP, NOW + 10 * ACK_LINK_TTL])).toString('base64url');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const bad of [
      `${forged}.${sig}`,
      `${extended}.${sig}`,
      `${payload}.${flip(sig, 5)}`,
      `${flip(payload, 3)}.${sig}`,
      `${payload}.${sig.slice(0, 42)}`,
      `${payload}${sig}`,
      ackToken('another-secret-0123456789abcdef', FP, NOW + 1000),
      '',
      'x'.repeat(500),
    ])
      expect(verifyAckToken(SECRET, bad, NOW), bad).toEqual({ ok: false, reason: 'invalid' });
  });

  it('the logs get the path of a link without its token', () => {
    expect(loggedPath(`/v1/ack/${ackToken(SECRET, FP, NOW)}?x=1`)).toBe('/v1/ack/[redacted]');
    expect(loggedPath('/v1/alerts/abc?limit=5')).toBe('/v1/alerts/abc');
  });

  it('server.link_secret is a secret of at least 16 characters', () => {
    expect(parseIngestConfig({ link_secret: SECRET }).link_secret).toBe(SECRET);
    expect(() => parseIngestConfig({ link_secret: 'short' })).toThrow(/link_secret must be at least 16/);
    expect(parseIngestConfig({}).link_secret).toBeUndefined();
  });
});

describe('the "Acknowledge" link in notifications', () => {
  const view: AlertView = {
    fingerprint: FP,
    name: 'api_latency',
    status: 'firing',
    severity: 'critical',
    labels: { source: 'grid-1' },
    annotations: {},
    startsAt: NOW - 60_000,
    occurrences: 1,
  };
  const note = (
    kind: NotificationKind,
    a: Partial<AlertView> = {},
    more: AlertView[] = [],
  ): Notification => ({
    id: `n.${kind}`,
    receiver: 'email',
    kind,
    thread: FP,
    createdAt: NOW,
    alerts: [{ ...view, ...a }, ...more],
  });
  const ackHref = (n: Notification, opts = { publicUrl: PUBLIC, linkSecret: SECRET }) =>
    describeContent(n, opts).links.find((l) => l.text === 'Acknowledge')?.href;

  it('firing, repeat, escalated and flapping messages of one alert carry it, valid for 7 days', () => {
    for (const kind of ['firing', 'repeat', 'escalated', 'flapping'] as const) {
      const href = ackHref(note(kind));
      expect(href, kind).toMatch(/^https:\/\/klaxon\.example\.test\/base\/v1\/ack\/[\w-]+\.[\w-]+$/);
      const token = href?.split('/').at(-1) ?? '';
      expect(verifyAckToken(SECRET, token, NOW)).toEqual({
        ok: true,
        fingerprint: FP,
        expiresAt: NOW + ACK_LINK_TTL,
      });
    }
  });

  it('not for resolves, acknowledgements, groups, tests, an alert already taken, or without both settings', () => {
    expect(ackHref(note('resolved', { status: 'resolved', endsAt: NOW }))).toBeUndefined();
    expect(ackHref(note('acknowledged', { acknowledged: { by: 'a', at: NOW } }))).toBeUndefined();
    expect(ackHref(note('test'))).toBeUndefined();
    expect(ackHref(note('firing', {}, [{ ...view, fingerprint: 'other' }]))).toBeUndefined();
    expect(ackHref(note('repeat', { acknowledged: { by: 'a', at: NOW - 10 } }))).toBeUndefined();
    // An acknowledgement that lapsed: the reminder offers the link again.
    expect(
      ackHref(note('repeat', { acknowledged: { by: 'a', at: NOW - 10, until: NOW - 1 } })),
    ).toBeDefined();
    expect(ackHref(note('firing'), { publicUrl: PUBLIC, linkSecret: '' })).toBeUndefined();
    expect(describeContent(note('firing'), { linkSecret: SECRET }).links).toEqual([]);
  });
});

describe('GET and POST /v1/ack/:token', () => {
  let h: Harness;
  const clock = { now: NOW };
  const link = (fp: string, expiresAt = NOW + ACK_LINK_TTL) => `/v1/ack/${ackToken(SECRET, fp, expiresAt)}`;
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  beforeAll(async () => {
    h = await startServer({
      config: baseConfig({ public_url: 'https://klaxon.example.test', link_secret: SECRET }),
      clock: () => clock.now,
    });
    h.alertApi.alerts.push(
      testAlert({
        fingerprint: 'evil1',
        name: 'bot_down',
        severity: 'critical',
        labels: { source: 'grid-1' },
        annotations: { title: '<script>alert(1)</script> & "x"' },
      }),
      testAlert({ fingerprint: 'gone1', status: 'resolved', endsAt: NOW - 1000 }),
    );
  });
  afterAll(() => h.close());

  it('GET shows the alert and a form, escaped, with no token needed, and acknowledges nothing', async () => {
    const res = await h.call(link('evil1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
    expect(res.text).not.toContain('<script>');
    expect(res.text).toMatch(
      /<form method="post">[\s\S]*name="by"[\s\S]*<button type="submit">Acknowledge<\/button>/,
    );
    for (const v of ['bot_down', 'critical', 'grid-1']) expect(res.text).toContain(v);
    expect(h.alertApi.acks).toEqual([]);
  });

  it('POST acknowledges through the life cycle with via link, as the name given or anonymous', async () => {
    const before = h.alertApi.acks.length;
    const res = await h.call(link('abc123'), form({ by: 'Ann <b>', comment: 'restarting' }));
    expect(res.status).toBe(200);
    expect(res.text).toContain('Acknowledged by <strong>Ann &lt;b&gt;</strong>');
    expect(h.alertApi.acks.slice(before)).toEqual([
      { fingerprint: 'abc123', by: 'Ann <b>', comment: 'restarting', at: NOW, via: 'link' },
    ]);
    const anon = await h.call(link('abc123'), form({ by: '  ' }));
    expect(anon.status).toBe(200);
    expect(h.alertApi.acks.at(-1)).toEqual({ fingerprint: 'abc123', by: 'anonymous', at: NOW, via: 'link' });
    const tooLong = await h.call(link('abc123'), form({ by: 'x'.repeat(129) }));
    expect(tooLong.status).toBe(400);
    expect(h.alertApi.acks.length).toBe(before + 2);
  });

  it('a tampered or expired link is a 403 page, an unknown alert 404, a resolved one 409', async () => {
    const good = ackToken(SECRET, 'abc123', NOW + 1000);
    const tampered = `/v1/ack/${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    const expired = link('abc123', NOW - 1);
    const before = h.alertApi.acks.length;
    for (const [path, status, words] of [
      [tampered, 403, 'not valid'],
      [expired, 403, 'expired'],
      [`/v1/ack/${ackToken('some-other-secret-0123456789', 'abc123', NOW + 1000)}`, 403, 'not valid'],
      [link('nope99'), 404, 'No such alert'],
      [link('gone1'), 409, 'Already resolved'],
    ] as const) {
      for (const init of [{}, form({ by: 'eve' })]) {
        const res = await h.call(path, init);
        expect(res.status, `${path} ${init.method ?? 'GET'}`).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.text).toContain(words);
      }
    }
    expect(h.alertApi.acks.length).toBe(before);
  });

  it('only this route takes form bodies; the API still answers 415 to them', async () => {
    const res = await h.call('/v1/silences', { ...form({ a: 'b' }), token: TOKENS.admin });
    expect(res.status).toBe(415);
  });
});

describe('acknowledge links switched off', () => {
  it('without server.link_secret the route is a 404 page and no link is made', async () => {
    const h = await startServer({ config: baseConfig({ public_url: 'https://klaxon.example.test' }) });
    try {
      const res = await h.call(`/v1/ack/${ackToken(SECRET, 'abc123', NOW + 1000)}`);
      expect(res.status).toBe(404);
      expect(res.text).toContain('does not take acknowledge links');
    } finally {
      await h.close();
    }
  });
});
