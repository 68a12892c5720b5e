import { mean, sampleStandardDeviation } from 'simple-statistics';
import { CHART_POINTS, type AccountFigures, type Maybe, type TradeRecord } from './types.js';
import {
  DAY_MS,
  figure,
  groupBy,
  HOUR_MS,
  inWindow,
  MINUTE_MS,
  sum,
  utcDayNumber,
  windowHours,
  type Point,
  type Window,
} from './figures-common.js';

/** The account figures read from equity alone (one source's, or the summed portfolio's). */
export type EquityFigures = Pick<
  AccountFigures,
  'equity' | 'equityChange' | 'equityChangePct' | 'sharpe' | 'maxDrawdown' | 'maxDrawdownPct' | 'newHigh'
>;

/** The account figures that are money made or paid: summed as they are across sources. */
export type PnlFigures = Pick<AccountFigures, 'realized' | 'unrealized' | 'funding' | 'fees' | 'total'>;

/** Hourly returns are annualised over every hour of the year: markets run every day. */
const HOURS_PER_YEAR = 24 * 365;

/** A standard deviation below this is rounding noise: the returns were all the same. */
const ZERO_DEVIATION = 1e-12;

/** The value of a series' last point; null without points. */
export function lastValue(points: readonly Point[]): Maybe {
  const last = points.at(-1);
  return last ? last[1] : null;
}

/**
 * How much a "cumulative for the day" metric (reset at 00:00 UTC) grew within the window: over
 * each UTC day with points, the day's last point less its baseline (0 when the window holds the
 * day's 00:00, else the last point before the window on that day, else the day's first point).
 */
export function dailyIncrease(points: readonly Point[], w: Window, before: Point | undefined): Maybe {
  if (points.length === 0) return null;
  let total = 0;
  for (const [day, dayPoints] of groupBy(points, (p) => utcDayNumber(p[0]))) {
    const first = dayPoints[0]!;
    const last = dayPoints.at(-1)!;
    const baseline = inWindow(day * DAY_MS, w)
      ? 0
      : before && utcDayNumber(before[0]) === day
        ? before[1]
        : first[1];
    total += last[1] - baseline;
  }
  return figure(total);
}

/**
 * Equity at the window's hourly marks: index 0 is the first point, index k the last point before
 * `start + k` hours (undefined while there is none yet).
 */
export function hourlyMarks(equity: readonly Point[], w: Window): (number | undefined)[] {
  const marks: (number | undefined)[] = [equity[0]?.[1]];
  let i = 0;
  let last: number | undefined;
  for (let k = 1; k <= windowHours(w); k++) {
    const bound = w.start + k * HOUR_MS;
    for (; i < equity.length && equity[i]![0] < bound; i++) last = equity[i]![1];
    marks.push(last);
  }
  return marks;
}

/** Returns between consecutive marks that both exist, the earlier one not zero. */
export function markReturns(marks: readonly (number | undefined)[]): number[] {
  const returns: number[] = [];
  for (let k = 1; k < marks.length; k++) {
    const prev = marks[k - 1];
    const cur = marks[k];
    if (prev !== undefined && cur !== undefined && prev !== 0) returns.push(cur / prev - 1);
  }
  return returns;
}

/** Annualised Sharpe ratio of hourly returns (risk-free rate 0); null with < 2 returns or no spread. */
export function sharpeRatio(returns: readonly number[]): Maybe {
  if (returns.length < 2) return null;
  const sd = sampleStandardDeviation([...returns]);
  if (!(sd > ZERO_DEVIATION)) return null;
  return figure((mean([...returns]) / sd) * Math.sqrt(HOURS_PER_YEAR));
}

/**
 * The largest fall of equity from its running peak within the window, in money and in per cent of
 * that peak (0 when equity only rose; the per cent is null when that peak is not above 0).
 */
export function maxDrawdown(equity: readonly Point[]): { money: Maybe; pct: Maybe } {
  const first = equity[0];
  if (!first) return { money: null, pct: null };
  let peak = first[1];
  let worst = 0;
  let worstPeak = peak;
  for (const [, v] of equity) {
    if (v > peak) peak = v;
    if (peak - v > worst) {
      worst = peak - v;
      worstPeak = peak;
    }
  }
  return { money: figure(worst), pct: worstPeak > 0 ? figure((worst / worstPeak) * 100) : null };
}

/** The window's highest equity when it tops everything before the window; null without a history. */
export function newHigh(equity: readonly Point[], peakBefore: number | undefined): AccountFigures['newHigh'] {
  if (peakBefore === undefined) return null;
  let high: Point | undefined;
  for (const p of equity) if (!high || p[1] > high[1]) high = p;
  return high && high[1] > peakBefore ? { value: high[1], at: high[0] } : null;
}

/** Equity, its change, Sharpe, drawdown and a new high, from an equity series within the window. */
export function equityFigures(
  equity: readonly Point[],
  w: Window,
  peakBefore: number | undefined,
): EquityFigures {
  const first = equity[0]?.[1];
  const last = lastValue(equity);
  const change = first === undefined || last === null ? null : figure(last - first);
  const drawdown = maxDrawdown(equity);
  return {
    equity: last,
    equityChange: change,
    equityChangePct: change === null || !first ? null : figure((change / first) * 100),
    sharpe: sharpeRatio(markReturns(hourlyMarks(equity, w))),
    maxDrawdown: drawdown.money,
    maxDrawdownPct: drawdown.pct,
    newHigh: newHigh(equity, peakBefore),
  };
}

/**
 * Realized (closed trades, else the `realized_pnl` increase), unrealized (last point), funding
 * (`funding_pnl` increase), fees (of trades and fills when any carries them, else the `fees`
 * increase) and their total (realized + unrealized + funding: fees are inside net PnL already).
 */
export function pnlFigures(
  series: Record<string, Point[]>,
  before: Record<string, Point>,
  records: readonly TradeRecord[],
  w: Window,
): PnlFigures {
  const increase = (metric: string) => dailyIncrease(series[metric] ?? [], w, before[metric]);
  const trades = records.filter((r) => r.kind === 'trade');
  const withFees = records.filter((r) => r.fees !== undefined);
  const realized = trades.length > 0 ? figure(sum(trades.map((r) => r.pnl))) : increase('realized_pnl');
  const unrealized = lastValue(series.unrealized_pnl ?? []);
  const funding = increase('funding_pnl');
  const fees = withFees.length > 0 ? figure(sum(withFees.map((r) => r.fees ?? 0))) : increase('fees');
  const parts = [realized, unrealized, funding];
  const total = parts.every((v) => v === null) ? null : figure(sum(parts.map((v) => v ?? 0)));
  return { realized, unrealized, funding, fees, total };
}

/** Account figures in the report's order, from the equity part and the money part. */
export function accountFigures(eq: EquityFigures, pnl: PnlFigures): AccountFigures {
  return {
    equity: eq.equity,
    equityChange: eq.equityChange,
    equityChangePct: eq.equityChangePct,
    realized: pnl.realized,
    unrealized: pnl.unrealized,
    funding: pnl.funding,
    fees: pnl.fees,
    total: pnl.total,
    sharpe: eq.sharpe,
    maxDrawdown: eq.maxDrawdown,
    maxDrawdownPct: eq.maxDrawdownPct,
    newHigh: eq.newHigh,
  };
}

/**
 * Several sources' equity as one portfolio: at every minute where any source has a point, the sum
 * of each source's last value so far (a source counts from its first point on). The point's time
 * is the latest of that minute's points.
 */
export function portfolioSeries(series: readonly (readonly Point[])[]): Point[] {
  const points = series.flatMap((pts, source) => pts.map(([t, v]) => ({ t, v, source })));
  points.sort((a, b) => a.t - b.t);
  const current = new Map<number, number>();
  const out: Point[] = [];
  for (const minute of groupBy(points, (p) => Math.floor(p.t / MINUTE_MS)).values()) {
    for (const p of minute) current.set(p.source, p.v);
    out.push([minute.at(-1)!.t, sum([...current.values()])]);
  }
  return out;
}

/** The equity curve for the chart: the last point of each of CHART_POINTS equal parts of the window. */
export function equityCurve(equity: readonly Point[], w: Window): [number, number][] {
  const span = w.end - w.start;
  const kept = new Map<number, Point>();
  for (const p of equity) {
    kept.set(Math.min(CHART_POINTS - 1, Math.floor(((p[0] - w.start) * CHART_POINTS) / span)), p);
  }
  return [...kept.values()].map(([t, v]) => [t, v]);
}
