import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IngestBatch } from '../../src/model/batch.js';
import { ManualClock } from '../../src/model/clock.js';
import { createLogger } from '../../src/ops/logger.js';
import { ruleSchema } from '../../src/detectors/rules/schema.js';
import { StateCaps } from '../../src/ingest/caps.js';
import { KlaxonMetrics } from '../../src/ops/metrics.js';
import { scrapeSchema } from '../../src/scrape/schema.js';
import { Scraper } from '../../src/scrape/scraper.js';
import { Keys } from '../../src/state/keys.js';
import { REDIS_URL } from '../support/klaxon.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const SECRET = 'Bearer scrape-secret-0123456789';

/**
 * One scrape against real local HTTP servers, with a real Redis for the counter memory and the
 * clock injected: what is queued, and how each kind of failure is told.
 */
describe('Scraper', () => {
  const prefix = `klaxon-test-scraper-${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const keys = new Keys(prefix, 2);
  let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: '' };
  let seenAuth: (string | undefined)[] = [];
  let server: http.Server;
  let base = '';
  let refusedUrl = '';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seenAuth.push(req.headers.authorization);
      const { status, body, delayMs } = answer;
      setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(body), delayMs ?? 0);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/metrics`;
    await new Promise<void>((r) => closed.close(() => r()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    const found = await redis.keys(`${prefix}:*`);
    if (found.length > 0) await redis.del(...found);
    redis.disconnect();
  });

  let queued: IngestBatch[];
  let logs: string[];
  let metrics: KlaxonMetrics;
  const clock = new ManualClock(T0);
  beforeEach(() => {
    queued = [];
    logs = [];
    seenAuth = [];
    metrics = new KlaxonMetrics({ defaultMetrics: false });
    clock.set(T0);
  });

  const scraper = (raw: Record<string, unknown>[], caps?: StateCaps) =>
    new Scraper({
      ...(caps ? { caps } : {}),
      targets: scrapeSchema.parse(raw),
      keys,
      redis,
      enqueue: async (b) => {
        queued.push(b);
      },
      metrics,
      logger: createLogger({
        level: 'debug',
        destination: new Writable({
          write(c: Buffer, _e, done) {
            logs.push(c.toString('utf8'));
            done();
          },
        }),
      }),
      clock: clock.now,
    });

  it('queues one batch per scrape, at the scrape time, with the headers sent; counters become rates', async () => {
    const s = scraper([
      {
        name: 'rates',
        url: `${base}/metrics`,
        headers: { authorization: SECRET },
        map: { up_total: { name: 'ups', as: 'rate' }, g: 'gauge_value' },
      },
    ]);
    answer = { status: 200, body: '# TYPE up_total counter\nup_total 10\n# TYPE g gauge\ng 3\n' };
    expect(await s.scrape('rates', 'run-1')).toEqual({ ok: true, snapshots: 1, events: 1 });
    clock.set(T0 + 20_000);
    answer = { status: 200, body: '# TYPE up_total counter\nup_total 50\n# TYPE g gauge\ng 4\n' };
    expect(await s.scrape('rates', 'run-2')).toEqual({ ok: true, snapshots: 1, events: 1 });
    expect(
      queued.map((b) => [b.id, b.receivedAt, b.snapshots[0]?.metrics, b.events.map((e) => e.type)]),
    ).toEqual([
      ['scrape.rates.run-1', T0, { gauge_value: 3 }, ['heartbeat']],
      ['scrape.rates.run-2', T0 + 20_000, { ups: 2, gauge_value: 4 }, ['heartbeat']],
    ]);
    expect(seenAuth).toEqual([SECRET, SECRET]);
    expect(await redis.pttl(keys.scrapeMemory('rates'))).toBeGreaterThan(500_000);
    const text = await metrics.registry.getSingleMetricAsString('klaxon_inputs_total');
    expect(text).toContain('klaxon_inputs_total{kind="sample"} 3');
  });

  it.each([
    ['a timeout', { status: 200, body: 'x 1\n', delayMs: 1000 }, 'timeout'],
    ['an HTTP error', { status: 500, body: 'oops' }, 'http'],
    ['a body that is not the text format', { status: 200, body: 'x 1\ny{ 2\n' }, 'parse'],
  ])('%s pushes nothing, counts a failure and logs it without the headers', async (_what, a, reason) => {
    answer = a;
    const s = scraper([
      {
        name: 'bad',
        url: `${base}/metrics`,
        timeout: '200ms',
        headers: { authorization: SECRET },
        map: { x: 'x' },
      },
    ]);
    const started = Date.now();
    const out = await s.scrape('bad', 'run-1');
    expect(out).toMatchObject({ ok: false, reason });
    expect(Date.now() - started).toBeLessThan(900);
    expect(queued).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('klaxon_scrape_failures_total')).toContain(
      'klaxon_scrape_failures_total{target="bad"} 1',
    );
    const log = logs.join('');
    expect(log).toContain('"level":40');
    expect(log).toContain(`"reason":"${reason}"`);
    expect(log).not.toContain('scrape-secret');
    if (reason === 'parse') expect(log).toContain('line 2');
  });

  it('a refused connection is a failure; the next one logs at debug, the recovery at info', async () => {
    const s = scraper([{ name: 'gone', url: refusedUrl, map: { x: 'x' } }]);
    expect(await s.scrape('gone', 'a')).toMatchObject({ ok: false, reason: 'refused' });
    expect(await s.scrape('gone', 'b')).toMatchObject({ ok: false, reason: 'refused' });
    const levels = logs.map((l) => (JSON.parse(l) as { level: number; msg: string }).level);
    expect(levels).toEqual([40, 20]);
  });

  it('keeps to the caps of limits as a push does: past the series cap the metrics stay out, the heartbeat goes', async () => {
    const rules = ['a', 'b'].map((m) =>
      ruleSchema.parse({ name: `${m}_high`, kind: 'threshold', metric: m, bands: { warning: 100 } }),
    );
    const caps = (maxSources: number) =>
      new StateCaps(redis, keys, rules, { maxSources, maxSeriesPerSource: 1 }, 0);
    answer = { status: 200, body: 'a 1\nb 2\n' };
    const target = { name: 'wide', url: `${base}/metrics`, source: 'bot-wide', map: { a: 'a', b: 'b' } };
    const out = await scraper([target], caps(10)).scrape('wide', 'r1');
    expect(out).toMatchObject({ ok: false, reason: 'limit' });
    expect(out.ok === false && out.message).toMatch(
      /limits\.max_series_per_source.*its metrics were left out/,
    );
    expect(queued.map((b) => [b.snapshots.length, b.events.map((e) => [e.source, e.type])])).toEqual([
      [0, [['bot-wide', 'heartbeat']]],
    ]);
    // The two samples left out count as refused; the heartbeat went.
    expect(await metrics.registry.getSingleMetricAsString('klaxon_inputs_refused_total')).toContain(
      'klaxon_inputs_refused_total{limit="max_series_per_source"} 2',
    );
    expect(logs.join('')).toContain('scrape refused by limits');
    // No room for a new source at all: nothing is queued.
    queued = [];
    const none = await scraper([target], caps(0)).scrape('wide', 'r2');
    expect(none).toMatchObject({ ok: false, reason: 'limit' });
    expect(none.ok === false && none.message).toMatch(/limits\.max_sources.*nothing was queued/);
    expect(queued).toEqual([]);
    // Within the caps, the scrape goes whole.
    queued = [];
    const wide = new StateCaps(redis, keys, rules, { maxSources: 10, maxSeriesPerSource: 10 }, 0);
    expect(await scraper([target], wide).scrape('wide', 'r3')).toMatchObject({ ok: true, snapshots: 1 });
    expect(queued[0]?.snapshots[0]?.metrics).toEqual({ a: 1, b: 2 });
  });

  it('past the series cap, events from counters still go once each: the counter values are kept', async () => {
    const rules = [
      ruleSchema.parse({ name: 'a_high', kind: 'threshold', metric: 'a', bands: { warning: 100 } }),
      ruleSchema.parse({ name: 'b_high', kind: 'threshold', metric: 'b', bands: { warning: 100 } }),
    ];
    const caps = new StateCaps(redis, keys, rules, { maxSources: 10, maxSeriesPerSource: 1 }, 0);
    const target = {
      name: 'counting',
      url: `${base}/metrics`,
      source: 'bot-counting',
      heartbeat: false,
      map: { a: 'a', b: 'b', fails_total: { event: 'order_failed' } },
    };
    const s = scraper([target], caps);
    const body = (n: number) => `a 1\nb 2\n# TYPE fails_total counter\nfails_total ${n}\n`;
    for (const [i, n] of [0, 2, 3].entries()) {
      answer = { status: 200, body: body(n) };
      clock.set(T0 + i * 15_000);
      expect(await s.scrape('counting', `r${i}`)).toMatchObject({ ok: false, reason: 'limit' });
    }
    // 0 -> 2 -> 3 is three failed orders, told once each although the metrics were refused.
    expect(queued.flatMap((b) => b.events.map((e) => e.type))).toEqual([
      'order_failed',
      'order_failed',
      'order_failed',
    ]);
    expect(queued.every((b) => b.snapshots.length === 0)).toBe(true);
  });

  it('a health target answering 503 queues bot_unhealthy and the heartbeat', async () => {
    answer = { status: 503, body: '{"status":"unhealthy","reason":"broker_unreachable"}' };
    const s = scraper([{ name: 'h', url: `${base}/health`, format: 'health', source: 'bot-9' }]);
    expect(await s.scrape('h', 'r')).toEqual({ ok: true, snapshots: 0, events: 2 });
    expect(queued[0]?.events.map((e) => [e.source, e.type, e.severity])).toEqual([
      ['bot-9', 'heartbeat', undefined],
      ['bot-9', 'bot_unhealthy', 'high'],
    ]);
  });
});
