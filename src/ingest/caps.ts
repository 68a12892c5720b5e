/**
 * Caps on tracked state (`limits.max_sources`, `limits.max_series_per_source`), checked on the
 * HTTP path before a batch is queued: a request that would track a source or a series past a
 * cap is refused whole (422 `limit_exceeded`, naming the field and the limit); sources and
 * series already tracked are never refused.
 *
 * The check reads the last-seen indexes the commit script keeps (src/state/eviction.ts) in one
 * pipelined round trip, and plans each item with the rules (which state keys it would touch; no
 * evaluation). A request that names only sources, snapshot shapes and state keys found tracked
 * in the last minute is let in without either (RecentlyTracked): a bot's steady stream costs no
 * read. It is approximate under concurrency: requests checked at the same time, and batches
 * still queued, are not counted against each other, so a cap may be passed by what those carry
 * (at most `server.max_batch` items per request in flight).
 */
import type { Redis } from 'ioredis';
import { RuleEngine } from '../detectors/rules/engine.js';
import type { RuleConfig } from '../detectors/rules/schema.js';
import type { IngestBatch } from '../model/batch.js';
import { labelsKey } from '../model/fingerprint.js';
import { formatPath, type FieldError } from '../model/inputs.js';
import { idleLimits } from '../state/eviction.js';
import type { Keys } from '../state/keys.js';
import { crossSlotPipeline } from '../state/redis-connect.js';
import { unwrap } from '../state/redis-errors.js';
import { HttpError, MAX_REPORTED_ERRORS, QueueUnavailableError } from './errors.js';

export interface CapLimits {
  maxSources: number;
  maxSeriesPerSource: number;
}

export type CapName = 'max_sources' | 'max_series_per_source';

/** One item of a request: its source and the state keys it would touch, with where they come from. */
export interface CapItem {
  source: string;
  sourcePath: string;
  series: { key: string; path: string }[];
}

/** What is tracked now, of the sources and keys a request names. */
export interface CapCounts {
  /** Sources tracked, over every shard. */
  sources: number;
  /** The request's sources that are tracked already. */
  knownSources: ReadonlySet<string>;
  /** Per source of the request: how many series it has. */
  series: ReadonlyMap<string, number>;
  /** The request's keys that are tracked already. */
  knownSeries: ReadonlySet<string>;
}

export interface CapVerdict {
  limit: CapName;
  errors: FieldError[];
}

/**
 * Which items pass a cap, in request order: a new source counts once, a new series once, and
 * what was refused is not counted for the items after it. Pure.
 */
export function capVerdict(
  items: readonly CapItem[],
  now: CapCounts,
  limits: CapLimits,
): CapVerdict | undefined {
  const errors: (FieldError & { limit: CapName })[] = [];
  const sources = new Set(now.knownSources);
  let total = now.sources;
  const series = new Map(now.series);
  const keys = new Set(now.knownSeries);
  const refused = new Set<string>();
  for (const item of items) {
    if (refused.has(item.source)) continue;
    if (!sources.has(item.source)) {
      if (total >= limits.maxSources) {
        refused.add(item.source);
        errors.push({
          limit: 'max_sources',
          path: item.sourcePath,
          message: `source '${item.source}' is new and ${total} sources are tracked; the limit is ${limits.maxSources} (limits.max_sources)`,
        });
        continue;
      }
      sources.add(item.source);
      total++;
    }
    for (const s of item.series) {
      if (keys.has(s.key)) continue;
      const source = item.source;
      const n = series.get(source) ?? 0;
      if (n >= limits.maxSeriesPerSource) {
        errors.push({
          limit: 'max_series_per_source',
          path: s.path,
          message: `would be series ${n + 1} of source '${source}' (rule '${s.key.slice(0, s.key.indexOf('|'))}'); the limit is ${limits.maxSeriesPerSource} (limits.max_series_per_source)`,
        });
        continue;
      }
      keys.add(s.key);
      series.set(source, n + 1);
    }
  }
  const first = errors[0];
  if (!first) return undefined;
  return {
    limit: first.limit,
    errors: errors.slice(0, MAX_REPORTED_ERRORS).map(({ path, message }) => ({ path, message })),
  };
}

/** The refusal of a request that would pass a cap. */
export function capError(v: CapVerdict): HttpError {
  const first = v.errors[0] as FieldError;
  const more = v.errors.length > 1 ? ` (and ${v.errors.length - 1} more)` : '';
  return new HttpError(422, 'limit_exceeded', `${first.path}: ${first.message}${more}`, v.errors);
}

/** Where an item's parts are in the body: the item's path, and its source's path. */
export interface ItemPaths {
  item(i: number): PropertyKey[];
  source(i: number): string;
}

/**
 * Sources and series this process found tracked lately (Redis said so, or a request it let in
 * named them): a request that names only these adds nothing, so it fits whatever the counts, and
 * is let in without reading Redis. An entry counts for `ttlMs` (shorter than the idle time after
 * which a sweep may forget it); at most `max` are kept, all forgotten when full.
 */
class RecentlyTracked {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 200_000,
  ) {}

  has(key: string, now: number): boolean {
    const at = this.seen.get(key);
    return at !== undefined && now - at < this.ttlMs;
  }

  add(key: string, now: number): void {
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.set(key, now);
  }
}

/**
 * How long the caps take a source or series found tracked as tracked without asking again: a
 * minute, or half the idle time after which a sweep may forget it, whichever is shorter.
 */
export function recentlyTrackedMs(idle: { series: number | 'never'; sources: number | 'never' }): number {
  const { seriesMs, sourcesMs } = idleLimits(idle);
  return Math.min(60_000, (seriesMs ?? Infinity) / 2, (sourcesMs ?? Infinity) / 2);
}

/** A source among the recently tracked (state keys start with a rule name and a `|`). */
const sourceEntry = (source: string): string => `source:${source}`;

/** Checks requests against the caps, reading Redis (the HTTP path's fail-fast connection). */
export class StateCaps {
  private readonly engine: RuleEngine;
  private readonly recent: RecentlyTracked;
  /**
   * Its first connection: awaited (as the queue awaits its own) so that a process just started
   * does not refuse; once connected, a Redis that is away fails the check at once (503).
   */
  private readonly connected: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    rules: readonly RuleConfig[],
    readonly limits: CapLimits,
    /** How long a source or series found tracked is taken as tracked without asking Redis (ms). */
    recentMs = 60_000,
  ) {
    this.engine = new RuleEngine(rules);
    this.recent = new RecentlyTracked(recentMs);
    this.connected =
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise((resolve) => redis.once('ready', () => resolve()));
  }

  /** A request's items with the state keys each would touch (the rules' keys, item by item). */
  items(batch: Pick<IngestBatch, 'snapshots' | 'events' | 'alerts'>, paths: ItemPaths): CapItem[] {
    const out: CapItem[] = [];
    const add = (i: number, source: string, input: Pick<IngestBatch, 'snapshots' | 'events' | 'alerts'>) => {
      const series: CapItem['series'] = [];
      this.engine.eachKey(input, (key, sample, event) => {
        // Where the key comes from in the body, spelled out only for an error.
        const at = (): string =>
          sample
            ? formatPath([...paths.item(i), 'metrics', sample.metric])
            : event
              ? formatPath([...paths.item(i), 'type'])
              : paths.source(i);
        series.push({
          key,
          get path() {
            return at();
          },
        });
      });
      out.push({ source, sourcePath: paths.source(i), series });
    };
    batch.snapshots.forEach((s, i) => add(i, s.source, { snapshots: [s], events: [], alerts: [] }));
    batch.events.forEach((e, i) => add(i, e.source, { snapshots: [], events: [e], alerts: [] }));
    batch.alerts.forEach((a, i) => {
      if (a.labels.source) add(i, a.labels.source, { snapshots: [], events: [], alerts: [a] });
    });
    return out;
  }

  /**
   * What a request must have been found tracked lately to be let in without a read: each source;
   * each snapshot's source, labels and metric names (the state keys of a sample follow from
   * them); each event's and alert's state keys.
   */
  private entries(batch: Pick<IngestBatch, 'snapshots' | 'events' | 'alerts'>): string[] {
    const out: string[] = [];
    for (const s of batch.snapshots) {
      let metrics = '';
      for (const m in s.metrics) metrics += `${m}\u0000`;
      out.push(sourceEntry(s.source), `snapshot:${s.source}\u0000${labelsKey(s.labels)}\u0000${metrics}`);
    }
    const other = {
      snapshots: [],
      events: batch.events,
      alerts: batch.alerts.filter((a) => a.labels.source),
    };
    for (const e of other.events) out.push(sourceEntry(e.source));
    for (const a of other.alerts) out.push(sourceEntry(a.labels.source as string));
    this.engine.eachKey(other, (key) => out.push(key));
    return out;
  }

  /** What Redis tracks of these items' sources and keys: one pipelined read. */
  async counts(items: readonly CapItem[]): Promise<CapCounts> {
    const k = this.keys;
    const bySource = new Map<string, Set<string>>();
    for (const it of items) {
      const set = bySource.get(it.source) ?? new Set<string>();
      bySource.set(it.source, set);
      // A state key is `<rule>|<source>|…` of the input's own source (src/state/eviction.ts).
      for (const s of it.series) set.add(s.key);
    }
    const pipe = crossSlotPipeline(this.redis);
    for (let s = 0; s < k.shards; s++) pipe.zcard(k.sourcesSeen(s));
    const asked: { source: string; keys: string[] }[] = [];
    for (const [source, set] of bySource) {
      const shard = k.shardOf(source);
      const keys = [...set];
      pipe.zscore(k.sourcesSeen(shard), source).zcard(k.sourceSeries(shard, source));
      if (keys.length > 0) pipe.zmscore(k.sourceSeries(shard, source), ...keys);
      asked.push({ source, keys });
    }
    let res: [Error | null, unknown][];
    try {
      res = (await pipe.exec()) ?? [];
    } catch (err) {
      throw new QueueUnavailableError('Redis did not answer the check of limits', { cause: err });
    }
    const read = <T>(i: number): T => {
      try {
        return unwrap<T>(res[i]);
      } catch (err) {
        throw new QueueUnavailableError('Redis did not answer the check of limits', { cause: err });
      }
    };
    let sources = 0;
    let i = 0;
    for (; i < k.shards; i++) sources += read<number>(i);
    const knownSources = new Set<string>();
    const series = new Map<string, number>();
    const knownSeries = new Set<string>();
    for (const a of asked) {
      if (read<string | null>(i++) !== null) knownSources.add(a.source);
      series.set(a.source, read<number>(i++));
      if (a.keys.length === 0) continue;
      const scores = read<(string | null)[]>(i++);
      a.keys.forEach((key, j) => {
        if (scores[j] !== null) knownSeries.add(key);
      });
    }
    return { sources, knownSources, series, knownSeries };
  }

  /**
   * Whether a request would pass a cap (and which items), or undefined when it fits. Redis must
   * answer within `ms` (the first connection included), else QueueUnavailableError: the request
   * is answered 503, as when the queue does not confirm.
   */
  async check(
    batch: Pick<IngestBatch, 'snapshots' | 'events' | 'alerts'>,
    paths: ItemPaths,
    ms: number,
  ): Promise<CapVerdict | undefined> {
    const now = Date.now();
    const entries = this.entries(batch);
    if (entries.every((e) => this.recent.has(e, now))) return undefined;
    const items = this.items(batch, paths);
    if (items.length === 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new QueueUnavailableError(`Redis did not answer the check of limits within ${ms} ms`)),
        ms,
      );
      timer.unref();
    });
    const read = async () => {
      await this.connected;
      return this.counts(items);
    };
    try {
      const counts = await Promise.race([read(), late]);
      const verdict = capVerdict(items, counts, this.limits);
      if (verdict) {
        for (const source of counts.knownSources) this.recent.add(sourceEntry(source), now);
        for (const key of counts.knownSeries) this.recent.add(key, now);
      } else for (const e of entries) this.recent.add(e, now);
      return verdict;
    } finally {
      clearTimeout(timer);
    }
  }
}
