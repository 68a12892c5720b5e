import type { Redis } from 'ioredis';
import type { Alert } from '../model/alert.js';
import type { Notification } from '../model/notification.js';
import { COMMIT_LUA } from './commit-lua.js';
import type { Keys } from './keys.js';

/** Everything one evaluation changes in a shard, applied at once by `commit`. */
export interface ShardChanges {
  ruleWrites: Map<string, unknown>;
  ruleTimers: Map<string, number | null>;
  alertWrites: Map<string, Alert | null>;
  alertTimers: Map<string, number | null>;
  history: object[];
  /** Marks the ingest job as applied, keeping the notifications it produced. */
  done?: { jobId: string; notifications: Notification[] };
}

/** One line of history: a transition of an alert or a notification sent to a receiver. */
export interface HistoryEntry {
  t: number;
  type: 'transition' | 'notification';
  fp: string;
  name: string;
  severity: string;
  status?: string;
  source?: string;
  receiver?: string;
  kind?: string;
}

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

/** Reads and writes a shard's state: rule and detector states, alerts, timers, history. */
export class ShardStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: Keys,
    private readonly opts: { doneTtlSec?: number; historyMaxLen?: number } = {},
  ) {
    redis.defineCommand('klaxonCommit', { numberOfKeys: 7, lua: COMMIT_LUA });
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

  async dueRuleTimers(shard: number, now: number, limit = 1000): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.ruleTimers(shard), '-inf', now, 'LIMIT', 0, limit);
  }

  async dueAlertTimers(shard: number, now: number, limit = 1000): Promise<string[]> {
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

  /**
   * Applies `changes` if the shard is still at `version` and their job was not applied before;
   * throws VersionConflict or AlreadyApplied otherwise.
   */
  async commit(shard: number, version: number, changes: ShardChanges, day: string): Promise<number> {
    const args: (string | number)[] = [
      version,
      this.opts.doneTtlSec ?? 7 * 86400,
      this.opts.historyMaxLen ?? 200_000,
      changes.done ? JSON.stringify(changes.done.notifications) : '',
    ];
    const sets: (string | number)[] = [];
    const dels: string[] = [];
    for (const [k, v] of changes.ruleWrites) {
      if (v === null) dels.push(k);
      else sets.push(k, JSON.stringify(v));
    }
    args.push(sets.length / 2, ...sets, dels.length, ...dels);
    pushTimers(args, changes.ruleTimers);
    const aSets: string[] = [];
    const aDels: string[] = [];
    for (const [fp, a] of changes.alertWrites) {
      if (a === null) aDels.push(fp);
      else aSets.push(fp, JSON.stringify(a));
    }
    args.push(aSets.length / 2, ...aSets, aDels.length, ...aDels);
    pushTimers(args, changes.alertTimers);
    args.push(changes.history.length, ...changes.history.map((h) => JSON.stringify(h)));
    const k = this.keys;
    const res = await (
      this.redis as unknown as { klaxonCommit(...a: (string | number)[]): Promise<number | [number, string]> }
    ).klaxonCommit(
      k.version(shard),
      k.ruleStates(shard),
      k.ruleTimers(shard),
      k.alerts(shard),
      k.alertTimers(shard),
      k.done(shard, changes.done?.jobId ?? 'none'),
      k.history(shard, day),
      ...args,
    );
    if (Array.isArray(res))
      throw new AlreadyApplied(changes.done?.jobId ?? '', JSON.parse(res[1]) as Notification[]);
    if (res === -1) throw new VersionConflict(shard);
    return res;
  }
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

function unwrap<T>(r: [Error | null, unknown] | undefined): T {
  if (!r) throw new Error('redis pipeline returned nothing');
  if (r[0]) throw r[0];
  return r[1] as T;
}
