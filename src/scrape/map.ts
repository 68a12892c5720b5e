/**
 * From a parsed exposition to Klaxon's inputs (pure; the scrape time is given): maps a target's
 * metric families onto standard names, turns counters into rates, increases or events with the
 * values of the previous scrape, computes histogram quantiles over the interval, and groups what
 * comes out into snapshots per source and label set. See docs/scrape.md.
 */
import type { BotEvent, Snapshot } from '../model/batch.js';
import { globMatcher } from '../model/glob.js';
import { LIMITS, NAME_RE, sourceSchema } from '../model/inputs.js';
import type { MetricFamily, Sample } from './exposition.js';
import { parseValue } from './exposition.js';
import type { MapEntry } from './map-schema.js';
import type { ScrapeTarget } from './schema.js';

/** What a scrape leaves for the next one: when it ran and the cumulative values it read. */
export interface ScrapeMemory {
  ts: number;
  /** Series id (`name{labels}`) -> its counter value. */
  values: Record<string, number>;
}

export interface ScrapeResult {
  snapshots: Snapshot[];
  events: BotEvent[];
  /** What the next scrape compares with. */
  memory: ScrapeMemory;
  /** Things worth a line in the log: samples dropped and why. */
  notes: string[];
}

/** Events one series may turn into per scrape; a counter that jumps further is noted. */
export const MAX_EVENTS_PER_SERIES = 100;

type Labels = Record<string, string>;

/** One output series: the source and the labels it is pushed with. */
interface Group {
  source: string;
  labels: Labels;
}

/** Maps one scrape of a prometheus target. `prev` is the memory of the previous scrape, if any. */
export function mapScrape(
  families: readonly MetricFamily[],
  target: ScrapeTarget,
  prev: ScrapeMemory | undefined,
  now: number,
): ScrapeResult {
  return new Mapping(target, prev, now).run(families);
}

class Mapping {
  private readonly memory: ScrapeMemory;
  private readonly notes = new Set<string>();
  private readonly out = new Map<string, Group & { metrics: Record<string, number> }>();
  private readonly events: BotEvent[] = [];
  private readonly sources = new Set<string>();
  private readonly include?: ((name: string) => boolean)[];
  /** Seconds since the previous scrape, when there was one. */
  private readonly dt?: number;

  constructor(
    private readonly target: ScrapeTarget,
    private readonly prev: ScrapeMemory | undefined,
    private readonly now: number,
  ) {
    this.memory = { ts: now, values: {} };
    if (target.include) this.include = target.include.map(globMatcher);
    if (prev && now > prev.ts) this.dt = (now - prev.ts) / 1000;
    if (target.source !== undefined) this.sources.add(target.source);
  }

  private kept(name: string): boolean {
    return this.include ? this.include.some((m) => m(name)) : Object.hasOwn(this.target.map, name);
  }

  run(families: readonly MetricFamily[]): ScrapeResult {
    for (const family of families) {
      // Every source the exposition names gets its heartbeat, mapped metrics or not.
      if (this.target.source_label !== undefined)
        for (const s of family.samples) this.sourceOf(s.labels, false);
      const entry = this.target.map[family.name];
      if (entry) {
        if (this.kept(family.name)) this.mapped(family, entry);
      } else this.passThrough(family);
      // A histogram's or summary's _sum and _count may be mapped on their own, as counters.
      if (family.type === 'histogram' || family.type === 'summary')
        for (const suffix of ['_sum', '_count']) {
          const name = family.name + suffix;
          const sub = this.target.map[name];
          if (sub && this.kept(name))
            this.mapped(
              { name, type: 'counter', samples: family.samples.filter((s) => s.name === name) },
              sub,
            );
        }
    }
    if (this.target.heartbeat)
      for (const source of this.sources)
        this.events.push({ source, ts: this.now, type: 'heartbeat', data: { scrape: this.target.name } });
    const snapshots: Snapshot[] = [];
    for (const g of this.out.values()) {
      const names = Object.keys(g.metrics);
      for (let i = 0; i < names.length; i += LIMITS.metricsPerSnapshot) {
        const metrics: Record<string, number> = {};
        for (const n of names.slice(i, i + LIMITS.metricsPerSnapshot)) metrics[n] = g.metrics[n] as number;
        snapshots.push({ source: g.source, ts: this.now, metrics, labels: g.labels });
      }
    }
    return {
      snapshots,
      events: this.events,
      memory: this.memory,
      notes: [...this.notes],
    };
  }

  // -------------------------------------------------------------------------------------------
  // Sources, labels, groups

  private sourceOf(labels: Labels, note = true): string | undefined {
    if (this.target.source !== undefined) return this.target.source;
    const label = this.target.source_label as string;
    const v = labels[label];
    if (v === undefined) {
      if (note) this.notes.add(`samples without the label ${label} are skipped (source_label)`);
      return undefined;
    }
    if (!sourceSchema.safeParse(v).success) {
      if (note)
        this.notes.add(
          `${label}=${JSON.stringify(v.slice(0, 80))} is not a valid source; its samples are skipped`,
        );
      return undefined;
    }
    this.sources.add(v);
    return v;
  }

  /** The sample's labels as pushed: without the source label (and `le`/`quantile` when `drop`). */
  private cleanLabels(labels: Labels, drop: readonly string[] = []): Labels {
    const out: Labels = {};
    for (const [k, v] of Object.entries(labels)) {
      if (k === this.target.source_label || drop.includes(k)) continue;
      // `source` is the top-level field of a snapshot: the bot's own label of that name is renamed.
      out[k === 'source' ? 'exported_source' : k] = v;
    }
    return out;
  }

  private group(sample: Sample, entry: MapEntry | undefined, drop: readonly string[]): Group | undefined {
    const source = this.sourceOf(sample.labels);
    if (source === undefined) return undefined;
    let labels = this.cleanLabels(sample.labels, drop);
    if (entry?.by) {
      const kept: Labels = {};
      for (const k of entry.by) if (labels[k] !== undefined) kept[k] = labels[k];
      labels = kept;
    }
    return { source, labels };
  }

  private matches(entry: MapEntry, labels: Labels): boolean {
    return entry.match === undefined || matchOf(entry)(labels);
  }

  private push(g: Group, name: string, value: number): void {
    if (!Number.isFinite(value)) {
      this.notes.add(`${name}: a value that is not finite (NaN, ±Inf) is skipped`);
      return;
    }
    if (name.length > LIMITS.name || !NAME_RE.test(name)) {
      this.notes.add(`${name.slice(0, 80)}: not a valid metric name for Klaxon; skipped`);
      return;
    }
    const labels: Labels = {};
    for (const [k, v] of Object.entries({ ...g.labels, ...this.target.labels })) {
      if (k.length > LIMITS.name) continue;
      labels[k] = v.length > LIMITS.labelValue ? v.slice(0, LIMITS.labelValue) : v;
    }
    if (Object.keys(labels).length > LIMITS.labels) {
      this.notes.add(`${name}: more than ${LIMITS.labels} labels; skipped`);
      return;
    }
    const key = seriesId(g.source, labels);
    let out = this.out.get(key);
    if (!out) {
      out = { source: g.source, labels, metrics: {} };
      this.out.set(key, out);
    }
    if (name in out.metrics) this.notes.add(`${name} comes twice for one series; the last one is pushed`);
    out.metrics[name] = value;
  }

  /** The increase of a cumulative series since the previous scrape (a reset counts from 0). */
  private increase(sample: Sample): number | undefined {
    if (!Number.isFinite(sample.value)) return undefined;
    const id = seriesId(sample.name, sample.labels);
    this.memory.values[id] = sample.value;
    const before = this.prev?.values[id];
    if (before === undefined || this.dt === undefined) return undefined;
    return sample.value >= before ? sample.value - before : sample.value;
  }

  // -------------------------------------------------------------------------------------------
  // Mapped families

  private mapped(family: MetricFamily, entry: MapEntry): void {
    const dist = family.type === 'histogram' || family.type === 'summary';
    const as =
      entry.event !== undefined ? 'event' : (entry.as ?? (family.type === 'counter' ? 'rate' : 'gauge'));
    if (dist && entry.quantile !== undefined) {
      if (family.type === 'histogram') this.histogramQuantile(family, entry, entry.quantile);
      else this.summaryQuantile(family, entry, entry.quantile);
    } else if (dist && as === 'gauge') {
      if (entry.as === 'gauge')
        this.notes.add(
          `${family.name} is a ${family.type}: as gauge reads nothing; give a quantile, or leave as out for the mean`,
        );
      else this.mean(family, entry);
    } else if (dist) {
      // rate, increase, events or share of the observations: the _count series.
      this.cumulative(
        family.samples.filter((s) => s.name === `${family.name}_count`),
        entry,
        as,
        ['quantile', 'le'],
      );
    } else if (as === 'gauge') {
      const sums = new Map<string, Group & { v: number }>();
      for (const s of family.samples) {
        if (!this.matches(entry, s.labels)) continue;
        const g = this.group(s, entry, []);
        if (!g) continue;
        const key = seriesId(g.source, g.labels);
        const acc = sums.get(key) ?? { ...g, v: 0 };
        acc.v += s.value;
        sums.set(key, acc);
      }
      const name = entry.name as string;
      for (const acc of sums.values()) this.push(acc, name, acc.v * entry.scale);
    } else this.cumulative(family.samples, entry, as, []);
  }

  /** rate, increase, share or events of cumulative samples, added up per group. */
  private cumulative(samples: readonly Sample[], entry: MapEntry, as: string, drop: readonly string[]): void {
    const groups = new Map<string, Group & { all: number; picked: number; seen: boolean }>();
    for (const s of samples) {
      const picked = this.matches(entry, s.labels);
      if (!picked && as !== 'share') continue;
      const g = this.group(s, entry, drop);
      if (!g) continue;
      const inc = this.increase(s);
      const key = seriesId(g.source, g.labels);
      const acc = groups.get(key) ?? { ...g, all: 0, picked: 0, seen: false };
      groups.set(key, acc);
      if (inc === undefined) continue;
      acc.seen = true;
      acc.all += inc;
      if (picked) acc.picked += inc;
    }
    for (const acc of groups.values()) {
      if (!acc.seen) continue; // the first scrape of these series: nothing to compare with yet
      if (as === 'event') this.emitEvents(acc, entry.event as string, acc.picked);
      else if (as === 'share') {
        if (acc.all > 0) this.push(acc, entry.name as string, (acc.picked / acc.all) * entry.scale);
      } else if (as === 'increase') this.push(acc, entry.name as string, acc.picked * entry.scale);
      else this.push(acc, entry.name as string, (acc.picked / (this.dt as number)) * entry.scale);
    }
  }

  private emitEvents(g: Group, type: string, increase: number): void {
    let n = Math.round(increase);
    if (n > MAX_EVENTS_PER_SERIES) {
      this.notes.add(
        `${type}: more than ${MAX_EVENTS_PER_SERIES} in one scrape; ${MAX_EVENTS_PER_SERIES} are pushed`,
      );
      n = MAX_EVENTS_PER_SERIES;
    }
    const data: Record<string, unknown> = { ...g.labels, scrape: this.target.name };
    for (let i = 0; i < n; i++) {
      const e: BotEvent = { source: g.source, ts: this.now, type, data };
      const symbol = g.labels.symbol;
      if (symbol) e.symbol = symbol.slice(0, LIMITS.symbol);
      this.events.push(e);
    }
  }

  /** Mean observation over the interval: increase of _sum / increase of _count. */
  private mean(family: MetricFamily, entry: MapEntry): void {
    const groups = new Map<string, Group & { sum: number; count: number }>();
    const drop = ['quantile', 'le'];
    const sums = new Map<string, number>();
    for (const s of family.samples) {
      if (s.name !== `${family.name}_sum` || !this.matches(entry, s.labels)) continue;
      const inc = this.increase(s);
      if (inc !== undefined) sums.set(seriesId('', s.labels), inc);
    }
    for (const s of family.samples) {
      if (s.name !== `${family.name}_count` || !this.matches(entry, s.labels)) continue;
      const g = this.group(s, entry, drop);
      const inc = this.increase(s);
      const sum = sums.get(seriesId('', s.labels));
      if (!g || inc === undefined || sum === undefined) continue;
      const key = seriesId(g.source, g.labels);
      const acc = groups.get(key) ?? { ...g, sum: 0, count: 0 };
      acc.sum += sum;
      acc.count += inc;
      groups.set(key, acc);
    }
    for (const acc of groups.values())
      if (acc.count > 0) this.push(acc, entry.name as string, (acc.sum / acc.count) * entry.scale);
  }

  /** histogram_quantile over the bucket increases since the previous scrape, per group. */
  private histogramQuantile(family: MetricFamily, entry: MapEntry, q: number): void {
    const groups = new Map<string, Group & { buckets: Map<number, number> }>();
    for (const s of family.samples) {
      if (s.name !== `${family.name}_bucket` || !this.matches(entry, s.labels)) continue;
      const g = this.group(s, entry, ['le']);
      const le = parseValue(s.labels.le ?? '');
      const inc = this.increase(s);
      if (!g || le === undefined || inc === undefined) continue;
      const key = seriesId(g.source, g.labels);
      const acc = groups.get(key) ?? { ...g, buckets: new Map<number, number>() };
      acc.buckets.set(le, (acc.buckets.get(le) ?? 0) + inc);
      groups.set(key, acc);
    }
    for (const acc of groups.values()) {
      const v = bucketQuantile(
        q,
        [...acc.buckets].map(([le, count]) => ({ le, count })),
      );
      if (v !== undefined) this.push(acc, entry.name as string, v * entry.scale);
    }
  }

  /** A summary's own quantile; the highest where `by` gathers several series. */
  private summaryQuantile(family: MetricFamily, entry: MapEntry, q: number): void {
    const groups = new Map<string, Group & { v: number }>();
    for (const s of family.samples) {
      if (s.name !== family.name || !this.matches(entry, s.labels)) continue;
      const sq = parseValue(s.labels.quantile ?? '');
      if (sq === undefined || Math.abs(sq - q) > 1e-9 || Number.isNaN(s.value)) continue;
      const g = this.group(s, entry, ['quantile']);
      if (!g) continue;
      const key = seriesId(g.source, g.labels);
      const acc = groups.get(key);
      if (!acc || s.value > acc.v) groups.set(key, { ...g, v: s.value });
    }
    for (const acc of groups.values()) this.push(acc, entry.name as string, acc.v * entry.scale);
  }

  // -------------------------------------------------------------------------------------------
  // Unmapped families: pushed under their own name, as they are (histogram buckets left out)

  private passThrough(family: MetricFamily): void {
    if (!this.include) return;
    for (const s of family.samples) {
      if (family.type === 'histogram' && s.name === `${family.name}_bucket`) continue;
      if (Object.hasOwn(this.target.map, s.name)) continue; // mapped on its own (x_count)
      if (!this.kept(family.name) && !this.kept(s.name)) continue;
      const source = this.sourceOf(s.labels);
      if (source === undefined) continue;
      this.push({ source, labels: this.cleanLabels(s.labels) }, s.name, s.value);
    }
  }
}

/**
 * The `q` quantile of cumulative bucket counts, as Prometheus's histogram_quantile computes it:
 * linear within the bucket the rank falls in; in the +Inf bucket, the highest finite bound.
 * Undefined without observations.
 */
export function bucketQuantile(
  q: number,
  buckets: readonly { le: number; count: number }[],
): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length === 0) return undefined;
  // Counts read at slightly different times may dip: keep them cumulative.
  let max = 0;
  const bs = sorted.map((b) => {
    max = Math.max(max, b.count);
    return { le: b.le, count: max };
  });
  const total = (bs[bs.length - 1] as { count: number }).count;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let i = bs.findIndex((b) => b.count >= rank);
  if (i < 0) i = bs.length - 1;
  const b = bs[i] as { le: number; count: number };
  if (b.le === Infinity) return bs.length >= 2 ? (bs[bs.length - 2] as { le: number }).le : undefined;
  if (i === 0 && b.le <= 0) return b.le;
  const lowerBound = i === 0 ? 0 : (bs[i - 1] as { le: number }).le;
  const below = i === 0 ? 0 : (bs[i - 1] as { count: number }).count;
  const inBucket = b.count - below;
  if (inBucket <= 0) return b.le;
  return lowerBound + (b.le - lowerBound) * ((rank - below) / inBucket);
}

/** Each entry's `match`, its globs compiled once (an entry lives as long as the config). */
const compiledMatch = new WeakMap<MapEntry, (labels: Labels) => boolean>();

function matchOf(entry: MapEntry): (labels: Labels) => boolean {
  let test = compiledMatch.get(entry);
  if (!test) {
    const wanted = Object.entries(entry.match ?? {}).map(([k, want]) => {
      const globs = (Array.isArray(want) ? want : [want]).map(globMatcher);
      return (labels: Labels) => {
        const v = labels[k] ?? '';
        return globs.some((g) => g(v));
      };
    });
    test = (labels) => wanted.every((w) => w(labels));
    compiledMatch.set(entry, test);
  }
  return test;
}

/** A series' identity: its name (or source) and its labels, unambiguous whatever they hold. */
function seriesId(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify([name, ...keys.map((k) => [k, labels[k]])]);
}
