import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { TestKlaxon } from '../support/klaxon.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const s = (sec: number) => T0 + sec * 1000;

/**
 * A bot session replayed over HTTP against the trading preset, with an injected clock: every
 * `for`, window and silence is measured on that clock, so nothing here sleeps.
 */
describe('a trading bot session under the trading preset', () => {
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-session-${process.pid}`);
  beforeAll(() => k.start({ presets: ['trading'] }, { clock: clock.now }));
  afterAll(() => k.close());
  beforeEach(() => {
    k.recorder.received.length = 0;
  });

  /** Pushes a snapshot of `source` at `t` (the clock moves there first). */
  const snap = async (source: string, t: number, metrics: Record<string, number>) => {
    clock.set(t);
    await k.push('/v1/metrics', { source, ts: t, metrics });
    await k.idle();
  };
  const event = async (source: string, t: number, type: string, extra: Record<string, unknown> = {}) => {
    clock.set(t);
    await k.push('/v1/events', { source, ts: t, type, ...extra });
    await k.idle();
  };
  const kinds = (name: string) =>
    k.recorder
      .of(name)
      .map((n) => `${n.kind}:${n.raisedFrom ? `${n.raisedFrom}->` : ''}${n.alerts[0]?.severity}`);

  it('latency over 500 then 1000 ms fires warning then critical after `for`, then resolves once', async () => {
    await snap('lat', s(0), { api_latency_ms: 600 });
    await snap('lat', s(30), { api_latency_ms: 650 });
    expect(kinds('api_latency')).toEqual([]); // pending: `for` is 1 minute
    await snap('lat', s(61), { api_latency_ms: 700 });
    expect(kinds('api_latency')).toEqual(['firing:warning']);
    await snap('lat', s(70), { api_latency_ms: 1500 });
    await snap('lat', s(100), { api_latency_ms: 1400 });
    expect(kinds('api_latency')).toEqual(['firing:warning']);
    await snap('lat', s(131), { api_latency_ms: 1300 });
    expect(kinds('api_latency')).toEqual(['firing:warning', 'firing:warning->critical']);
    await snap('lat', s(140), { api_latency_ms: 120 });
    await snap('lat', s(150), { api_latency_ms: 110 });
    expect(kinds('api_latency')).toEqual(['firing:warning', 'firing:warning->critical', 'resolved:critical']);
  });

  it('daily loss warns at 80 % and goes critical at 100 % of its limit', async () => {
    await snap('loss', s(200), { daily_pnl: -500, daily_loss_limit: 1000 });
    expect(kinds('daily_loss_limit')).toEqual([]);
    await snap('loss', s(210), { daily_pnl: -820, daily_loss_limit: 1000 });
    expect(kinds('daily_loss_limit')).toEqual(['firing:warning']);
    await snap('loss', s(220), { daily_pnl: -1000, daily_loss_limit: 1000 });
    expect(kinds('daily_loss_limit')).toEqual(['firing:warning', 'firing:warning->critical']);
    expect(k.recorder.of('daily_loss_limit')[1]?.alerts[0]?.annotations.title).toBe(
      'daily loss 100% of limit on loss: -$1,000.00 of -$1,000.00',
    );
  });

  it('five websocket reconnects within a minute are a critical reconnect loop', async () => {
    for (let i = 0; i < 4; i++) await event('ws', s(300 + i * 10), 'websocket_reconnect');
    expect(kinds('websocket_reconnect_loop')).toEqual([]);
    await event('ws', s(345), 'websocket_reconnect');
    expect(kinds('websocket_reconnect_loop')).toEqual(['firing:critical']);
  });

  it('equity 5 % below its high within an hour is critical', async () => {
    await snap('eq', s(400), { equity: 10_000 });
    await snap('eq', s(1400), { equity: 10_200 });
    await snap('eq', s(2400), { equity: 9_800 });
    expect(kinds('equity_drop')).toEqual([]);
    await snap('eq', s(3400), { equity: 9_650 });
    expect(kinds('equity_drop')).toEqual(['firing:critical']);
  });

  it('a bot whose heartbeats stop is reported down with no further input', async () => {
    await event('hb', s(5000), 'heartbeat');
    await event('hb', s(5030), 'heartbeat');
    clock.set(s(5030 + 200));
    await k.app.sweep();
    await k.idle();
    expect(kinds('bot_down')).toEqual([]);
    clock.set(s(5030 + 245));
    await k.app.sweep();
    await k.idle();
    expect(kinds('bot_down')).toEqual(['firing:warning']);
    clock.set(s(5030 + 305));
    await k.app.sweep();
    await k.idle();
    expect(kinds('bot_down')).toEqual(['firing:warning', 'firing:warning->critical']);
    await event('hb', s(5400), 'heartbeat');
    expect(kinds('bot_down')).toEqual(['firing:warning', 'firing:warning->critical', 'resolved:critical']);
  });

  it('the z-score detector fires when trading stalls, and not on the ordinary samples after it', async () => {
    // A steady bot: 10 +/- 1 trades a minute, pushed in batches like a real one.
    const value = (i: number) => 10 + ((i * 7) % 3) - 1;
    const batch = (from: number, n: number, stalled: (i: number) => boolean = () => false) =>
      Array.from({ length: n }, (_, j) => ({
        source: 'z',
        ts: s(6000 + (from + j) * 60),
        metrics: { trades_per_minute: stalled(from + j) ? 0 : value(from + j) },
      }));
    // The clock moves with the samples, as it does for a bot that pushes what it just measured.
    clock.set(s(6000 + 99 * 60));
    await k.push('/v1/metrics', batch(0, 100));
    await k.idle();
    expect(kinds('trades_per_minute_anomaly')).toEqual([]);
    // One odd minute is not a stall: the preset's rule wants 3 of the last 5 samples far below.
    clock.set(s(6000 + 100 * 60));
    await k.push(
      '/v1/metrics',
      batch(100, 1, () => true),
    );
    await k.idle();
    expect(kinds('trades_per_minute_anomaly')).toEqual([]);
    clock.set(s(6000 + 106 * 60));
    await k.push(
      '/v1/metrics',
      batch(101, 6, (i) => i >= 102),
    );
    await k.idle();
    // Each minute of the stall from the third on is an occurrence, within the dedup cap.
    const told = kinds('trades_per_minute_anomaly');
    expect(told.length).toBeGreaterThan(0);
    expect(new Set(told)).toEqual(new Set(['firing:warning']));
    const first = k.recorder.of('trades_per_minute_anomaly')[0]?.alerts[0];
    expect(first?.value).toBe(0);
    // It says why: what the detector expected (about 10 a minute, widened by 4 sd), which 0 is
    // below; the score against the one it alerts at; and the history behind them.
    const [, lo, , centre] =
      /^([\d.]+) to ([\d.]+) \(centre ([\d.]+)\)$/.exec(first?.annotations.Expected ?? '') ?? [];
    expect(Number(lo)).toBeGreaterThan(0);
    expect(Number(centre)).toBeGreaterThan(9);
    expect(Number(centre)).toBeLessThan(11);
    expect(first?.annotations.Score).toMatch(/^0\.\d{4} \(alerts at 0\.8000\)$/);
    expect(first?.annotations.History).toMatch(/^\d+ samples$/);
    clock.set(s(6000 + 140 * 60));
    await k.push('/v1/metrics', batch(107, 30));
    await k.idle();
    expect(kinds('trades_per_minute_anomaly')).toEqual(told);
  });

  it('a stop-loss hit is told every time, never deduplicated', async () => {
    for (let i = 0; i < 4; i++)
      await event('sl', s(7000 + i), 'position_stop_loss_hit', { symbol: 'BTC-USD', data: { loss: -87.5 } });
    expect(kinds('stop_loss_hit')).toEqual(Array(4).fill('firing:critical'));
    // The loss, in money, as the preset's template writes it.
    expect(k.recorder.of('stop_loss_hit')[0]?.alerts[0]?.annotations.title).toBe(
      'stop-loss hit on sl BTC-USD: -$87.50',
    );
  });
});
