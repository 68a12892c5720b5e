import type { Severity } from '../../src/model/severity.js';
import type { AlertFigures, DigestReport, SourceFigures } from '../../src/digest/types.js';

/**
 * Hand-built digest reports for the rendering tests: a realistic day of two sources (one trading
 * busily, one that pushed equity and heartbeats but made no trade), and a quiet day.
 */

const HOUR = 3_600_000;
/** 2026-12-02 06:00 in Europe/Berlin: the end of the fixture's window. */
export const WINDOW_END = Date.UTC(2026, 11, 2, 5, 0, 0);
export const WINDOW_START = WINDOW_END - 24 * HOUR;
export const TIME_ZONE = 'Europe/Berlin';

function counts(c = 0, h = 0, w = 0, i = 0): Record<Severity, number> {
  return { critical: c, high: h, warning: w, info: i };
}

/** Alert figures with nothing in them: no alert fired, none open, 24 empty hours. */
export function emptyAlerts(start = WINDOW_START): AlertFigures {
  return {
    fired: 0,
    bySeverity: counts(),
    byRule: [],
    noisiest: [],
    timeToAck: { count: 0, medianMs: null, maxMs: null },
    timeToResolve: { count: 0, medianMs: null, maxMs: null },
    open: [],
    perHour: Array.from({ length: 24 }, (_, i) => ({ start: start + i * HOUR, counts: counts() })),
  };
}

/** Figures of a source (or of all, `null`) that recorded nothing at all. */
export function quietFigures(source: string | null): SourceFigures {
  return {
    source,
    quiet: true,
    account: {
      equity: null,
      equityChange: null,
      equityChangePct: null,
      realized: null,
      unrealized: null,
      funding: null,
      fees: null,
      total: null,
      sharpe: null,
      maxDrawdown: null,
      maxDrawdownPct: null,
      newHigh: null,
    },
    trades: {
      count: 0,
      won: 0,
      lost: 0,
      even: 0,
      winRate: null,
      profitFactor: null,
      avgWin: null,
      avgLoss: null,
      largestWin: null,
      largestLoss: null,
      fills: 0,
    },
    symbols: [],
    risk: { guards: [], breakerTrips: [], breakerTripped: null },
    health: {
      staleMarks: 0,
      wsReconnects: 0,
      unfilledOrders: 0,
      apiErrors: 0,
      orderRejects: 0,
      heartbeatGaps: 0,
      longestHeartbeatGapMs: null,
      lastHeartbeatAgeMs: null,
    },
    alerts: emptyAlerts(),
    equityCurve: [],
    notes: [],
  };
}

/** A deterministic equity walk: 288 points every 5 minutes from `from` to `to` over the window. */
function equityWalk(from: number, to: number, seed: number): [number, number][] {
  let x = seed;
  const n = 288;
  const points: [number, number][] = [];
  let v = from;
  for (let i = 0; i < n; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    const drift = (to - v) / (n - i);
    v += drift + (x / 2_147_483_648 - 0.5) * 60;
    points.push([WINDOW_START + i * 300_000, Math.round((i === n - 1 ? to : v) * 100) / 100]);
  }
  return points;
}

const PER_HOUR: [number, number, number, number][] = [
  [0, 0, 1, 0],
  [0, 0, 0, 1],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 2],
  [0, 0, 0, 0],
  [0, 1, 2, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 0],
  [1, 0, 0, 1],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 1, 0],
  [0, 2, 3, 1],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 1],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 1],
];

/** The busy source: 20 trades on three symbols, guard triggers, alerts, two still open. */
function gridFigures(): SourceFigures {
  const base = quietFigures('grid-1');
  return {
    ...base,
    quiet: false,
    account: {
      equity: 50_234.56,
      equityChange: 1_234.56,
      equityChangePct: 2.52,
      realized: 1_100,
      unrealized: 200,
      funding: -65.44,
      fees: 120,
      total: 1_234.56,
      sharpe: 1.87,
      maxDrawdown: 450,
      maxDrawdownPct: 0.92,
      newHigh: { value: 50_301.2, at: WINDOW_START + 22 * HOUR + 35 * 60_000 },
    },
    trades: {
      count: 20,
      won: 13,
      lost: 7,
      even: 0,
      winRate: 0.65,
      profitFactor: 2.34,
      avgWin: 150,
      avgLoss: 90,
      largestWin: 450,
      largestLoss: 210,
      fills: 41,
    },
    symbols: [
      { symbol: 'BTC-USD', pnl: 780.5, trades: 8, winRate: 0.75 },
      { symbol: 'ETH-USD', pnl: 320.25, trades: 6, winRate: 2 / 3 },
      { symbol: 'SOL-USD', pnl: -65.44, trades: 6, winRate: 0.5 },
    ],
    risk: {
      guards: [
        { guard: 'slippage_guard', count: 3 },
        { guard: 'exposure_guard', count: 1 },
      ],
      breakerTrips: [],
      breakerTripped: false,
    },
    health: {
      staleMarks: 0,
      wsReconnects: 2,
      unfilledOrders: 0,
      apiErrors: 1,
      orderRejects: 1,
      heartbeatGaps: 1,
      longestHeartbeatGapMs: 252_000,
      lastHeartbeatAgeMs: 12_000,
    },
    alerts: {
      fired: 20,
      bySeverity: counts(1, 3, 9, 7),
      byRule: [
        { name: 'SlippageHigh', fired: 6, notifications: 9 },
        { name: 'WsReconnects', fired: 5, notifications: 5 },
        { name: 'DailyLoss', fired: 1, notifications: 3 },
      ],
      noisiest: [
        { name: 'SlippageHigh', fired: 6, notifications: 9 },
        { name: 'WsReconnects', fired: 5, notifications: 5 },
        { name: 'DailyLoss', fired: 1, notifications: 3 },
      ],
      timeToAck: { count: 3, medianMs: 252_000, maxMs: 720_000 },
      timeToResolve: { count: 14, medianMs: 1_200_000, maxMs: 3_900_000 },
      open: [
        {
          fp: '3f2a9c1d7b6e4f08',
          name: 'DailyLoss',
          severity: 'critical',
          source: 'grid-1',
          since: WINDOW_START + 10 * HOUR + 42 * 60_000,
          acknowledged: true,
          title: 'daily loss 104% of limit on grid-1',
        },
        {
          fp: '9b1e0c44aa2d7f13',
          name: 'SlippageHigh',
          severity: 'warning',
          source: 'grid-1',
          since: WINDOW_START + 20 * HOUR + 5 * 60_000,
          acknowledged: false,
        },
      ],
      perHour: PER_HOUR.map(([c, h, w, i], k) => ({
        start: WINDOW_START + k * HOUR,
        counts: counts(c, h, w, i),
      })),
    },
    equityCurve: equityWalk(49_000, 50_234.56, 42),
  };
}

/** The second source: equity and heartbeats, no trade, no alert; its breaker state not reported. */
function scalperFigures(): SourceFigures {
  const base = quietFigures('scalper-eu');
  return {
    ...base,
    quiet: false,
    account: {
      ...base.account,
      equity: 10_000,
      equityChange: 0,
      equityChangePct: 0,
      realized: 0,
      unrealized: 0,
      funding: 0,
      fees: 0,
      total: 0,
      sharpe: null,
      maxDrawdown: 0,
      maxDrawdownPct: 0,
    },
    health: { ...base.health, lastHeartbeatAgeMs: 30_000, longestHeartbeatGapMs: 60_000 },
    equityCurve: equityWalk(10_000, 10_000, 7),
    notes: ['no equity pushed after 2026-12-02 03:10'],
  };
}

/** A realistic two-source day (figures as in the operators' example report for the busy source). */
export function fixtureReport(): DigestReport {
  const grid = gridFigures();
  const scalper = scalperFigures();
  const overall: SourceFigures = {
    ...grid,
    source: null,
    account: {
      ...grid.account,
      equity: 60_234.56,
      equityChange: 1_234.56,
      equityChangePct: 2.09,
      newHigh: null,
    },
    health: { ...grid.health, lastHeartbeatAgeMs: 12_000 },
    equityCurve: grid.equityCurve.map(([t, v], i) => [
      t,
      Math.round((v + (scalper.equityCurve[i]?.[1] ?? 0)) * 100) / 100,
    ]),
    notes: ['scalper-eu: no equity pushed after 2026-12-02 03:10'],
  };
  return {
    version: 1,
    date: '2026-12-02',
    timeZone: TIME_ZONE,
    window: { start: WINDOW_START, end: WINDOW_END },
    generatedAt: WINDOW_END + 3_000,
    overall,
    sources: [grid, scalper],
    deliveries: {
      perReceiver: [
        { receiver: 'ops-email', sent: 12, failed: 1, dead: 0 },
        { receiver: 'oncall-pagerduty', sent: 4, failed: 0, dead: 0 },
        { receiver: 'team-telegram', sent: 17, failed: 2, dead: 1 },
      ],
      deadInWindow: 1,
      deadWaiting: 1,
    },
  };
}

/** A day on which nothing happened at one source: no trade, no equity, no alert. */
export function quietReport(): DigestReport {
  const only = quietFigures('grid-1');
  return {
    version: 1,
    date: '2026-12-02',
    timeZone: TIME_ZONE,
    window: { start: WINDOW_START, end: WINDOW_END },
    generatedAt: WINDOW_END + 3_000,
    overall: { ...only, source: null },
    sources: [only],
    deliveries: { perReceiver: [], deadInWindow: 0, deadWaiting: 0 },
  };
}
