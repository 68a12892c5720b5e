import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { AlertPage, AlertQuery } from '../../src/ingest/alert-api.js';
import type { Alert } from '../../src/model/alert.js';
import type { HistoryEntry } from '../../src/model/history.js';
import { silentLogger } from '../../src/ops/logger.js';
import { RedisAlertApi, MAX_PAGE_ROUNDS } from '../../src/state/alert-api.js';
import { Keys } from '../../src/state/keys.js';
import { cleanRedis, REDIS_URL, testConfig, TOKEN } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

/**
 * `GET /v1/alerts` pages and `GET /v1/alerts/:fingerprint/history` on a real Redis. The shards'
 * alert hashes, indexes and logs are written here as the lane's commit writes them, so that each
 * case controls the order, the ties and what changes between two pages.
 */
const SHARDS = 4;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const SOURCES = ['grid-1', 'grid-2', 'dca-1', 'dca-2', 'arb-1', 'arb-2'];

const prefix = `t-alist-${randomBytes(4).toString('hex')}`;
const keys = new Keys(prefix, SHARDS);
let redis: Redis;
let api: RedisAlertApi;

function alert(i: number, over: Partial<Alert> = {}): Alert {
  const source = SOURCES[i % SOURCES.length] as string;
  return {
    fingerprint: `${i.toString(16).padStart(6, '0')}${'ab'.repeat(9)}`,
    name: i % 3 === 0 ? 'bot_down' : 'api_latency',
    kind: 'state',
    status: i % 5 === 0 ? 'resolved' : 'firing',
    severity: i % 4 === 0 ? 'critical' : 'warning',
    labels: { source },
    annotations: {},
    origin: 'rule',
    startsAt: T0 - 60_000,
    firingAt: T0 - 60_000,
    // Ten alerts share each millisecond: pages must split ties without losing or repeating any.
    lastSeenAt: T0 + Math.floor(i / 10) * 1000,
    occurrences: 1,
    notified: i % 7 === 0 ? ['pager'] : [],
    ...(i % 11 === 0 ? { told: { email: `n-${i}` } } : {}),
    windowCount: 0,
    transitions: [],
    flapping: false,
    version: 1,
    ...over,
  };
}

/** Stores alerts as the commit does: the shard's hash and its index (score = lastSeenAt). */
async function store(alerts: readonly Alert[]): Promise<void> {
  const pipe = redis.pipeline();
  for (const a of alerts) {
    const shard = keys.shardOf(a.labels.source ?? '');
    pipe.hset(keys.alerts(shard), a.fingerprint, JSON.stringify(a));
    pipe.zadd(keys.alertIndex(shard), a.lastSeenAt, a.fingerprint);
  }
  await pipe.exec();
}

async function forget(a: Alert): Promise<void> {
  const shard = keys.shardOf(a.labels.source ?? '');
  await redis
    .multi()
    .hdel(keys.alerts(shard), a.fingerprint)
    .zrem(keys.alertIndex(shard), a.fingerprint)
    .exec();
}

/** The listing's order: newest first, ties by fingerprint descending. */
const ordered = (alerts: readonly Alert[]) =>
  [...alerts]
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt || (a.fingerprint < b.fingerprint ? 1 : -1))
    .map((a) => a.fingerprint);

/** Every page of a query, followed to the end. */
async function allPages(q: Omit<AlertQuery, 'cursor'>): Promise<{ fps: string[]; pages: AlertPage[] }> {
  const pages: AlertPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listAlerts(cursor === undefined ? q : { ...q, cursor });
    pages.push(page);
    cursor = page.next;
    if (pages.length > 1000) throw new Error('the pages never end');
  } while (cursor !== undefined);
  return { fps: pages.flatMap((p) => p.alerts.map((a) => a.fingerprint)), pages };
}

async function clearAlerts(): Promise<void> {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  api = new RedisAlertApi(
    redis,
    keys,
    () => T0,
    async () => undefined,
  );
});
beforeEach(clearAlerts);
afterAll(async () => {
  await clearAlerts();
  await redis.quit();
});

describe('GET /v1/alerts pages (RedisAlertApi.listAlerts)', () => {
  const all = Array.from({ length: 83 }, (_, i) => alert(i));

  it('pages of every size list each alert exactly once, across the shards, newest first', async () => {
    await store(all);
    const shardsUsed = new Set(all.map((a) => keys.shardOf(a.labels.source ?? '')));
    expect(shardsUsed.size).toBeGreaterThan(1);
    for (const limit of [1, 3, 10, 82, 83, 1000]) {
      const { fps, pages } = await allPages({ limit });
      expect(fps, `limit ${limit}`).toEqual(ordered(all));
      expect(pages.every((p) => p.alerts.length <= limit)).toBe(true);
      // Only the last page has no cursor, and it is not an empty page after a full one.
      expect(pages.length).toBe(Math.ceil(all.length / limit));
    }
  });

  it('filters by status, severity, source and receiver, alone and together, across pages', async () => {
    await store(all);
    const cases: [Omit<AlertQuery, 'limit' | 'cursor'>, (a: Alert) => boolean][] = [
      [{ status: 'resolved' }, (a) => a.status === 'resolved'],
      [{ severity: 'critical' }, (a) => a.severity === 'critical'],
      [{ source: 'dca-2' }, (a) => a.labels.source === 'dca-2'],
      [{ receiver: 'pager' }, (a) => a.notified.includes('pager')],
      [{ receiver: 'email' }, (a) => a.told?.email !== undefined],
      [
        { status: 'firing', severity: 'warning', source: 'grid-1' },
        (a) => a.status === 'firing' && a.severity === 'warning' && a.labels.source === 'grid-1',
      ],
    ];
    for (const [filter, keep] of cases) {
      const want = ordered(all.filter(keep));
      expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
      for (const limit of [2, 5, 100]) {
        const { fps } = await allPages({ ...filter, limit });
        expect(fps, `${JSON.stringify(filter)} limit ${limit}`).toEqual(want);
      }
    }
  });

  it('a sparse filter ends a page short with a cursor instead of walking every shard', async () => {
    const many = Array.from({ length: 400 }, (_, i) => alert(i, { status: 'firing', notified: [] }));
    const last = alert(400, { lastSeenAt: T0 - 1000, notified: ['rare'], status: 'firing' });
    await store([...many, last]);
    const first = await api.listAlerts({ receiver: 'rare', limit: 5 });
    // Each round reads at most a page's worth per shard: the one match is far beyond the bound.
    expect(first.alerts).toEqual([]);
    expect(first.next).toBeDefined();
    const { fps, pages } = await allPages({ receiver: 'rare', limit: 5 });
    expect(fps).toEqual([last.fingerprint]);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(401 / (5 * MAX_PAGE_ROUNDS)) + 1);
  });

  it('a source filter reads only the shard of that source', async () => {
    await store(all);
    const watcher = new Redis(REDIS_URL);
    const monitor = await watcher.monitor();
    const touched = new Set<string>();
    monitor.on('monitor', (_time: string, args: string[]) => {
      for (const a of args) if (a.startsWith(`${prefix}:`)) touched.add(a);
    });
    try {
      // MONITOR sees commands after it starts: a marker shows when it does.
      await redis.get(`${prefix}:marker`);
      await waitFor(() => touched.has(`${prefix}:marker`), 5000, 'MONITOR to start');
      const { fps } = await allPages({ source: 'arb-1', limit: 3 });
      await redis.get(`${prefix}:end`);
      await waitFor(() => touched.has(`${prefix}:end`), 5000, 'MONITOR to catch up');
      expect(fps).toEqual(ordered(all.filter((a) => a.labels.source === 'arb-1')));
      const shard = keys.shardOf('arb-1');
      // Besides that shard, only the silences (read once a page, for `silencedBy`).
      const read = [...touched].filter(
        (k) => k !== `${prefix}:marker` && k !== `${prefix}:end` && k !== keys.silences(),
      );
      expect(read.length).toBeGreaterThan(0);
      expect(
        read.every((k) => k.startsWith(`${prefix}:{s${shard}}:`)),
        read.join(' '),
      ).toBe(true);
    } finally {
      monitor.disconnect();
      watcher.disconnect();
    }
  });

  it('keeps its place while alerts change between pages: none twice, none of the others lost', async () => {
    await store(all);
    const page1 = await api.listAlerts({ limit: 15 });
    const seen = page1.alerts.map((a) => a.fingerprint);
    expect(seen).toEqual(ordered(all).slice(0, 15));
    const rest = ordered(all).slice(15);
    const byFp = new Map(all.map((a) => [a.fingerprint, a]));
    const at = (fp: string) => byFp.get(fp) as Alert;
    // The alert the cursor points at is seen again (moves to the top), one already listed too,
    // one not yet listed is forgotten, and a new one arrives at the top.
    const cursorAlert = at(seen.at(-1) as string);
    const moved = [
      { ...cursorAlert, lastSeenAt: T0 + 500_000 },
      { ...at(seen[0] as string), lastSeenAt: T0 + 500_001 },
    ];
    const gone = at(rest[3] as string);
    const fresh = alert(900, { lastSeenAt: T0 + 600_000 });
    await store([...moved, fresh]);
    await forget(gone);
    let cursor = page1.next;
    const later: string[] = [];
    while (cursor !== undefined) {
      const p = await api.listAlerts({ limit: 15, cursor });
      later.push(...p.alerts.map((a) => a.fingerprint));
      cursor = p.next;
    }
    // Exactly the alerts after the cursor's position that are still there, in order.
    expect(later).toEqual(rest.filter((fp) => fp !== gone.fingerprint));
  });

  it('through the HTTP API: pages, filters, and 400 for a bad cursor', async () => {
    await store(all);
    const config = testConfig(prefix, 'http://127.0.0.1:9/hook', { queue: { shards: SHARDS } });
    const app = await App.start({ config, role: 'api', port: 0, logger: silentLogger(), scheduler: false });
    try {
      await waitFor(async () => (await fetch(`${app.url}/ready`)).status === 200, 10_000, 'Redis');
      const get = async (q: string) => {
        const res = await fetch(`${app.url}/v1/alerts${q}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return {
          status: res.status,
          body: (await res.json()) as AlertPage & { errors?: { path: string }[] },
        };
      };
      const fps: string[] = [];
      let q = '?severity=critical&limit=4';
      for (;;) {
        const { status, body } = await get(q);
        expect(status, JSON.stringify(body)).toBe(200);
        fps.push(...body.alerts.map((a) => a.fingerprint));
        if (!body.next) break;
        q = `?severity=critical&limit=4&cursor=${body.next}`;
      }
      expect(fps).toEqual(ordered(all.filter((a) => a.severity === 'critical')));
      const first = await get('');
      expect(first.body.alerts).toHaveLength(83);
      expect(first.body.next).toBeUndefined();
      const bad = await get(`?cursor=${Buffer.from('[1,"x y"]').toString('base64url')}`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors?.map((e) => e.path)).toEqual(['cursor']);
    } finally {
      await app.stop();
      await cleanRedis(config);
    }
  });
});

describe('GET /v1/alerts/:fingerprint/history (RedisAlertApi.alertHistory)', () => {
  const entries = (a: Alert): HistoryEntry[] => [
    { t: T0, type: 'transition', fp: a.fingerprint, name: a.name, severity: a.severity, status: 'firing' },
    {
      t: T0 + 10,
      type: 'notification',
      fp: a.fingerprint,
      name: a.name,
      severity: a.severity,
      kind: 'firing',
      receiver: 'hook',
    },
    {
      t: T0 + 5000,
      type: 'acknowledged',
      fp: a.fingerprint,
      name: a.name,
      severity: a.severity,
      by: 'alice',
    },
  ];

  /** The log as the commit keeps it: newest first. */
  async function log(a: Alert, list: HistoryEntry[]): Promise<void> {
    const key = keys.alertLog(keys.shardOf(a.labels.source ?? ''), a.fingerprint);
    await redis.lpush(key, ...list.map((e) => JSON.stringify(e)));
  }

  it('gives the alert and its log newest first; the log alone once the alert is forgotten', async () => {
    const a = alert(1);
    await store([a]);
    await log(a, entries(a));
    expect(await api.alertHistory(a.fingerprint)).toEqual({ alert: a, history: entries(a).reverse() });
    await forget(a);
    expect(await api.alertHistory(a.fingerprint)).toEqual({ history: entries(a).reverse() });
    expect(await api.getAlert(a.fingerprint)).toBeUndefined();
  });

  it('an alert without a log yet has an empty history; an unknown fingerprint has none', async () => {
    const a = alert(2);
    await store([a]);
    expect(await api.alertHistory(a.fingerprint)).toEqual({ alert: a, history: [] });
    expect(await api.alertHistory('ffffffffffffffffffffffff')).toBeUndefined();
  });
});
