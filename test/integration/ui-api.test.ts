import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/model/history.js';
import { TestKlaxon, TOKEN } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

/**
 * What the web console stands on, over HTTP on a real Redis: the login cookie and its CSRF
 * token, the bots' freshness and series, dead letters sent again, and what became of each
 * notification in an alert's history.
 */
const READ_ONLY = 'read-only-token-0123456789abcdef';
const k = new TestKlaxon(`klaxon-test-console-api-${process.pid}`);
let base = '';

beforeAll(async () => {
  await k.start((url) => ({
    server: {
      host: '127.0.0.1',
      tokens: [
        { name: 'ops', token: TOKEN, sources: ['*'], admin: true },
        { name: 'bots', token: READ_ONLY, sources: ['*'] },
      ],
      rate_limit: { max: 100_000 },
    },
    receivers: { hook: { type: 'webhook', url } },
  }));
  base = k.app.url as string;
});
afterAll(() => k.close());

interface Login {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function login(token = TOKEN): Promise<Login> {
  const res = await fetch(`${base}/ui/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { name: string; csrf: string };
  return { cookie: setCookie.split(';')[0] as string, csrf: body.csrf, setCookie };
}

const withCookie = (l: Login, init: RequestInit = {}, csrf = true): RequestInit => ({
  ...init,
  headers: {
    cookie: l.cookie,
    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(csrf ? { 'x-klaxon-csrf': l.csrf } : {}),
    ...(init.headers as Record<string, string> | undefined),
  },
});

describe('console login', () => {
  it('turns an admin token into an HTTP-only, SameSite=Strict cookie that reads the admin routes', async () => {
    const l = await login();
    expect(l.setCookie).toMatch(/^klaxon_session=[A-Za-z0-9_-]{43};/);
    expect(l.setCookie).toMatch(/HttpOnly/i);
    expect(l.setCookie).toMatch(/SameSite=Strict/i);
    expect(l.setCookie).toMatch(/Path=\//);
    expect(l.setCookie).not.toContain(TOKEN);
    const session = await fetch(`${base}/ui/session`, withCookie(l));
    expect(await session.json()).toEqual({ name: 'ops', csrf: l.csrf });
    const alerts = await fetch(`${base}/v1/alerts`, withCookie(l, {}, false));
    expect(alerts.status).toBe(200);
  });

  it('refuses an unknown token, a token without the admin scope, and a body without a token, naming why', async () => {
    const post = (body: unknown) =>
      fetch(`${base}/ui/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknown = await post({ token: 'not-a-token' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('set-cookie')).toBeNull();
    const notAdmin = await post({ token: READ_ONLY });
    expect(notAdmin.status).toBe(403);
    expect(((await notAdmin.json()) as { message: string }).message).toContain(
      "'bots' lacks the admin scope",
    );
    const empty = await post({});
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('token');
  });

  it('reaches no data without a login, and none with a forged cookie', async () => {
    for (const path of ['/v1/alerts', '/v1/silences', '/v1/sources', '/v1/dead-letters', '/ui/session']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
      const forged = await fetch(`${base}${path}`, { headers: { cookie: 'klaxon_session=forged' } });
      expect(forged.status, path).toBe(401);
    }
  });

  it('makes a change only with the session CSRF token in its header', async () => {
    const l = await login();
    const silence = {
      matchers: [{ name: 'source', value: 'bot-x' }],
      duration: '1h',
      createdBy: 'ops',
    };
    const without = await fetch(
      `${base}/v1/silences`,
      withCookie(l, { method: 'POST', body: JSON.stringify(silence) }, false),
    );
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: string }).error).toBe('csrf');
    const wrong = await fetch(
      `${base}/v1/silences`,
      withCookie(
        l,
        { method: 'POST', body: JSON.stringify(silence), headers: { 'x-klaxon-csrf': 'guess' } },
        false,
      ),
    );
    expect(wrong.status).toBe(403);
    const right = await fetch(
      `${base}/v1/silences`,
      withCookie(l, { method: 'POST', body: JSON.stringify(silence) }),
    );
    expect(right.status).toBe(201);
    const { id } = (await right.json()) as { id: string };
    expect((await fetch(`${base}/v1/silences/${id}`, withCookie(l, { method: 'DELETE' }))).status).toBe(200);
  });

  it('logs out: the cookie is cleared and no longer reaches anything', async () => {
    const l = await login();
    const out = await fetch(`${base}/ui/logout`, withCookie(l, { method: 'POST' }));
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/klaxon_session=;/);
    expect((await fetch(`${base}/v1/alerts`, withCookie(l))).status).toBe(401);
    expect((await fetch(`${base}/ui/session`, withCookie(l))).status).toBe(401);
  });
});

describe('the page', () => {
  it('says how to build it when it is not built, and is gone when turned off', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'klaxon-no-ui-'));
    const unbuilt = await new TestKlaxon(`klaxon-test-ui-api-unbuilt-${process.pid}`).start({
      server: {
        host: '127.0.0.1',
        tokens: [{ name: 'ops', token: TOKEN, sources: ['*'], admin: true }],
        ui: { dir: empty },
      },
    });
    const off = await new TestKlaxon(`klaxon-test-ui-api-off-${process.pid}`).start({
      server: {
        host: '127.0.0.1',
        tokens: [{ name: 'ops', token: TOKEN, sources: ['*'], admin: true }],
        ui: { enabled: false },
      },
    });
    try {
      const page = await fetch(`${unbuilt.app.url}/ui/`);
      expect(page.status).toBe(503);
      expect(((await page.json()) as { message: string }).message).toContain('npm run build');
      for (const [method, p] of [
        ['GET', '/ui/'],
        ['POST', '/ui/login'],
        ['GET', '/ui/session'],
      ] as const)
        expect((await fetch(`${off.app.url}${p}`, { method })).status, p).toBe(404);
    } finally {
      await Promise.all([unbuilt.close(), off.close()]);
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('sources', () => {
  it('lists each bot with its last heartbeat, last snapshot, firing alerts and recorded series', async () => {
    const l = await login();
    const now = Date.now();
    await k.push('/v1/events', { source: 'grid-7', type: 'heartbeat', ts: now - 30_000 });
    await k.push('/v1/metrics', [
      { source: 'grid-7', ts: now - 120_000, metrics: { equity: 1000, latency_ms: 5 } },
      { source: 'grid-7', ts: now - 60_000, metrics: { equity: 1010 } },
    ]);
    await k.push('/v1/alerts', {
      source: 'grid-7',
      name: 'kill_switch',
      severity: 'critical',
      title: 'pressed',
    });
    await k.push('/v1/metrics', { source: 'dca-2', ts: now - 10_000, metrics: { latency_ms: 7 } });
    await k.idle();

    const res = await fetch(`${base}/v1/sources`, withCookie(l));
    const { sources } = (await res.json()) as { sources: Record<string, unknown>[] };
    expect(sources.map((s) => s.source)).toEqual(['dca-2', 'grid-7']);
    expect(sources[1]).toMatchObject({
      source: 'grid-7',
      lastHeartbeatAt: now - 30_000,
      lastSnapshotAt: now - 60_000,
      firing: 1,
      series: ['equity'],
    });
    expect(sources[0]).toMatchObject({
      source: 'dca-2',
      lastSnapshotAt: now - 10_000,
      firing: 0,
      series: [],
    });
    expect(sources[0]).not.toHaveProperty('lastHeartbeatAt');

    const series = await fetch(`${base}/v1/sources/grid-7/series?metric=equity&hours=1`, withCookie(l));
    const minute = (t: number) => Math.floor(t / 60_000) * 60_000;
    expect(((await series.json()) as { points: unknown }).points).toEqual(
      minute(now - 120_000) === minute(now - 60_000)
        ? [[minute(now - 60_000), 1010]]
        : [
            [minute(now - 120_000), 1000],
            [minute(now - 60_000), 1010],
          ],
    );
    const beats = await fetch(`${base}/v1/sources/grid-7/series?metric=heartbeats`, withCookie(l));
    expect(((await beats.json()) as { points: unknown }).points).toEqual([[minute(now - 30_000), 1]]);

    const bad = await fetch(`${base}/v1/sources/grid-7/series?metric=price&hours=99`, withCookie(l));
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(['metric', 'hours']);
  });
});

describe("sources past the day's record bound", () => {
  const bounded = new TestKlaxon(`klaxon-test-ui-api-bound-${process.pid}`);
  afterAll(() => bounded.close());

  it('still move their latest heartbeat and snapshot once the day keeps no more points', async () => {
    await bounded.start({ digest: { max_per_day: { points: 100 } } });
    // Yesterday (UTC), so that every time is past whenever the test runs.
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
    const at = (minute: number) => day + minute * 60_000;
    // A heartbeat a minute from 00:00: each is a field of the day's hash, which is full after 100.
    const beats = Array.from({ length: 120 }, (_, m) => ({ source: 'hb-1', type: 'heartbeat', ts: at(m) }));
    await bounded.push('/v1/events', beats);
    await bounded.idle();
    // Past the bound: the equity point is left out, its latest times are not.
    await bounded.push('/v1/events', { source: 'hb-1', type: 'heartbeat', ts: at(130) });
    await bounded.push('/v1/metrics', { source: 'hb-1', ts: at(131), metrics: { equity: 5 } });
    await bounded.idle();
    const get = (path: string) =>
      fetch(`${bounded.app.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const { sources } = (await (await get('/v1/sources')).json()) as { sources: Record<string, unknown>[] };
    expect(sources).toEqual([
      expect.objectContaining({
        source: 'hb-1',
        lastHeartbeatAt: at(130),
        lastSnapshotAt: at(131),
        series: ['equity'],
      }),
    ]);
  });
});

describe('dead letters and delivery results', () => {
  it('shows a refused notification as dead in the history, and sends it again on retry', async () => {
    const l = await login();
    k.recorder.status = 400; // the webhook refuses for good
    await k.push('/v1/alerts', {
      source: 'arb-3',
      name: 'stuck_order',
      severity: 'high',
      title: 'order stuck',
    });
    await k.idle();
    const dead = (await (await fetch(`${base}/v1/dead-letters`, withCookie(l))).json()) as {
      count: number;
      deadLetters: { notification: { id: string; alerts: { fingerprint: string }[] } }[];
    };
    expect(dead.count).toBe(1);
    const letter = dead.deadLetters[0];
    const id = letter?.notification.id as string;
    const fp = letter?.notification.alerts[0]?.fingerprint as string;
    const told = async () => {
      const h = (await (await fetch(`${base}/v1/alerts/${fp}/history`, withCookie(l))).json()) as {
        history: HistoryEntry[];
      };
      return h.history.find((e) => e.type === 'notification');
    };
    expect(await told()).toMatchObject({ receiver: 'hook', kind: 'firing', id, delivery: 'dead' });

    k.recorder.status = 200;
    const retry = await fetch(`${base}/v1/dead-letters/${id}/retry`, withCookie(l, { method: 'POST' }));
    expect(retry.status).toBe(202);
    await waitFor(() => k.recorder.of('stuck_order').length === 1, 10_000, 'the retried notification');
    await k.idle();
    expect(await told()).toMatchObject({ id, delivery: 'sent' });
    const after = (await (await fetch(`${base}/v1/dead-letters`, withCookie(l))).json()) as { count: number };
    expect(after.count).toBe(0);
    const again = await fetch(`${base}/v1/dead-letters/${id}/retry`, withCookie(l, { method: 'POST' }));
    expect(again.status).toBe(404);
  });

  it('names the silence that holds an alert, in the list and in its history', async () => {
    const l = await login();
    const created = await fetch(
      `${base}/v1/silences`,
      withCookie(l, {
        method: 'POST',
        body: JSON.stringify({
          matchers: [{ name: 'source', value: 'mm-1' }],
          duration: '1h',
          createdBy: 'ops',
        }),
      }),
    );
    const { id } = (await created.json()) as { id: string };
    await k.push('/v1/alerts', {
      source: 'mm-1',
      name: 'spread_wide',
      severity: 'warning',
      title: 'wide',
      value: 12,
    });
    await k.idle();
    const { alerts } = (await (await fetch(`${base}/v1/alerts?source=mm-1`, withCookie(l))).json()) as {
      alerts: { fingerprint: string; silencedBy?: string[] }[];
    };
    const fp = alerts[0]?.fingerprint as string;
    expect(alerts[0]?.silencedBy).toEqual([id]);
    const h = (await (await fetch(`${base}/v1/alerts/${fp}/history`, withCookie(l))).json()) as {
      history: HistoryEntry[];
    };
    expect(h.history.find((e) => e.type === 'held')).toMatchObject({
      hold: 'silence',
      silences: [id],
      value: 12,
    });
    // Expired, the silence holds it no longer.
    await fetch(`${base}/v1/silences/${id}`, withCookie(l, { method: 'DELETE' }));
    const after = (await (await fetch(`${base}/v1/alerts/${fp}`, withCookie(l))).json()) as {
      alert: { silencedBy?: string[] };
    };
    expect(after.alert).not.toHaveProperty('silencedBy');
    expect(h.history.some((e) => e.type === 'notification')).toBe(false);
  });
});
