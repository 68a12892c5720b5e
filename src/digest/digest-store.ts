import type { Redis } from 'ioredis';
import { utcDay } from '../model/clock.js';
import type { Keys } from '../state/keys.js';
import { crossSlotPipeline } from '../state/redis-connect.js';
import type {
  AlertRecord,
  DeliveryCount,
  DigestInput,
  Dropped,
  SourceRecords,
  TradeRecord,
} from './types.js';
import { unwrap } from '../state/redis-errors.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Reads back what the commit script and the delivery worker recorded (see record.ts) for one
 * window: every source's days that the window touches, the deliveries, and the dead letters
 * waiting. Read-only; a few pipelined round trips per window.
 */
export class DigestStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** How far back `peakBefore` looks (the records' retention, ms). */
    private readonly retentionMs: number,
  ) {}

  async read(window: { start: number; end: number }, only?: string): Promise<DigestInput> {
    const days = daysOf(window);
    const k = this.keys;
    const pipe = crossSlotPipeline(this.redis);
    for (const day of days) for (let s = 0; s < k.shards; s++) pipe.smembers(k.recordSources(s, day));
    const named = new Set<string>();
    for (const r of (await pipe.exec()) ?? []) for (const src of unwrap<string[]>(r)) named.add(src);
    const sources = [...named].filter((s) => only === undefined || s === only).sort();

    const reads = crossSlotPipeline(this.redis);
    for (const source of sources) {
      const shard = k.shardOf(source);
      for (const day of days) {
        reads.hgetall(k.record(shard, day, source, 'm'));
        reads.lrange(k.record(shard, day, source, 'trades'), 0, -1);
        reads.lrange(k.record(shard, day, source, 'alerts'), 0, -1);
        reads.hgetall(k.record(shard, day, source, 'meta'));
      }
    }
    // Each source's daily equity peaks before the window (within the retention): is it a new high?
    const earlier = daysOf({ start: window.start - this.retentionMs, end: dayStart(window.start) });
    for (const source of sources)
      for (const day of earlier) reads.hget(k.record(k.shardOf(source), day, source, 'meta'), 'peak');
    for (const day of days) reads.hgetall(k.deliveryRecord(day));
    reads.llen(k.deadLetters());
    const res = (await reads.exec()) ?? [];
    let at = 0;
    const next = <T>() => unwrap<T>(res[at++]);

    const out: SourceRecords[] = sources.map((source) => {
      const rec = emptyRecords(source);
      for (const day of days) {
        readPoints(rec, Date.parse(`${day}T00:00:00Z`), next<Record<string, string>>());
        for (const t of next<string[]>()) rec.trades.push(JSON.parse(t) as TradeRecord);
        for (const a of next<string[]>()) rec.alerts.push(JSON.parse(a) as AlertRecord);
        readMeta(rec, next<Record<string, string>>(), window.end);
      }
      for (const list of Object.values(rec.series)) list.sort((a, b) => a[0] - b[0]);
      rec.heartbeats.sort((a, b) => a[0] - b[0]);
      return rec;
    });
    for (const rec of out) {
      let peak: number | undefined;
      for (let i = 0; i < earlier.length; i++) {
        const v = next<string | null>();
        if (v != null) peak = Math.max(peak ?? -Infinity, Number(v));
      }
      splitBefore(rec, window.start, peak);
    }
    const deliveries: DeliveryCount[] = [];
    for (const day of days)
      readDeliveries(deliveries, Date.parse(`${day}T00:00:00Z`), next<Record<string, string>>());
    return { window, sources: out, deliveries, deadLettersWaiting: next<number>() };
  }
}

/** The UTC days a window touches, oldest first. */
function daysOf(w: { start: number; end: number }): string[] {
  const out: string[] = [];
  for (let t = dayStart(w.start); t < w.end; t += DAY) out.push(utcDay(t));
  return out;
}

function dayStart(t: number): number {
  return Math.floor(t / DAY) * DAY;
}

function emptyRecords(source: string): SourceRecords {
  return { source, series: {}, heartbeats: [], events: [], trades: [], alerts: [], dropped: [], before: {} };
}

/** `p|<metric>|<minute>`, `hb|<minute>`, `ev|<type>|<key>|<minute>` → series, heartbeats, events. */
function readPoints(rec: SourceRecords, day: number, m: Record<string, string>): void {
  for (const [field, raw] of Object.entries(m)) {
    const cut = field.lastIndexOf('|');
    const t = day + Number(field.slice(cut + 1)) * MINUTE;
    const head = field.slice(0, cut);
    const v = Number(raw);
    if (head.startsWith('p|')) (rec.series[head.slice(2)] ??= []).push([t, v]);
    else if (head === 'hb') rec.heartbeats.push([t, v]);
    else if (head.startsWith('ev|')) {
      const rest = head.slice(3);
      const bar = rest.lastIndexOf('|');
      rec.events.push({ t, type: rest.slice(0, bar), key: rest.slice(bar + 1), n: v });
    }
  }
}

function readMeta(rec: SourceRecords, meta: Record<string, string>, end: number): void {
  for (const kind of ['points', 'trades', 'alerts'] as const) {
    const count = Number(meta[`dropped|${kind}`] ?? 0);
    const since = Number(meta[`since|${kind}`]);
    if (count > 0 && since < end) mergeDropped(rec.dropped, { kind, count, since });
  }
}

function mergeDropped(list: Dropped[], d: Dropped): void {
  const had = list.find((x) => x.kind === d.kind);
  if (!had) list.push(d);
  else {
    had.count += d.count;
    had.since = Math.min(had.since, d.since);
  }
}

/**
 * The baseline of day-cumulative series (their last point before the window on its first UTC
 * day), and the highest equity before the window: the earlier days' peaks and the first day's
 * points before the window.
 */
function splitBefore(rec: SourceRecords, start: number, earlierPeak: number | undefined): void {
  let peak = earlierPeak;
  for (const [metric, points] of Object.entries(rec.series)) {
    for (const p of points) {
      if (p[0] >= start) break;
      rec.before[metric] = p;
      if (metric === 'equity') peak = Math.max(peak ?? -Infinity, p[1]);
    }
  }
  if (peak !== undefined) rec.peakBefore = peak;
}

function readDeliveries(out: DeliveryCount[], day: number, h: Record<string, string>): void {
  for (const [field, n] of Object.entries(h)) {
    const [receiver = '', result = '', minute = '0'] = splitLast2(field);
    if (result !== 'sent' && result !== 'failed' && result !== 'dead') continue;
    out.push({ t: day + Number(minute) * MINUTE, receiver, result, n: Number(n) });
  }
}

/** `a|b|c` with `a` free to hold `|`: [a, b, c]. */
function splitLast2(field: string): string[] {
  const c = field.lastIndexOf('|');
  const b = field.lastIndexOf('|', c - 1);
  return [field.slice(0, b), field.slice(b + 1, c), field.slice(c + 1)];
}
