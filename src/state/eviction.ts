/**
 * Bounded state: which idle rule states (series) and sources a sweep forgets. Pure: the lane
 * store reads the candidates (ShardStore from its last-seen indexes, MemoryLane from its maps),
 * `planEviction` decides, and the store applies the plan at once (EVICT_LUA on Redis).
 *
 * A series is one rule or detector state, `<rule>|<source>|…` (see src/detectors/rules); it is
 * seen when an input of its source is planned onto it (the commit of that input writes the
 * index). A source is seen with each of its inputs. A series or source idle longer than
 * `limits.idle_evict` is forgotten: its state, its timer and its index entries. When data
 * returns, the rule starts from nothing, and a detector warms up again.
 */

/** The source of a rule state key: its second `|` part (rule names and sources hold no `|`). */
export function sourceOfKey(key: string): string {
  const a = key.indexOf('|');
  if (a < 0) return '';
  const b = key.indexOf('|', a + 1);
  return b < 0 ? key.slice(a + 1) : key.slice(a + 1, b);
}

/**
 * Whether a rule state holds a condition that is pending or firing. Every condition rule keeps
 * its bands under `b` (BandState, src/detectors/rules/bands.ts); such a state is never evicted,
 * so that its alert resolves when its condition does (an absence alert of a bot that is gone
 * keeps firing). Detector states (anomaly) and event counts hold no condition: an occurrence
 * alert resolves on its own after `resolve_after`.
 */
export function holdsCondition(state: unknown): boolean {
  if (state === null || typeof state !== 'object') return false;
  const b = (state as { b?: unknown }).b;
  if (b === null || typeof b !== 'object') return false;
  const status = (b as { status?: unknown }).status;
  return status === 'pending' || status === 'firing';
}

/** Idle times of `limits.idle_evict` (ms), `undefined` for never. */
export interface IdleLimits {
  seriesMs: number | undefined;
  sourcesMs: number | undefined;
}

/** The `limits.idle_evict` section as IdleLimits. */
export function idleLimits(c: { series: number | 'never'; sources: number | 'never' }): IdleLimits {
  return {
    seriesMs: c.series === 'never' ? undefined : c.series,
    sourcesMs: c.sources === 'never' ? undefined : c.sources,
  };
}

/** What to read: series and sources last seen at or before these times (ms), `limit` of each. */
export interface IdleQuery {
  seriesBefore: number;
  sourcesBefore: number;
  limit: number;
}

/** The cut-off times of a sweep at `now` (`-Infinity`: nothing is ever that idle). */
export function idleQuery(limits: IdleLimits, now: number, limit: number): IdleQuery {
  return {
    seriesBefore: limits.seriesMs === undefined ? -Infinity : now - limits.seriesMs,
    sourcesBefore: limits.sourcesMs === undefined ? -Infinity : now - limits.sourcesMs,
    limit,
  };
}

export interface IdleSeries {
  key: string;
  /** Last seen (ms). */
  seen: number;
  /** The stored state, `undefined` when it is gone already. */
  state: unknown;
}

/** What a store read for an eviction round, at the shard's `version`. */
export interface IdleCandidates {
  version: number;
  /** Series idle past the series cut-off, oldest first. */
  series: IdleSeries[];
  /** Sources idle past the sources cut-off, oldest first, with every series they still have. */
  sources: { source: string; seen: number; series: IdleSeries[] }[];
}

/** What a store applies at once; the script checks each entry again (still there, still idle). */
export interface Eviction {
  /** When the round runs (ms): what is kept counts as seen at this time. */
  at: number;
  /** Series to forget, each only if its last seen is still at or before `before`. */
  series: { key: string; before: number }[];
  /** Sources to forget, each only if still idle and left without any series. */
  sources: { source: string; before: number }[];
  /**
   * Idle but kept (a condition pending or firing, a source `expect`ed by an absence rule): seen
   * again at `at`, so that they are looked at again after another idle time, not every sweep.
   */
  keepSeries: string[];
  keepSources: string[];
}

export function isEmptyEviction(e: Eviction): boolean {
  return (
    e.series.length === 0 && e.sources.length === 0 && e.keepSeries.length === 0 && e.keepSources.length === 0
  );
}

/**
 * Decides an eviction round. A series is kept while `keep` says so (a condition pending or
 * firing, an expected source's watch); a source goes only with all of its series, so a source
 * with a kept series, or with a series seen after the source's cut-off, is kept.
 */
export function planEviction(
  c: IdleCandidates,
  q: IdleQuery,
  at: number,
  keep: (key: string, state: unknown) => boolean,
): Eviction {
  const out: Eviction = { at, series: [], sources: [], keepSeries: [], keepSources: [] };
  const decided = new Set<string>();
  for (const s of c.sources) {
    const kept = s.series.filter((x) => x.state !== undefined && keep(x.key, x.state));
    const recent = s.series.some((x) => x.seen > q.sourcesBefore);
    if (kept.length > 0 || recent) {
      out.keepSources.push(s.source);
      for (const x of kept) {
        out.keepSeries.push(x.key);
        decided.add(x.key);
      }
      // Its other series go by their own idle time.
      continue;
    }
    for (const x of s.series) {
      out.series.push({ key: x.key, before: q.sourcesBefore });
      decided.add(x.key);
    }
    out.sources.push({ source: s.source, before: q.sourcesBefore });
  }
  for (const x of c.series) {
    if (decided.has(x.key)) continue;
    decided.add(x.key);
    if (x.state !== undefined && keep(x.key, x.state)) out.keepSeries.push(x.key);
    else out.series.push({ key: x.key, before: q.seriesBefore });
  }
  return out;
}

/** What an eviction round forgot. */
export interface Evicted {
  series: number;
  sources: number;
}
