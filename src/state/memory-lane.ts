import { createHash } from 'node:crypto';
import type { Alert } from '../model/alert.js';
import type { HistoryEntry } from '../model/history.js';
import type { Notification } from '../model/notification.js';
import type { Inhibitor } from '../routing/inhibition.js';
import {
  sourceOfKey,
  type Evicted,
  type Eviction,
  type IdleCandidates,
  type IdleQuery,
  type IdleSeries,
} from './eviction.js';
import {
  AlreadyApplied,
  VersionConflict,
  type InputId,
  type LaneStore,
  type ShardChanges,
} from './shard-store.js';

interface Lane {
  version: number;
  rules: Map<string, string>;
  ruleTimers: Map<string, number>;
  alerts: Map<string, string>;
  alertTimers: Map<string, number>;
  done: Map<string, Notification[]>;
  inhibitors: Map<string, Inhibitor>;
  /** Input id -> remembered until (ms). */
  inputIds: Map<string, number>;
  /** The index of last-seen times (ms), as the commit script keeps it in Redis. */
  seriesSeen: Map<string, number>;
  sourcesSeen: Map<string, number>;
  sourceSeries: Map<string, Map<string, number>>;
}

/**
 * The lanes' state in memory, for replay and tests: the same contract as ShardStore on Redis,
 * so that the pipeline decides exactly as it does live. States go through JSON, as through Redis.
 * Timers of rules and alerts run when `now` (the inputs' or the test's clock) reaches them.
 */
export class MemoryLane implements LaneStore {
  private readonly lanes: Lane[];
  /** Every transition and notification committed, oldest first. */
  readonly history: HistoryEntry[] = [];

  constructor(readonly shards = 1) {
    this.lanes = Array.from({ length: shards }, () => ({
      version: 0,
      rules: new Map(),
      ruleTimers: new Map(),
      alerts: new Map(),
      alertTimers: new Map(),
      done: new Map(),
      inhibitors: new Map(),
      inputIds: new Map(),
      seriesSeen: new Map(),
      sourcesSeen: new Map(),
      sourceSeries: new Map(),
    }));
  }

  shardOf(source: string): number {
    return createHash('md5').update(source).digest().readUInt32BE(0) % this.shards;
  }

  private lane(shard: number): Lane {
    const l = this.lanes[shard];
    if (!l) throw new Error(`no lane ${shard}`);
    return l;
  }

  async loadRules(shard: number, keys: readonly string[]) {
    const l = this.lane(shard);
    const states = new Map<string, unknown>();
    for (const k of keys) {
      const v = l.rules.get(k);
      if (v !== undefined) states.set(k, JSON.parse(v));
    }
    return { version: l.version, states };
  }

  async loadAlerts(shard: number, fps: readonly string[]): Promise<Map<string, Alert>> {
    const l = this.lane(shard);
    const out = new Map<string, Alert>();
    for (const fp of fps) {
      const v = l.alerts.get(fp);
      if (v !== undefined) out.set(fp, JSON.parse(v) as Alert);
    }
    return out;
  }

  async dueRuleTimers(shard: number, now: number, limit: number): Promise<string[]> {
    return due(this.lane(shard).ruleTimers, now, limit);
  }

  async dueAlertTimers(shard: number, now: number, limit: number): Promise<string[]> {
    return due(this.lane(shard).alertTimers, now, limit);
  }

  async ruleStatesExist(shard: number, keys: readonly string[]): Promise<boolean[]> {
    const l = this.lane(shard);
    return keys.map((k) => l.rules.has(k));
  }

  async seenInputs(shard: number, ids: readonly InputId[], now: number): Promise<boolean[]> {
    const l = this.lane(shard);
    return ids.map((i) => (l.inputIds.get(`${i.source}\0${i.id}`) ?? -Infinity) > now);
  }

  async inhibitors(): Promise<Map<string, Inhibitor>> {
    return new Map(this.lanes.flatMap((l) => [...l.inhibitors]));
  }

  async done(shard: number, jobId: string): Promise<Notification[] | undefined> {
    return this.lane(shard).done.get(jobId);
  }

  async handedOn(shard: number, jobId: string): Promise<void> {
    const l = this.lane(shard);
    if (l.done.has(jobId)) l.done.set(jobId, []);
  }

  async commit(shard: number, version: number, c: ShardChanges): Promise<number> {
    const l = this.lane(shard);
    if (c.done) {
      const already = l.done.get(c.done.jobId);
      if (already) throw new AlreadyApplied(c.done.jobId, already);
    }
    if (l.version !== version) throw new VersionConflict(shard);
    for (const [k, v] of c.ruleWrites) {
      if (v === null) l.rules.delete(k);
      else l.rules.set(k, JSON.stringify(v));
    }
    setTimers(l.ruleTimers, c.ruleTimers);
    for (const [fp, a] of c.alertWrites) {
      if (a === null) l.alerts.delete(fp);
      else l.alerts.set(fp, JSON.stringify(a));
    }
    setTimers(l.alertTimers, c.alertTimers);
    for (const [fp, i] of c.inhibitors) {
      if (i === null) l.inhibitors.delete(fp);
      else l.inhibitors.set(fp, i);
    }
    if (c.inputIds) {
      const until = c.inputIds.at + c.inputIds.ttlMs;
      for (const i of c.inputIds.ids) l.inputIds.set(`${i.source}\0${i.id}`, until);
    }
    index(l, c);
    this.history.push(...c.history);
    if (c.done) l.done.set(c.done.jobId, c.done.notifications);
    l.version += 1;
    return l.version;
  }

  async idle(shard: number, q: IdleQuery): Promise<IdleCandidates> {
    const l = this.lane(shard);
    const item = ([key, seen]: [string, number]): IdleSeries => {
      const v = l.rules.get(key);
      return { key, seen, state: v === undefined ? undefined : JSON.parse(v) };
    };
    return {
      version: l.version,
      series: oldest(l.seriesSeen, q.seriesBefore, q.limit).map(item),
      sources: oldest(l.sourcesSeen, q.sourcesBefore, q.limit).map(([source, seen]) => ({
        source,
        seen,
        series: [...(l.sourceSeries.get(source) ?? [])].sort(byScore).map(item),
      })),
    };
  }

  async evict(shard: number, version: number, e: Eviction): Promise<Evicted> {
    const l = this.lane(shard);
    if (l.version !== version) throw new VersionConflict(shard);
    const out: Evicted = { series: 0, sources: 0 };
    for (const { key, before } of e.series) {
      const seen = l.seriesSeen.get(key);
      if (seen === undefined || seen > before) continue;
      l.rules.delete(key);
      l.ruleTimers.delete(key);
      l.seriesSeen.delete(key);
      l.sourceSeries.get(sourceOfKey(key))?.delete(key);
      out.series++;
    }
    for (const { source, before } of e.sources) {
      const seen = l.sourcesSeen.get(source);
      if (seen === undefined || seen > before || (l.sourceSeries.get(source)?.size ?? 0) > 0) continue;
      l.sourcesSeen.delete(source);
      l.sourceSeries.delete(source);
      out.sources++;
    }
    for (const key of e.keepSeries) {
      if (!l.seriesSeen.has(key)) continue;
      l.seriesSeen.set(key, e.at);
      seriesOf(l, key).set(key, e.at);
    }
    for (const source of e.keepSources) if (l.sourcesSeen.has(source)) l.sourcesSeen.set(source, e.at);
    if (out.series + out.sources > 0) l.version += 1;
    return out;
  }

  /** Sources and series tracked, over every lane. */
  tracked(): { sources: number; series: number } {
    let sources = 0;
    let series = 0;
    for (const l of this.lanes) {
      sources += l.sourcesSeen.size;
      series += l.seriesSeen.size;
    }
    return { sources, series };
  }

  /** Every alert of every lane (for tests and replay's summary). */
  alerts(): Alert[] {
    return this.lanes.flatMap((l) => [...l.alerts.values()].map((v) => JSON.parse(v) as Alert));
  }
}

/** The commit's index of last-seen times, as COMMIT_LUA keeps it. */
function index(l: Lane, c: ShardChanges): void {
  const at = c.index?.at;
  if (at !== undefined) {
    for (const s of c.index?.sources ?? []) l.sourcesSeen.set(s, at);
    for (const k of c.index?.keys ?? [])
      if (l.rules.has(k)) {
        l.seriesSeen.set(k, at);
        seriesOf(l, k).set(k, at);
      }
    for (const [k, v] of c.ruleWrites)
      if (v !== null && !l.seriesSeen.has(k)) {
        l.seriesSeen.set(k, at);
        seriesOf(l, k).set(k, at);
        if (!l.sourcesSeen.has(sourceOfKey(k))) l.sourcesSeen.set(sourceOfKey(k), at);
      }
  }
  for (const [k, v] of c.ruleWrites)
    if (v === null) {
      l.seriesSeen.delete(k);
      l.sourceSeries.get(sourceOfKey(k))?.delete(k);
    }
}

function seriesOf(l: Lane, key: string): Map<string, number> {
  const source = sourceOfKey(key);
  let m = l.sourceSeries.get(source);
  if (!m) {
    m = new Map();
    l.sourceSeries.set(source, m);
  }
  return m;
}

const byScore = (a: [string, number], b: [string, number]) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1);

/** Entries scored at or before `before`, oldest first (as ZRANGEBYSCORE, ties by member). */
function oldest(m: Map<string, number>, before: number, limit: number): [string, number][] {
  return [...m]
    .filter(([, t]) => t <= before)
    .sort(byScore)
    .slice(0, limit);
}

function due(timers: Map<string, number>, now: number, limit: number): string[] {
  return [...timers]
    .filter(([, t]) => t <= now)
    .sort((a, b) => a[1] - b[1])
    .slice(0, limit)
    .map(([k]) => k);
}

function setTimers(timers: Map<string, number>, changes: Map<string, number | null>): void {
  for (const [k, due] of changes) {
    if (due === null) timers.delete(k);
    else timers.set(k, Math.ceil(due));
  }
}
