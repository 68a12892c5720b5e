import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BotEvent, Snapshot } from '../../src/model/batch.js';
import { parseExposition } from '../../src/scrape/exposition.js';
import { bucketQuantile, mapScrape, MAX_EVENTS_PER_SERIES, type ScrapeMemory } from '../../src/scrape/map.js';
import { scrapeSchema, type ScrapeTarget } from '../../src/scrape/schema.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/scrape/${name}`, import.meta.url), 'utf8');
const T0 = Date.parse('2026-11-20T09:00:00Z');

/** A target as the config schema makes it (maps resolved, defaults filled). */
function target(raw: Record<string, unknown>): ScrapeTarget {
  const [t] = scrapeSchema.parse([{ name: 'bot-1', url: 'http://127.0.0.1:9000/metrics', ...raw }]);
  return t as ScrapeTarget;
}

/** Scrapes `texts` one after another, 15 s apart, carrying the memory: the last result. */
function scrapes(t: ScrapeTarget, ...texts: string[]) {
  let memory: ScrapeMemory | undefined;
  let result: ReturnType<typeof mapScrape> | undefined;
  texts.forEach((text, i) => {
    result = mapScrape(parseExposition(text), t, memory, T0 + i * 15_000);
    memory = result.memory;
  });
  return result as ReturnType<typeof mapScrape>;
}

/** The metrics of the snapshot with these labels. */
const metricsOf = (snaps: Snapshot[], labels: Record<string, string> = {}) =>
  snaps.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.metrics;
const types = (events: BotEvent[]) => events.map((e) => e.type);

describe('mapping a scrape onto standard names', () => {
  it('coinbase_trader: the preset map gives the standard names, per-symbol exposure keeps its label', () => {
    const r = scrapes(target({ map: 'coinbase_trader' }), fixture('coinbase_trader.prom'));
    expect(metricsOf(r.snapshots)).toEqual({
      equity: 50234.56,
      daily_pnl: 1234.56,
      realized_pnl: 1100,
      unrealized_pnl: 200,
      funding_pnl: -65.44,
      open_orders: 3,
      cycle_latency_ms: 212,
      circuit_breaker: 0,
      cpu_percent: 12.5,
      memory_percent: 41.2,
      disk_percent: 63,
    });
    expect(metricsOf(r.snapshots, { symbol: 'BTC_USD' })).toEqual({ exposure_usd: 12500 });
    expect(metricsOf(r.snapshots, { symbol: 'ETH_USD' })).toEqual({ exposure_usd: 4300.5 });
    expect(r.snapshots.every((s) => s.source === 'bot-1' && s.ts === T0)).toBe(true);
    // Unmapped metrics (network, per-symbol PnL) are not pushed; the first scrape has no increases.
    expect(types(r.events)).toEqual(['heartbeat']);
    expect(r.events[0]).toEqual({ source: 'bot-1', ts: T0, type: 'heartbeat', data: { scrape: 'bot-1' } });
  });

  it('coinbase_trader: a counter that rose by 3 since the last scrape is 3 events of its type', () => {
    const before = fixture('coinbase_trader.prom');
    const after = before
      .replace(
        'coinbase_trader_websocket_reconnects_total 2.0',
        'coinbase_trader_websocket_reconnects_total 5.0',
      )
      .replace('coinbase_trader_stale_marks_total 0.0', 'coinbase_trader_stale_marks_total 1.0');
    const r = scrapes(target({ map: 'coinbase_trader' }), before, after);
    expect(types(r.events).sort()).toEqual([
      'heartbeat',
      'stale_mark_detected',
      'websocket_reconnect',
      'websocket_reconnect',
      'websocket_reconnect',
    ]);
    expect(r.events.every((e) => e.ts === T0 + 15_000)).toBe(true);
  });

  it('perps_bot: the running daily loss becomes a negative daily_pnl beside its limit; staleness in s', () => {
    const r = scrapes(target({ map: 'perps_bot' }), fixture('perps_bot.prom'));
    expect(metricsOf(r.snapshots)).toEqual({
      cycle_latency_ms: 1840,
      daily_pnl: -120,
      daily_loss_limit: 1000,
      market_data_staleness_s: 1.2,
    });
  });

  it('gpt_trader: broker p95 and cycle p95 over the interval, order error rate, guard trips as events', () => {
    const before = fixture('gpt_trader.prom');
    // 20 more successful submit calls, 15 under 0.1 s and 5 between 0.25 and 0.5 s; 10 more orders, 2 failed.
    const after = before
      .replace(
        'le="0.05",operation="submit",outcome="success",reason="none"} 10.0',
        'le="0.05",operation="submit",outcome="success",reason="none"} 15.0',
      )
      .replace(
        'le="0.1",operation="submit",outcome="success",reason="none"} 50.0',
        'le="0.1",operation="submit",outcome="success",reason="none"} 65.0',
      )
      .replace(
        'le="0.25",operation="submit",outcome="success",reason="none"} 70.0',
        'le="0.25",operation="submit",outcome="success",reason="none"} 85.0',
      )
      .replace(
        'le="0.5",operation="submit",outcome="success",reason="none"} 76.0',
        'le="0.5",operation="submit",outcome="success",reason="none"} 96.0',
      )
      .replace(
        'le="1.0",operation="submit",outcome="success",reason="none"} 78.0',
        'le="1.0",operation="submit",outcome="success",reason="none"} 98.0',
      )
      .replace(
        'le="+Inf",operation="submit",outcome="success",reason="none"} 78.0',
        'le="+Inf",operation="submit",outcome="success",reason="none"} 98.0',
      )
      .replace('result="success",side="buy"} 40.0', 'result="success",side="buy"} 48.0')
      .replace('result="failed",side="sell"} 1.0', 'result="failed",side="sell"} 3.0')
      .replace(
        'guard="slippage_guard",recoverable="true"} 3.0',
        'guard="slippage_guard",recoverable="true"} 4.0',
      );
    const first = scrapes(target({ map: 'gpt_trader' }), before);
    expect(metricsOf(first.snapshots)).toEqual({ equity: 25012.75 }); // nothing to compare with yet
    const r = scrapes(target({ map: 'gpt_trader' }), before, after);
    const m = metricsOf(r.snapshots) as Record<string, number>;
    expect(m.equity).toBe(25012.75);
    // 20 calls: rank 19 falls in (0.25, 0.5], which holds calls 16..20: 0.25 + 0.25 * 4/5.
    expect(m.api_latency_ms).toBeCloseTo(450, 6);
    expect(m.order_error_rate).toBeCloseTo(2 / 10, 9);
    expect(m.cycle_latency_ms).toBeUndefined(); // the cycle histogram did not move: no observation
    const guard = r.events.filter((e) => e.type === 'guard_triggered');
    expect(guard).toHaveLength(1);
    expect(guard[0]?.data).toMatchObject({ guard: 'slippage_guard', category: 'execution' });
  });

  it('trading_bot: equity keeps its currency, trades per minute from the counter rate, p95 latency in ms', () => {
    const before = fixture('trading_bot.prom');
    const after = before
      .replace(
        'outcome="win",side="buy",symbol="BTC-USDC"} 12.0',
        'outcome="win",side="buy",symbol="BTC-USDC"} 14.0',
      )
      .replace(
        'outcome="loss",side="sell",symbol="BTC-USDC"} 7.0',
        'outcome="loss",side="sell",symbol="BTC-USDC"} 8.0',
      )
      .replace(
        /le="(0\.5|1\.0|2\.0|5\.0|10\.0|30\.0|\+Inf)",method="POST",status="success"\} 1[89]\.0/g,
        (s) => s.replace(/1[89]\.0$/, (n) => `${Number(n) + 10}.0`),
      )
      .replace('trading_bot_websocket_reconnects_total 2.0', 'trading_bot_websocket_reconnects_total 3.0');
    const r = scrapes(target({ map: 'trading_bot' }), before, after);
    expect(metricsOf(r.snapshots, { currency: 'USDC' })).toEqual({ equity: 10412.8 });
    const m = metricsOf(r.snapshots) as Record<string, number>;
    expect(m.trades_per_minute).toBeCloseTo((3 / 15) * 60, 9); // 3 trades in 15 s
    expect(m.drawdown_pct).toBe(4.1);
    expect(m.cpu_percent).toBe(7.9);
    // 10 requests, all in (0.1, 0.5]: p95 = 0.1 + 0.4 * 9.5/10 s.
    expect(m.api_latency_ms).toBeCloseTo((0.1 + 0.4 * 0.95) * 1000, 6);
    expect(metricsOf(r.snapshots, { url: 'wss://api.hyperliquid.xyz/ws' })).toEqual({ ws_connected: 1 });
    expect(metricsOf(r.snapshots, { symbol: 'BTC-USDC' })).toEqual({ unrealized_pnl: -35.2 });
    expect(types(r.events).sort()).toEqual(['heartbeat', 'websocket_reconnect']);
  });

  it('a counter reset counts from zero; rate is per second of the real interval', () => {
    const t = target({
      map: { c_total: { name: 'c_rate', as: 'rate' }, d_total: { name: 'd_inc', as: 'increase' } },
    });
    const at = (ts: number, c: number, d: number, prev?: ScrapeMemory) =>
      mapScrape(
        parseExposition(`# TYPE c_total counter\nc_total ${c}\n# TYPE d_total counter\nd_total ${d}\n`),
        t,
        prev,
        ts,
      );
    const a = at(T0, 100, 10);
    expect(a.snapshots).toEqual([]);
    const b = at(T0 + 10_000, 150, 12, a.memory);
    expect(metricsOf(b.snapshots)).toEqual({ c_rate: 5, d_inc: 2 });
    const c = at(T0 + 30_000, 20, 1, b.memory); // both restarted
    expect(metricsOf(c.snapshots)).toEqual({ c_rate: 1, d_inc: 1 });
    expect(c.memory).toEqual({ ts: T0 + 30_000, values: expect.any(Object) as unknown });
  });

  it('counters default to a rate, gauges to their value; scale changes units', () => {
    const t = target({ map: { x_seconds: { name: 'x_ms', scale: 1000 }, y_total: 'y_per_s' } });
    const text = (y: number) =>
      `# TYPE x_seconds gauge\nx_seconds 0.25\n# TYPE y_total counter\ny_total ${y}\n`;
    expect(metricsOf(scrapes(t, text(0), text(30)).snapshots)).toEqual({ x_ms: 250, y_per_s: 2 });
  });

  it('`by` adds up series over the other labels; `match` picks series', () => {
    const text = [
      '# TYPE pos gauge',
      'pos{symbol="BTC",side="long"} 2',
      'pos{symbol="BTC",side="short"} 3',
      'pos{symbol="ETH",side="long"} 5',
    ].join('\n');
    expect(
      scrapes(target({ map: { pos: { name: 'open_positions', by: ['symbol'] } } }), text).snapshots,
    ).toEqual([
      { source: 'bot-1', ts: T0, metrics: { open_positions: 5 }, labels: { symbol: 'BTC' } },
      { source: 'bot-1', ts: T0, metrics: { open_positions: 5 }, labels: { symbol: 'ETH' } },
    ]);
    const longOnly = target({ map: { pos: { name: 'long_positions', by: [], match: { side: 'lo*' } } } });
    expect(metricsOf(scrapes(longOnly, text).snapshots)).toEqual({ long_positions: 7 });
  });

  it('`match` takes a list of globs; a series without the label matches as its empty value', () => {
    const text = [
      '# TYPE pos gauge',
      'pos{side="long"} 2',
      'pos{side="short"} 3',
      'pos{side="flat"} 7',
      'pos 11',
    ].join('\n');
    const sum = (match: Record<string, unknown>) =>
      metricsOf(scrapes(target({ map: { pos: { name: 'p', by: [], match } } }), text, text).snapshots);
    expect(sum({ side: ['lo*', 'sh?rt'] })).toEqual({ p: 5 });
    expect(sum({ side: ['', 'f*'] })).toEqual({ p: 18 });
    expect(sum({ side: 'nothing*' })).toBeUndefined();
  });

  it('`source_label` spreads one exporter over several sources, each with its heartbeat', () => {
    const t = target({ source_label: 'bot', map: { equity_usd: 'equity' } });
    const text = [
      '# TYPE equity_usd gauge',
      'equity_usd{bot="grid-1"} 100',
      'equity_usd{bot="dca-eth"} 200',
      'equity_usd{bot="../bad"} 300',
      'equity_usd 400',
    ].join('\n');
    const r = scrapes(t, text);
    expect(r.snapshots.map((s) => [s.source, s.metrics.equity, s.labels])).toEqual([
      ['grid-1', 100, {}],
      ['dca-eth', 200, {}],
    ]);
    expect(r.events.map((e) => `${e.type}:${e.source}`)).toEqual(['heartbeat:grid-1', 'heartbeat:dca-eth']);
    expect(r.notes.join('\n')).toMatch(/not a valid source[\s\S]*without the label bot/);
  });

  it('`include` pushes unmapped metrics under their own names (histogram buckets left out); labels are added', () => {
    const t = target({
      map: { trading_bot_cpu_usage_percent: 'cpu_percent' },
      include: ['trading_bot_api_request_duration_seconds*', 'trading_bot_memory_usage_bytes'],
      labels: { env: 'prod' },
    });
    const r = scrapes(t, fixture('trading_bot.prom'));
    const names = r.snapshots.flatMap((s) => Object.keys(s.metrics)).sort();
    // The include list is the filter: mapped metrics it does not match are not pushed.
    expect(names).toEqual([
      'trading_bot_api_request_duration_seconds_count',
      'trading_bot_api_request_duration_seconds_created',
      'trading_bot_api_request_duration_seconds_sum',
      'trading_bot_memory_usage_bytes',
    ]);
    expect(metricsOf(r.snapshots, { env: 'prod' })).toEqual({ trading_bot_memory_usage_bytes: 128974848 });
    expect(r.snapshots.every((s) => s.labels.env === 'prod')).toBe(true);
  });

  it('a bot label named `source` is renamed; non-finite values are skipped and noted', () => {
    const t = target({ map: { a: 'a', b: 'b' } });
    const r = scrapes(t, '# TYPE a gauge\na{source="x"} 1\n# TYPE b gauge\nb NaN\n');
    expect(r.snapshots).toEqual([
      { source: 'bot-1', ts: T0, metrics: { a: 1 }, labels: { exported_source: 'x' } },
    ]);
    expect(r.notes.join()).toContain('not finite');
  });

  it('heartbeat: false leaves the heartbeat out (an exporter that outlives its bot)', () => {
    const r = scrapes(target({ map: 'perps_bot', heartbeat: false }), fixture('perps_bot.prom'));
    expect(r.events).toEqual([]);
  });

  it(`a counter that jumps is at most ${MAX_EVENTS_PER_SERIES} events per scrape`, () => {
    const t = target({ map: { r_total: { event: 'websocket_reconnect' } }, heartbeat: false });
    const r = scrapes(t, '# TYPE r_total counter\nr_total 0\n', '# TYPE r_total counter\nr_total 5000\n');
    expect(r.events).toHaveLength(MAX_EVENTS_PER_SERIES);
    expect(r.notes.join()).toContain(`more than ${MAX_EVENTS_PER_SERIES}`);
  });

  it('a histogram without quantile gives the mean over the interval; a summary its own quantile', () => {
    const t = target({
      map: {
        h: { name: 'h_mean_ms', scale: 1000 },
        s: { name: 's_p99', quantile: 0.99 },
      },
    });
    const text = (sum: number, count: number) =>
      [
        '# TYPE h histogram',
        'h_bucket{le="+Inf"} ' + count,
        'h_sum ' + sum,
        'h_count ' + count,
        '# TYPE s summary',
        's{quantile="0.5"} 0.2',
        's{quantile="0.99"} 0.9',
        's_sum 10',
        's_count 20',
      ].join('\n');
    expect(metricsOf(scrapes(t, text(1, 10), text(4, 20)).snapshots)).toEqual({ h_mean_ms: 300, s_p99: 0.9 });
  });
});

describe('bucketQuantile', () => {
  it('interpolates as histogram_quantile does', () => {
    const b = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(bucketQuantile(0.5, b)).toBeCloseTo(0.1, 9);
    expect(bucketQuantile(0.25, b)).toBeCloseTo(0.05, 9);
    expect(bucketQuantile(0.9, b)).toBeCloseTo(0.5, 9);
    expect(bucketQuantile(0.95, b)).toBeCloseTo(0.75, 9);
    expect(bucketQuantile(0.99, [...b.slice(0, 3), { le: Infinity, count: 200 }])).toBe(1);
    expect(bucketQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });

  it('property: within the bounds, and never lower for a higher quantile', () => {
    const buckets = fc
      .record({
        bounds: fc.uniqueArray(fc.double({ min: 0.001, max: 1000, noNaN: true }), {
          minLength: 1,
          maxLength: 8,
        }),
        counts: fc.array(fc.nat(100), { minLength: 9, maxLength: 9 }),
      })
      .map(({ bounds, counts }) => {
        let c = 0;
        return [...bounds.sort((a, b) => a - b), Infinity].map((le, i) => ({
          le,
          count: (c += counts[i] ?? 0),
        }));
      });
    fc.assert(
      fc.property(
        buckets,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (bs, q1, q2) => {
          const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
          const a = bucketQuantile(lo, bs);
          const b = bucketQuantile(hi, bs);
          if (a === undefined || b === undefined) return;
          const finite = bs.filter((x) => x.le !== Infinity).map((x) => x.le);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(Math.max(...finite));
          expect(b).toBeGreaterThanOrEqual(a - 1e-9);
        },
      ),
      { numRuns: 500 },
    );
  });
});
