import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { LaneHarness, type LaneKind } from '../support/lane.js';
import { TestKlaxon } from '../support/klaxon.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const SEC = 1000;
const M = 60 * SEC;
const H = 60 * M;
const D = 24 * H;

const ANOMALY = {
  name: 'trades_anomaly',
  kind: 'anomaly',
  metric: 'trades_per_minute',
  detector: { type: 'zscore', window: 20, threshold: 3 },
};
const LOSS = { name: 'loss', kind: 'threshold', metric: 'loss', op: '>=', bands: { warning: 100 } };

const base = (idle: Record<string, unknown> = {}) => ({
  routes: { receivers: ['console'] },
  defaults: { repeat: 'never' },
  queue: { shards: 2 },
  rules: [ANOMALY, LOSS],
  limits: { idle_evict: { series: '7d', sources: '7d', ...idle } },
});

const anomalyKey = (source: string) => `trades_anomaly|${source}|trades_per_minute|`;
const lossKey = (source: string) => `loss|${source}|loss|`;

describe.each<LaneKind>(['memory', 'redis'])('idle eviction on %s lanes', (kind) => {
  let h: LaneHarness;
  afterEach(async () => h?.close());

  /** The stored state under `key` of `source`'s lane, or undefined. */
  const state = async (source: string, key: string) =>
    (await h.store.loadRules(h.store.shardOf(source), [key])).states.get(key);

  /** What the last-seen indexes hold of `source`: its entry and its series. */
  const tracked = async (source: string) => {
    const all = await h.store.idle(h.store.shardOf(source), {
      seriesBefore: Infinity,
      sourcesBefore: Infinity,
      limit: 1000,
    });
    const entry = all.sources.find((s) => s.source === source);
    return {
      source: entry !== undefined,
      series: all.series
        .filter((s) => s.key.split('|')[1] === source)
        .map((s) => s.key)
        .sort(),
      seen: entry?.seen,
    };
  };

  /** 30 steady samples of trades_per_minute from `t`, a second apart. */
  const warm = async (source: string, t: number) => {
    for (let i = 0; i < 30; i++) await h.metrics(t + i * SEC, source, { trades_per_minute: 10 + (i % 2) });
  };

  it('indexes what an input touches, at its time; a series idle past the limit is forgotten at the next sweep, once', async () => {
    h = await LaneHarness.start(kind, base(), 'evict-series');
    await warm('bot-a', T0);
    await h.metrics(T0 + M, 'bot-a', { loss: 5 });
    expect(await tracked('bot-a')).toEqual({
      source: true,
      series: [lossKey('bot-a'), anomalyKey('bot-a')].sort(),
      seen: T0 + M,
    });
    // Idle for just under seven days: kept.
    await h.tick(T0 + 29 * SEC + 7 * D - 1);
    expect(await state('bot-a', anomalyKey('bot-a'))).toBeDefined();
    // The loss series was seen a minute later than the detector's.
    await h.tick(T0 + 29 * SEC + 7 * D);
    expect(await state('bot-a', anomalyKey('bot-a'))).toBeUndefined();
    expect(await state('bot-a', lossKey('bot-a'))).toBeDefined();
    expect(await tracked('bot-a')).toMatchObject({ source: true, series: [lossKey('bot-a')] });
    await h.tick(T0 + M + 7 * D);
    expect(await state('bot-a', lossKey('bot-a'))).toBeUndefined();
    expect(await tracked('bot-a')).toEqual({ source: false, series: [], seen: undefined });
    // Run again: nothing left to forget, nothing told.
    await h.tick(T0 + M + 7 * D);
    await h.tick(T0 + 9 * D);
    expect(await tracked('bot-a')).toEqual({ source: false, series: [], seen: undefined });
    expect(h.take()).toEqual([]);
  });

  it('a detector warms up again after its series was forgotten', async () => {
    h = await LaneHarness.start(kind, base(), 'evict-warmup');
    await warm('bot-a', T0);
    await warm('bot-b', T0);
    // bot-b keeps reporting, bot-a falls silent for more than a week.
    await h.metrics(T0 + 6 * D, 'bot-b', { trades_per_minute: 10 });
    await h.tick(T0 + 7 * D + H);
    expect(await state('bot-a', anomalyKey('bot-a'))).toBeUndefined();
    expect(await state('bot-b', anomalyKey('bot-b'))).toBeDefined();
    // The same spike: bot-b's detector knows its history and fires; bot-a's starts from nothing.
    const t1 = T0 + 8 * D;
    await h.metrics(t1, 'bot-b', { trades_per_minute: 30 });
    await h.metrics(t1, 'bot-a', { trades_per_minute: 30 });
    expect(h.take()).toEqual(['firing trades_anomaly warning -> console']);
    expect(h.told).toEqual([]);
    // Once warm again, bot-a's detector fires on a spike as before.
    await warm('bot-a', t1 + SEC);
    expect(h.take()).toEqual([]);
    await h.metrics(t1 + H, 'bot-a', { trades_per_minute: 30 });
    expect(h.take()).toEqual(['firing trades_anomaly warning -> console']);
  });

  it('a firing condition keeps its state however long its source is silent, and resolves when data returns', async () => {
    h = await LaneHarness.start(kind, base(), 'evict-firing');
    await h.metrics(T0, 'bot-a', { loss: 150 });
    expect(h.take()).toEqual(['firing loss warning -> console']);
    await h.tick(T0 + 8 * D);
    expect(await state('bot-a', lossKey('bot-a'))).toMatchObject({ b: { status: 'firing' } });
    // Kept counts as seen at the sweep: looked at again only after another idle time.
    expect(await tracked('bot-a')).toEqual({ source: true, series: [lossKey('bot-a')], seen: T0 + 8 * D });
    await h.tick(T0 + 30 * D);
    expect(await state('bot-a', lossKey('bot-a'))).toMatchObject({ b: { status: 'firing' } });
    await h.metrics(T0 + 31 * D, 'bot-a', { loss: 10 });
    expect(h.take()).toEqual(['resolved loss warning -> console']);
    // Resolved, then idle for a week: forgotten.
    await h.tick(T0 + 38 * D + M);
    expect(await tracked('bot-a')).toEqual({ source: false, series: [], seen: undefined });
  });

  it('a source idle past limits.idle_evict.sources goes with every series it has', async () => {
    h = await LaneHarness.start(kind, base({ series: 'never', sources: '1d' }), 'evict-source');
    await h.metrics(T0, 'bot-a', { loss: 5, trades_per_minute: 10 });
    await h.metrics(T0, 'bot-b', { loss: 5 });
    await h.metrics(T0 + 12 * H, 'bot-b', { loss: 6 });
    await h.tick(T0 + D + H);
    expect(await tracked('bot-a')).toEqual({ source: false, series: [], seen: undefined });
    expect(await state('bot-a', lossKey('bot-a'))).toBeUndefined();
    expect(await tracked('bot-b')).toEqual({ source: true, series: [lossKey('bot-b')], seen: T0 + 12 * H });
  });

  it('a state its rule deletes on a timer leaves the index with it', async () => {
    const errors = { name: 'errors', kind: 'count', event: 'api_error', window: '1m', bands: { warning: 5 } };
    h = await LaneHarness.start(kind, { ...base(), rules: [errors] }, 'evict-deleted');
    await h.event(T0, 'bot-a', 'api_error');
    expect(await tracked('bot-a')).toEqual({ source: true, series: ['errors|bot-a|source=bot-a'], seen: T0 });
    await h.tick(T0 + 2 * M);
    expect(await state('bot-a', 'errors|bot-a|source=bot-a')).toBeUndefined();
    expect(await tracked('bot-a')).toEqual({ source: true, series: [], seen: T0 });
    // The source, left without series, goes at its own idle time.
    await h.tick(T0 + 7 * D);
    expect(await tracked('bot-a')).toEqual({ source: false, series: [], seen: undefined });
  });

  it('the watch of an expected source is indexed when seeded and never forgotten', async () => {
    const silent = { name: 'silent', kind: 'absence', expect: ['bot-x'], bands: { warning: '90d' } };
    h = await LaneHarness.start(kind, { ...base(), rules: [silent] }, 'evict-expected');
    await h.tick(T0);
    expect(await tracked('bot-x')).toEqual({ source: true, series: ['silent|bot-x'], seen: T0 });
    // Not firing yet (90 days), idle for more than a week: kept all the same.
    await h.tick(T0 + 8 * D);
    expect(await state('bot-x', 'silent|bot-x')).toBeDefined();
    expect(await tracked('bot-x')).toEqual({ source: true, series: ['silent|bot-x'], seen: T0 + 8 * D });
    expect(h.take()).toEqual([]);
  });

  it('`never` keeps everything', async () => {
    h = await LaneHarness.start(kind, base({ series: 'never', sources: 'never' }), 'evict-never');
    await h.metrics(T0, 'bot-a', { loss: 5 });
    await h.tick(T0 + 365 * D);
    expect(await tracked('bot-a')).toMatchObject({ source: true, series: [lossKey('bot-a')] });
  });
});

describe('caps and /metrics on a running Klaxon', () => {
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-eviction-${process.pid}`);
  beforeAll(() =>
    k.start(
      {
        rules: [
          { name: 'loss', kind: 'threshold', metric: 'loss', bands: { warning: 100 } },
          { name: 'equity', kind: 'threshold', metric: 'equity', op: '<', bands: { warning: -1 } },
          { name: 'latency', kind: 'threshold', metric: 'latency', bands: { warning: 1000 } },
        ],
        limits: { max_sources: 3, max_series_per_source: 2 },
      },
      { clock: clock.now },
    ),
  );
  afterAll(() => k.close());

  const scrape = async () => {
    const text = await (await fetch(`${k.app.url}/metrics`)).text();
    const value = (line: string) => {
      const row = text.split('\n').find((l) => l.startsWith(`${line} `));
      return row === undefined ? undefined : Number(row.slice(line.length + 1));
    };
    return {
      sources: value('klaxon_tracked_sources'),
      series: value('klaxon_tracked_series'),
      refusedSeries: value('klaxon_inputs_refused_total{limit="max_series_per_source"}'),
      refusedSources: value('klaxon_inputs_refused_total{limit="max_sources"}'),
      evictedSeries: value('klaxon_evictions_total{what="series"}'),
      evictedSources: value('klaxon_evictions_total{what="source"}'),
    };
  };

  it('refuses a new series past max_series_per_source with a 422 naming the field and the limit; tracked series go on', async () => {
    await k.push('/v1/metrics', { source: 'bot-a', metrics: { loss: 1, equity: 5 } });
    await k.idle();
    const res = await k.post('/v1/metrics', { source: 'bot-a', metrics: { loss: 2, latency: 10 } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; message: string; errors: { path: string }[] };
    expect(body).toMatchObject({ error: 'limit_exceeded', errors: [{ path: 'metrics.latency' }] });
    expect(body.message).toMatch(
      /^metrics\.latency: would be series 3 of source 'bot-a' \(rule 'latency'\); the limit is 2 \(limits\.max_series_per_source\)$/,
    );
    await k.push('/v1/metrics', { source: 'bot-a', metrics: { loss: 2, equity: 6 } });
  });

  it('refuses a new source past max_sources; known sources go on', async () => {
    await k.push('/v1/events', [
      { source: 'bot-b', type: 'heartbeat' },
      { source: 'bot-c', type: 'heartbeat' },
    ]);
    await k.idle();
    const res = await k.post('/v1/events', [
      { source: 'bot-b', type: 'heartbeat' },
      { source: 'bot-d', type: 'heartbeat' },
    ]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; message: string; errors: { path: string }[] };
    expect(body.error).toBe('limit_exceeded');
    expect(body.errors.map((e) => e.path)).toEqual(['[1].source']);
    expect(body.message).toMatch(
      /^\[1\]\.source: source 'bot-d' is new and 3 sources are tracked; the limit is 3 \(limits\.max_sources\)$/,
    );
    // The same refusal on every route.
    const alert = await k.post('/v1/alerts', { source: 'bot-e', name: 'x', severity: 'info', title: 'x' });
    expect(alert.status).toBe(422);
    await k.push('/v1/events', { source: 'bot-b', type: 'heartbeat' });
    await k.idle();
  });

  it('/metrics counts tracked sources and series, refusals and evictions; eviction frees the caps', async () => {
    expect(await scrape()).toEqual({
      sources: 3,
      series: 2,
      refusedSeries: 2,
      refusedSources: 3,
      evictedSeries: 0,
      evictedSources: 0,
    });
    clock.set(T0 + 8 * D);
    await k.app.sweep();
    await k.idle();
    expect(await scrape()).toMatchObject({ sources: 0, series: 0, evictedSeries: 2, evictedSources: 3 });
    await k.push('/v1/events', { source: 'bot-d', type: 'heartbeat' });
    await k.push('/v1/metrics', { source: 'bot-a', metrics: { latency: 10, loss: 1 } });
  });
});
