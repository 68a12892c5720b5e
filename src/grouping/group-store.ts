import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { GroupRef, Notification } from '../model/notification.js';
import type { Keys } from '../state/keys.js';
import { unwrap } from '../state/redis-errors.js';
import { SENT_TTL_SEC } from '../worker/delivery-store.js';
import { GROUP_FLUSH_LUA, GROUP_JOIN_LUA } from './group-lua.js';
import {
  flushGroup,
  joinGroup,
  type GroupChange,
  type GroupMessage,
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

/** What a join produced; `storedAt`: the key that keeps its message for a rerun, until forgotten. */
export interface JoinOutcome extends FlushOutcome {
  storedAt?: string;
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

/** Notifications of one group joining it (GroupStore.join). */
export interface JoinRequest {
  ref: GroupRef;
  ns: readonly Notification[];
}

interface GroupCommands {
  klaxonGroupJoin(...args: (string | number)[]): Promise<[number, string?][]>;
  klaxonGroupFlush(...args: (string | number)[]): Promise<[number, string?]>;
}

/** Groups in Redis: read, decide with the pure functions, write if nobody wrote in between. */
export class GroupStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: Keys,
  ) {
    redis.defineCommand('klaxonGroupJoin', { lua: GROUP_JOIN_LUA });
    redis.defineCommand('klaxonGroupFlush', { lua: GROUP_FLUSH_LUA });
  }

  private get commands(): GroupCommands {
    return this.redis as unknown as GroupCommands;
  }

  /**
   * Notifications join their groups at one receiver (one request per group), each group's
   * transition decided on what was read and all written by one script call; a group the script
   * finds changed is read and decided again. Where a group's flush is due at once and the whole
   * group was read (GroupStore reads only the members of the notifications joining), the flush
   * runs in the same transition and its message comes back here, to be delivered by the caller.
   *
   * Returns per request the message to deliver (if any) and the flush to schedule (if any): the
   * caller (re)schedules it, idempotently by its sequence number. Notifications joined before
   * change nothing and give back what their join gave (the message stored with it, until the
   * caller has queued it and called forgetJoins), so a job that runs again after a crash delivers
   * and schedules what the crash may have lost.
   */
  async join(
    receiver: string,
    requests: readonly JoinRequest[],
    now: number,
    opts: { sendResolved: boolean },
  ): Promise<JoinOutcome[]> {
    const outcomes: JoinOutcome[] = new Array<JoinOutcome>(requests.length);
    let todo = requests.map((r, i) => {
      const hash = groupHash(r.ref.key);
      const ids = createHash('sha256');
      for (const n of r.ns) ids.update(n.id).update('\n');
      return {
        i,
        r,
        hash,
        key: this.keys.group(receiver, hash),
        joinKey: this.keys.groupJoin(receiver, hash, ids.digest('hex').slice(0, 24)),
        fps: [...new Set(r.ns.flatMap((n) => n.alerts.map((a) => a.fingerprint)))],
      };
    });
    for (let attempt = 0; attempt < MAX_ATTEMPTS && todo.length > 0; attempt++) {
      if (attempt > 0) await pause(attempt);
      const loaded = await this.loadMany(todo);
      const keys: string[] = [];
      const args: (string | number)[] = [FLUSH_RESULT_TTL_SEC];
      const local: FlushOutcome[] = [];
      todo.forEach((t, j) => {
        const { version, state } = loaded[j] as { version: number; state: GroupState };
        const joined = joinGroup(state, t.r.ref, t.r.ns, now, {
          messageIdOf: (seq) => groupMessageId(receiver, t.hash, seq),
          sendResolved: opts.sendResolved,
        });
        keys.push(t.key, t.joinKey);
        if (!joined) {
          local.push(state.meta?.next ? { next: state.meta.next } : {});
          args.push('r', 0, 0, '', '', 0, 0);
          return;
        }
        const outcome: FlushOutcome = {};
        if (joined.message)
          outcome.message = groupNotification(receiver, t.hash, joined.message, joined.change.meta, now);
        if (joined.next) outcome.next = joined.next;
        local.push(outcome);
        const c = joined.change;
        args.push('w', version, ttlOf(c.meta), outcome.message ? JSON.stringify(outcome) : '');
        args.push(...changeArgs(c));
      });
      const results = await this.commands.klaxonGroupJoin(keys.length, ...keys, ...args);
      const again: typeof todo = [];
      todo.forEach((t, j) => {
        const [status, stored] = results[j] ?? [-1];
        if (status === -1) again.push(t);
        else if (stored) outcomes[t.i] = { ...(JSON.parse(stored) as FlushOutcome), storedAt: t.joinKey };
        else outcomes[t.i] = local[j] ?? {};
      });
      todo = again;
    }
    if (todo.length > 0)
      throw new Error(
        `${todo.length} group(s) at receiver ${receiver} kept changing (${todo[0]?.r.ref.key} first): ${MAX_ATTEMPTS} attempts`,
      );
    return outcomes;
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
      if (result.message)
        outcome.message = groupNotification(receiver, hash, result.message, state.meta, now);
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

  /**
   * Forgets the messages joins kept for a rerun (`JoinOutcome.storedAt`), once they are queued for
   * delivery: a rerun from then on finds them queued (or sent) by their ids.
   */
  async forgetJoins(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.unlink(...keys);
  }

  /** The whole group as stored (for inspection and tests). */
  async read(receiver: string, hash: string): Promise<GroupState> {
    return (await this.load(this.keys.group(receiver, hash))).state;
  }

  /** The group's version and whole state. */
  private async load(key: string): Promise<{ version: number; state: GroupState }> {
    const state: GroupState = { members: new Map(), gone: new Map() };
    const all = await this.redis.hgetall(key);
    for (const [field, value] of Object.entries(all)) {
      if (field === 'meta') state.meta = JSON.parse(value) as GroupMeta;
      else if (field.startsWith('m:')) state.members.set(field.slice(2), JSON.parse(value) as Member);
      else if (field.startsWith('g:')) state.gone.set(field.slice(2), JSON.parse(value) as Gone);
    }
    return { version: Number(all.v ?? 0), state };
  }

  /** Several groups' versions, metas and the members (and gone entries) of `fps`, in one write to Redis. */
  private async loadMany(
    groups: readonly { key: string; fps: readonly string[] }[],
  ): Promise<{ version: number; state: GroupState }[]> {
    const pipe = this.redis.pipeline();
    for (const g of groups) pipe.hmget(g.key, ...memberFields(g.fps));
    const res = (await pipe.exec()) ?? [];
    return groups.map((g, i) => parseMembers(g.fps, unwrap<(string | null)[]>(res[i])));
  }
}

/** The fields read of a group for the members of `fps`: version, meta, then member and gone per fp. */
function memberFields(fps: readonly string[]): string[] {
  return ['v', 'meta', ...fps.flatMap((fp) => [`m:${fp}`, `g:${fp}`])];
}

/** A group's version and state from the values of `memberFields(fps)`. */
function parseMembers(
  fps: readonly string[],
  values: readonly (string | null)[],
): { version: number; state: GroupState } {
  const state: GroupState = { members: new Map(), gone: new Map() };
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

/** A group's message as the notification delivered: its thread is the group, its fallback the group's. */
function groupNotification(
  receiver: string,
  hash: string,
  m: GroupMessage,
  meta: GroupMeta | undefined,
  now: number,
): Notification {
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
  if (meta?.fallback) n.fallback = meta.fallback;
  return n;
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
