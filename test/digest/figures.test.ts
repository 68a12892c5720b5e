import { describe, expect, it } from 'vitest';
import { computeDigest } from '../../src/digest/figures.js';
import type {
  AlertRecord,
  DeliveryCount,
  DigestInput,
  DigestOptions,
  EventCount,
  SourceRecords,
  TradeRecord,
} from '../../src/digest/types.js';

const MIN = 60_000;
const d1 = (hm: string) => Date.parse(`2025-10-21T${hm}:00Z`);
const d2 = (hm: string) => Date.parse(`2025-10-22T${hm}:00Z`);

/** 06:00 UTC to 06:00 UTC: the window holds 2025-10-22 00:00 UTC, where daily metrics reset. */
const WINDOW = { start: d1('06:00'), end: d2('06:00') };

const OPTS: DigestOptions = {
  timeZone: 'UTC',
  generatedAt: d2('06:00') + 5_000,
  heartbeatGapMs: 5 * MIN,
  noisiest: 5,
};

function source(name: string, parts: Partial<SourceRecords> = {}): SourceRecords {
  return {
    source: name,
    series: {},
    heartbeats: [],
    events: [],
    trades: [],
    alerts: [],
    dropped: [],
    before: {},
    ...parts,
  };
}

function input(sources: SourceRecords[], extra: Partial<DigestInput> = {}): DigestInput {
  return { window: WINDOW, sources, deliveries: [], deadLettersWaiting: 0, ...extra };
}

const trade = (t: number, symbol: string | undefined, pnl: number, fees: number): TradeRecord => ({
  t,
  kind: 'trade',
  ...(symbol === undefined ? {} : { symbol }),
  pnl,
  fees,
});

const event = (t: number, type: string, key: string, n: number): EventCount => ({ t, type, key, n });

function alert(
  t: number,
  type: AlertRecord['type'],
  fp: string,
  name: string,
  severity: AlertRecord['severity'],
  extra: Partial<AlertRecord> = {},
): AlertRecord {
  return { t, type, fp, name, severity, labels: { source: 'grid-1' }, ...extra };
}

/**
 * grid-1's recorded day.
 *
 * Equity: 10 000 at 06:00, 10 500 at 09:10, 11 000 at 09:30, 9 900 at 12:30, 10 890 at 15:30.
 * Hourly marks (last point before 06:00 + k h): E0 = 10 000 (first point), E1..E3 = 10 000,
 * E4..E6 = 11 000, E7..E9 = 9 900, E10..E24 = 10 890. The 24 returns: +0.1 (k = 4), -0.1 (k = 7),
 * +0.1 (k = 10: 10 890 / 9 900 - 1), 0 otherwise. Σr = 0.1, Σr² = 0.03, mean = 0.1 / 24 =
 * 0.0041667; sample variance = (0.03 - 24 · mean²) / 23 = (0.71 / 24) / 23 = 0.0012862, sd =
 * 0.0358641; Sharpe = mean / sd · √8760 = 0.1161794 · 93.5948717 = 10.8738.
 * Drawdown: peak 11 000, low 9 900 → 1 100, 10 %. New high: 11 000 at 09:30 > peakBefore 10 800.
 * Change: 10 890 - 10 000 = 890, 8.9 %.
 */
function grid1(): SourceRecords {
  const heartbeats: [number, number][] = [];
  // Every minute 06:00 → 05:55, except 10:01..10:12 (silent: 10:13 - 10:00 - 1 min = 12 min).
  for (let t = d1('06:00'); t <= d2('05:55'); t += MIN) {
    if (t < d1('10:01') || t > d1('10:12')) heartbeats.push([t, 1]);
  }
  return source('grid-1', {
    series: {
      equity: [
        [d1('05:59'), 20_000], // before the window
        [d1('06:00'), 10_000],
        [d1('09:10'), 10_500],
        [d1('09:30'), 11_000],
        [d1('12:30'), 9_900],
        [d1('15:30'), 10_890],
        [d2('06:00'), 99_999], // at the window's end: not counted
      ],
      // Cumulative for the day. 21 Oct began before the window: baseline = before (-3) → -12 - -3 = -9.
      // 22 Oct 00:00 is in the window: baseline 0 → -4. Funding = -13.
      funding_pnl: [
        [d1('08:00'), -5],
        [d1('23:59'), -12],
        [d2('00:30'), -1],
        [d2('05:59'), -4],
      ],
      // Trades exist, so realized and fees come from them, not from these series.
      realized_pnl: [
        [d1('10:00'), 50],
        [d2('05:00'), 30],
      ],
      fees: [[d1('23:59'), 100]],
      unrealized_pnl: [
        [d1('12:00'), -20],
        [d2('05:59'), 40],
      ],
      circuit_breaker: [
        [d1('06:00'), 0],
        [d1('12:31'), 1],
        [d1('14:00'), 0],
      ],
    },
    before: { funding_pnl: [d1('05:00'), -3] },
    peakBefore: 10_800,
    heartbeats,
    trades: [
      { t: d1('07:14'), kind: 'fill', symbol: 'BTC-USD', pnl: 0, fees: 0.5 },
      trade(d1('07:15'), 'BTC-USD', 100, 2),
      trade(d1('08:40'), 'ETH-USD', 30, 1),
      trade(d1('11:05'), 'BTC-USD', -40, 2),
      { t: d1('12:19'), kind: 'fill', symbol: 'SOL-USD', pnl: 0, fees: 0.5 },
      trade(d1('12:20'), 'SOL-USD', -50, 1.5),
      trade(d1('13:45'), 'ETH-USD', 0, 1),
      trade(d1('17:30'), 'BTC-USD', 60, 2),
      trade(d1('22:10'), 'ETH-USD', -20, 1),
      trade(d2('02:00'), 'SOL-USD', 25, 0.5),
    ],
    events: [
      event(d1('08:00'), 'guard_triggered', 'slippage_guard', 2),
      event(d1('09:00'), 'guard_triggered', 'exposure_guard', 1),
      event(d1('09:05'), 'guard_triggered', 'daily_loss', 1),
      event(d1('15:00'), 'guard_triggered', 'slippage_guard', 1),
      event(d1('12:31'), 'circuit_breaker_triggered', 'daily_loss', 1),
      event(d1('10:05'), 'stale_mark_detected', 'BTC-USD', 2),
      event(d1('10:01'), 'websocket_reconnect', '', 1),
      event(d1('10:02'), 'api_error', '', 1),
      event(d1('10:03'), 'api_authentication_failed', '', 1),
      event(d1('18:00'), 'order_rejected', '', 1),
      event(d2('06:00'), 'api_error', '', 7), // at the window's end: not counted
    ],
    alerts: [
      // Fired before the window, resolved in it: 06:30 - 05:00 = 90 min to resolve.
      alert(d1('06:30'), 'resolved', 'a0', 'old_rule', 'warning', { since: d1('05:00') }),
      // Fired and resolved: 10:14 - 10:06 = 8 min.
      alert(d1('10:08'), 'fired', 'a2', 'heartbeat_missing', 'critical', { since: d1('10:06') }),
      alert(d1('10:08'), 'notified', 'a2', 'heartbeat_missing', 'critical', {
        kind: 'firing',
        receiver: 'chat',
      }),
      alert(d1('10:14'), 'resolved', 'a2', 'heartbeat_missing', 'critical', { since: d1('10:06') }),
      alert(d1('10:14'), 'notified', 'a2', 'heartbeat_missing', 'critical', {
        kind: 'resolved',
        receiver: 'chat',
      }),
      // Acknowledged after 10 min (the second acknowledgement is not the first), resolved after 90 min.
      alert(d1('12:35'), 'fired', 'a1', 'drawdown_high', 'high', { since: d1('12:35') }),
      alert(d1('12:35'), 'notified', 'a1', 'drawdown_high', 'high', {
        kind: 'firing',
        receiver: 'ops-email',
      }),
      alert(d1('12:35'), 'notified', 'a1', 'drawdown_high', 'high', { kind: 'firing', receiver: 'chat' }),
      alert(d1('12:45'), 'acknowledged', 'a1', 'drawdown_high', 'high', { since: d1('12:35'), by: 'ann' }),
      alert(d1('12:50'), 'acknowledged', 'a1', 'drawdown_high', 'high', { since: d1('12:35'), by: 'bob' }),
      alert(d1('14:05'), 'resolved', 'a1', 'drawdown_high', 'high', { since: d1('12:35') }),
      alert(d1('14:05'), 'notified', 'a1', 'drawdown_high', 'high', { kind: 'resolved', receiver: 'chat' }),
      // Acknowledged after 30 min, still open.
      alert(d1('16:20'), 'fired', 'a3', 'stale_marks', 'warning', {
        since: d1('16:20'),
        title: 'Stale marks on BTC-USD',
      }),
      alert(d1('16:20'), 'notified', 'a3', 'stale_marks', 'warning', { kind: 'firing', receiver: 'chat' }),
      alert(d1('16:50'), 'acknowledged', 'a3', 'stale_marks', 'warning', { since: d1('16:20'), by: 'ann' }),
      alert(d1('16:50'), 'notified', 'a3', 'stale_marks', 'warning', {
        kind: 'acknowledged',
        receiver: 'chat',
      }),
      // The same rule again: resolved after 60 min.
      alert(d1('20:00'), 'fired', 'a5', 'drawdown_high', 'high', { since: d1('20:00') }),
      alert(d1('20:00'), 'notified', 'a5', 'drawdown_high', 'high', { kind: 'firing', receiver: 'chat' }),
      alert(d1('21:00'), 'resolved', 'a5', 'drawdown_high', 'high', { since: d1('20:00') }),
      alert(d1('21:00'), 'notified', 'a5', 'drawdown_high', 'high', { kind: 'resolved', receiver: 'chat' }),
      // No source label, no `since`, nobody told: open since it fired.
      { ...alert(d2('03:10'), 'fired', 'a4', 'api_errors', 'info'), labels: {} },
      // At the window's end: not counted.
      alert(d2('06:00'), 'fired', 'a9', 'late_rule', 'critical', { since: d2('06:00') }),
    ],
    dropped: [{ kind: 'trades', count: 3, since: d2('02:32') }],
  });
}

/** mm-2: two heartbeats at the window's start and nothing else. */
function mm2(): SourceRecords {
  return source('mm-2', {
    heartbeats: [
      [d1('06:00'), 1],
      [d1('06:01'), 1],
    ],
  });
}

const deliveries: DeliveryCount[] = [
  { t: d1('05:00'), receiver: 'pager', result: 'sent', n: 1 }, // before the window
  { t: d1('10:08'), receiver: 'chat', result: 'sent', n: 1 },
  { t: d1('12:35'), receiver: 'ops-email', result: 'sent', n: 1 },
  { t: d1('12:35'), receiver: 'chat', result: 'sent', n: 1 },
  { t: d1('12:35'), receiver: 'chat', result: 'failed', n: 2 },
  { t: d1('16:20'), receiver: 'chat', result: 'sent', n: 3 },
  { t: d1('20:00'), receiver: 'chat', result: 'dead', n: 1 },
  { t: d2('06:00'), receiver: 'ops-email', result: 'dead', n: 5 }, // at the window's end
];

const zero = { critical: 0, high: 0, warning: 0, info: 0 };

describe('computeDigest on a recorded day', () => {
  const report = computeDigest(input([mm2(), grid1()], { deliveries, deadLettersWaiting: 3 }), OPTS);
  const grid = report.sources[0]!;
  const mm = report.sources[1]!;

  it('dates the report by the window end in its time zone and lists sources by name', () => {
    expect(report.version).toBe(1);
    expect(report.date).toBe('2025-10-22');
    expect(report.window).toEqual(WINDOW);
    expect('lateFrom' in report).toBe(false);
    expect(report.sources.map((s) => s.source)).toEqual(['grid-1', 'mm-2']);
  });

  it('works out equity, change, Sharpe, drawdown and the new high from the equity points', () => {
    expect(grid.account.equity).toBe(10_890);
    expect(grid.account.equityChange).toBe(890);
    expect(grid.account.equityChangePct).toBeCloseTo(8.9, 10);
    expect(grid.account.sharpe).toBeCloseTo(10.8738, 3);
    expect(grid.account.maxDrawdown).toBe(1_100);
    expect(grid.account.maxDrawdownPct).toBeCloseTo(10, 10);
    expect(grid.account.newHigh).toEqual({ value: 11_000, at: d1('09:30') });
    expect(grid.equityCurve).toEqual([
      [d1('06:00'), 10_000],
      [d1('09:10'), 10_500],
      [d1('09:30'), 11_000],
      [d1('12:30'), 9_900],
      [d1('15:30'), 10_890],
    ]);
  });

  it('sums PnL: realized and fees from trades, funding per UTC day, total without fees', () => {
    // Realized: 100 + 30 - 40 - 50 + 0 + 60 - 20 + 25 = 105. Fees of trades and fills:
    // 2 + 1 + 2 + 1.5 + 1 + 2 + 1 + 0.5 + 0.5 + 0.5 = 12. Total: 105 + 40 - 13 = 132.
    expect(grid.account).toMatchObject({ realized: 105, unrealized: 40, funding: -13, fees: 12, total: 132 });
  });

  it('counts trades won, lost and even, with win rate, profit factor and averages', () => {
    // Won 100, 30, 60, 25 (Σ 215); lost 40, 50, 20 (Σ 110); one even. Win rate 4 / 7.
    expect(grid.trades).toEqual({
      count: 8,
      won: 4,
      lost: 3,
      even: 1,
      winRate: 4 / 7,
      profitFactor: 215 / 110,
      avgWin: 53.75,
      avgLoss: 110 / 3,
      largestWin: 100,
      largestLoss: 50,
      fills: 2,
    });
    // BTC 100 - 40 + 60 = 120 (2 of 3 won); ETH 30 + 0 - 20 = 10 (1 won, 1 lost, 1 even); SOL -25.
    expect(grid.symbols).toEqual([
      { symbol: 'BTC-USD', pnl: 120, trades: 3, winRate: 2 / 3 },
      { symbol: 'ETH-USD', pnl: 10, trades: 3, winRate: 0.5 },
      { symbol: 'SOL-USD', pnl: -25, trades: 2, winRate: 0.5 },
    ]);
  });

  it('lists guards and breaker trips, most first, and the breaker state at the end', () => {
    expect(grid.risk).toEqual({
      guards: [
        { guard: 'slippage_guard', count: 3 },
        { guard: 'daily_loss', count: 1 },
        { guard: 'exposure_guard', count: 1 },
      ],
      breakerTrips: [{ rule: 'daily_loss', count: 1 }],
      breakerTripped: false,
    });
    expect(mm.risk).toEqual({ guards: [], breakerTrips: [], breakerTripped: null });
  });

  it('counts health events and heartbeat silences', () => {
    // One 12-minute silence (> 5 min); 4 min from the 05:55 heartbeat's minute to 06:00.
    expect(grid.health).toEqual({
      staleMarks: 2,
      wsReconnects: 1,
      unfilledOrders: 0,
      apiErrors: 2,
      orderRejects: 1,
      heartbeatGaps: 1,
      longestHeartbeatGapMs: 12 * MIN,
      lastHeartbeatAgeMs: 4 * MIN,
    });
    // mm-2's last heartbeat minute ends 06:02: silent 23 h 58 min until the window's end.
    expect(mm.health).toMatchObject({
      heartbeatGaps: 1,
      longestHeartbeatGapMs: (23 * 60 + 58) * MIN,
      lastHeartbeatAgeMs: (23 * 60 + 58) * MIN,
    });
  });

  it('counts alerts by severity, hour and rule, and times to acknowledge and resolve', () => {
    const a = grid.alerts;
    expect(a.fired).toBe(5);
    expect(a.bySeverity).toEqual({ critical: 1, high: 2, warning: 1, info: 1 });
    expect(a.perHour).toHaveLength(24);
    expect(a.perHour[0]).toEqual({ start: d1('06:00'), counts: zero });
    // 10:08 → hour 4, 12:35 → 6, 16:20 → 10, 20:00 → 14, 03:10 next day → 21.
    const busy = a.perHour.flatMap((h, k) =>
      Object.values(h.counts).some((n) => n > 0) ? [[k, h.counts]] : [],
    );
    expect(busy).toEqual([
      [4, { ...zero, critical: 1 }],
      [6, { ...zero, high: 1 }],
      [10, { ...zero, warning: 1 }],
      [14, { ...zero, high: 1 }],
      [21, { ...zero, info: 1 }],
    ]);
    expect(a.perHour[21]!.start).toBe(d2('03:00'));
    expect(a.byRule).toEqual([
      { name: 'drawdown_high', fired: 2, notifications: 5 },
      { name: 'heartbeat_missing', fired: 1, notifications: 2 },
      { name: 'stale_marks', fired: 1, notifications: 2 },
      { name: 'api_errors', fired: 1, notifications: 0 },
      { name: 'old_rule', fired: 0, notifications: 0 },
    ]);
    expect(a.noisiest.map((r) => r.name)).toEqual([
      'drawdown_high',
      'heartbeat_missing',
      'stale_marks',
      'api_errors',
    ]);
    // Acknowledged after 10 and 30 min: median 20 min. Resolved after 90, 8, 90, 60 min: median 75.
    expect(a.timeToAck).toEqual({ count: 2, medianMs: 20 * MIN, maxMs: 30 * MIN });
    expect(a.timeToResolve).toEqual({ count: 4, medianMs: 75 * MIN, maxMs: 90 * MIN });
    expect(a.open).toEqual([
      {
        fp: 'a3',
        name: 'stale_marks',
        severity: 'warning',
        source: 'grid-1',
        since: d1('16:20'),
        acknowledged: true,
        title: 'Stale marks on BTC-USD',
      },
      {
        fp: 'a4',
        name: 'api_errors',
        severity: 'info',
        source: 'grid-1',
        since: d2('03:10'),
        acknowledged: false,
      },
    ]);
  });

  it('adds up deliveries within the window per receiver', () => {
    expect(report.deliveries).toEqual({
      perReceiver: [
        { receiver: 'chat', sent: 5, failed: 2, dead: 1 },
        { receiver: 'ops-email', sent: 1, failed: 0, dead: 0 },
      ],
      deadInWindow: 1,
      deadWaiting: 3,
    });
  });

  it('notes a day cut short and a source that pushed no equity', () => {
    const cut =
      'Recording of trades reached its daily bound at 02:32 UTC: 3 later trades are not counted; ' +
      'trade figures cover the day until then.';
    expect(grid.notes).toEqual([cut]);
    expect(mm.quiet).toBe(false);
    expect(mm.notes).toEqual(['No equity was pushed.']);
    expect(report.overall.notes).toEqual([`grid-1: ${cut}`, 'mm-2: No equity was pushed.']);
  });

  it('gives mm-2 empty figures, never NaN', () => {
    expect(mm.account).toEqual({
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
    });
    expect(mm.trades).toMatchObject({
      count: 0,
      winRate: null,
      profitFactor: null,
      avgWin: null,
      avgLoss: null,
    });
    expect(mm.symbols).toEqual([]);
    expect(mm.alerts.timeToAck).toEqual({ count: 0, medianMs: null, maxMs: null });
  });

  it('makes the overall from both: the one equity series, summed money, pooled rest', () => {
    const o = report.overall;
    expect(o.source).toBeNull();
    expect(o.quiet).toBe(false);
    expect(o.account).toEqual(grid.account);
    expect(o.trades).toEqual(grid.trades);
    expect(o.symbols).toEqual(grid.symbols);
    expect(o.risk).toEqual(grid.risk);
    expect(o.alerts).toEqual(grid.alerts);
    expect(o.equityCurve).toEqual(grid.equityCurve);
    // Heartbeat gaps summed (1 + 1); the longest silence and the oldest heartbeat: mm-2's.
    expect(o.health).toEqual({
      ...grid.health,
      heartbeatGaps: 2,
      longestHeartbeatGapMs: (23 * 60 + 58) * MIN,
      lastHeartbeatAgeMs: (23 * 60 + 58) * MIN,
    });
  });

  it('round-trips through JSON unchanged', () => {
    expect(JSON.parse(JSON.stringify(report))).toStrictEqual(report);
  });
});

describe('computeDigest edges', () => {
  it('gives a quiet report for a day with no records', () => {
    const report = computeDigest(input([]), OPTS);
    expect(report.sources).toEqual([]);
    expect(report.overall.quiet).toBe(true);
    expect(report.overall.notes).toEqual([]);
    expect(report.overall.account.equity).toBeNull();
    expect(report.overall.alerts.perHour).toHaveLength(24);
    expect(report.overall.health.lastHeartbeatAgeMs).toBeNull();
    expect(JSON.parse(JSON.stringify(report))).toStrictEqual(report);

    const silent = computeDigest(input([source('idle', { trades: [trade(d2('06:00'), 'X', 5, 0)] })]), OPTS);
    expect(silent.sources[0]!.quiet).toBe(true);
    expect(silent.sources[0]!.notes).toEqual([]);
  });

  it('counts a record at the window start and leaves out one at its end', () => {
    const s = source('edge', {
      trades: [trade(d1('06:00'), undefined, 10, 0), trade(d2('06:00'), 'BTC-USD', 99, 0)],
      series: {
        equity: [
          [d1('06:00'), 500],
          [d2('06:00'), 600],
        ],
      },
      heartbeats: [[d2('06:00'), 1]],
    });
    const f = computeDigest(input([s]), OPTS).sources[0]!;
    expect(f.trades).toMatchObject({
      count: 1,
      won: 1,
      profitFactor: null,
      avgLoss: null,
      largestLoss: null,
    });
    expect(f.account.realized).toBe(10);
    expect(f.account.equity).toBe(500);
    expect(f.symbols).toEqual([{ symbol: '-', pnl: 10, trades: 1, winRate: 1 }]);
    expect(f.health.lastHeartbeatAgeMs).toBeNull();
  });

  it('falls back to the daily series without trades, one UTC day at a time', () => {
    const s = source('solo', {
      series: {
        // 21 Oct without a baseline before: from its first point, 40 - 10 = 30; 22 Oct from 0: 15.
        realized_pnl: [
          [d1('07:00'), 10],
          [d1('20:00'), 40],
          [d2('01:00'), 5],
          [d2('05:00'), 15],
        ],
        // From the point before the window on the same day: 4 - 0.5 = 3.5.
        fees: [
          [d1('08:00'), 1],
          [d1('23:00'), 4],
        ],
        // The point before is from the day before: ignored, from the first point: -3 - -1 = -2.
        funding_pnl: [
          [d1('09:00'), -1],
          [d1('21:00'), -3],
        ],
      },
      before: { fees: [d1('02:00'), 0.5], funding_pnl: [Date.parse('2025-10-20T23:00:00Z'), -7] },
    });
    const report = computeDigest(input([s]), OPTS);
    const f = report.sources[0]!;
    expect(f.account).toMatchObject({ realized: 45, fees: 3.5, funding: -2, unrealized: null, total: 43 });
    expect(report.overall).toEqual({ ...f, source: null });
  });

  it('keeps figures null rather than NaN when equity is flat at zero', () => {
    const s = source('zero', {
      series: {
        equity: [
          [d1('06:00'), 0],
          [d1('09:00'), 0],
          [d1('12:00'), 0],
        ],
      },
    });
    const a = computeDigest(input([s]), OPTS).sources[0]!.account;
    expect(a).toMatchObject({ equityChange: 0, equityChangePct: null, sharpe: null, maxDrawdown: 0 });
    expect(a.maxDrawdownPct).toBeNull();
  });

  it('writes a dropped note in the report time zone, dated when not the report date', () => {
    const s = source('grid-1', {
      heartbeats: [[d1('07:00'), 1]],
      dropped: [{ kind: 'alerts', count: 1, since: d1('14:32') }],
    });
    const report = computeDigest(input([s]), {
      ...OPTS,
      timeZone: 'America/New_York',
      lateFrom: d2('06:00'),
    });
    expect(report.date).toBe('2025-10-22'); // 02:00 EDT
    expect(report.lateFrom).toBe(d2('06:00'));
    expect(report.sources[0]!.notes[0]).toBe(
      'Recording of alerts reached its daily bound on 2025-10-21 at 10:32 EDT: 1 later alert record is not ' +
        'counted; alert figures cover the day until then.',
    );
    const west = computeDigest(input([]), { ...OPTS, timeZone: 'America/Los_Angeles' });
    expect(west.date).toBe('2025-10-21'); // 23:00 PDT
  });
});

describe('computeDigest overall with two equity sources', () => {
  // alpha: 100 at 10:00, 110 at 10:02, 90 at 10:05. beta: 50 at 10:01, 60 at 10:03.
  // Summed, each carried forward, beta counted from its first point:
  // 10:00 100, 10:01 150, 10:02 160, 10:03 170, 10:05 150.
  const window = { start: d1('10:00'), end: d1('11:00') };
  const alpha = (peakBefore?: number) =>
    source('alpha', {
      series: {
        equity: [
          [d1('10:00'), 100],
          [d1('10:02'), 110],
          [d1('10:05'), 90],
        ],
        unrealized_pnl: [[d1('10:05'), 7]],
      },
      ...(peakBefore === undefined ? {} : { peakBefore }),
    });
  const beta = (peakBefore?: number) =>
    source('beta', {
      series: {
        equity: [
          [d1('10:01'), 50],
          [d1('10:03'), 60],
        ],
      },
      trades: [trade(d1('10:03'), 'ETH-USD', -4, 1)],
      ...(peakBefore === undefined ? {} : { peakBefore }),
    });

  it('sums the last known values into one portfolio series', () => {
    const report = computeDigest(input([alpha(100), beta(40)], { window }), OPTS);
    const o = report.overall;
    expect(o.equityCurve).toEqual([
      [d1('10:00'), 100],
      [d1('10:01'), 150],
      [d1('10:02'), 160],
      [d1('10:03'), 170],
      [d1('10:05'), 150],
    ]);
    // 150 - 100 = 50 (50 %); fell 170 → 150: 20, 20 / 170 = 11.76 %; one hourly return: no Sharpe.
    expect(o.account).toMatchObject({ equity: 150, equityChange: 50, equityChangePct: 50, maxDrawdown: 20 });
    expect(o.account.maxDrawdownPct).toBeCloseTo(11.7647, 3);
    expect(o.account.sharpe).toBeNull();
    // 170 tops the sum of the peaks before, 100 + 40 = 140.
    expect(o.account.newHigh).toEqual({ value: 170, at: d1('10:03') });
    // Money summed: realized -4 (beta), unrealized 7 (alpha); total 3.
    expect(o.account).toMatchObject({ realized: -4, unrealized: 7, fees: 1, funding: null, total: 3 });
    // Each source on its own: alpha fell 110 → 90 (20, 18.18 %), beta only rose.
    const [a, b] = report.sources;
    expect(a!.account).toMatchObject({
      equity: 90,
      equityChange: -10,
      maxDrawdown: 20,
      newHigh: { value: 110, at: d1('10:02') },
    });
    expect(a!.account.maxDrawdownPct).toBeCloseTo(18.1818, 3);
    expect(b!.account).toMatchObject({ equity: 60, equityChangePct: 20, maxDrawdown: 0, maxDrawdownPct: 0 });
  });

  it('says nothing of a new high unless every summed source has a peak before', () => {
    expect(computeDigest(input([alpha(100), beta()], { window }), OPTS).overall.account.newHigh).toBeNull();
    expect(computeDigest(input([alpha(120), beta(55)], { window }), OPTS).overall.account.newHigh).toBeNull();
  });
});
