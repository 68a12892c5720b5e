import { createHash } from 'node:crypto';
import type { Alert } from '../model/alert.js';
import type { HistoryEntry } from '../model/history.js';
import type { Notification } from '../model/notification.js';
import type { Inhibitor } from '../routing/inhibition.js';
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
    this.history.push(...c.history);
    if (c.done) l.done.set(c.done.jobId, c.done.notifications);
    l.version += 1;
    return l.version;
  }

  /** Every alert of every lane (for tests and replay's summary). */
  alerts(): Alert[] {
    return this.lanes.flatMap((l) => [...l.alerts.values()].map((v) => JSON.parse(v) as Alert));
  }
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
