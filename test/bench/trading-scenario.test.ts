import { describe, expect, it } from 'vitest';
import { benchConfig } from '../../bench/trading/run.js';
import {
  DAY_START,
  FAST,
  MINUTE,
  generateScenario,
  simulateBot,
  type BotScenario,
  type Incident,
} from '../../bench/trading/scenario.js';
import { scoreBot, summarise } from '../../bench/trading/score.js';
import { replay } from '../../src/replay/replay.js';

const snapshots = (bot: BotScenario) =>
  bot.records.flatMap((r) => ('snapshot' in r ? [{ t: r.ts, m: r.snapshot.metrics }] : []));

describe('bench:trading scenario', () => {
  it('is deterministic per seed, and seeds differ', () => {
    expect(generateScenario(3)).toEqual(generateScenario(3));
    expect(generateScenario(4).bots[0]!.records).not.toEqual(generateScenario(3).bots[0]!.records);
  });

  it('keeps records in time order, with quantised values', () => {
    for (const bot of generateScenario(1).bots) {
      const ts = bot.records.map((r) => r.ts);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
      for (const { m } of snapshots(bot)) {
        expect(Number.isInteger(m.trades_per_minute)).toBe(true);
        expect(Number.isInteger(m.api_latency_ms)).toBe(true);
        expect(Math.round(m.daily_pnl! * 100)).toBeCloseTo(m.daily_pnl! * 100, 6);
      }
    }
  });

  it('puts each incident where its ground truth says', () => {
    for (const seed of [1, 2, 3]) {
      const s = generateScenario(seed);
      const healthy = s.bots.filter((b) => b.healthy);
      expect(healthy.map((b) => b.incidents)).toEqual([[], []]);
      expect(s.bots.flatMap((b) => b.incidents.map((i) => i.kind)).sort()).toEqual(
        [
          'bot_dead',
          'daily_loss',
          'drawdown',
          'error_burst',
          'latency_degradation',
          'no_fills',
          'stale_market_data',
          'websocket_down',
        ].sort(),
      );
      for (const bot of s.bots) {
        const snaps = snapshots(bot);
        const inside = (i: Incident) => snaps.filter((x) => x.t >= i.start && x.t < i.end);
        const before = (i: Incident) => snaps.filter((x) => x.t < i.start);
        for (const i of bot.incidents) {
          expect(i.start).toBeLessThan(i.end);
          expect(i.onset).toBeGreaterThanOrEqual(i.start);
          expect(i.onset).toBeLessThan(i.end);
          const limit = snaps[0]!.m.daily_loss_limit!;
          switch (i.kind) {
            case 'daily_loss':
              expect(before(i).every((x) => -x.m.daily_pnl! < 0.8 * limit)).toBe(true);
              expect(inside(i).some((x) => -x.m.daily_pnl! >= limit)).toBe(true);
              expect(inside(i).find((x) => -x.m.daily_pnl! >= 0.8 * limit)!.t).toBe(i.onset);
              break;
            case 'drawdown':
              expect(before(i).every((x) => x.m.drawdown_pct! <= 10)).toBe(true);
              expect(inside(i).some((x) => x.m.drawdown_pct! > 10)).toBe(true);
              break;
            case 'bot_dead':
              expect(bot.records.filter((r) => r.ts >= i.start && r.ts < i.end)).toEqual([]);
              break;
            case 'stale_market_data':
              expect(inside(i).some((x) => x.m.market_data_staleness_s! > 30)).toBe(true);
              break;
            case 'latency_degradation':
              expect(inside(i).filter((x) => x.m.api_latency_ms! > 1000).length).toBeGreaterThan(5);
              break;
            case 'error_burst':
              expect(inside(i).some((x) => x.m.order_error_rate! > 0.15)).toBe(true);
              break;
            case 'no_fills':
              expect(inside(i).every((x) => x.t - i.start < MINUTE || x.m.trades_per_minute === 0)).toBe(
                true,
              );
              break;
            case 'websocket_down':
              expect(inside(i).every((x) => x.m.ws_connected === 0)).toBe(true);
              break;
          }
        }
        if (bot.healthy) {
          const limit = snaps[0]!.m.daily_loss_limit!;
          expect(snaps.every((x) => -x.m.daily_pnl! < 0.8 * limit && x.m.drawdown_pct! <= 10)).toBe(true);
          const beats = bot.records
            .filter((r) => 'event' in r && r.event.type === 'heartbeat')
            .map((r) => r.ts);
          expect(Math.max(...beats.slice(1).map((t, k) => t - beats[k]!))).toBeLessThanOrEqual(MINUTE);
        }
      }
    }
  });
});

describe('bench:trading counting', () => {
  const incident: Incident = {
    bot: 'b',
    kind: 'latency_degradation',
    start: 10 * MINUTE,
    onset: 12 * MINUTE,
    end: 20 * MINUTE,
    rules: ['api_latency', 'api_latency_anomaly'],
  };

  it('counts caught, delay from onset and false alerts outside window + grace', () => {
    const told = [
      { t: 5 * MINUTE, alert: 'api_latency_anomaly', kind: 'firing' }, // before the window: false
      { t: 13 * MINUTE, alert: 'api_latency', kind: 'firing' }, // caught, 1 min after onset
      { t: 14 * MINUTE, alert: 'cycle_latency', kind: 'firing' }, // in the window: not false
      { t: 24 * MINUTE, alert: 'api_latency', kind: 'repeat' }, // within the 5-min grace
      { t: 25 * MINUTE, alert: 'api_latency', kind: 'resolved' }, // a resolve is no alert
      { t: 26 * MINUTE, alert: 'pnl_anomaly', kind: 'firing' }, // after the grace: false
    ];
    const s = scoreBot({ name: 'b', healthy: false, incidents: [incident] }, told, 5 * MINUTE);
    expect(s.incidents[0]!.caught).toBe(true);
    expect(s.incidents[0]!.caughtBy).toEqual({ api_latency: MINUTE });
    expect(s.incidents[0]!.delay).toBe(MINUTE);
    expect(s.alerts).toEqual({
      api_latency_anomaly: { total: 1, false: 1 },
      api_latency: { total: 2, false: 0 },
      cycle_latency: { total: 1, false: 0 },
      pnl_anomaly: { total: 1, false: 1 },
    });
    const healthy = scoreBot({ name: 'h', healthy: true, incidents: [] }, told, 5 * MINUTE);
    const rules = summarise(
      [s, healthy],
      [
        { name: 'api_latency', anomaly: false },
        { name: 'api_latency_anomaly', anomaly: true },
      ],
    );
    expect(rules).toEqual([
      {
        rule: 'api_latency',
        anomaly: false,
        expected: 1,
        caught: 1,
        delays: [MINUTE],
        total: 4,
        false: 2,
        falseHealthy: 2,
      },
      {
        rule: 'api_latency_anomaly',
        anomaly: true,
        expected: 1,
        caught: 0,
        delays: [],
        total: 2,
        false: 2,
        falseHealthy: 1,
      },
    ]);
  });

  it('misses an incident nobody expected told of', () => {
    const s = scoreBot(
      { name: 'b', healthy: false, incidents: [incident] },
      [{ t: 15 * MINUTE, alert: 'cycle_latency', kind: 'firing' }],
      0,
    );
    expect(s.incidents[0]).toMatchObject({ caught: false, caughtBy: {} });
    expect(s.incidents[0]!.delay).toBeUndefined();
  });

  it('catches a dead bot through the real pipeline and preset', async () => {
    const bot = simulateBot(
      {
        name: 'dead',
        profile: FAST,
        incidents: [{ kind: 'bot_dead', start: DAY_START + 30 * MINUTE, end: DAY_START + 45 * MINUTE }],
      },
      42,
      { start: DAY_START, length: 60 * MINUTE },
    );
    const result = await replay(benchConfig(), bot.records);
    const s = scoreBot(bot, result.told, 10 * MINUTE);
    expect(s.incidents[0]!.caught).toBe(true);
    // The last heartbeat is at most 15 s before the start; the preset warns after 4 min of silence.
    expect(s.incidents[0]!.caughtBy.bot_down).toBeGreaterThanOrEqual(3.5 * MINUTE);
    expect(s.incidents[0]!.caughtBy.bot_down).toBeLessThanOrEqual(4.5 * MINUTE);
  });
});
