import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SendError, type Channel } from '../channels/channel.js';
import type { KlaxonConfig } from '../config/schema.js';
import type { Notification } from '../model/notification.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import { queueNames, type Keys } from '../state/keys.js';

/** How many held-back alerts a summary lists in full. */
const SUMMARY_LIST = 10;

export interface DeliveryDeps {
  config: KlaxonConfig;
  keys: Keys;
  redis: Redis;
  channels: ReadonlyMap<string, Channel>;
  queues: ReadonlyMap<string, Queue>;
  connection: () => Redis;
  metrics?: KlaxonMetrics;
  logger: Logger;
  clock: () => number;
}

/**
 * One worker per receiver. A send that fails for a reason worth retrying is tried again with
 * exponential backoff (or after the service's own retry-after); a permanent failure, or retries
 * running out, puts the notification on the dead-letter list. Rate limits never drop anything:
 * what overflows waits in a list and goes out as one "N more alerts" summary.
 */
export function startDeliveryWorkers(deps: DeliveryDeps): Worker[] {
  const { config, logger } = deps;
  const d = config.queue.delivery;
  return [...deps.channels].map(([receiver, channel]) => {
    const worker: Worker<Notification> = new Worker<Notification>(
      queueNames.deliver(receiver),
      async (job, token) => {
        const n = job.data;
        if (job.name !== 'summary' && (await deps.redis.exists(deps.keys.sent(n.id))))
          return { duplicate: true };
        // Counted against rate limits once, on its first start (not again on retries).
        if (n.kind !== 'summary' && job.name !== 'summary' && (job.attemptsStarted ?? 1) <= 1) {
          const held = await holdIfOverLimit(deps, receiver, n);
          if (held) return { held: true };
        }
        const started = performance.now();
        try {
          const summary = job.name === 'summary' ? await buildSummary(deps, receiver, n) : undefined;
          if (job.name === 'summary' && !summary) return { empty: true };
          const result = await channel.send(channel.render(summary?.notification ?? n), {
            signal: AbortSignal.timeout(d.timeout),
          });
          // Recorded before anything else: a worker that dies from here on does not send it again.
          if (summary) await deps.redis.ltrim(deps.keys.overflow(receiver), summary.count, -1);
          else await deps.redis.set(deps.keys.sent(n.id), '1', 'EX', 7 * 86400);
          deps.metrics?.notifications.inc({ receiver, result: 'sent' });
          deps.metrics?.deliveryLatency.observe({ receiver }, (performance.now() - started) / 1000);
          await deps.redis.hset(deps.keys.receiverStatus(), `${receiver}.last_success`, String(deps.clock()));
          logger.info(
            { receiver, notification: n.id, correlationId: n.correlationId, kind: n.kind },
            'notification sent',
          );
          return result;
        } catch (err) {
          const e = err instanceof SendError ? err : new SendError(safeMessage(err), { retryable: true });
          await deps.redis.hset(deps.keys.receiverStatus(), {
            [`${receiver}.last_failure`]: String(deps.clock()),
            [`${receiver}.last_error`]: e.message,
          });
          logger.warn(
            {
              receiver,
              notification: n.id,
              correlationId: n.correlationId,
              err: e.message,
              retryable: e.retryable,
            },
            'send failed',
          );
          if (!e.retryable) {
            deps.metrics?.notifications.inc({ receiver, result: 'failed' });
            await deadLetter(deps, job, e.message);
            throw new UnrecoverableError(e.message);
          }
          deps.metrics?.notifications.inc({ receiver, result: 'retry' });
          if (e.retryAfterMs !== undefined && token) {
            // The service said when: wait exactly that, without spending an attempt.
            await job.moveToDelayed(Date.now() + e.retryAfterMs, token);
            throw new DelayedError();
          }
          // The last attempt: onto the dead-letter list before the job fails, in this same step.
          if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await deadLetter(deps, job, e.message);
          throw e;
        }
      },
      {
        connection: deps.connection(),
        prefix: config.redis.prefix,
        concurrency: d.concurrency,
        lockDuration: config.queue.lock_duration,
        stalledInterval: config.queue.stalled_interval,
        maxStalledCount: 1000,
        settings: {
          backoffStrategy: (attemptsMade: number) =>
            Math.min(d.backoff * 2 ** Math.max(0, attemptsMade - 1), d.max_backoff),
        },
      },
    );
    worker.on('error', (err) => logger.warn({ receiver, err: err.message }, 'delivery worker error'));
    return worker;
  });
}

async function deadLetter(deps: DeliveryDeps, job: Job<Notification>, reason: string): Promise<void> {
  deps.metrics?.notifications.inc({ receiver: job.data.receiver, result: 'dead' });
  await deps.redis.lpush(
    deps.keys.deadLetters(),
    JSON.stringify({
      at: deps.clock(),
      receiver: job.data.receiver,
      reason,
      attempts: job.attemptsMade,
      notification: job.data,
    }),
  );
  deps.logger.error(
    { receiver: job.data.receiver, notification: job.data.id, reason },
    'notification dead-lettered',
  );
}

/**
 * Counts the send against the receiver's and the global limits (fixed windows in Redis). Over
 * a limit, the notification joins the receiver's overflow list and a summary is scheduled for
 * the end of the window.
 */
async function holdIfOverLimit(deps: DeliveryDeps, receiver: string, n: Notification): Promise<boolean> {
  const limits: { scope: string; max: number; per: number }[] = [];
  const own = deps.config.receivers[receiver]?.rate_limit;
  if (own) limits.push({ scope: receiver, ...own });
  const global = deps.config.rate_limits.global ?? undefined;
  if (global) limits.push({ scope: '_global', ...global });
  const perReceiver = deps.config.rate_limits.per_receiver;
  if (perReceiver && !own) limits.push({ scope: receiver, ...perReceiver });
  const now = deps.clock();
  for (const l of limits) {
    const start = now - (now % l.per);
    const key = deps.keys.rateWindow(l.scope, start);
    const [[, count]] = (await deps.redis
      .multi()
      .incr(key)
      .pexpire(key, l.per * 2)
      .exec()) as [[null, number]];
    if (count <= l.max) continue;
    await deps.redis.rpush(deps.keys.overflow(receiver), JSON.stringify(n));
    const queue = deps.queues.get(receiver);
    const windowEnd = start + l.per;
    await queue?.add('summary', n, {
      jobId: `summary.${receiver}.${windowEnd}`,
      delay: Math.max(0, windowEnd - now),
      attempts: deps.config.queue.delivery.attempts,
      backoff: { type: 'klaxon', delay: deps.config.queue.delivery.backoff },
      removeOnComplete: { age: 86400 },
      removeOnFail: { age: 7 * 86400 },
    });
    deps.metrics?.notifications.inc({ receiver, result: 'held' });
    return true;
  }
  return false;
}

/** The "N more alerts" message for what the receiver's overflow list holds now. */
async function buildSummary(
  deps: DeliveryDeps,
  receiver: string,
  first: Notification,
): Promise<{ notification: Notification; count: number } | undefined> {
  const raw = await deps.redis.lrange(deps.keys.overflow(receiver), 0, -1);
  if (raw.length === 0) return undefined;
  const held = raw.map((r) => JSON.parse(r) as Notification);
  const head = held[0] ?? first;
  return {
    count: raw.length,
    notification: {
      id: `summary.${receiver}.${head.id}`,
      receiver,
      kind: 'summary',
      alert: head.alert,
      summary: { total: held.length, alerts: held.slice(0, SUMMARY_LIST).map((h) => h.alert) },
      createdAt: deps.clock(),
    },
  };
}

function safeMessage(err: unknown): string {
  // Errors from channels are SendErrors with safe messages; anything else is reduced to its type.
  return err instanceof Error ? `${err.name}` : 'unknown error';
}
