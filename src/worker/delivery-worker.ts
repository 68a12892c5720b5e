import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { raceAbort, SendError, type Channel, type SendOutcome } from '../channels/channel.js';
import { describe } from '../channels/content.js';
import { throttleOf } from '../channels/registry.js';
import type { KlaxonConfig } from '../config/schema.js';
import { GROUP_JOB, runGroupFlush } from '../grouping/group-jobs.js';
import type { Notification } from '../model/notification.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import { queueNames, type Keys } from '../state/keys.js';
import { DeliveryStore, type DeadLetter } from './delivery-store.js';
import { failureAction, fallbackCopy, latestPerAlert, mayFold } from './delivery-policy.js';

/** How many held-back alerts a summary carries in full (the rest are counted). */
const SUMMARY_ALERTS_MAX = 50;
/** How often a notification looks again whether the one before it in its thread went out. */
const ORDER_RECHECK_MS = 250;
/** Job name of a summary of what a rate limit held back. */
const SUMMARY_JOB = 'summary';

export interface DeliveryDeps {
  config: KlaxonConfig;
  keys: Keys;
  redis: Redis;
  channels: ReadonlyMap<string, Channel>;
  queues: ReadonlyMap<string, Queue>;
  /** Enqueues notifications (fanned out to targets, idempotent by id): used for fallbacks. */
  deliver(notifications: Notification[]): Promise<void>;
  connection: () => Redis;
  metrics?: KlaxonMetrics;
  logger: Logger;
  clock: () => number;
}

/**
 * One worker per receiver. For each notification, in order:
 * 1. finished already (a rerun after a crash)? done;
 * 2. over the receiver's `rate_limit`? held for the next "N more alerts" summary;
 * 3. the notification before it in its thread not out yet? wait for it;
 * 4. over the service's own rate limit (`throttle`)? wait for the window;
 * 5. send, bounded by `delivery.timeout`, with the thread's first message to edit or answer;
 * 6. record it, or act on the failure: wait as the service asked, retry with backoff,
 *    dead-letter, and hand over to the route's fallback receivers.
 * Waiting (3, 4, a 429) spends no attempt: nothing is dropped, it only comes later.
 */
export function startDeliveryWorkers(deps: DeliveryDeps): Worker[] {
  const { config, logger } = deps;
  const d = config.queue.delivery;
  const store = new DeliveryStore(deps.redis, deps.keys, Math.ceil(deps.config.digest.retention / 1000));
  return [...deps.channels].map(([receiver, channel]) => {
    const worker: Worker<Notification> = new Worker<Notification>(
      queueNames.deliver(receiver),
      (job, token) => deliverOne({ deps, store, channel, receiver }, job, token),
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

interface WorkerContext {
  deps: DeliveryDeps;
  store: DeliveryStore;
  channel: Channel;
  receiver: string;
}

async function deliverOne(ctx: WorkerContext, job: Job<Notification>, token?: string): Promise<unknown> {
  const { deps, store, receiver } = ctx;
  // A group's flush: its message is enqueued as an ordinary notification (src/grouping).
  if (job.name === GROUP_JOB) return runGroupFlush(deps, receiver, job.data);
  const now = deps.clock();
  let n = job.data;
  let heldCount = 0;
  if (job.name === SUMMARY_JOB) {
    const summary = await summaryOf(ctx, n, now);
    if (!summary) return { empty: true };
    ({ n, heldCount } = summary);
  }
  if (await store.finished(n.id)) {
    // Sent before a crash: a summary still owes the trim of what it told.
    if (heldCount > 0) await store.release(receiver, n.target, heldCount);
    return { duplicate: true };
  }

  // Rate windows are about the pace of real sends, so they follow the wall clock (as BullMQ's
  // delays do), not the decision clock.
  const wall = Date.now();
  if (job.name !== SUMMARY_JOB && mayFold(n) && (job.attemptsStarted ?? 1) <= 1) {
    const windowEnd = await overRateLimit(ctx, n, wall);
    if (windowEnd !== undefined) {
      await holdForSummary(ctx, n, windowEnd, wall);
      return { held: true };
    }
  }
  if (n.after && (await waitingFor(ctx, n.after))) return delay(job, token, ORDER_RECHECK_MS);
  const cfg = deps.config.receivers[receiver];
  const throttled = cfg
    ? await store.overLimit(`throttle:${receiver}:${n.target ?? '-'}`, throttleOf(cfg, n.target), wall)
    : undefined;
  if (throttled !== undefined) {
    deps.metrics?.notifications.inc({ receiver, result: 'throttled' });
    return delay(job, token, Math.max(1, throttled - wall));
  }

  const started = performance.now();
  const log = {
    receiver,
    target: n.target,
    notification: n.id,
    kind: n.kind,
    correlationId: n.correlationId,
  };
  let outcome: SendOutcome;
  try {
    outcome = await sendWithin(ctx, n, now);
  } catch (err) {
    if (!(err instanceof SendError))
      deps.logger.error({ ...log, err }, 'a channel failed in an unexpected way (a Klaxon bug)');
    const e = err instanceof SendError ? err : ownFailure(err);
    return onFailure(ctx, job, token, n, e, now);
  }
  await store.recordSent(n, outcome.ref, now);
  if (heldCount > 0) await store.release(receiver, n.target, heldCount);
  deps.metrics?.notifications.inc({ receiver, result: 'sent' });
  deps.metrics?.deliveryLatency.observe({ receiver }, (performance.now() - started) / 1000);
  if (outcome.rejected && outcome.rejected.length > 0) {
    await store.deadLetter(
      outcome.rejected.map((r): DeadLetter => ({
        at: now,
        receiver,
        target: r.target,
        reason: r.reason,
        attempts: job.attemptsMade + 1,
        notification: n,
      })),
    );
    deps.metrics?.notifications.inc({ receiver, result: 'dead' }, outcome.rejected.length);
    deps.logger.error({ ...log, rejected: outcome.rejected }, 'part of a notification was refused');
  }
  deps.logger.info({ ...log, detail: outcome.detail }, 'notification sent');
  return { sent: true, detail: outcome.detail };
}

/** Sends, and stops waiting when `delivery.timeout` passes even if the channel ignores the signal. */
async function sendWithin(ctx: WorkerContext, n: Notification, now: number): Promise<SendOutcome> {
  const ms = ctx.deps.config.queue.delivery.timeout;
  const signal = AbortSignal.timeout(ms);
  const previous = await ctx.store.messageRef(n);
  const { public_url: publicUrl, link_secret: linkSecret } = ctx.deps.config.server;
  const content = describe(n, { publicUrl, linkSecret });
  const timedOut = () =>
    new SendError(`${ctx.channel.type} receiver "${ctx.receiver}": no answer within ${ms} ms`, {
      retryable: true,
      status: 'timeout',
    });
  return raceAbort(ctx.channel.send({ notification: n, content, previous, signal, now }), signal, timedOut);
}

async function onFailure(
  ctx: WorkerContext,
  job: Job<Notification>,
  token: string | undefined,
  n: Notification,
  e: SendError,
  now: number,
): Promise<unknown> {
  const { deps, store, receiver } = ctx;
  const action = failureAction(
    e,
    {
      attemptsMade: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
      queuedAt: job.timestamp,
      now: Date.now(),
    },
    n.fallback,
  );
  await store.recordFailure(receiver, e.message, !e.retryable, now);
  deps.logger.warn(
    {
      receiver,
      target: n.target,
      notification: n.id,
      err: e.message,
      retryable: e.retryable,
      action: action.kind,
    },
    'send failed',
  );
  if (action.fallback && n.fallback) {
    await deps.deliver(n.fallback.receivers.map((r) => fallbackCopy(n, r)));
    deps.metrics?.notifications.inc({ receiver, result: 'fallback' });
  }
  if (action.kind === 'dead') {
    if (!e.retryable) deps.metrics?.notifications.inc({ receiver, result: 'failed' });
    await store.deadLetter([
      { at: now, receiver, reason: e.message, attempts: job.attemptsMade + 1, notification: n },
    ]);
    deps.metrics?.notifications.inc({ receiver, result: 'dead' });
    deps.logger.error({ receiver, notification: n.id, reason: e.message }, 'notification dead-lettered');
    throw new UnrecoverableError(e.message);
  }
  deps.metrics?.notifications.inc({ receiver, result: 'retry' });
  if (action.kind === 'wait') return delay(job, token, action.ms);
  throw e;
}

/** Parks the job until `ms` from now without spending an attempt. */
async function delay(job: Job<Notification>, token: string | undefined, ms: number): Promise<never> {
  if (!token) throw new Error('cannot delay a job without its lock token');
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
}

/** True while the notification `id` (the one before this one in its thread) may still go out. */
async function waitingFor(ctx: WorkerContext, id: string): Promise<boolean> {
  if (await ctx.store.finished(id)) return false;
  const queue = ctx.deps.queues.get(ctx.receiver);
  const job = queue ? await queue.getJob(id) : undefined;
  if (!job) return false;
  const state = await job.getState();
  return state !== 'completed' && state !== 'failed' && state !== 'unknown';
}

/** End of the full window when the receiver's `rate_limit` (or the global one) is exceeded. */
async function overRateLimit(ctx: WorkerContext, n: Notification, now: number): Promise<number | undefined> {
  const { config } = ctx.deps;
  const own = config.receivers[ctx.receiver]?.rate_limit ?? config.rate_limits.per_receiver;
  const scope = `fold:${ctx.receiver}:${n.target ?? '-'}`;
  const mine = own ? await ctx.store.overLimit(scope, [own], now) : undefined;
  if (mine !== undefined) return mine;
  const global = config.rate_limits.global;
  return global ? ctx.store.overLimit('fold:_global', [global], now) : undefined;
}

async function holdForSummary(
  ctx: WorkerContext,
  n: Notification,
  windowEnd: number,
  now: number,
): Promise<void> {
  const { deps, store, receiver } = ctx;
  await store.hold(n);
  const d = deps.config.queue.delivery;
  await deps.queues.get(receiver)?.add(SUMMARY_JOB, n, {
    jobId: `summary.${receiver}.${n.target ?? '-'}.${windowEnd}`,
    delay: Math.max(0, windowEnd - now),
    attempts: d.attempts,
    backoff: { type: 'klaxon', delay: d.backoff },
    removeOnComplete: { age: 86400 },
    removeOnFail: { age: 7 * 86400 },
  });
  deps.metrics?.notifications.inc({ receiver, result: 'held' });
}

/** The "N more alerts" notification for what the receiver's overflow list holds now. */
async function summaryOf(
  ctx: WorkerContext,
  first: Notification,
  now: number,
): Promise<{ n: Notification; heldCount: number } | undefined> {
  const held = await ctx.store.held(ctx.receiver, first.target);
  const head = held[0];
  if (!head) return undefined;
  const alerts = latestPerAlert(held);
  const n: Notification = {
    id: `summary.${head.id}`,
    receiver: ctx.receiver,
    kind: 'summary',
    alerts: alerts.slice(0, SUMMARY_ALERTS_MAX),
    total: alerts.length,
    thread: `summary.${head.id}`,
    createdAt: now,
  };
  if (first.target !== undefined) n.target = first.target;
  return { n, heldCount: held.length };
}

/** A failure of Klaxon's own (a bug in a channel), told as ours: never blamed on the service. */
function ownFailure(err: unknown): SendError {
  const what = err instanceof Error ? err.name : 'unknown error';
  return new SendError(`internal error in Klaxon while sending (${what}); see the logs`, {
    retryable: true,
    status: 'internal',
    cause: err,
  });
}
