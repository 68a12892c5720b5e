import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { GroupRef, Notification } from '../model/notification.js';
import type { Keys } from '../state/keys.js';
import { SENT_TTL_SEC } from '../worker/delivery-store.js';
import { GROUP_ADD_LUA, GROUP_FLUSH_LUA } from './group-lua.js';
import {
  addToGroup,
  flushGroup,
  type GroupChange,
  type GroupMeta,
  type GroupState,
  type Gone,
  type Member,
  type PendingFlush,
} from './group-state.js';

/**
 * A group that holds no alert is kept this long after its last change: longer than the `sent`
 * markers of its messages live, because its message ids (numbered by flush) start again at 1
 * when it is forgotten. A group that holds alerts is never forgotten.
 */
export const EMPTY_GROUP_TTL_SEC = SENT_TTL_SEC + 86_400;
/** How long a flush's result is kept for a rerun of its job (the job itself is kept 1 h). */
export const FLUSH_RESULT_TTL_SEC = 2 * 3600;
/** Attempts at a transition while other writers keep changing the group. */
const MAX_ATTEMPTS = 50;

/** What a flush produced: the message to deliver (if any) and the flush to schedule next (if any). */
export interface FlushOutcome {
  message?: Notification;
  next?: PendingFlush;
}

/** The group's name in keys, job ids and threads: a hash of its key (route and label values). */
export function groupHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 20);
}

/** The id of a group's message: deterministic, so a flush run again enqueues nothing new. */
export function groupMessageId(receiver: string, hash: string, seq: number): string {
  return `group.${receiver}.${hash}.${seq}`;
}

/** The thread of a group's messages at a receiver. */
export function groupThread(hash: string): string {
  return `group:${hash}`;
}

interface GroupCommands {
  klaxonGroupAdd(...args: (string | number)[]): Promise<number>;
  klaxonGroupFlush(...args: (string | number)[]): Promise<[number, string?]>;
}

/** Groups in Redis: read, decide with the pure functions, write if nobody wrote in between. */
export class GroupStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: Keys,
  ) {
    redis.defineCommand('klaxonGroupAdd', { lua: GROUP_ADD_LUA });
    redis.defineCommand('klaxonGroupFlush', { lua: GROUP_FLUSH_LUA });
  }

  private get commands(): GroupCommands {
    return this.redis as unknown as GroupCommands;
  }

  /**
   * Adds notifications of one group (`ref`) at one receiver. Returns the flush pending for the
   * group, if any: the caller (re)schedules it, idempotently by its sequence number. A repeat of
   * notifications already added changes nothing and returns the pending flush again, so a job
   * that runs again after a crash schedules what the crash may have lost.
   */
  async add(
    receiver: string,
    ref: GroupRef,
    ns: readonly Notification[],
    now: number,
  ): Promise<PendingFlush | undefined> {
    const key = this.keys.group(receiver, groupHash(ref.key));
    const fps = [...new Set(ns.flatMap((n) => n.alerts.map((a) => a.fingerprint)))];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { version, state } = await this.load(key, fps);
      const change = addToGroup(state, ref, ns, now);
      if (!change) return state.meta?.next;
      const res = await this.commands.klaxonGroupAdd(
        1,
        key,
        version,
        ttlOf(change.meta),
        ...changeArgs(change),
      );
      if (res !== -1) return change.meta.next;
      await pause(attempt);
    }
    throw new Error(`group ${ref.key} at receiver ${receiver} kept changing: ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Runs flush `seq` of a group once: the first run decides and stores its outcome, a rerun (a
   * job taken over after a crash) gets the same outcome back, so the same message is enqueued.
   */
  async flush(
    receiver: string,
    hash: string,
    seq: number,
    now: number,
    opts: { sendResolved: boolean },
  ): Promise<FlushOutcome> {
    const key = this.keys.group(receiver, hash);
    const doneKey = this.keys.groupFlush(receiver, hash, seq);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const done = await this.redis.get(doneKey);
      if (done) return JSON.parse(done) as FlushOutcome;
      const { version, state } = await this.load(key);
      const messageId = groupMessageId(receiver, hash, seq);
      const result = flushGroup(state, seq, now, { messageId, sendResolved: opts.sendResolved });
      const outcome: FlushOutcome = {};
      if (result.message) {
        const m = result.message;
        const n: Notification = {
          id: m.id,
          receiver,
          kind: m.kind,
          alerts: m.alerts,
          thread: groupThread(hash),
          createdAt: now,
        };
        if (m.after !== undefined) n.after = m.after;
        if (m.raisedFrom !== undefined) n.raisedFrom = m.raisedFrom;
        const fallback = state.meta?.fallback;
        if (fallback) n.fallback = fallback;
        outcome.message = n;
      }
      if (result.next) outcome.next = result.next;
      const change = result.change;
      const res = await this.commands.klaxonGroupFlush(
        2,
        key,
        doneKey,
        version,
        change ? ttlOf(change.meta) : 0,
        FLUSH_RESULT_TTL_SEC,
        JSON.stringify(outcome),
        ...(change ? [JSON.stringify(change.meta), ...changeArgs(change, false)] : ['', 0, 0]),
      );
      if (res[0] !== -1) return JSON.parse(res[1] as string) as FlushOutcome;
      await pause(attempt);
    }
    throw new Error(`group ${hash} at receiver ${receiver} kept changing: ${MAX_ATTEMPTS} attempts`);
  }

  /** The whole group as stored (for inspection and tests). */
  async read(receiver: string, hash: string): Promise<GroupState> {
    return (await this.load(this.keys.group(receiver, hash))).state;
  }

  /** The group's version and state: all of it, or only the members (and gone entries) of `fps`. */
  private async load(key: string, fps?: readonly string[]): Promise<{ version: number; state: GroupState }> {
    const state: GroupState = { members: new Map(), gone: new Map() };
    if (fps === undefined) {
      const all = await this.redis.hgetall(key);
      for (const [field, value] of Object.entries(all)) {
        if (field === 'meta') state.meta = JSON.parse(value) as GroupMeta;
        else if (field.startsWith('m:')) state.members.set(field.slice(2), JSON.parse(value) as Member);
        else if (field.startsWith('g:')) state.gone.set(field.slice(2), JSON.parse(value) as Gone);
      }
      return { version: Number(all.v ?? 0), state };
    }
    const fields = ['v', 'meta', ...fps.flatMap((fp) => [`m:${fp}`, `g:${fp}`])];
    const values = await this.redis.hmget(key, ...fields);
    const [v, meta] = values;
    if (meta) state.meta = JSON.parse(meta) as GroupMeta;
    fps.forEach((fp, i) => {
      const m = values[2 + i * 2];
      const g = values[3 + i * 2];
      if (m) state.members.set(fp, JSON.parse(m) as Member);
      if (g) state.gone.set(fp, JSON.parse(g) as Gone);
    });
    return { version: Number(v ?? 0), state };
  }
}

/** Keeps one GroupStore per connection and key prefix (its scripts are defined on the connection). */
const stores = new WeakMap<Redis, GroupStore>();
export function groupStoreFor(redis: Redis, keys: Keys): GroupStore {
  let s = stores.get(redis);
  if (s?.keys.prefix !== keys.prefix) {
    s = new GroupStore(redis, keys);
    stores.set(redis, s);
  }
  return s;
}

/** A group that holds alerts stays; an empty one is forgotten after EMPTY_GROUP_TTL_SEC. */
function ttlOf(meta: GroupMeta): number {
  return meta.size > 0 ? 0 : EMPTY_GROUP_TTL_SEC;
}

/** ARGV for a change's fields: [meta JSON,] count, (field, value)..., count, field... */
function changeArgs(change: GroupChange, withMeta = true): (string | number)[] {
  const sets: string[] = [];
  for (const [fp, m] of change.setMembers) sets.push(`m:${fp}`, JSON.stringify(m));
  for (const [fp, g] of change.setGone) sets.push(`g:${fp}`, JSON.stringify(g));
  const dels = [...change.delMembers.map((fp) => `m:${fp}`), ...change.delGone.map((fp) => `g:${fp}`)];
  return [...(withMeta ? [JSON.stringify(change.meta)] : []), sets.length / 2, ...sets, dels.length, ...dels];
}

/** A short, growing, jittered pause before trying again against other writers. */
function pause(attempt: number): Promise<void> {
  if (attempt < 2) return Promise.resolve();
  const ms = Math.min(50, attempt * 2) * Math.random();
  return new Promise((r) => setTimeout(r, ms));
}
