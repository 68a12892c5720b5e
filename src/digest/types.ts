import type { Severity } from '../model/severity.js';

/**
 * The digest's two shapes of data:
 * - what the pipeline and the delivery worker record for it (`SourceRecords`, `DeliveryCount`),
 *   read back for one window by `digest-store.ts`;
 * - what `computeDigest()` makes of them (`DigestReport`): plain JSON, carried in the digest's
 *   notification and laid out by the renderers (text, HTML, charts, the short chat version).
 * Times are epoch milliseconds throughout.
 */

/** A closed trade (`trade_closed`) or a fill (`fill`), as a bot pushed it. */
export interface TradeRecord {
  t: number;
  kind: 'trade' | 'fill';
  symbol?: string;
  side?: string;
  /** Net PnL of the trade as the bot reports it (a fill without one: 0). */
  pnl: number;
  fees?: number;
}

/**
 * One recorded step of an alert's life, with its labels and value then:
 * - `fired`: it started firing (or fired again after resolving);
 * - `resolved`: it stopped firing;
 * - `acknowledged`: somebody took it (`by`);
 * - `notified`: a notification of `kind` was produced for `receiver`.
 * `since` is when the alert started firing (for time to acknowledge and to resolve).
 */
export interface AlertRecord {
  t: number;
  type: 'fired' | 'resolved' | 'acknowledged' | 'notified';
  fp: string;
  /** The rule (or pushed alert's) name. */
  name: string;
  severity: Severity;
  labels: Record<string, string>;
  title?: string;
  value?: number;
  since?: number;
  kind?: string;
  receiver?: string;
  by?: string;
}

/** Event counts of one type (and key: the guard, the breaker's rule, the symbol) in one minute. */
export interface EventCount {
  /** Start of the minute. */
  t: number;
  type: string;
  /** `data.guard` of `guard_triggered`, `data.rule` of `circuit_breaker_triggered`, else the symbol or ''. */
  key: string;
  n: number;
}

/** What the recording left out because a source's day reached its size bound. */
export interface Dropped {
  /** `points` (series points and event counts), `trades` or `alerts`. */
  kind: 'points' | 'trades' | 'alerts';
  count: number;
  /** When the first entry was left out: the day is complete up to here. */
  since: number;
}

/** Everything recorded for one source within a window (possibly spanning several recorded days). */
export interface SourceRecords {
  source: string;
  /**
   * Series points, one a minute (the last value pushed in that minute), per metric, sorted by time:
   * `equity`, `realized_pnl`, `unrealized_pnl`, `funding_pnl`, `fees`, `daily_pnl`,
   * `drawdown_pct`, `circuit_breaker` (the account-level series: samples without a `symbol` label).
   */
  series: Record<string, [t: number, value: number][]>;
  /** Heartbeats per minute that had any: [minute start, count], sorted. */
  heartbeats: [t: number, n: number][];
  /** Counts of every event other than heartbeats, trades and fills. */
  events: EventCount[];
  trades: TradeRecord[];
  alerts: AlertRecord[];
  dropped: Dropped[];
  /**
   * The last point of each series before the window began, on the same UTC day (the baseline of
   * "cumulative for the day" metrics when the window starts mid-day), per metric.
   */
  before: Record<string, [t: number, value: number]>;
  /** The highest equity recorded before the window (within the retention), if any. */
  peakBefore?: number;
}

/** Deliveries of one receiver with one result in one minute. */
export interface DeliveryCount {
  t: number;
  receiver: string;
  /** `sent`; `failed`: an attempt failed (it may have gone later); `dead`: dead-lettered. */
  result: 'sent' | 'failed' | 'dead';
  n: number;
}

/** The input of `computeDigest()`: everything read for one window. */
export interface DigestInput {
  window: { start: number; end: number };
  sources: SourceRecords[];
  deliveries: DeliveryCount[];
  /** Dead letters waiting now (the list's length), whatever their age. */
  deadLettersWaiting: number;
}

export interface DigestOptions {
  /** IANA time zone the report's date and times are shown in. */
  timeZone: string;
  /** When the report was made (ms). */
  generatedAt: number;
  /** The scheduled time, when the report is sent late (the service was down at that time). */
  lateFrom?: number;
  /** A silence between heartbeats longer than this counts as a gap (ms). */
  heartbeatGapMs: number;
  /** How many rules "noisiest rules" lists. */
  noisiest: number;
}

/** A money or count figure that may not exist on a quiet day: null, never NaN. */
export type Maybe = number | null;

export interface TradeFigures {
  count: number;
  won: number;
  lost: number;
  /** Trades with a PnL of exactly 0: neither won nor lost. */
  even: number;
  /** won / (won + lost), 0..1. */
  winRate: Maybe;
  /** Gross profit / gross loss; null without losing trades. */
  profitFactor: Maybe;
  avgWin: Maybe;
  /** As a positive amount. */
  avgLoss: Maybe;
  largestWin: Maybe;
  /** As a positive amount. */
  largestLoss: Maybe;
  fills: number;
}

export interface SymbolFigures {
  symbol: string;
  pnl: number;
  trades: number;
  /** 0..1, null when no trade of it won or lost. */
  winRate: Maybe;
}

export interface AccountFigures {
  /** Last equity in the window. */
  equity: Maybe;
  /** Last equity minus the first in the window. */
  equityChange: Maybe;
  /** That change relative to the first equity, in per cent. */
  equityChangePct: Maybe;
  realized: Maybe;
  unrealized: Maybe;
  funding: Maybe;
  fees: Maybe;
  /** realized + unrealized + funding (fees are in the bots' net PnL already). */
  total: Maybe;
  /** Annualised Sharpe ratio of hourly equity returns (see docs/digest.md). */
  sharpe: Maybe;
  /** Largest fall of equity from a running peak within the window, in money, positive. */
  maxDrawdown: Maybe;
  /** That fall relative to the peak it fell from, in per cent. */
  maxDrawdownPct: Maybe;
  /** A new equity high: the window's highest equity is above everything recorded before it. */
  newHigh: { value: number; at: number } | null;
}

export interface HealthFigures {
  staleMarks: number;
  wsReconnects: number;
  unfilledOrders: number;
  apiErrors: number;
  orderRejects: number;
  /** Silences between heartbeats longer than the configured gap. */
  heartbeatGaps: number;
  /** The longest silence between heartbeats within the window (ms); null without heartbeats. */
  longestHeartbeatGapMs: Maybe;
  /** Time from the last heartbeat to the window's end (ms); null without heartbeats. */
  lastHeartbeatAgeMs: Maybe;
}

export interface RiskFigures {
  /** guard → triggers, most first. */
  guards: { guard: string; count: number }[];
  /** Circuit breaker trips by rule, most first. */
  breakerTrips: { rule: string; count: number }[];
  /** The last `circuit_breaker` value in the window: true tripped, false normal, null unknown. */
  breakerTripped: boolean | null;
}

export interface AlertFigures {
  /** Alerts that started firing in the window. */
  fired: number;
  bySeverity: Record<Severity, number>;
  /** Per rule name: fired and notifications produced, most notifications first. */
  byRule: { name: string; fired: number; notifications: number }[];
  /** The first `noisiest` of byRule. */
  noisiest: { name: string; fired: number; notifications: number }[];
  /** Time from firing to the first acknowledgement, over the alerts acknowledged in the window. */
  timeToAck: { count: number; medianMs: Maybe; maxMs: Maybe };
  /** Time from firing to resolve, over the alerts resolved in the window. */
  timeToResolve: { count: number; medianMs: Maybe; maxMs: Maybe };
  /** Alerts whose last record in the window says firing (fired or acknowledged, not resolved). */
  open: {
    fp: string;
    name: string;
    severity: Severity;
    source: string;
    since: number;
    acknowledged: boolean;
    title?: string;
  }[];
  /** Fired per hour of the window, by severity: index 0 is the window's first hour. */
  perHour: { start: number; counts: Record<Severity, number> }[];
}

/** The figures of one source, or of all of them together (`source: null`). */
export interface SourceFigures {
  source: string | null;
  /** No trade, no equity, no alert: a quiet source. */
  quiet: boolean;
  account: AccountFigures;
  trades: TradeFigures;
  symbols: SymbolFigures[];
  risk: RiskFigures;
  health: HealthFigures;
  alerts: AlertFigures;
  /** Equity curve for the chart: at most CHART_POINTS points, [t, value]. */
  equityCurve: [number, number][];
  /** Sentences about gaps in the data: a day cut short by the size bound, no equity pushed. */
  notes: string[];
}

export interface DeliveryFigures {
  perReceiver: { receiver: string; sent: number; failed: number; dead: number }[];
  /** Dead-lettered within the window. */
  deadInWindow: number;
  /** Waiting in the dead-letter list now. */
  deadWaiting: number;
}

/** The digest of one window: JSON (`--format json`), and what every renderer lays out. */
export interface DigestReport {
  version: 1;
  /** The report's date in its time zone: the date of the window's end (YYYY-MM-DD). */
  date: string;
  timeZone: string;
  window: { start: number; end: number };
  generatedAt: number;
  /** Set when sent late: the time it was scheduled for. */
  lateFrom?: number;
  /** ISO 4217 code of the money figures (`digest.currency`); absent: USD. */
  currency?: string;
  /** All sources together (the only entry's figures when there is one source). */
  overall: SourceFigures;
  /** Per source, by name. */
  sources: SourceFigures[];
  deliveries: DeliveryFigures;
}

/** Points an equity curve keeps for the chart (one every 5 minutes over a day). */
export const CHART_POINTS = 288;
