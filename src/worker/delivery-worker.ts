import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { GROUP_JOB, runGroupFlush } from '../grouping/group-jobs.js';
import type { Notification } from '../model/notification.js';
import { queueNames } from '../state/keys.js';
import {
  attempt,
  settleFailure,
  SUMMARY_JOB,
  type DeliveryDeps,
  type WorkerContext,
} from './delivery-attempt.js';
import { BATCH_JOB, deliverBatch, type DeliveryBatch } from './delivery-batch.js';
import { DeliveryStore } from './delivery-store.js';
import { latestPerAlert } from './delivery-policy.js';

export type { DeliveryDeps } from './delivery-attempt.js';

/** How many held-back alerts a summary carries in full (the rest are counted). */
const SUMMARY_ALERTS_MAX = 50;

/**
 * One worker per receiver, running its delivery queue's jobs:
 * - a batch (`batch`): the notifications one lane's commit produced for the receiver, sent
 *   together (src/worker/delivery-batch.ts);
 * - one notification in a job of its own: a retry, a wait handed over by a batch, a lone
 *   notification, a rate limit's summary (`summary`);
 * - a group's flush (`group`, src/grouping).
 * Each notification goes through the same attempt (src/worker/delivery-attempt.ts).
 */
export function startDeliveryWorkers(deps: DeliveryDeps): Worker[] {
  const { config, logger } = deps;
  const d = config.queue.delivery;
  const store = new DeliveryStore(deps.redis, deps.keys, Math.ceil(deps.config.digest.retention / 1000));
  return [...deps.channels].map(([receiver, channel]) => {
    const ctx: WorkerContext = { deps, store, channel, receiver };
    const worker: Worker<Notification | DeliveryBatch> = new Worker<Notification | DeliveryBatch>(
      queueNames.deliver(receiver),
      (job, token) => runJob(ctx, job, token),
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

function runJob(ctx: WorkerContext, job: Job, token?: string): Promise<unknown> {
  // A group's flush: its message is enqueued as an ordinary notification (src/grouping).
  if (job.name === GROUP_JOB) return runGroupFlush(ctx.deps, ctx.receiver, job.data);
  if (job.name === BATCH_JOB) return deliverBatch(ctx, job as Job<DeliveryBatch>);
  return deliverOne(ctx, job as Job<Notification>, token);
}

async function deliverOne(ctx: WorkerContext, job: Job<Notification>, token?: string): Promise<unknown> {
  const now = ctx.deps.clock();
  let n = job.data;
  let heldCount = 0;
  if (job.name === SUMMARY_JOB) {
    const summary = await summaryOf(ctx, n, now);
    if (!summary) return { empty: true };
    ({ n, heldCount } = summary);
  }
  const result = await attempt(ctx, n, {
    now,
    mayHold: job.name !== SUMMARY_JOB && (job.attemptsStarted ?? 1) <= 1,
    heldCount,
    tally: true,
    attemptsMade: job.attemptsMade,
    jobId: job.id ?? n.id,
  });
  switch (result.kind) {
    case 'sent':
      return { sent: true, detail: result.detail };
    case 'duplicate':
      return { duplicate: true };
    case 'held':
      return { held: true };
    case 'later':
      return delay(job, token, result.ms);
    case 'failed': {
      const e = result.error;
      const tries = {
        attemptsMade: job.attemptsMade,
        attempts: job.opts.attempts ?? 1,
        queuedAt: job.timestamp,
      };
      const action = await settleFailure(ctx, n, e, tries, now);
      if (action.kind === 'dead') throw new UnrecoverableError(e.message);
      if (action.kind === 'wait') return delay(job, token, action.ms);
      throw e;
    }
  }
}

/** Parks the job until `ms` from now without spending an attempt. */
async function delay(job: Job<Notification>, token: string | undefined, ms: number): Promise<never> {
  if (!token) throw new Error('cannot delay a job without its lock token');
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
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
