import type { Redis } from 'ioredis';
import type { Alert } from '../model/alert.js';
import type { HistoryEntry } from '../model/history.js';
import type { RecordWrites } from '../digest/record.js';
import type { Inhibitor } from '../routing/inhibition.js';
import type { Notification } from '../model/notification.js';
import { COMMIT_LUA } from './commit-lua.js';
import { EVICT_LUA } from './eviction-lua.js';
import {
  sourceOfKey,
  type Evicted,
  type Eviction,
  type IdleCandidates,
  type IdleQuery,
  type IdleSeries,
} from './eviction.js';
import type { Keys } from './keys.js';
import { crossSlotPipeline } from './redis-connect.js';
import { unwrap } from './redis-errors.js';

/** Everything one evaluation changes in a shard, applied at once by `commit`. */
export interface ShardChanges {
  ruleWrites: Map<string, unknown>;
  ruleTimers: Map<string, number | null>;
  alertWrites: Map<string, Alert | null>;
  alertTimers: Map<string, number | null>;
  history: HistoryEntry[];
  /** This shard's alerts that may (or may no longer: `null`) inhibit others. */
  inhibitors: Map<string, Inhibitor | null>;
  /**
   * Senders' idempotency keys of the inputs evaluated at `at`, remembered for `ttlMs` (in Redis
   * from the moment of the commit: a key expires by the server's clock).
   */
  inputIds?: { ids: InputId[]; at: number; ttlMs: number };
  /** Marks the ingest job as applied, keeping the notifications it produced. */
  done?: { jobId: string; notifications: Notification[] };
  /** What the digest keeps of the inputs and the alerts' steps (see src/digest/record.ts). */
  records?: RecordWrites;
  /**
   * Last-seen times for eviction (src/state/eviction.ts), at `at`: the sources of the inputs,
   * and the rule states the inputs were planned onto. Without it, rule states written are not
   * indexed (those deleted still leave the index).
   */
  index?: { at: number; sources: string[]; keys: string[] };
}

/** How long digest records are kept and how large one source's day may grow. */
export interface RecordBounds {
  retentionSec: number;
  /** Series points and event counts (hash fields). */
  points: number;
  trades: number;
  alerts: number;
}

/** Defaults of `digest.retention` and `digest.max_per_day`. */
export const DEFAULT_RECORD_BOUNDS: RecordBounds = {
  retentionSec: 35 * 86_400,
  points: 50_000,
  trades: 20_000,
  alerts: 20_000,
};

/** A sender's idempotency key: unique per source. */
export interface InputId {
  source: string;
  id: string;
}

/**
 * A lane's state, wherever it is kept: Redis (ShardStore) for the service, memory (MemoryLane)
 * for replay and tests. The pipeline reads and commits through it and decides with `decide()`.
 */
export interface LaneStore {
  readonly shards: number;
  shardOf(source: string): number;
  loadRules(
    shard: number,
    keys: readonly string[],
  ): Promise<{ version: number; states: Map<string, unknown> }>;
  loadAlerts(shard: number, fps: readonly string[]): Promise<Map<string, Alert>>;
  dueRuleTimers(shard: number, now: number, limit: number): Promise<string[]>;
  dueAlertTimers(shard: number, now: number, limit: number): Promise<string[]>;
  ruleStatesExist(shard: number, keys: readonly string[]): Promise<boolean[]>;
  /** Which of these input ids were evaluated already (and are still remembered at `now`). */
  seenInputs(shard: number, ids: readonly InputId[], now: number): Promise<boolean[]>;
  /** The firing alerts that may inhibit others, of every lane. */
  inhibitors(): Promise<Map<string, Inhibitor>>;
  /** What an already applied job produced, or undefined when it was not applied. */
  done(shard: number, jobId: string): Promise<Notification[] | undefined>;
  /**
   * The job's notifications were all handed on (queued, or joined to their groups): its done
   * marker keeps saying "applied" and forgets them, so a rerun hands on nothing again.
   */
  handedOn(shard: number, jobId: string): Promise<void>;
  /** Applies `changes` at once if the shard is still at `version` and the job was not applied. */
  commit(shard: number, version: number, changes: ShardChanges): Promise<number>;
  /** Series and sources idle past the query's cut-offs, with their states, at the shard's version. */
  idle(shard: number, q: IdleQuery): Promise<IdleCandidates>;
  /** Applies an eviction round at once if the shard is still at `version` (else VersionConflict). */
  evict(shard: number, version: number, e: Eviction): Promise<Evicted>;
}

/** An applied job's marker lives twice as long as the job it guards is kept (1 h). */
export const DONE_TTL_SEC = 2 * 3600;
/** Entries kept in one alert's log. */
export const ALERT_LOG_MAX = 100;

/** The job was applied before (its done marker is set): these are the notifications it produced. */
export class AlreadyApplied extends Error {
  constructor(
    readonly jobId: string,
    readonly notifications: Notification[],
  ) {
    super(`job ${jobId} was applied already`);
    this.name = 'AlreadyApplied';
  }
}

export class VersionConflict extends Error {
  constructor(shard: number) {
    super(`shard ${shard} changed while it was being evaluated`);
    this.name = 'VersionConflict';
  }
}

/** Reads and writes a shard's state in Redis: rule and detector states, alerts, timers, history. */
export class ShardStore implements LaneStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: Keys,
    private readonly opts: {
      doneTtlSec?: number;
      /** How long an alert's log outlives its last entry (ms). */
      alertLogTtlMs?: number;
      records?: RecordBounds;
    } = {},
  ) {
    redis.defineCommand('klaxonCommit', { lua: COMMIT_LUA });
    redis.defineCommand('klaxonEvict', { lua: EVICT_LUA });
  }

  get shards(): number {
    return this.keys.shards;
  }

  shardOf(source: string): number {
    return this.keys.shardOf(source);
  }

  async seenInputs(shard: number, ids: readonly InputId[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const i of ids) pipe.exists(this.keys.inputId(shard, i.source, i.id));
    const res = await pipe.exec();
    return (res ?? []).map((r) => unwrap<number>(r) === 1);
  }

  async inhibitors(): Promise<Map<string, Inhibitor>> {
    const pipe = crossSlotPipeline(this.redis);
    for (let s = 0; s < this.keys.shards; s++) pipe.hvals(this.keys.inhibitors(s));
    const res = (await pipe.exec()) ?? [];
    const out = new Map<string, Inhibitor>();
    for (const r of res)
      for (const v of unwrap<string[]>(r)) {
        const i = JSON.parse(v) as Inhibitor;
        out.set(i.fingerprint, i);
      }
    return out;
  }

  /** The shard's version and the rule states under `keys`, in one round trip. */
  async loadRules(
    shard: number,
    keys: readonly string[],
  ): Promise<{ version: number; states: Map<string, unknown> }> {
    const pipe = this.redis.pipeline().get(this.keys.version(shard));
    if (keys.length > 0) pipe.hmget(this.keys.ruleStates(shard), ...keys);
    const res = await pipe.exec();
    const version = Number(unwrap<string | null>(res?.[0]) ?? 0);
    const states = new Map<string, unknown>();
    if (keys.length > 0) {
      const values = unwrap<(string | null)[]>(res?.[1]);
      keys.forEach((k, i) => {
        const v = values[i];
        if (v != null) states.set(k, JSON.parse(v));
      });
    }
    return { version, states };
  }

  async loadAlerts(shard: number, fps: readonly string[]): Promise<Map<string, Alert>> {
    const out = new Map<string, Alert>();
    if (fps.length === 0) return out;
    const values = await this.redis.hmget(this.keys.alerts(shard), ...fps);
    fps.forEach((fp, i) => {
      const v = values[i];
      if (v != null) out.set(fp, JSON.parse(v) as Alert);
    });
    return out;
  }

  async allAlerts(shard: number): Promise<Alert[]> {
    const all = await this.redis.hvals(this.keys.alerts(shard));
    return all.map((v) => JSON.parse(v) as Alert);
  }

  async dueRuleTimers(shard: number, now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.ruleTimers(shard), '-inf', now, 'LIMIT', 0, limit);
  }

  async dueAlertTimers(shard: number, now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.alertTimers(shard), '-inf', now, 'LIMIT', 0, limit);
  }

  async ruleStatesExist(shard: number, keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const k of keys) pipe.hexists(this.keys.ruleStates(shard), k);
    const res = await pipe.exec();
    return (res ?? []).map((r) => unwrap<number>(r) === 1);
  }

  /** What an already applied ingest job produced, or undefined when it was not applied. */
  async done(shard: number, jobId: string): Promise<Notification[] | undefined> {
    const v = await this.redis.get(this.keys.done(shard, jobId));
    return v == null ? undefined : (JSON.parse(v) as Notification[]);
  }

  async handedOn(shard: number, jobId: string): Promise<void> {
    await this.redis.set(this.keys.done(shard, jobId), '[]', 'KEEPTTL', 'XX');
  }

  /**
   * Applies `changes` if the shard is still at `version` and their job was not applied before;
   * throws VersionConflict or AlreadyApplied otherwise.
   */
  async commit(shard: number, version: number, changes: ShardChanges): Promise<number> {
    const k = this.keys;
    const args: (string | number)[] = [
      version,
      this.opts.doneTtlSec ?? DONE_TTL_SEC,
      changes.done ? JSON.stringify(changes.done.notifications) : '',
      this.opts.alertLogTtlMs ?? 8 * 86_400_000,
      ALERT_LOG_MAX,
      Math.ceil(changes.inputIds?.ttlMs ?? 1),
    ];
    const sets: (string | number)[] = [];
    const dels: string[] = [];
    for (const [key, v] of changes.ruleWrites) {
      if (v === null) dels.push(key);
      else sets.push(key, JSON.stringify(v));
    }
    args.push(sets.length / 2, ...sets, dels.length, ...dels);
    pushTimers(args, changes.ruleTimers);
    const aSets: (string | number)[] = [];
    const aDels: string[] = [];
    for (const [fp, a] of changes.alertWrites) {
      if (a === null) aDels.push(fp);
      else aSets.push(fp, JSON.stringify(a), a.lastSeenAt);
    }
    args.push(aSets.length / 3, ...aSets, aDels.length, ...aDels);
    pushTimers(args, changes.alertTimers);
    args.push(changes.history.length, ...changes.history.map((h) => JSON.stringify(h)));
    const iSets: string[] = [];
    const iDels: string[] = [];
    for (const [fp, i] of changes.inhibitors) {
      if (i === null) iDels.push(fp);
      else iSets.push(fp, JSON.stringify(i));
    }
    args.push(iSets.length / 2, ...iSets, iDels.length, ...iDels, changes.inputIds?.ids.length ?? 0);
    const rec = changes.records ?? { bundles: [], ops: [] };
    const bounds = this.opts.records ?? DEFAULT_RECORD_BOUNDS;
    args.push(bounds.retentionSec, bounds.points, bounds.trades, bounds.alerts, rec.bundles.length);
    for (const b of rec.bundles) args.push(b.source, Date.parse(`${b.day}T00:00:00Z`));
    args.push(rec.ops.length);
    for (const o of rec.ops) args.push(o.op, o.b, o.f, o.v);
    // The index: one series set per source whose rule states this commit sees, writes or deletes.
    const index = changes.index;
    const indexSources = [
      ...new Set([...(index?.keys ?? []), ...changes.ruleWrites.keys()].map(sourceOfKey)),
    ];
    args.push(index?.at ?? '', indexSources.length, ...indexSources);
    args.push(index?.sources.length ?? 0, ...(index?.sources ?? []));
    args.push(index?.keys.length ?? 0, ...(index?.keys ?? []));
    const keys = [
      k.version(shard),
      k.ruleStates(shard),
      k.ruleTimers(shard),
      k.alerts(shard),
      k.alertTimers(shard),
      k.done(shard, changes.done?.jobId ?? 'none'),
      k.alertIndex(shard),
      k.inhibitors(shard),
      ...changes.history.map((h) => k.alertLog(shard, h.fp)),
      ...(changes.inputIds?.ids ?? []).map((i) => k.inputId(shard, i.source, i.id)),
      ...rec.bundles.flatMap((b) => [
        k.record(shard, b.day, b.source, 'm'),
        k.record(shard, b.day, b.source, 'trades'),
        k.record(shard, b.day, b.source, 'alerts'),
        k.record(shard, b.day, b.source, 'meta'),
        k.recordSources(shard, b.day),
      ]),
      ...indexSources.map((s) => k.sourceSeries(shard, s)),
      k.seriesSeen(shard),
      k.sourcesSeen(shard),
    ];
    const res = await (
      this.redis as unknown as { klaxonCommit(...a: (string | number)[]): Promise<number | [number, string]> }
    ).klaxonCommit(keys.length, ...keys, ...args);
    if (Array.isArray(res))
      throw new AlreadyApplied(changes.done?.jobId ?? '', JSON.parse(res[1]) as Notification[]);
    if (res === -1) throw new VersionConflict(shard);
    return res;
  }

  /**
   * Idle candidates, oldest first: a read of both indexes (with the version), then of the states
   * of the idle series and of every series of the idle sources. Nothing idle costs one round trip.
   */
  async idle(shard: number, q: IdleQuery): Promise<IdleCandidates> {
    const k = this.keys;
    const top = (n: number) => (n === -Infinity ? '-inf' : String(Math.floor(n)));
    const res = await this.redis
      .pipeline()
      .get(k.version(shard))
      .zrangebyscore(k.seriesSeen(shard), '-inf', top(q.seriesBefore), 'WITHSCORES', 'LIMIT', 0, q.limit)
      .zrangebyscore(k.sourcesSeen(shard), '-inf', top(q.sourcesBefore), 'WITHSCORES', 'LIMIT', 0, q.limit)
      .exec();
    const version = Number(unwrap<string | null>(res?.[0]) ?? 0);
    const series = pairs(unwrap<string[]>(res?.[1]));
    const sources = pairs(unwrap<string[]>(res?.[2]));
    if (series.length === 0 && sources.length === 0) return { version, series: [], sources: [] };
    let lists: [string, number][][] = [];
    if (sources.length > 0) {
      const pipe = this.redis.pipeline();
      for (const [s] of sources) pipe.zrange(k.sourceSeries(shard, s), '0', '-1', 'WITHSCORES');
      lists = ((await pipe.exec()) ?? []).map((r) => pairs(unwrap<string[]>(r)));
    }
    const keys = [...new Set([...series.map(([key]) => key), ...lists.flat().map(([key]) => key)])];
    const values = keys.length === 0 ? [] : await this.redis.hmget(k.ruleStates(shard), ...keys);
    const states = new Map<string, unknown>();
    keys.forEach((key, i) => {
      const v = values[i];
      if (v != null) states.set(key, JSON.parse(v));
    });
    const item = ([key, seen]: [string, number]): IdleSeries => ({ key, seen, state: states.get(key) });
    return {
      version,
      series: series.map(item),
      sources: sources.map(([source, seen], i) => ({ source, seen, series: (lists[i] ?? []).map(item) })),
    };
  }

  /** Applies an eviction round (EVICT_LUA); throws VersionConflict when the shard moved on. */
  async evict(shard: number, version: number, e: Eviction): Promise<Evicted> {
    const k = this.keys;
    const names: string[] = [];
    const number = new Map<string, number>();
    const of = (source: string): number => {
      let n = number.get(source);
      if (n === undefined) {
        names.push(source);
        n = names.length;
        number.set(source, n);
      }
      return n;
    };
    const gone = e.series.flatMap((x) => [x.key, of(sourceOfKey(x.key)), Math.floor(x.before)]);
    const goneSources = e.sources.flatMap((x) => [of(x.source), Math.floor(x.before)]);
    const kept = e.keepSeries.flatMap((key) => [key, of(sourceOfKey(key))]);
    const keptSources = e.keepSources.map(of);
    const args: (string | number)[] = [version, e.at, names.length, ...names];
    args.push(gone.length / 3, ...gone, goneSources.length / 2, ...goneSources);
    args.push(kept.length / 2, ...kept, keptSources.length, ...keptSources);
    const keys = [
      k.version(shard),
      k.ruleStates(shard),
      k.ruleTimers(shard),
      k.seriesSeen(shard),
      k.sourcesSeen(shard),
      ...names.map((s) => k.sourceSeries(shard, s)),
    ];
    const res = await (
      this.redis as unknown as { klaxonEvict(...a: (string | number)[]): Promise<number | number[]> }
    ).klaxonEvict(keys.length, ...keys, ...args);
    if (!Array.isArray(res)) throw new VersionConflict(shard);
    return { series: Number(res[1]), sources: Number(res[2]) };
  }
}

/** `[member, score, member, score, …]` (WITHSCORES) as pairs. */
function pairs(flat: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, Number(flat[i + 1])]);
  return out;
}

/** Sources and series tracked in Redis, over every shard (the gauges of /metrics). */
export async function trackedCounts(redis: Redis, keys: Keys): Promise<{ sources: number; series: number }> {
  const pipe = crossSlotPipeline(redis);
  for (let s = 0; s < keys.shards; s++) pipe.zcard(keys.sourcesSeen(s)).zcard(keys.seriesSeen(s));
  const res = (await pipe.exec()) ?? [];
  let sources = 0;
  let series = 0;
  res.forEach((r, i) => {
    if (i % 2 === 0) sources += unwrap<number>(r);
    else series += unwrap<number>(r);
  });
  return { sources, series };
}

/**
 * Counts one shard's alerts by status, inside Redis: the status is read from the start of each
 * alert's JSON (where `Alert` puts it), decoded whole only when the start differs.
 * KEYS[1] the shard's alerts hash. Answers [pending, firing, resolved].
 */
const ALERT_COUNTS_LUA = `
local counts = { pending = 0, firing = 0, resolved = 0 }
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local status = string.match(v, '^{"fingerprint":"%x*","name":"[^"\\\\]*","kind":"%a*","status":"(%a+)"')
  if not status then status = cjson.decode(v).status end
  if counts[status] then counts[status] = counts[status] + 1 end
end
return { counts.pending, counts.firing, counts.resolved }`;

/** Alerts known by status, over every shard (for the `klaxon_alerts` gauge, on scrape). */
export async function alertCounts(
  redis: Redis,
  keys: Keys,
): Promise<{ pending: number; firing: number; resolved: number }> {
  const pipe = crossSlotPipeline(redis);
  for (let s = 0; s < keys.shards; s++) pipe.eval(ALERT_COUNTS_LUA, 1, keys.alerts(s));
  const out = { pending: 0, firing: 0, resolved: 0 };
  for (const r of (await pipe.exec()) ?? []) {
    const [pending, firing, resolved] = unwrap<number[]>(r);
    out.pending += pending ?? 0;
    out.firing += firing ?? 0;
    out.resolved += resolved ?? 0;
  }
  return out;
}

function pushTimers(args: (string | number)[], timers: Map<string, number | null>): void {
  const sets: (string | number)[] = [];
  const dels: string[] = [];
  for (const [k, due] of timers) {
    if (due === null) dels.push(k);
    else sets.push(k, String(Math.ceil(due)));
  }
  args.push(sets.length / 2, ...sets, dels.length, ...dels);
}
