import type { Alert } from '../model/alert.js';
import type { BotEvent, Snapshot } from '../model/batch.js';
import { utcDay } from '../model/clock.js';
import type { HistoryEntry } from '../model/history.js';
import { isSeverity } from '../model/severity.js';
import type { AlertRecord, TradeRecord } from './types.js';

/**
 * What the digest needs, turned into writes for the shard's commit (pure). Records are kept per
 * source and UTC day of their own time, in four keys (see `Keys.record`):
 * - `m`: a hash of series points, one a minute (`p|<metric>|<minute>` → the last value pushed in
 *   that minute), heartbeats (`hb|<minute>` → count) and event counts
 *   (`ev|<type>|<key>|<minute>` → count), `<minute>` counted from 00:00 UTC; and the latest input
 *   times (ms) the web console's sources page shows: `last|snapshot`, `last|heartbeat`, and
 *   `last|p|<metric>` for each recorded series (written with the points, as inputs come);
 * - `trades`: a list of TradeRecord JSON; `alerts`: a list of AlertRecord JSON;
 * - `meta`: `peak` (the day's highest equity), and for each kind the commit had to leave out
 *   once the day reached its bound, `dropped|<kind>` (how many) and `since|<kind>` (from when).
 * Bounds keep the start of a day: once full, later entries are counted and left out, never the
 * earlier ones (see the commit script's record section).
 */

/** Account-level series kept a point a minute (samples without a `symbol` label). */
export const RECORDED_SERIES = [
  'equity',
  'realized_pnl',
  'unrealized_pnl',
  'funding_pnl',
  'fees',
  'daily_pnl',
  'drawdown_pct',
  'circuit_breaker',
] as const;
const SERIES = new Set<string>(RECORDED_SERIES);

/** Events kept as trades (closed trades and fills); heartbeats are counted per minute; others by type and key. */
const TRADE_EVENTS: Record<string, TradeRecord['kind']> = { trade_closed: 'trade', fill: 'fill' };
/** Which `data` field names the thing an event counts against (else its symbol). */
const EVENT_KEYS: Record<string, string> = { guard_triggered: 'guard', circuit_breaker_triggered: 'rule' };
/** Longest key kept for an event count (a runaway guard name must not grow the hash). */
const EVENT_KEY_MAX = 64;

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * One write of the record section: `P` set a bundle's points (`f`: JSON `[field, value, ...]`),
 * `c` add to a count, `t` push a trade, `a` push an alert record, `x` raise the day's equity
 * peak. `b` is the bundle (source and day) it belongs to; `f` a field (or the JSON of a list
 * entry), `v` a value (or the entry's time).
 */
export interface RecordOp {
  op: 'P' | 'c' | 't' | 'a' | 'x';
  b: number;
  f: string;
  v: string;
}

/** The record writes of one commit: its bundles (source, UTC day) and its ops, in order. */
export interface RecordWrites {
  bundles: { source: string; day: string }[];
  ops: RecordOp[];
}

/** Collects the record writes of one commit. */
export class RecordBuilder {
  private readonly bundles: { source: string; day: string }[] = [];
  private readonly index = new Map<string, number>();
  /** Points by bundle|field: only the last value of a minute is written. */
  private readonly points = new Map<string, { b: number; f: string; ts: number; v: number }>();
  private readonly counts = new Map<string, { b: number; f: string; n: number }>();
  private readonly peaks = new Map<number, number>();
  /** The latest input times of each bundle (index b), as `m` fields: `last|snapshot` → ms. */
  private readonly lasts: Map<string, number>[] = [];
  private readonly lists: RecordOp[] = [];

  /** Series points of the account-level metrics. */
  snapshots(snapshots: readonly Snapshot[]): this {
    // Snapshots come in runs of one source and day: their bundle is looked up once a run.
    let b = -1;
    let last = new Map<string, number>();
    let source: string | undefined;
    let dayStart = 0;
    for (const s of snapshots) {
      if (s.source !== source || s.ts < dayStart || s.ts >= dayStart + DAY) {
        b = this.bundle(s.source, s.ts);
        last = this.lasts[b] ??= new Map();
        source = s.source;
        dayStart = Math.floor(s.ts / DAY) * DAY;
      }
      latest(last, 'last|snapshot', s.ts);
      if (s.labels.symbol !== undefined) continue;
      for (const metric in s.metrics) {
        if (!SERIES.has(metric)) continue;
        const v = s.metrics[metric];
        if (v === undefined || !Number.isFinite(v)) continue;
        const f = `p|${metric}|${minuteOfDay(s.ts)}`;
        const key = `${b}|${f}`;
        const had = this.points.get(key);
        if (!had || had.ts <= s.ts) this.points.set(key, { b, f, ts: s.ts, v });
        latest(last, `last|p|${metric}`, s.ts);
        if (metric === 'equity') this.peaks.set(b, Math.max(this.peaks.get(b) ?? -Infinity, v));
      }
    }
    return this;
  }

  /** Trades and fills as entries; heartbeats and every other event as counts per minute. */
  events(events: readonly BotEvent[]): this {
    for (const e of events) {
      const b = this.bundle(e.source, e.ts);
      const m = minuteOfDay(e.ts);
      const trade = TRADE_EVENTS[e.type];
      if (trade) {
        this.lists.push({ op: 't', b, f: JSON.stringify(tradeOf(e, trade)), v: String(e.ts) });
      } else if (e.type === 'heartbeat') {
        this.count(b, `hb|${m}`);
        latest((this.lasts[b] ??= new Map()), 'last|heartbeat', e.ts);
      } else {
        this.count(b, `ev|${e.type}|${eventKey(e)}|${m}`);
      }
    }
    return this;
  }

  /**
   * The alert steps of a decision: fired, resolved, acknowledged, notified; with the alert's
   * value and since when it fires, from its state after the decision (`alerts`).
   */
  history(entries: readonly HistoryEntry[], alerts: ReadonlyMap<string, Alert | null>): this {
    for (const h of entries) {
      const r = alertRecordOf(h, alerts.get(h.fp) ?? undefined);
      if (!r) continue;
      const b = this.bundle(h.source ?? h.labels?.source ?? '-', h.t);
      this.lists.push({ op: 'a', b, f: JSON.stringify(r), v: String(h.t) });
    }
    return this;
  }

  build(): RecordWrites {
    const ops: RecordOp[] = [];
    const points = new Map<number, string[]>();
    for (const p of this.points.values()) {
      const kv = points.get(p.b) ?? [];
      kv.push(p.f, String(p.v));
      points.set(p.b, kv);
    }
    this.lasts.forEach((fields, b) => {
      const kv = points.get(b) ?? [];
      for (const [f, t] of fields) kv.push(f, String(t));
      points.set(b, kv);
    });
    for (const [b, kv] of points) ops.push({ op: 'P', b, f: JSON.stringify(kv), v: '' });
    for (const c of this.counts.values()) ops.push({ op: 'c', b: c.b, f: c.f, v: String(c.n) });
    for (const [b, v] of this.peaks) ops.push({ op: 'x', b, f: 'peak', v: String(v) });
    ops.push(...this.lists);
    return { bundles: this.bundles, ops };
  }

  private count(b: number, f: string): void {
    const key = `${b}|${f}`;
    const had = this.counts.get(key);
    if (had) had.n++;
    else this.counts.set(key, { b, f, n: 1 });
  }

  private bundle(source: string, t: number): number {
    const day = utcDay(t);
    const key = `${source}\0${day}`;
    let b = this.index.get(key);
    if (b === undefined) {
      b = this.bundles.length;
      this.bundles.push({ source, day });
      this.index.set(key, b);
    }
    return b;
  }
}

/** Keeps the latest time of a field. */
function latest(fields: Map<string, number>, f: string, t: number): void {
  const had = fields.get(f);
  if (had === undefined || t > had) fields.set(f, t);
}

/** Minutes since 00:00 UTC of the time's day. */
export function minuteOfDay(t: number): number {
  return Math.floor((((t % DAY) + DAY) % DAY) / MINUTE);
}

function tradeOf(e: BotEvent, kind: TradeRecord['kind']): TradeRecord {
  const r: TradeRecord = { t: e.ts, kind, pnl: finite(e.data.pnl) ?? 0 };
  const symbol = e.symbol ?? text(e.data.symbol);
  if (symbol !== undefined) r.symbol = symbol;
  const side = text(e.data.side);
  if (side !== undefined) r.side = side;
  const fees = finite(e.data.fees);
  if (fees !== undefined) r.fees = fees;
  return r;
}

function eventKey(e: BotEvent): string {
  const field = EVENT_KEYS[e.type];
  const k = (field === undefined ? undefined : text(e.data[field])) ?? e.symbol ?? text(e.data.symbol) ?? '';
  return k.slice(0, EVENT_KEY_MAX).replaceAll('|', '/');
}

function alertRecordOf(h: HistoryEntry, alert: Alert | undefined): AlertRecord | undefined {
  let type: AlertRecord['type'];
  if (h.type === 'transition' && h.status === 'firing') type = 'fired';
  else if (h.type === 'transition' && h.status === 'resolved') type = 'resolved';
  else if (h.type === 'acknowledged') type = 'acknowledged';
  else if (h.type === 'notification') type = 'notified';
  else return undefined;
  if (!isSeverity(h.severity)) return undefined;
  const r: AlertRecord = {
    t: h.t,
    type,
    fp: h.fp,
    name: h.name,
    severity: h.severity,
    labels: h.labels ?? {},
  };
  if (h.title !== undefined) r.title = h.title;
  if (alert?.value !== undefined) r.value = alert.value;
  // A quiet end (an occurrence alert that stopped recurring) is not a resolve anyone waited for.
  const since = alert?.firingAt ?? alert?.startsAt;
  if (since !== undefined && !(type === 'resolved' && h.quiet)) r.since = since;
  if (h.kind !== undefined) r.kind = h.kind;
  if (h.receiver !== undefined) r.receiver = h.receiver;
  if (h.by !== undefined) r.by = h.by;
  return r;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
