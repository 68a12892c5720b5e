import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { raceAbort, SendError, type Channel, type SendOutcome } from '../channels/channel.js';
import { describe } from '../channels/content.js';
import { throttleOf } from '../channels/registry.js';
import type { KlaxonConfig } from '../config/schema.js';
import type { MessageRef, Notification } from '../model/notification.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import type { Keys } from '../state/keys.js';
import { failureAction, fallbackCopy, mayFold, type FailureAction } from './delivery-policy.js';
import type { DeadLetter } from '../model/notification.js';
import type { DeliveryStore } from './delivery-store.js';

/**
 * One attempt at one notification, the same for a notification in a job of its own and for one
 * in a batch job. In order:
 * 1. finished already (a rerun after a crash)? done;
 * 2. over the receiver's `rate_limit`? held for the next "N more alerts" summary;
 * 3. the notification before it in its thread not out yet? later;
 * 4. over the service's own rate limit (`throttle`)? later, when the window ends; being sent
 *    by another job right now (the same notification can travel in two)? later;
 * 5. send, bounded by `delivery.timeout`, with the thread's first message to edit or answer;
 * 6. record it, or say how it failed (the caller decides, with `settleFailure`, what follows).
 * "Later" spends no attempt: nothing is dropped, it only comes later.
 */

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

export interface WorkerContext {
  deps: DeliveryDeps;
  store: DeliveryStore;
  channel: Channel;
  receiver: string;
}

/** How often a notification looks again whether the one before it in its thread went out. */
export const ORDER_RECHECK_MS = 250;
/** A claim outlives the longest send by this much (the worker stops waiting at delivery.timeout). */
const CLAIM_MARGIN_MS = 5000;
/** How often a notification another job is sending looks again. */
const CLAIM_RECHECK_MS = 1000;
/** Job name of a summary of what a rate limit held back. */
export const SUMMARY_JOB = 'summary';

/** What an attempt came to. */
export type AttemptResult =
  | { kind: 'sent'; ref: MessageRef | undefined; detail?: string }
  | { kind: 'duplicate' }
  | { kind: 'held' }
  | { kind: 'later'; ms: number }
  | { kind: 'failed'; error: SendError };

export interface AttemptOptions {
  now: number;
  /** A first attempt may be held for a summary; a retry was counted in the rate window already. */
  mayHold: boolean;
  /** How many held notifications this one (a summary) tells: released once it is sent. */
  heldCount?: number;
  /**
   * What a batch knows already: finished markers and the thread's message read in one round
   * trip, and whether the notification before it is still on its way (`undefined`: ask Redis).
   */
  known?: { finished: boolean; previous: MessageRef | undefined; predecessorPending?: boolean };
  /** A batch records its sends' tally once (`tallySent`); a job of its own records it here. */
  tally: boolean;
  /** Attempts made before this one (for the dead letters of refused parts). */
  attemptsMade: number;
  /** The job's id: it claims the send (`DeliveryStore.claim`). */
  jobId: string;
}

export async function attempt(
  ctx: WorkerContext,
  n: Notification,
  o: AttemptOptions,
): Promise<AttemptResult> {
  const { deps, store, receiver } = ctx;
  const heldCount = o.heldCount ?? 0;
  const finished = o.known ? o.known.finished : (await store.finished(n.id)) !== undefined;
  if (finished) {
    // Sent before a crash: a summary still owes the trim of what it told.
    if (heldCount > 0) await store.release(receiver, n.target, heldCount);
    return { kind: 'duplicate' };
  }

  // Rate windows are about the pace of real sends, so they follow the wall clock (as BullMQ's
  // delays do), not the decision clock.
  const wall = Date.now();
  if (o.mayHold && mayFold(n)) {
    const windowEnd = await overRateLimit(ctx, n, wall);
    if (windowEnd !== undefined) {
      await holdForSummary(ctx, n, windowEnd, wall);
      return { kind: 'held' };
    }
  }
  if (n.after !== undefined) {
    const pending = o.known?.predecessorPending ?? (await waitingFor(ctx, n.after));
    if (pending) return { kind: 'later', ms: ORDER_RECHECK_MS };
  }
  const cfg = deps.config.receivers[receiver];
  const throttled = cfg
    ? await store.overLimit(`throttle:${receiver}:${n.target ?? '-'}`, throttleOf(cfg, n.target), wall)
    : undefined;
  if (throttled !== undefined) {
    deps.metrics?.notifications.inc({ receiver, result: 'throttled' });
    return { kind: 'later', ms: Math.max(1, throttled - wall) };
  }
  // Another job sending the same notification right now: look again in a moment (finished then,
  // most likely; or given up, and then this job sends it).
  const claimMs = deps.config.queue.delivery.timeout + CLAIM_MARGIN_MS;
  if (!(await store.claim(n.id, o.jobId, claimMs))) return { kind: 'later', ms: CLAIM_RECHECK_MS };

  const started = performance.now();
  const log = {
    receiver,
    target: n.target,
    notification: n.id,
    kind: n.kind,
    correlationId: n.correlationId,
  };
  let outcome: SendOutcome;
  let previous: MessageRef | undefined;
  try {
    previous = o.known ? o.known.previous : await store.messageRef(n);
    outcome = await sendWithin(ctx, n, previous, o.now);
  } catch (err) {
    if (!(err instanceof SendError))
      deps.logger.error({ ...log, err }, 'a channel failed in an unexpected way (a Klaxon bug)');
    await store.unclaim(n.id, o.jobId);
    return { kind: 'failed', error: err instanceof SendError ? err : ownFailure(err) };
  }
  if (o.tally) await store.recordSent(n, outcome.ref, previous !== undefined, o.now);
  else await store.markSent(n, outcome.ref, previous !== undefined);
  if (heldCount > 0) await store.release(receiver, n.target, heldCount);
  deps.metrics?.notifications.inc({ receiver, result: 'sent' });
  deps.metrics?.deliveryLatency.observe({ receiver }, (performance.now() - started) / 1000);
  if (outcome.rejected && outcome.rejected.length > 0) {
    await store.deadLetter(
      outcome.rejected.map((r): DeadLetter => ({
        at: o.now,
        receiver,
        target: r.target,
        reason: r.reason,
        attempts: o.attemptsMade + 1,
        notification: n,
      })),
    );
    deps.metrics?.notifications.inc({ receiver, result: 'dead' }, outcome.rejected.length);
    deps.logger.error({ ...log, rejected: outcome.rejected }, 'part of a notification was refused');
  }
  deps.logger.info({ ...log, detail: outcome.detail }, 'notification sent');
  return {
    kind: 'sent',
    ref: outcome.ref,
    ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
  };
}

/** Sends, and stops waiting when `delivery.timeout` passes even if the channel ignores the signal. */
async function sendWithin(
  ctx: WorkerContext,
  n: Notification,
  previous: MessageRef | undefined,
  now: number,
): Promise<SendOutcome> {
  const ms = ctx.deps.config.queue.delivery.timeout;
  // A controller and a timer cleared on the answer: cheaper per send than AbortSignal.timeout.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('send timed out', 'TimeoutError')), ms);
  const signal = controller.signal;
  const { public_url: publicUrl, link_secret: linkSecret, ui } = ctx.deps.config.server;
  const content = describe(n, { publicUrl, linkSecret, ui: ui.enabled });
  const timedOut = () =>
    new SendError(`${ctx.channel.type} receiver "${ctx.receiver}": no answer within ${ms} ms`, {
      retryable: true,
      status: 'timeout',
    });
  try {
    return await raceAbort(
      ctx.channel.send({ notification: n, content, previous, signal, now }),
      signal,
      timedOut,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What follows a failed send, and everything that goes with it: the receiver's last failure,
 * the log, the hand-over to the route's fallback receivers, and the dead letter when no retry can
 * help. The caller carries out a `retry` or a `wait`.
 */
export async function settleFailure(
  ctx: WorkerContext,
  n: Notification,
  e: SendError,
  tries: { attemptsMade: number; attempts: number; queuedAt: number },
  now: number,
): Promise<FailureAction> {
  const { deps, store, receiver } = ctx;
  const action = failureAction(e, { ...tries, now: Date.now() }, n.fallback);
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
      { at: now, receiver, reason: e.message, attempts: tries.attemptsMade + 1, notification: n },
    ]);
    deps.metrics?.notifications.inc({ receiver, result: 'dead' });
    deps.logger.error({ receiver, notification: n.id, reason: e.message }, 'notification dead-lettered');
  } else deps.metrics?.notifications.inc({ receiver, result: 'retry' });
  return action;
}

/**
 * True while the notification `id` (the one before this one in its thread) may still go out: not
 * finished, and either in a job of its own that has not ended or travelling in a batch job that
 * has not ended.
 */
export async function waitingFor(ctx: WorkerContext, id: string): Promise<boolean> {
  if (await ctx.store.finished(id)) return false;
  const queue = ctx.deps.queues.get(ctx.receiver);
  if (!queue) return false;
  for (const jobId of [id, await ctx.store.travellingIn(ctx.receiver, id)]) {
    if (jobId === undefined) continue;
    const job = await queue.getJob(jobId);
    if (!job) continue;
    const state = await job.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return true;
  }
  return false;
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

/** A failure of Klaxon's own (a bug in a channel), told as ours: never blamed on the service. */
function ownFailure(err: unknown): SendError {
  const what = err instanceof Error ? err.name : 'unknown error';
  return new SendError(`internal error in Klaxon while sending (${what}); see the logs`, {
    retryable: true,
    status: 'internal',
    cause: err,
  });
}
