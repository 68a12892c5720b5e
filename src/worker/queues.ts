import { createHash } from 'node:crypto';
import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { targetsOf } from '../channels/registry.js';
import type { KlaxonConfig } from '../config/schema.js';
import { QueueUnavailableError } from '../ingest/errors.js';
import type { AckInput, IngestBatch } from '../model/batch.js';
import { joinGroups, partitionGrouped } from '../grouping/group-jobs.js';
import { targetId, type Notification } from '../model/notification.js';
import { isRedisUnavailable } from '../state/redis-errors.js';
import { queueNames, type Keys } from '../state/keys.js';

/** What an ingest job carries: a batch (or a shard's part of one), or a timer sweep. */
export type IngestJob = { type: 'batch'; batch: IngestBatch } | { type: 'tick'; now: number };

/**
 * The producer side of every queue: ingest lanes (one per shard, each run by one job at a time
 * across all workers, so a source's inputs are evaluated in order), one delivery queue per
 * receiver, the scheduler and the digest.
 */
export class Queues {
  readonly ingest: Queue[];
  readonly deliver = new Map<string, Queue>();
  readonly receipts: Queue;
  readonly scheduler: Queue;
  /** The daily digest's scheduled and catch-up jobs (src/digest/digest-runner.ts). */
  readonly digest: Queue;
  /**
   * On a single Redis, a request over several lanes is one flow (a receipt parent, a child per
   * lane), added atomically. Not on a cluster: a flow must live in one slot, and the lanes are
   * spread over the nodes (see `enqueue`).
   */
  private readonly flow?: FlowProducer;

  constructor(
    private readonly config: KlaxonConfig,
    private readonly keys: Keys,
    private readonly connection: Redis,
  ) {
    const prefix = config.redis.prefix;
    const opts = { connection, prefix };
    this.ingest = Array.from(
      { length: config.queue.shards },
      (_, i) => new Queue(queueNames.ingest(i), opts),
    );
    for (const name of Object.keys(config.receivers))
      this.deliver.set(name, new Queue(queueNames.deliver(name), opts));
    this.receipts = new Queue(queueNames.receipts, opts);
    this.scheduler = new Queue(queueNames.scheduler, opts);
    this.digest = new Queue(queueNames.digest, opts);
    if (!config.redis.cluster) {
      this.flow = new FlowProducer(opts);
      this.flow.on('error', () => undefined);
    }
    for (const q of this.all()) q.on('error', () => undefined);
  }

  all(): Queue[] {
    return [...this.ingest, ...this.deliver.values(), this.receipts, this.scheduler, this.digest];
  }

  /** One job at a time per ingest lane, whatever the number of workers. Idempotent. */
  async init(): Promise<void> {
    await Promise.all(this.ingest.map((q) => q.setGlobalConcurrency(1)));
  }

  /**
   * Durably queues a batch: resolves once it is in Redis. Rejects with QueueUnavailableError
   * (503, try again later) only when Redis is unreachable or did not answer within
   * `server.enqueue_timeout`; any other failure (a bug, a batch that cannot be serialised) is
   * an EnqueueError (500), so that Klaxon's own faults are never blamed on Redis. A batch
   * spanning several lanes is split and added as one flow, all or nothing; on a Redis Cluster,
   * where the lanes live on different nodes, each lane's part is added on its own, under the
   * batch id (an add sent again adds nothing), and a request that fails part way answers 503
   * with the parts already added kept (docs/scaling.md).
   */
  async enqueue(batch: IngestBatch): Promise<void> {
    const parts = splitByShard(batch, (s) => this.keys.shardOf(s));
    const jobOpts: JobsOptions = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: false };
    const timeout = this.config.server.enqueue_timeout;
    try {
      // The batch id as job id: an add that ioredis sends again after a lost answer finds the
      // job there and adds nothing (a flow's children are added atomically).
      const addPart = (shard: number, part: IngestBatch) =>
        (this.ingest[shard] as Queue).add('batch', { type: 'batch', batch: part } satisfies IngestJob, {
          ...jobOpts,
          jobId: `batch.${batch.id}`,
        });
      const [first] = [...parts];
      const work: Promise<unknown> =
        parts.size === 1 && first
          ? addPart(...first)
          : !this.flow
            ? Promise.all([...parts].map(([shard, part]) => addPart(shard, part)))
            : this.flow.add({
                name: 'receipt',
                queueName: queueNames.receipts,
                data: { id: batch.id },
                opts: { removeOnComplete: true },
                children: [...parts].map(([shard, part]) => ({
                  name: 'batch',
                  queueName: queueNames.ingest(shard),
                  data: { type: 'batch', batch: part } satisfies IngestJob,
                  opts: jobOpts,
                })),
              });
      await withTimeout(work, timeout);
    } catch (err) {
      if (err instanceof QueueUnavailableError) throw err;
      if (isRedisUnavailable(err))
        throw new QueueUnavailableError(`the ingest queue (Redis) is unavailable: ${messageOf(err)}`, {
          cause: err,
        });
      throw new EnqueueError(err);
    }
  }

  /**
   * Queues acknowledgements as an input of `shard`'s lane, evaluated in order with its other
   * inputs. The job id is the acknowledgement itself, so a client's retry adds nothing.
   */
  async enqueueAcks(shard: number, acks: AckInput[]): Promise<void> {
    const q = this.ingest[shard];
    if (!q) throw new Error(`no ingest lane ${shard}`);
    const at = Math.min(...acks.map((a) => a.at));
    const id = `ack.${acks.map((a) => `${a.fingerprint}.${a.at}`).join('.')}`.slice(0, 200);
    const batch: IngestBatch = {
      id,
      correlationId: id,
      receivedAt: at,
      snapshots: [],
      events: [],
      alerts: [],
      acks,
    };
    await withTimeout(
      q.add('batch', { type: 'batch', batch } satisfies IngestJob, {
        jobId: `batch.${id}`,
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: false,
      }),
      this.config.server.enqueue_timeout,
    );
  }

  /** Enqueues a timer sweep of every lane, once per `bucket` however many schedulers run. */
  async enqueueTicks(now: number, bucket: number): Promise<void> {
    await Promise.all(
      this.ingest.map((q, shard) =>
        q.add('tick', { type: 'tick', now } satisfies IngestJob, {
          jobId: `tick.${shard}.${bucket}`,
          removeOnComplete: { age: 3600, count: 100 },
          removeOnFail: { age: 86400 },
        }),
      ),
    );
  }

  /**
   * Delivery jobs for notifications, fanned out to their targets (a Telegram receiver's chats
   * each get their own). Per receiver, one notification goes in a job of its own under its id (a
   * second enqueue is a no-op); several go in batch jobs of `delivery.batch` (src/worker/
   * delivery-batch.ts), each under an id made of its notifications' ids, and are listed as
   * travelling in it so that a later notification of their thread waits for them. A notification
   * of a grouping route joins its group instead, told later in the group's message (src/grouping).
   */
  async deliverAll(notifications: readonly Notification[]): Promise<void> {
    const { alone, grouped } = partitionGrouped(notifications, this.config.receivers);
    const joined =
      grouped.length > 0
        ? await joinGroups(grouped, {
            config: this.config,
            keys: this.keys,
            queues: this.deliver,
            now: Date.now(),
          })
        : undefined;
    if (joined) alone.push(...joined.messages);
    const byReceiver = new Map<string, Notification[]>();
    for (const n of alone) {
      const list = byReceiver.get(n.receiver) ?? [];
      const cfg = this.config.receivers[n.receiver];
      if (n.target !== undefined || !cfg) list.push(n);
      else list.push(...targetsOf(cfg).map((t) => forTarget(n, t)));
      byReceiver.set(n.receiver, list);
    }
    const d = this.config.queue.delivery;
    await Promise.all(
      [...byReceiver].map(async ([receiver, ns]) => {
        const q = this.deliver.get(receiver);
        if (!q) throw new Error(`no delivery queue for receiver ${receiver}`);
        const [only] = ns;
        if (ns.length === 1 && only) return q.add(only.kind, only, deliveryJobOptions(d, only.id));
        const batches = chunk(ns, d.batch).map((part) => ({ id: batchJobId(part), part }));
        const travelling: Record<string, string> = {};
        for (const { id, part } of batches) for (const n of part) travelling[n.id] = id;
        // Listed before the jobs are added, so that a worker never sees a batch job whose
        // notifications are not listed. On one Redis both go out on this one connection in that
        // order, without waiting in between; on a cluster they live on different nodes.
        const listed = this.connection.hset(this.keys.deliveryPending(receiver), travelling);
        listed.catch(() => undefined); // awaited below
        if (this.config.redis.cluster) await listed;
        const added = q.addBulk(
          batches.map(({ id, part }) => ({
            name: BATCH_JOB,
            data: { receiver, notifications: part } satisfies DeliveryBatch,
            opts: deliveryJobOptions(d, id),
          })),
        );
        await Promise.all([listed, added]);
      }),
    );
    // The groups' messages are queued: their rerun copies can go. Not waited for: it goes out
    // before anything this lane writes next on the connection, and a copy left behind (Redis away
    // just then) expires on its own (FLUSH_RESULT_TTL_SEC).
    joined?.forget().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.all().map((q) => q.close()), this.flow?.close()]);
  }
}

/** Job name of a batch of notifications for one receiver. */
export const BATCH_JOB = 'batch';

/** What a batch job carries. */
export interface DeliveryBatch {
  receiver: string;
  notifications: Notification[];
}

/** Options of a delivery job (a batch, or one notification under its id). */
export function deliveryJobOptions(
  d: KlaxonConfig['queue']['delivery'],
  jobId: string,
  extra: { delay?: number; attempts?: number } = {},
): JobsOptions {
  return {
    jobId,
    attempts: extra.attempts ?? d.attempts,
    backoff: { type: 'klaxon', delay: d.backoff },
    ...(extra.delay === undefined ? {} : { delay: extra.delay }),
    // Gone once completed: a job queued again (an ingest job run again after a crash) runs again,
    // and the sent markers (7 d) stop a resend; a thread's next notification takes a job that is
    // gone for one that ended. Kept, they held every notification of an alert storm in Redis.
    removeOnComplete: true,
    removeOnFail: { age: 7 * 86400 },
  };
}

/** A batch's job id: the same notifications make the same id, so enqueueing them again adds nothing. */
function batchJobId(ns: readonly Notification[]): string {
  const h = createHash('sha256');
  for (const n of ns) h.update(n.id).update('\n');
  return `batch.${h.digest('hex').slice(0, 32)}`;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The delivery of `n` to one target of its receiver: ids (its own and the one before it) suffixed. */
export function forTarget(n: Notification, target: string | undefined): Notification {
  if (target === undefined) return n;
  const out: Notification = { ...n, id: targetId(n.id, target), target };
  if (n.after !== undefined) out.after = targetId(n.after, target);
  return out;
}

/** Splits a batch into the parts each lane evaluates, keeping the order within each part. */
export function splitByShard(
  batch: IngestBatch,
  shardOf: (source: string) => number,
): Map<number, IngestBatch> {
  const parts = new Map<number, IngestBatch>();
  const part = (source: string) => {
    const shard = shardOf(source);
    let p = parts.get(shard);
    if (!p) {
      p = { ...batch, snapshots: [], events: [], alerts: [] };
      parts.set(shard, p);
    }
    return p;
  };
  for (const s of batch.snapshots) part(s.source).snapshots.push(s);
  for (const e of batch.events) part(e.source).events.push(e);
  for (const a of batch.alerts) part(a.labels.source ?? '').alerts.push(a);
  if (parts.size === 0) parts.set(0, batch);
  return parts;
}

/**
 * A batch Klaxon could not queue for a reason of its own, not Redis's: the request answers
 * `500 internal_error` and the log has this error, its cause and both stacks.
 */
export class EnqueueError extends Error {
  override readonly name = 'EnqueueError';
  constructor(cause: unknown) {
    super(`Klaxon bug: the batch could not be queued, and Redis is not the cause: ${messageOf(cause)}`, {
      cause,
    });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Rejects with QueueUnavailableError when Redis has not confirmed within `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QueueUnavailableError(`the ingest queue (Redis) did not confirm the batch within ${ms} ms`),
        ),
      ms,
    );
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
