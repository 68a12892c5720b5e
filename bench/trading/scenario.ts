/**
 * A seeded simulation of trading bots over one trading day, for `npm run bench:trading`.
 *
 * Every bot is a small state machine stepped every 5 s of simulated time. What it reports
 * (snapshots under Klaxon's standard names, heartbeats, events) behaves as real trading metrics
 * do: prices move in ticks and P&L in tick values; counts are integers; errors and fills sit at 0
 * for long stretches; the open brings a burst of trades, latency and CPU; latency is lognormal
 * with a heavy tail; P&L jumps when a position is closed; volatility changes regime at random
 * (a news hour) and the afternoon is quieter. None of that is an incident.
 *
 * Incidents are injected on top, each with its start and end as ground truth and the preset rules
 * expected to catch it. Everything is a pure function of the seed: the PRNG is mulberry32 (32-bit
 * state, seeded with the run's seed number; `npm run bench:trading` uses seeds 1..5 by default).
 */
import type { Recorded } from '../../src/replay/read.js';

export const MINUTE = 60_000;
/** The trading day: 08:00 to 16:00 UTC on a fixed date; the open is at 08:00. */
export const DAY_START = Date.parse('2026-03-02T08:00:00Z');
export const DAY_LENGTH = 8 * 60 * MINUTE;
const STEP = 5_000;

export type IncidentKind =
  | 'daily_loss'
  | 'drawdown'
  | 'stale_market_data'
  | 'latency_degradation'
  | 'error_burst'
  | 'bot_dead'
  | 'no_fills'
  | 'websocket_down';

/**
 * The preset rules (alert names) expected to catch each kind of incident: the rule made for it
 * first, then the anomaly rule that should also see it (so tuning an anomaly rule shows what it
 * costs in detection). An incident is caught when any of them tells within its window.
 */
export const EXPECTED_RULES: Record<IncidentKind, string[]> = {
  daily_loss: ['daily_loss_limit', 'pnl_anomaly'],
  drawdown: ['drawdown'],
  stale_market_data: ['market_data_stale', 'stale_marks'],
  latency_degradation: ['api_latency', 'api_latency_anomaly'],
  error_burst: ['order_error_rate', 'error_rate_anomaly'],
  bot_dead: ['bot_down'],
  no_fills: ['unfilled_orders', 'trades_per_minute_anomaly'],
  websocket_down: ['websocket_disconnected', 'websocket_reconnect_loop'],
};

export interface Incident {
  bot: string;
  kind: IncidentKind;
  /** When the fault begins (ms): the incident's window opens. */
  start: number;
  /**
   * When the incident is there to be seen (ms); delays are measured from here. The fault's start
   * for most kinds; for a daily loss, the first snapshot at 80 % of the limit (the preset's
   * warning), for a drawdown the first above 10 %: the slide before it is not yet the incident,
   * but alerts during it are not false either (they fall inside the window).
   */
  onset: number;
  /** When the fault ends (ms): the bot is back to normal, or the day ends. */
  end: number;
  rules: string[];
}

export interface BotProfile {
  /** Mean trades per minute in normal hours (the open has up to 3x, the afternoon 0.6x). */
  tradesPerMinute: number;
  /** Seconds between snapshots; heartbeats come every `heartbeatS`. */
  snapshotS: number;
  heartbeatS: number;
  /** Contract value of one price tick, in account currency; the bot holds -1, 0 or +1 lots. */
  tickValue: number;
  lots: number;
  /** Price volatility per 5 s step, in ticks (sd), and the bot's edge (mean ticks per step its way). */
  ticksPerStep: number;
  edge: number;
  equity: number;
  /** The equity peak before the day, as a multiple of `equity` (>= 1): the carried drawdown. */
  peakRatio: number;
  dailyLossLimit: number;
  /** Median API latency (ms) and sd of its log. */
  latencyMs: number;
  latencySigma: number;
  /** Probability that one order submission fails in normal operation. */
  orderErrorP: number;
}

export interface BotSpec {
  name: string;
  profile: BotProfile;
  incidents: { kind: IncidentKind; start: number; end: number }[];
}

export interface BotScenario {
  name: string;
  healthy: boolean;
  incidents: Incident[];
  records: Recorded[];
}

export interface Scenario {
  seed: number;
  dayStart: number;
  dayEnd: number;
  bots: BotScenario[];
}

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  uniform(a = 0, b = 1): number {
    return a + (b - a) * this.next();
  }
  int(a: number, b: number): number {
    return Math.floor(this.uniform(a, b + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

const round = (x: number, q: number) => Math.round(x / q) * q;
const fix = (x: number, digits: number) => Number(x.toFixed(digits));

/** A busy intraday bot (scalper: several trades a minute, pushes every 15 s). */
export const FAST: BotProfile = {
  tradesPerMinute: 4,
  snapshotS: 15,
  heartbeatS: 15,
  tickValue: 1.25,
  lots: 2,
  ticksPerStep: 1.2,
  edge: 0.06,
  equity: 50_000,
  peakRatio: 1.01,
  dailyLossLimit: 1_000,
  latencyMs: 90,
  latencySigma: 0.45,
  orderErrorP: 0.002,
};

/** A slow bot (a trade every few minutes, pushes every 30 s): its counts are mostly 0. */
export const SLOW: BotProfile = {
  tradesPerMinute: 0.3,
  snapshotS: 30,
  heartbeatS: 30,
  tickValue: 5,
  lots: 1,
  ticksPerStep: 0.8,
  edge: 0.015,
  equity: 100_000,
  peakRatio: 1.02,
  dailyLossLimit: 2_000,
  latencyMs: 160,
  latencySigma: 0.5,
  orderErrorP: 0.002,
};

/**
 * The bots of one seed: two healthy bots (one fast, one slow) and four bots with two incidents
 * each, eight incidents in all, one of every kind, at times drawn from the seed.
 */
export function generateScenario(seed: number): Scenario {
  const rng = new Rng(seed * 7919 + 17);
  const at = (minFrom: number, minTo: number) => DAY_START + Math.round(rng.uniform(minFrom, minTo)) * MINUTE;
  const span = (start: number, minFrom: number, minTo: number) =>
    start + Math.round(rng.uniform(minFrom, minTo)) * MINUTE;
  const dayEnd = DAY_START + DAY_LENGTH;
  const specs: BotSpec[] = [];
  specs.push({ name: 'healthy-fast', profile: FAST, incidents: [] });
  specs.push({ name: 'healthy-slow', profile: SLOW, incidents: [] });
  // Early incidents between 45 min and 3 h 30 into the day; the late ones (loss, drawdown) from
  // 5 h on and to the end of the day: a halted bot stays halted.
  {
    const s1 = at(45, 200);
    const s2 = at(300, 380);
    specs.push({
      name: 'incident-a',
      profile: FAST,
      incidents: [
        { kind: 'latency_degradation', start: s1, end: span(s1, 8, 15) },
        { kind: 'daily_loss', start: s2, end: dayEnd },
      ],
    });
  }
  {
    const s1 = at(45, 200);
    const s2 = at(300, 360);
    specs.push({
      name: 'incident-b',
      profile: { ...SLOW, peakRatio: 1.075, dailyLossLimit: 8_000 },
      incidents: [
        { kind: 'stale_market_data', start: s1, end: span(s1, 5, 10) },
        { kind: 'drawdown', start: s2, end: dayEnd },
      ],
    });
  }
  {
    const s1 = at(45, 180);
    const s2 = at(260, 400);
    specs.push({
      name: 'incident-c',
      profile: FAST,
      incidents: [
        { kind: 'error_burst', start: s1, end: span(s1, 8, 15) },
        { kind: 'bot_dead', start: s2, end: span(s2, 10, 20) },
      ],
    });
  }
  {
    const s1 = at(60, 180);
    const s2 = at(260, 420);
    specs.push({
      name: 'incident-d',
      profile: FAST,
      incidents: [
        { kind: 'no_fills', start: s1, end: span(s1, 25, 40) },
        { kind: 'websocket_down', start: s2, end: span(s2, 4, 8) },
      ],
    });
  }
  return {
    seed,
    dayStart: DAY_START,
    dayEnd,
    bots: specs.map((spec, i) => simulateBot(spec, seed * 1_000_003 + i * 7_777 + 1)),
  };
}

/** One bot's day as recorded inputs (time-ordered), with its incidents. Pure per `seed`. */
export function simulateBot(
  spec: BotSpec,
  seed: number,
  day = { start: DAY_START, length: DAY_LENGTH },
): BotScenario {
  const rng = new Rng(seed);
  const p = spec.profile;
  const source = spec.name;
  const records: Recorded[] = [];
  const dayEnd = day.start + day.length;
  const active = (kind: IncidentKind, t: number) =>
    spec.incidents.find((i) => i.kind === kind && t >= i.start && t < i.end);

  // Regimes that are not incidents: a news hour of doubled volatility, a quieter afternoon.
  const newsStart = day.start + Math.round(rng.uniform(90, 300)) * MINUTE;
  const newsEnd = newsStart + 60 * MINUTE;
  const afternoon = day.start + Math.round(rng.uniform(240, 300)) * MINUTE;

  let price = 0; // ticks from the open
  let position = 0; // lots, signed
  let entry = 0; // ticks
  let realized = 0;
  let fees = 0;
  const peak = p.equity * p.peakRatio;
  let halted = false;
  let ddDeep = false;
  const fills: number[] = []; // fill times
  const orders: { t: number; failed: boolean }[] = [];
  const closedWins: boolean[] = []; // today's closed trades (ties are neither)
  let openOrders = rng.int(0, 2);
  let lastFeed = day.start;
  let wsBlipUntil = 0;
  let memory = 50 + rng.uniform(0, 5);
  const onset: Partial<Record<IncidentKind, number>> = {};
  const detectable = (kind: IncidentKind, dailyPnl: number, drawdown: number) =>
    kind === 'daily_loss' ? -dailyPnl >= 0.8 * p.dailyLossLimit : kind === 'drawdown' ? drawdown > 10 : true;

  for (let t = day.start; t < dayEnd; t += STEP) {
    const minutes = (t - day.start) / MINUTE;
    const dead = active('bot_dead', t);
    const stale = active('stale_market_data', t);
    const wsDown = active('websocket_down', t);
    const noFills = active('no_fills', t);
    const loss = active('daily_loss', t);
    const dd = active('drawdown', t);
    const errors = active('error_burst', t);
    const slow = active('latency_degradation', t);

    // Market: price in ticks; volatility regimes.
    let vol = p.ticksPerStep;
    if (t >= newsStart && t < newsEnd) vol *= 2;
    if (t >= afternoon) vol *= 0.7;
    if (minutes < 30) vol *= 1.5;
    const feedFrozen = stale !== undefined || wsDown !== undefined;
    if (!feedFrozen) {
      price += Math.round(rng.normal() * vol + (position !== 0 ? p.edge * Math.sign(position) : 0));
      lastFeed = t;
    }

    // Trading: fills arrive as a Poisson process; a fill closes the open position (realizing its
    // P&L, a jump) and opens the opposite one. The open is busy, the afternoon quiet.
    let rate = p.tradesPerMinute;
    if (minutes < 30) rate *= 1 + 2 * (1 - minutes / 30);
    if (t >= afternoon) rate *= 0.6;
    const trading = !dead && !halted && !feedFrozen && !noFills;
    const n = trading ? rng.poisson((rate * STEP) / MINUTE) : 0;
    for (let k = 0; k < n; k++) {
      if (position !== 0) {
        const pnl = (price - entry) * position * p.tickValue;
        realized += pnl;
        if (pnl !== 0) closedWins.push(pnl > 0);
      }
      fees += 0.1 * p.lots;
      position = (rng.chance(0.5) ? 1 : -1) * p.lots;
      entry = price;
      fills.push(t);
    }
    if (trading) {
      const sent = n + rng.poisson((rate * 0.5 * STEP) / MINUTE);
      for (let k = 0; k < sent; k++) orders.push({ t, failed: rng.chance(errors ? 0.35 : p.orderErrorP) });
    }
    // Injected losses: a losing streak that takes the day past its loss limit, or a slide that
    // takes the account past 10 % below its peak (with a larger loss limit, so only drawdown).
    if (loss && !halted) {
      const target = -1.15 * p.dailyLossLimit;
      const remaining = Math.max(1, (loss.start + 40 * MINUTE - t) / STEP);
      const pnlNow = realized - fees + position * (price - entry) * p.tickValue;
      if (pnlNow > target) realized += round((target - pnlNow) / remaining + rng.normal() * 5, 0.01);
      if (realized - fees + position * (price - entry) * p.tickValue <= -1.0 * p.dailyLossLimit) {
        halted = true; // the bot's own daily-loss guard stops it and closes its position
        realized += position * (price - entry) * p.tickValue;
        position = 0;
        records.push(
          event(t, source, 'guard_triggered', { guard: 'daily_loss', reason: 'daily loss limit' }),
        );
      }
    }
    // The slide loses 5 % of equity an hour until the drawdown reaches 11.5 % (or 90 min pass).
    if (dd && t < dd.start + 90 * MINUTE && !ddDeep)
      realized -= round((0.05 * p.equity * STEP) / (60 * MINUTE), 0.01);

    while (fills.length > 0 && fills[0]! <= t - MINUTE) fills.shift();
    while (orders.length > 0 && orders[0]!.t <= t - 15 * MINUTE) orders.shift();
    if (noFills) {
      if (t % (75 * 1000) === 0) openOrders = Math.min(12, openOrders + 1);
    } else if (t % MINUTE === 0) openOrders = Math.max(0, Math.min(4, openOrders + rng.int(-1, 1)));

    if (dead) continue; // a dead bot says nothing at all

    // Events.
    if (wsDown && t % 10_000 === 0) records.push(event(t, source, 'websocket_reconnect', {}));
    if (!wsDown && wsBlipUntil === 0 && rng.chance(1 / 2500)) {
      wsBlipUntil = t + 15_000; // a healthy reconnect: one event, ws down for one snapshot at most
      records.push(event(t, source, 'websocket_reconnect', {}));
    }
    if (stale && t % 10_000 === 0)
      records.push(event(t, source, 'stale_mark_detected', { symbol: 'MES', age_s: (t - lastFeed) / 1000 }));
    if (noFills && t % 75_000 === 0)
      records.push(
        event(t, source, 'unfilled_order_alert', {
          symbol: 'MES',
          order_id: `o${t}`,
          age_s: (t - noFills.start) / 1000,
        }),
      );
    if (errors && t % 15_000 === 0)
      records.push(event(t, source, 'api_error', { reason: 'order rejected: 503' }));
    if (minutes < 30 && rng.chance(1 / 400))
      records.push(
        event(t, source, 'guard_triggered', { guard: 'slippage_guard', reason: 'slippage at the open' }),
      );

    if ((t - day.start) % (p.heartbeatS * 1000) === 0) records.push(event(t, source, 'heartbeat', {}));
    if ((t - day.start) % (p.snapshotS * 1000) !== 0) continue;

    // Snapshot.
    const unrealized = position * (price - entry) * p.tickValue;
    const dailyPnl = fix(realized - fees + unrealized, 2);
    const equity = fix(p.equity + dailyPnl, 2);
    const drawdown = fix(Math.max(0, ((peak - equity) / peak) * 100), 2);
    ddDeep = drawdown >= 11.5;
    let latencyMedian = p.latencyMs * (minutes < 20 ? 1.6 : 1) * (t >= newsStart && t < newsEnd ? 1.2 : 1);
    if (slow) latencyMedian *= Math.min(12, 1 + ((t - slow.start) / MINUTE) * 6);
    let latency = latencyMedian * Math.exp(rng.normal() * p.latencySigma);
    if (rng.chance(0.01)) latency *= 2 + rng.exponential(1.5); // the heavy tail
    let cycle = 110 + rng.exponential(40) + (slow ? latency * 0.6 : 0);
    if (minutes < 20) cycle += 60;
    const staleness = feedFrozen
      ? (t - lastFeed) / 1000 + 0.5
      : rng.chance(0.005)
        ? rng.uniform(3, 8)
        : rng.exponential(0.6);
    const failed = orders.filter((o) => o.failed).length;
    memory = Math.min(75, memory + rng.normal() * 0.2 + 0.005);
    records.push({
      ts: t,
      snapshot: {
        source,
        ts: t,
        labels: {},
        metrics: {
          equity,
          daily_pnl: dailyPnl,
          realized_pnl: fix(realized, 2),
          unrealized_pnl: fix(unrealized, 2),
          fees: fix(fees, 2),
          daily_loss_limit: p.dailyLossLimit,
          drawdown_pct: drawdown,
          api_latency_ms: Math.round(latency),
          cycle_latency_ms: Math.round(cycle),
          market_data_staleness_s: fix(staleness, 1),
          ws_connected: wsDown || t < wsBlipUntil ? 0 : 1,
          open_orders: openOrders,
          order_error_rate: orders.length === 0 ? 0 : fix(failed / orders.length, 4),
          trades_per_minute: fills.length,
          circuit_breaker: 0,
          cpu_percent: Math.round(25 + rng.uniform(0, 10) + (minutes < 30 ? 20 : 0) + fills.length),
          memory_percent: Math.round(memory),
          // Today's win rate, reported once 20 trades have closed.
          ...(closedWins.length >= 20
            ? { win_rate: fix(closedWins.filter(Boolean).length / closedWins.length, 2) }
            : {}),
        },
      },
    });
    for (const i of spec.incidents)
      if (onset[i.kind] === undefined && t >= i.start && t < i.end && detectable(i.kind, dailyPnl, drawdown))
        onset[i.kind] = t;
    if (t >= wsBlipUntil) wsBlipUntil = 0;
  }
  return {
    name: spec.name,
    healthy: spec.incidents.length === 0,
    incidents: spec.incidents.map((i) => ({
      bot: spec.name,
      ...i,
      onset: i.kind === 'bot_dead' ? i.start : (onset[i.kind] ?? i.start),
      rules: EXPECTED_RULES[i.kind],
    })),
    records,
  };
}

function event(t: number, source: string, type: string, data: Record<string, unknown>): Recorded {
  return { ts: t, event: { source, ts: t, type, data } };
}
