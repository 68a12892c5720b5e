import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { computeDigest } from '../../src/digest/figures.js';
import { renderDigestText } from '../../src/digest/render-text.js';
import type { DigestOptions } from '../../src/digest/types.js';
import { readRecording } from '../../src/replay/read.js';
import { LaneHarness } from '../support/lane.js';

/**
 * A recorded day (test/fixtures/digest/recorded-day.jsonl) goes through the real pipeline on
 * Redis lanes: the commit script records what the digest needs, the digest store reads it back,
 * and the figures must be exactly the ones worked out by hand below.
 */
const DAY = fileURLToPath(new URL('../fixtures/digest/recorded-day.jsonl', import.meta.url));
const at = (iso: string) => Date.parse(iso);
const WINDOW = { start: at('2026-11-30T06:00:00Z'), end: at('2026-12-01T06:00:00Z') };
const M = 60_000;
const OPTS: DigestOptions = { timeZone: 'UTC', generatedAt: WINDOW.end, heartbeatGapMs: 5 * M, noisiest: 5 };

const RULES = {
  receivers: { chat: { type: 'console' } },
  routes: { receivers: ['chat'] },
  defaults: { repeat: 'never' },
  rules: [
    { name: 'drawdown', kind: 'threshold', metric: 'drawdown_pct', bands: { warning: 2, critical: 5 } },
    { name: 'api_latency', kind: 'threshold', metric: 'api_latency_ms', bands: { high: 1000 } },
  ],
};

let h: LaneHarness | undefined;
afterEach(async () => h?.close());

/** Pushes the day in order, each input at its own time; acknowledges the drawdown at 08:50. */
async function recordDay(raw: Record<string, unknown> = RULES): Promise<LaneHarness> {
  h = await LaneHarness.start('redis', raw, 'digest-day');
  const ack = at('2026-11-30T08:50:00Z');
  let acked = false;
  for (const r of readRecording(DAY)) {
    if (!acked && r.ts > ack) {
      const fp = h.fp('drawdown', { source: 'grid-1', metric: 'drawdown_pct' });
      await h.ack(ack, 'grid-1', fp, 'ana');
      acked = true;
    }
    await h.recorded(r);
  }
  return h;
}

describe('a recorded day through the pipeline', () => {
  it('gives the figures worked out by hand', async () => {
    const lane = await recordDay();
    const report = computeDigest(await lane.digestStore().read(WINDOW), OPTS);
    expect(report.date).toBe('2026-12-01');
    expect(report.sources.map((s) => s.source)).toEqual(['grid-1']);
    const f = report.overall;

    // Equity a point an hour at hh:30: 10,000 at 06:30, 10,100, 10,050, 10,200 (until 04:30),
    // 10,300 at 05:30. Change 10,300 - 10,000 = +300, +3 %.
    expect(f.account.equity).toBe(10_300);
    expect(f.account.equityChange).toBe(300);
    expect(f.account.equityChangePct).toBeCloseTo(3, 10);
    // The only fall: 10,100 -> 10,050, 50 below its peak, 50 / 10,100 = 0.49505 %.
    expect(f.account.maxDrawdown).toBe(50);
    expect(f.account.maxDrawdownPct).toBeCloseTo((50 / 10_100) * 100, 10);
    // Before the window the highest equity was 10,250 (05:30); 10,300 at 05:30 next day is above it.
    expect(f.account.newHigh).toEqual({ value: 10_300, at: at('2026-12-01T05:30:00Z') });

    // Hourly marks: E0 = 10,000 (first point); Ek = last point before 06:00 + k h, so E1 = 10,000,
    // E2 = 10,100, E3 = 10,050, E4..E23 = 10,200, E24 = 10,300. Returns: 0, 0.01,
    // 10,050/10,100 - 1, 10,200/10,050 - 1, nineteen 0s, 10,300/10,200 - 1.
    const r = [
      0,
      0.01,
      10_050 / 10_100 - 1,
      10_200 / 10_050 - 1,
      ...Array<number>(19).fill(0),
      10_300 / 10_200 - 1,
    ];
    expect(r).toHaveLength(24);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    expect(f.account.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(24 * 365), 8);

    // Trades in the window: +120, -40 (BTC-USD), +60, 0 (ETH-USD), -30 (SOL-USD); the +1,000
    // trade at 05:00 is before the window. Realized 110; fees 2 + 1 + 1 + 0.5 + 1 + the fill's 0.5 = 6.
    expect(f.account.realized).toBe(110);
    expect(f.account.fees).toBe(6);
    // Funding resets at 00:00 UTC: (-8 at 23:30) - (-3 before the window) + (-2 at 05:30) - 0 = -7.
    expect(f.account.funding).toBe(-7);
    expect(f.account.unrealized).toBe(25);
    expect(f.account.total).toBe(110 + 25 - 7);
    expect(f.trades).toEqual({
      count: 5,
      won: 2,
      lost: 2,
      even: 1,
      winRate: 0.5,
      profitFactor: 180 / 70,
      avgWin: 90,
      avgLoss: 35,
      largestWin: 120,
      largestLoss: 40,
      fills: 1,
    });
    expect(f.symbols).toEqual([
      { symbol: 'BTC-USD', pnl: 80, trades: 2, winRate: 0.5 },
      { symbol: 'ETH-USD', pnl: 60, trades: 2, winRate: 1 },
      { symbol: 'SOL-USD', pnl: -30, trades: 1, winRate: 0 },
    ]);

    expect(f.risk).toEqual({
      guards: [
        { guard: 'slippage_guard', count: 2 },
        { guard: 'exposure_guard', count: 1 },
      ],
      breakerTrips: [{ rule: 'max_drawdown', count: 1 }],
      // Tripped at 15:30, back to 0 at 16:30.
      breakerTripped: false,
    });
    // Heartbeats every 5 minutes, none from 14:05 to 14:25: 14:00 then 14:30, a silence of 29
    // minutes (the others are 4); the last at 05:55, 4 minutes before the end.
    expect(f.health).toEqual({
      staleMarks: 1,
      wsReconnects: 2,
      unfilledOrders: 0,
      apiErrors: 1,
      orderRejects: 1,
      heartbeatGaps: 1,
      longestHeartbeatGapMs: 29 * M,
      lastHeartbeatAgeMs: 4 * M,
    });

    // drawdown: fired (warning) 08:15, rose to critical 08:45, acknowledged 08:50, resolved
    // 09:15: four notifications (firing, firing at critical, acknowledged, resolved). api_latency:
    // fired (high) 21:30 and still open.
    const a = f.alerts;
    expect(a.fired).toBe(2);
    expect(a.bySeverity).toEqual({ critical: 0, high: 1, warning: 1, info: 0 });
    expect(a.byRule).toEqual([
      { name: 'drawdown', fired: 1, notifications: 4 },
      { name: 'api_latency', fired: 1, notifications: 1 },
    ]);
    expect(a.timeToAck).toEqual({ count: 1, medianMs: 35 * M, maxMs: 35 * M });
    expect(a.timeToResolve).toEqual({ count: 1, medianMs: 60 * M, maxMs: 60 * M });
    expect(a.open).toEqual([
      expect.objectContaining({
        name: 'api_latency',
        severity: 'high',
        source: 'grid-1',
        since: at('2026-11-30T21:30:00Z'),
        acknowledged: false,
      }),
    ]);
    expect(a.perHour).toHaveLength(24);
    expect(a.perHour[2]?.counts.warning).toBe(1); // 08:00-09:00
    expect(a.perHour[15]?.counts.high).toBe(1); // 21:00-22:00
    expect(a.perHour.reduce((n, p) => n + p.counts.critical + p.counts.high + p.counts.warning, 0)).toBe(2);
    expect(f.notes).toEqual([]);

    const text = renderDigestText(report);
    expect(text).toContain('Daily Trading Report - 2026-12-01');
    expect(text).toContain('  Equity:          $10,300.00');
    expect(text).toContain('  Win Rate:        50.00%');
    expect(text).toContain('slippage_guard: 2');
  });

  it('every record key expires after the retention', async () => {
    const lane = await recordDay({ ...RULES, digest: { retention: '3d' } });
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const keys = await redis.keys(`${lane.prefix}:*rec:*`);
      // 2026-11-30: points, trades, alerts, meta (its peak), sources; 2026-12-01: points, meta,
      // sources (no trade and no alert that day).
      const shard = `{s${lane.store.shardOf('grid-1')}}`;
      expect(keys.map((k) => k.slice(lane.prefix!.length)).sort()).toEqual(
        [
          'rec:2026-11-30:grid-1:alerts',
          'rec:2026-11-30:grid-1:m',
          'rec:2026-11-30:grid-1:meta',
          'rec:2026-11-30:grid-1:trades',
          'rec:2026-11-30:sources',
          'rec:2026-12-01:grid-1:m',
          'rec:2026-12-01:grid-1:meta',
          'rec:2026-12-01:sources',
        ].map((k) => `:${shard}:${k}`),
      );
      for (const k of keys) {
        const ttl = await redis.ttl(k);
        expect(ttl, k).toBeGreaterThan(3 * 86_400 - 60);
        expect(ttl, k).toBeLessThanOrEqual(3 * 86_400);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('a day past its bound keeps its start and says where it stopped', async () => {
    const lane = await recordDay({ ...RULES, digest: { max_per_day: { trades: 10, points: 100 } } });
    const report = computeDigest(await lane.digestStore().read(WINDOW), OPTS);
    const f = report.overall;
    // 100 point fields a day: the 2026-11-30 hash is full shortly after noon (a heartbeat is a
    // field every 5 minutes). The morning is all there: its equity, both morning guards; the
    // 13:10 slippage guard is not. The trades (5, below their bound of 10) are all kept.
    expect(f.account.maxDrawdown).toBe(50);
    expect(f.trades.count).toBe(5);
    expect(f.risk.guards).toEqual([
      { guard: 'exposure_guard', count: 1 },
      { guard: 'slippage_guard', count: 1 },
    ]);
    expect(f.notes).toEqual([expect.stringMatching(/reached its daily bound on 2026-11-30 at 12:\d\d UTC/)]);
    const dropped = (await lane.digestStore().read(WINDOW)).sources[0]?.dropped ?? [];
    expect(dropped.map((d) => d.kind)).toEqual(['points']);
    expect(dropped[0]?.since).toBeGreaterThan(at('2026-11-30T12:00:00Z'));
    expect(dropped[0]?.since).toBeLessThan(at('2026-11-30T13:10:00Z'));
  });
});
