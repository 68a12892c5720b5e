import type { Queue } from 'bullmq';
import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { groupsAt } from '../channels/registry.js';
import type { KlaxonConfig } from '../config/schema.js';
import type { GroupRef, Notification } from '../model/notification.js';
import type { Keys } from '../state/keys.js';
import type { PendingFlush } from './group-state.js';
import { groupHash, groupStoreFor, type GroupStore, type JoinRequest } from './group-store.js';

/**
 * Where grouping meets the queues: notifications of a grouping route join their group instead of
 * being delivered one by one, and a delayed job per flush (`group` on the receiver's delivery
 * queue) turns the group into one message, delivered like any other notification.
 *
 * Timing follows the wall clock, as BullMQ's delays and the rate windows do: group_wait and
 * group_interval pace real messages.
 */

/** Job name of a group's flush on the receiver's delivery queue. */
export const GROUP_JOB = 'group';

/** What a flush job carries: which group, and which flush of it. */
export interface GroupFlushJob {
  receiver: string;
  hash: string;
  seq: number;
  /** The group's key (route and label values), for logs. */
  key: string;
}

/**
 * What a flush job carries: the flushes of one receiver due at the same time (new groups of one
 * commit with the same group_wait, say), run together so that a storm of new groups costs one job.
 * A job of an earlier version carries one flush as it is.
 */
export type GroupFlushBatch = { flushes: GroupFlushJob[] } | GroupFlushJob;

/** Deterministic, so that two workers scheduling the same flush add one job. */
export function flushJobId(hash: string, seq: number): string {
  return `group-flush.${hash}.${seq}`;
}

/** The id of a job of several flushes: the same flushes make the same id. */
function flushBatchJobId(flushes: readonly GroupFlushJob[]): string {
  if (flushes.length === 1 && flushes[0]) return flushJobId(flushes[0].hash, flushes[0].seq);
  const h = createHash('sha256');
  for (const f of flushes) h.update(`${f.hash}.${f.seq}\n`);
  return `group-flush.batch.${h.digest('hex').slice(0, 32)}`;
}

/**
 * Splits notifications into those delivered on their own and those that join a group. A grouped
 * notification to a receiver that is never grouped is delivered on its own.
 */
export function partitionGrouped(
  ns: readonly Notification[],
  receivers: KlaxonConfig['receivers'],
): { alone: Notification[]; grouped: (Notification & { group: GroupRef })[] } {
  const alone: Notification[] = [];
  const grouped: (Notification & { group: GroupRef })[] = [];
  for (const n of ns) {
    if (n.group === undefined) alone.push(n);
    else if (groupsAt(receivers[n.receiver])) grouped.push(n as Notification & { group: GroupRef });
    else {
      const own: Notification = { ...n };
      delete own.group;
      alone.push(own);
    }
  }
  return { alone, grouped };
}

export interface JoinContext {
  config: KlaxonConfig;
  keys: Keys;
  /** Delivery queues by receiver. */
  queues: ReadonlyMap<string, Queue>;
  now: number;
}

/** What joining produced: the messages to deliver now, and how to forget their rerun copies. */
export interface Joined {
  messages: Notification[];
  /** Call once the messages are queued for delivery. */
  forget(): Promise<void>;
}

/**
 * Adds grouped notifications to their groups (one transition per group, the groups of a receiver
 * in one script call) and schedules each group's pending flush. Returns the messages of the
 * groups whose flush was due at once and ran in the same transition (a new group with
 * group_wait 0): the caller delivers them with its other notifications, then calls `forget`.
 * Idempotent: notifications added again change nothing, give back the same messages until
 * forgotten, and the flushes are scheduled again under the same job ids (a no-op when the job
 * exists).
 */
export async function joinGroups(
  ns: readonly (Notification & { group: GroupRef })[],
  ctx: JoinContext,
): Promise<Joined> {
  const due = new Flushes();
  const byReceiver = new Map<string, Map<string, JoinRequest & { ns: Notification[] }>>();
  for (const n of ns) {
    const groups = byReceiver.get(n.receiver) ?? new Map<string, JoinRequest & { ns: Notification[] }>();
    const g = groups.get(n.group.key) ?? { ref: n.group, ns: [] };
    g.ref = n.group; // the latest settings of the route
    g.ns.push(n);
    groups.set(n.group.key, g);
    byReceiver.set(n.receiver, groups);
  }
  const messages: Notification[] = [];
  const stored: { store: GroupStore; keys: string[] }[] = [];
  await Promise.all(
    [...byReceiver].map(async ([receiver, groups]) => {
      const queue = ctx.queues.get(receiver);
      if (!queue) throw new Error(`no delivery queue for receiver ${receiver}`);
      const requests = [...groups.values()];
      const store = groupStoreFor(connectionOf(queue), ctx.keys);
      const outcomes = await store.join(receiver, requests, ctx.now, {
        sendResolved: ctx.config.receivers[receiver]?.send_resolved ?? true,
      });
      const keys: string[] = [];
      outcomes.forEach(({ message, next, storedAt }, i) => {
        const ref = (requests[i] as JoinRequest).ref;
        if (message) messages.push(message);
        if (storedAt) keys.push(storedAt);
        if (next) due.add(queue, { receiver, hash: groupHash(ref.key), seq: next.seq, key: ref.key }, next);
      });
      stored.push({ store, keys });
    }),
  );
  await due.schedule(ctx.config, ctx.now);
  return {
    messages,
    forget: async () => {
      await Promise.all(stored.map(({ store, keys }) => store.forgetJoins(keys)));
    },
  };
}

/** Flushes to schedule, gathered by receiver (queue) and due time: one job each. */
class Flushes {
  private readonly byDue = new Map<string, { queue: Queue; due: number; flushes: GroupFlushJob[] }>();

  add(queue: Queue, job: GroupFlushJob, next: PendingFlush): void {
    const key = `${job.receiver}\u0000${next.due}`;
    const entry = this.byDue.get(key) ?? { queue, due: next.due, flushes: [] };
    entry.flushes.push(job);
    this.byDue.set(key, entry);
  }

  async schedule(config: KlaxonConfig, now: number): Promise<void> {
    await Promise.all(
      [...this.byDue.values()].map(({ queue, due, flushes }) =>
        scheduleFlushes(queue, config, flushes, due, now),
      ),
    );
  }
}

/** Adds the delayed job of flushes due at `due` (a no-op when it exists). */
export async function scheduleFlushes(
  queue: Queue,
  config: KlaxonConfig,
  flushes: GroupFlushJob[],
  due: number,
  now: number,
): Promise<void> {
  const d = config.queue.delivery;
  const [only] = flushes;
  const data: GroupFlushBatch = flushes.length === 1 && only ? only : { flushes };
  await queue.add(GROUP_JOB, data, {
    jobId: flushBatchJobId(flushes),
    delay: Math.max(0, due - now),
    // Only Redis can make a flush fail: keep trying (a flush lost for good is rescheduled by the
    // group's next add, see OVERDUE_MS).
    attempts: Math.max(d.attempts, 20),
    backoff: { type: 'klaxon', delay: d.backoff },
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 86_400 },
  });
}

export interface FlushDeps {
  config: KlaxonConfig;
  keys: Keys;
  redis: Redis;
  queues: ReadonlyMap<string, Queue>;
  /** Enqueues notifications for delivery (fanned out to targets, idempotent by id). */
  deliver(notifications: Notification[]): Promise<void>;
  logger: Logger;
}

/**
 * Runs a `group` job: each flush decides its group's message (or none); the messages are then
 * delivered as ordinary notifications (rate limits, throttles, retries, fallback, sent markers all
 * apply; several go in batch jobs), and each group's next flush (a reminder) is scheduled. Safe to
 * run again: a flush's outcome is stored, the message ids and the next job ids are deterministic.
 */
export async function runGroupFlush(deps: FlushDeps, receiver: string, data: unknown): Promise<unknown> {
  const batch = data as GroupFlushBatch;
  const flushes = 'flushes' in batch ? batch.flushes : [batch];
  const now = Date.now();
  const cfg = deps.config.receivers[receiver];
  const store = groupStoreFor(deps.redis, deps.keys);
  const outcomes = await Promise.all(
    flushes.map((job) =>
      store.flush(receiver, job.hash, job.seq, now, { sendResolved: cfg?.send_resolved ?? true }),
    ),
  );
  const messages = outcomes.flatMap((o) => (o.message ? [o.message] : []));
  if (messages.length > 0) await deps.deliver(messages);
  const queue = deps.queues.get(receiver);
  const next = new Flushes();
  flushes.forEach((job, i) => {
    const o = outcomes[i];
    if (o?.next && queue) next.add(queue, { ...job, seq: o.next.seq }, o.next);
    if (o?.message)
      deps.logger.info(
        { receiver, group: job.key, notification: o.message.id, alerts: o.message.alerts.length },
        'group message decided',
      );
  });
  await next.schedule(deps.config, now);
  return { flushes: flushes.length, messages: messages.map((m) => m.id) };
}

/** The Redis connection a queue was given (Queues hands every queue one ioredis instance). */
function connectionOf(queue: Queue): Redis {
  const c = queue.opts.connection;
  if (c instanceof Cluster) return c as unknown as Redis; // src/state/redis-connect.ts
  if (!(c instanceof Redis)) throw new Error(`queue ${queue.name} was not given a Redis connection`);
  return c;
}
