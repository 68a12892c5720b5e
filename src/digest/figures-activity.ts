import type {
  EventCount,
  HealthFigures,
  Maybe,
  RiskFigures,
  SymbolFigures,
  TradeFigures,
  TradeRecord,
} from './types.js';
import {
  compareText,
  figure,
  groupBy,
  largest,
  maxMaybe,
  MINUTE_MS,
  sum,
  type Point,
  type Window,
} from './figures-common.js';

/** The heartbeat part of the health figures. */
export type HeartbeatFigures = Pick<
  HealthFigures,
  'heartbeatGaps' | 'longestHeartbeatGapMs' | 'lastHeartbeatAgeMs'
>;

/** A `circuit_breaker` value at or above this means tripped. */
const TRIPPED = 0.5;

/** Won, lost and even closed trades, win rate, profit factor, average and largest win and loss. */
export function tradeFigures(records: readonly TradeRecord[]): TradeFigures {
  const trades = records.filter((r) => r.kind === 'trade');
  const wins = trades.filter((r) => r.pnl > 0).map((r) => r.pnl);
  const losses = trades.filter((r) => r.pnl < 0).map((r) => -r.pnl);
  const grossWin = sum(wins);
  const grossLoss = sum(losses);
  return {
    count: trades.length,
    won: wins.length,
    lost: losses.length,
    even: trades.length - wins.length - losses.length,
    winRate: winRate(wins.length, losses.length),
    profitFactor: losses.length > 0 ? figure(grossWin / grossLoss) : null,
    avgWin: wins.length > 0 ? figure(grossWin / wins.length) : null,
    avgLoss: losses.length > 0 ? figure(grossLoss / losses.length) : null,
    largestWin: wins.length > 0 ? largest(wins) : null,
    largestLoss: losses.length > 0 ? largest(losses) : null,
    fills: records.filter((r) => r.kind === 'fill').length,
  };
}

/** Closed trades per symbol (`-` without one): PnL, count, win rate; most PnL first, then by symbol. */
export function symbolFigures(records: readonly TradeRecord[]): SymbolFigures[] {
  const trades = records.filter((r) => r.kind === 'trade');
  const rows = [...groupBy(trades, (r) => r.symbol ?? '-')].map(([symbol, of]) => ({
    symbol,
    pnl: figure(sum(of.map((r) => r.pnl))) ?? 0,
    trades: of.length,
    winRate: winRate(of.filter((r) => r.pnl > 0).length, of.filter((r) => r.pnl < 0).length),
  }));
  return rows.sort((a, b) => b.pnl - a.pnl || compareText(a.symbol, b.symbol));
}

/** Guard triggers by guard and breaker trips by rule (most first, then by name), and the breaker state. */
export function riskFigures(events: readonly EventCount[], breakerTripped: boolean | null): RiskFigures {
  return {
    guards: countByKey(events, 'guard_triggered').map(([guard, count]) => ({ guard, count })),
    breakerTrips: countByKey(events, 'circuit_breaker_triggered').map(([rule, count]) => ({ rule, count })),
    breakerTripped,
  };
}

/** The breaker state from the last `circuit_breaker` point: tripped, normal, or null without one. */
export function breakerState(points: readonly Point[]): boolean | null {
  const last = points.at(-1);
  return last ? last[1] >= TRIPPED : null;
}

/** Several sources' breaker states: tripped when any is, normal when any is known, else unknown. */
export function combinedBreakerState(states: readonly (boolean | null)[]): boolean | null {
  if (states.includes(true)) return true;
  return states.includes(false) ? false : null;
}

/** Counts of the health events, with the heartbeat figures. */
export function healthFigures(events: readonly EventCount[], heartbeat: HeartbeatFigures): HealthFigures {
  const total = (...types: string[]) => sum(events.filter((e) => types.includes(e.type)).map((e) => e.n));
  return {
    staleMarks: total('stale_mark_detected'),
    wsReconnects: total('websocket_reconnect'),
    unfilledOrders: total('unfilled_order_alert'),
    apiErrors: total('api_error', 'api_authentication_failed'),
    orderRejects: total('order_rejected'),
    ...heartbeat,
  };
}

/**
 * Silences between heartbeat minutes (a minute a, the next b: b − a − 1 min) and after the last
 * one until the window's end: how many are longer than `gapMs`, the longest, and the last one.
 */
export function heartbeatFigures(heartbeats: readonly Point[], w: Window, gapMs: number): HeartbeatFigures {
  const minutes = heartbeats.map(([t]) => t);
  const last = minutes.at(-1);
  if (last === undefined) return { heartbeatGaps: 0, longestHeartbeatGapMs: null, lastHeartbeatAgeMs: null };
  const age = Math.max(0, w.end - (last + MINUTE_MS));
  const silences = minutes.slice(1).map((t, i) => t - minutes[i]! - MINUTE_MS);
  silences.push(age);
  return {
    heartbeatGaps: silences.filter((s) => s > gapMs).length,
    longestHeartbeatGapMs: largest(silences),
    lastHeartbeatAgeMs: age,
  };
}

/** Several sources' heartbeat figures: gaps summed, the longest silence and the oldest heartbeat. */
export function combinedHeartbeats(parts: readonly HeartbeatFigures[]): HeartbeatFigures {
  return {
    heartbeatGaps: sum(parts.map((p) => p.heartbeatGaps)),
    longestHeartbeatGapMs: maxMaybe(parts.map((p) => p.longestHeartbeatGapMs)),
    lastHeartbeatAgeMs: maxMaybe(parts.map((p) => p.lastHeartbeatAgeMs)),
  };
}

function countByKey(events: readonly EventCount[], type: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === type) counts.set(e.key, (counts.get(e.key) ?? 0) + e.n);
  return [...counts].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
}

function winRate(won: number, lost: number): Maybe {
  return won + lost > 0 ? won / (won + lost) : null;
}
