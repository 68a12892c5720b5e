import type { ChainableCommander, Redis } from 'ioredis';
import { minuteOfDay } from '../digest/record.js';
import type { DeliveryCount } from '../digest/types.js';
import { utcDay } from '../model/clock.js';
import type { RateWindow } from '../channels/receiver-schema.js';
import type { DeadLetter, MessageRef, Notification } from '../model/notification.js';
import type { Keys } from '../state/keys.js';

/** How long `sent` markers and message references are kept (refreshed by every send of the thread). */
export const SENT_TTL_SEC = 7 * 86_400;
export const REF_TTL_SEC = 30 * 86_400;

/** Deletes a claim only when it is still the given job's. KEYS[1] claim key; ARGV[1] job id. */
const UNCLAIM_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** What `prefetch` read: finished markers by notification id, thread messages by `refKey`. */
export interface Prefetched {
  finished: Map<string, string>;
  refs: Map<string, MessageRef | undefined>;
}

/**
 * What the delivery workers keep in Redis: which notifications are finished, the message each
 * thread started at a receiver, rate-limit windows, what a rate limit held back, dead letters and
 * each receiver's last success and failure.
 */
export class DeliveryStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** How long the digest's delivery counts are kept (`digest.retention`, seconds). */
    private readonly recordTtlSec = 35 * 86_400,
  ) {}

  /** Counts a delivery result for the digest, in the same round trip as what it goes with. */
  private count(
    m: ChainableCommander,
    receiver: string,
    result: DeliveryCount['result'],
    at: number,
    n = 1,
  ): void {
    const key = this.keys.deliveryRecord(utcDay(at));
    m.hincrby(key, `${receiver}|${result}|${minuteOfDay(at)}`, n).expire(key, this.recordTtlSec);
  }

  /** `sent`, `dead`, or undefined while the notification is not finished. */
  async finished(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.sent(id))) ?? undefined;
  }

  async messageRef(n: Notification): Promise<MessageRef | undefined> {
    const raw = await this.redis.get(this.keys.messageRef(n.receiver, n.target, n.thread));
    return raw ? (JSON.parse(raw) as MessageRef) : undefined;
  }

  /**
   * What a batch of notifications needs to know before sending, in one round trip: which are
   * finished already, whether the ones they follow are, and each thread's message.
   */
  async prefetch(ns: readonly Notification[]): Promise<Prefetched> {
    const ids = [...new Set(ns.flatMap((n) => (n.after === undefined ? [n.id] : [n.id, n.after])))];
    const refKeys = [...new Set(ns.map((n) => this.refKey(n)))];
    const values = await this.redis.mget(...ids.map((id) => this.keys.sent(id)), ...refKeys);
    const finished = new Map<string, string>();
    ids.forEach((id, i) => {
      const v = values[i];
      if (v) finished.set(id, v);
    });
    const refs = new Map<string, MessageRef | undefined>();
    refKeys.forEach((key, i) => {
      const v = values[ids.length + i];
      refs.set(key, v ? (JSON.parse(v) as MessageRef) : undefined);
    });
    return { finished, refs };
  }

  /**
   * Claims the sending of notification `id` for job `token` for `ttlMs`: true when it is this
   * job's to send (claimed now, or by this job before), false while another job holds it.
   */
  async claim(id: string, token: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.claim(id);
    if ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') return true;
    return (await this.redis.get(key)) === token;
  }

  /** Gives a claim up (the notification goes on in another job), if `token` still holds it. */
  async unclaim(id: string, token: string): Promise<void> {
    await this.redis.eval(UNCLAIM_LUA, 1, this.keys.claim(id), token);
  }

  /** The key of the message that started `n`'s thread at its receiver and target. */
  refKey(n: Notification): string {
    return this.keys.messageRef(n.receiver, n.target, n.thread);
  }

  /** Records a send: finished marker, the thread's message, the receiver's last success. One round trip. */
  async recordSent(
    n: Notification,
    ref: MessageRef | undefined,
    threadHadRef: boolean,
    now: number,
  ): Promise<void> {
    const m = this.redis.multi();
    this.mark(m, n, ref, threadHadRef);
    this.tally(m, n.receiver, 1, now);
    await m.exec();
  }

  /**
   * Records one send of a batch: finished marker and the thread's message (no tally: tallySent).
   * Plain commands, so that on an auto-pipelining connection the marks of sends that end
   * together leave in one write.
   */
  async markSent(n: Notification, ref: MessageRef | undefined, threadHadRef: boolean): Promise<void> {
    await Promise.all(this.mark(this.redis, n, ref, threadHadRef));
  }

  /**
   * The receiver's last success and the digest's count of `count` sends, once per batch; and the
   * batch's notifications are no longer travelling (`deliveryPending`).
   */
  async tallySent(receiver: string, count: number, now: number, travelled: readonly string[]): Promise<void> {
    const m = this.redis.multi();
    if (count > 0) this.tally(m, receiver, count, now);
    if (travelled.length > 0) m.hdel(this.keys.deliveryPending(receiver), ...travelled);
    await m.exec();
  }

  /**
   * The finished marker, and the thread's message: stored when the send started the thread (or
   * replaced it), kept alive when the thread has one, nothing when it has none (a webhook's).
   */
  private mark(
    m: {
      set(key: string, value: string, ex: 'EX', seconds: number): unknown;
      expire(key: string, seconds: number): unknown;
    },
    n: Notification,
    ref: MessageRef | undefined,
    threadHadRef: boolean,
  ): unknown[] {
    const out = [m.set(this.keys.sent(n.id), 'sent', 'EX', SENT_TTL_SEC)];
    if (ref) out.push(m.set(this.refKey(n), JSON.stringify(ref), 'EX', REF_TTL_SEC));
    else if (threadHadRef) out.push(m.expire(this.refKey(n), REF_TTL_SEC));
    return out;
  }

  private tally(m: ChainableCommander, receiver: string, count: number, now: number): void {
    m.hset(this.keys.receiverStatus(), {
      [`${receiver}.last_success`]: String(now),
      [`${receiver}.state`]: 'ok',
    });
    this.count(m, receiver, 'sent', now, count);
  }

  /** The batch job (id) that carries notification `id` to `receiver`, while it travels. */
  async travellingIn(receiver: string, id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.deliveryPending(receiver), id)) ?? undefined;
  }

  /** Records a failed attempt; `broken`: it failed for good (the receiver needs its config fixed). */
  async recordFailure(receiver: string, reason: string, broken: boolean, now: number): Promise<void> {
    const m = this.redis.multi().hset(this.keys.receiverStatus(), {
      [`${receiver}.last_failure`]: String(now),
      [`${receiver}.last_error`]: reason,
      [`${receiver}.state`]: broken ? 'broken' : 'failing',
    });
    this.count(m, receiver, 'failed', now);
    await m.exec();
  }

  /**
   * Puts notifications (or parts of one) on the dead-letter list. Unless only a part was refused,
   * the notification is marked finished (`dead`), so the next one of its thread may go.
   */
  async deadLetter(entries: DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const m = this.redis.multi().lpush(this.keys.deadLetters(), ...entries.map((e) => JSON.stringify(e)));
    for (const e of entries) {
      if (e.target === undefined) m.set(this.keys.sent(e.notification.id), 'dead', 'EX', SENT_TTL_SEC);
      this.count(m, e.receiver, 'dead', e.at);
    }
    await m.exec();
  }

  /**
   * Counts one send in each window (fixed windows in Redis) and returns the end of the first
   * window that is full, or undefined when every window has room.
   */
  async overLimit(scope: string, windows: readonly RateWindow[], now: number): Promise<number | undefined> {
    if (windows.length === 0) return undefined;
    const m = this.redis.multi();
    const starts = windows.map((w) => now - (now % w.per));
    windows.forEach((w, i) => {
      const key = this.keys.rateWindow(`${scope}:${w.per}`, starts[i] as number);
      m.incr(key).pexpire(key, w.per * 2);
    });
    const res = (await m.exec()) ?? [];
    let end: number | undefined;
    windows.forEach((w, i) => {
      const count = Number(res[i * 2]?.[1] ?? 0);
      if (count > w.max) end = Math.max(end ?? 0, (starts[i] as number) + w.per);
    });
    return end;
  }

  /** Holds a notification back for the next summary of its receiver (and target). */
  async hold(n: Notification): Promise<void> {
    await this.redis.rpush(this.keys.overflow(n.receiver, n.target), JSON.stringify(n));
  }

  /** What a rate limit held back for this receiver and target, oldest first. */
  async held(receiver: string, target: string | undefined): Promise<Notification[]> {
    const raw = await this.redis.lrange(this.keys.overflow(receiver, target), 0, -1);
    return raw.map((r) => JSON.parse(r) as Notification);
  }

  /** Forgets the first `count` held notifications once a summary told them. */
  async release(receiver: string, target: string | undefined, count: number): Promise<void> {
    await this.redis.ltrim(this.keys.overflow(receiver, target), count, -1);
  }
}
