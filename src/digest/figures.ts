import type {
  DeliveryCount,
  DeliveryFigures,
  DigestInput,
  DigestOptions,
  DigestReport,
  Dropped,
  SourceFigures,
  SourceRecords,
} from './types.js';
import {
  accountFigures,
  equityCurve,
  equityFigures,
  portfolioSeries,
  pnlFigures,
  type PnlFigures,
} from './figures-account.js';
import {
  breakerState,
  combinedBreakerState,
  combinedHeartbeats,
  healthFigures,
  heartbeatFigures,
  riskFigures,
  symbolFigures,
  tradeFigures,
} from './figures-activity.js';
import { alertFigures } from './figures-alerts.js';
import { clockTime, localDate } from './zoned-time.js';
import { compareText, inWindow, sum, sumMaybe, type Point, type Window } from './figures-common.js';

/**
 * The digest of one window: per source and overall figures, deliveries, the date in the report's
 * time zone. Pure: everything comes from `input` and `opts` (docs/digest.md defines each figure).
 */
export function computeDigest(input: DigestInput, opts: DigestOptions): DigestReport {
  const w: Window = { start: input.window.start, end: input.window.end };
  const date = localDate(w.end, opts.timeZone);
  const records = [...input.sources]
    .sort((a, b) => compareText(a.source, b.source))
    .map((s) => clipToWindow(s, w));
  const sources = records.map((s) => sourceFigures(s, w, opts, date));
  const only = sources.length === 1 ? sources[0] : undefined;
  return {
    version: 1,
    date,
    timeZone: opts.timeZone,
    window: w,
    generatedAt: opts.generatedAt,
    ...(opts.lateFrom === undefined ? {} : { lateFrom: opts.lateFrom }),
    overall: only ? { ...only, source: null } : overallFigures(records, sources, w, opts),
    sources,
    deliveries: deliveryFigures(input.deliveries, w, input.deadLettersWaiting),
  };
}

/** A source's records with only what falls within the window (`before`, `dropped` kept as they are). */
export function clipToWindow(s: SourceRecords, w: Window): SourceRecords {
  const points = (pts: Point[]) => pts.filter(([t]) => inWindow(t, w));
  return {
    ...s,
    series: Object.fromEntries(Object.entries(s.series).map(([metric, pts]) => [metric, points(pts)])),
    heartbeats: points(s.heartbeats),
    events: s.events.filter((e) => inWindow(e.t, w)),
    trades: s.trades.filter((r) => inWindow(r.t, w)),
    alerts: s.alerts.filter((r) => inWindow(r.t, w)),
  };
}

/** Whether a source recorded nothing in the window: no point, trade, event, heartbeat or alert. */
export function isQuiet(s: SourceRecords): boolean {
  return (
    Object.values(s.series).every((pts) => pts.length === 0) &&
    s.trades.length === 0 &&
    s.events.length === 0 &&
    s.heartbeats.length === 0 &&
    s.alerts.length === 0
  );
}

function sourceFigures(s: SourceRecords, w: Window, opts: DigestOptions, date: string): SourceFigures {
  const equity = s.series.equity ?? [];
  const quiet = isQuiet(s);
  const notes = s.dropped.map((d) => droppedNote(d, opts.timeZone, date));
  if (equity.length === 0 && !quiet) notes.push('No equity was pushed.');
  return {
    source: s.source,
    quiet,
    account: accountFigures(
      equityFigures(equity, w, s.peakBefore),
      pnlFigures(s.series, s.before, s.trades, w),
    ),
    trades: tradeFigures(s.trades),
    symbols: symbolFigures(s.trades),
    risk: riskFigures(s.events, breakerState(s.series.circuit_breaker ?? [])),
    health: healthFigures(s.events, heartbeatFigures(s.heartbeats, w, opts.heartbeatGapMs)),
    alerts: alertFigures(
      s.alerts.map((record) => ({ record, source: s.source })),
      w,
      opts.noisiest,
    ),
    equityCurve: equityCurve(equity, w),
    notes,
  };
}

/**
 * All sources as one (any number but one): equity summed as a portfolio, money figures summed,
 * trades, events and alerts pooled, heartbeats and breaker states combined.
 */
function overallFigures(
  records: readonly SourceRecords[],
  figures: readonly SourceFigures[],
  w: Window,
  opts: DigestOptions,
): SourceFigures {
  const withEquity = records.filter((s) => (s.series.equity ?? []).length > 0);
  const equity = portfolioSeries(withEquity.map((s) => s.series.equity ?? []));
  const peaks = withEquity.map((s) => s.peakBefore);
  const peakBefore =
    peaks.length > 0 && peaks.every((p) => p !== undefined) ? sum(peaks as number[]) : undefined;
  const summed = (key: keyof PnlFigures) => sumMaybe(figures.map((f) => f.account[key]));
  const pnl: PnlFigures = {
    realized: summed('realized'),
    unrealized: summed('unrealized'),
    funding: summed('funding'),
    fees: summed('fees'),
    total: summed('total'),
  };
  const trades = records.flatMap((s) => s.trades).sort((a, b) => a.t - b.t);
  const events = records.flatMap((s) => s.events);
  return {
    source: null,
    quiet: figures.every((f) => f.quiet),
    account: accountFigures(equityFigures(equity, w, peakBefore), pnl),
    trades: tradeFigures(trades),
    symbols: symbolFigures(trades),
    risk: riskFigures(events, combinedBreakerState(figures.map((f) => f.risk.breakerTripped))),
    health: healthFigures(events, combinedHeartbeats(figures.map((f) => f.health))),
    alerts: alertFigures(
      records.flatMap((s) => s.alerts.map((record) => ({ record, source: s.source }))),
      w,
      opts.noisiest,
    ),
    equityCurve: equityCurve(equity, w),
    notes: figures.flatMap((f) => f.notes.map((n) => `${f.source ?? ''}: ${n}`)),
  };
}

/** Deliveries within the window per receiver (by name), dead letters then and waiting now. */
function deliveryFigures(counts: readonly DeliveryCount[], w: Window, deadWaiting: number): DeliveryFigures {
  const perReceiver = new Map<string, { receiver: string; sent: number; failed: number; dead: number }>();
  for (const c of counts) {
    if (!inWindow(c.t, w)) continue;
    const row = perReceiver.get(c.receiver) ?? { receiver: c.receiver, sent: 0, failed: 0, dead: 0 };
    row[c.result] += c.n;
    perReceiver.set(c.receiver, row);
  }
  const rows = [...perReceiver.values()].sort((a, b) => compareText(a.receiver, b.receiver));
  return { perReceiver: rows, deadInWindow: sum(rows.map((r) => r.dead)), deadWaiting };
}

const DROPPED_WORDS: Record<Dropped['kind'], { what: string; one: string; many: string; covers: string }> = {
  points: {
    what: 'series points and events',
    one: 'point',
    many: 'points',
    covers: 'account, risk and health figures',
  },
  trades: { what: 'trades', one: 'trade', many: 'trades', covers: 'trade figures' },
  alerts: { what: 'alerts', one: 'alert record', many: 'alert records', covers: 'alert figures' },
};

/** The sentence saying a day's recording stopped at its size bound and what that leaves out. */
export function droppedNote(d: Dropped, timeZone: string, reportDate: string): string {
  const words = DROPPED_WORDS[d.kind];
  const day = localDate(d.since, timeZone);
  const when = `${day === reportDate ? '' : `on ${day} `}at ${clockTime(d.since, timeZone)}`;
  const later = d.count === 1 ? `1 later ${words.one} is` : `${d.count} later ${words.many} are`;
  return `Recording of ${words.what} reached its daily bound ${when}: ${later} not counted; ${words.covers} cover the day until then.`;
}
