import type { Job } from 'bullmq';
import type { Notification } from '../model/notification.js';
import { attempt, settleFailure, type WorkerContext } from './delivery-attempt.js';
import { deliveryJobOptions, type DeliveryBatch } from './queues.js';

export { BATCH_JOB, type DeliveryBatch } from './queues.js';

/**
 * A batch job: the notifications one lane's commit produced for one receiver, in one job, so that
 * an alert storm costs the queue a few scripts per hundred notifications instead of several per
 * notification. Its finished markers and thread messages are read in one round trip; threads go
 * out side by side (`delivery.in_flight` at once), each thread in order. What cannot go now (a
 * thread waiting for an earlier message, a service's rate window, a failure to retry) is handed
 * to a job of its own, under the notification's id, which goes on from there: nothing is
 * dropped, and a batch run again after a crash sends only what it had not finished.
 */
export async function deliverBatch(ctx: WorkerContext, job: Job<DeliveryBatch>): Promise<unknown> {
  const { deps, store, receiver } = ctx;
  const d = deps.config.queue.delivery;
  const now = deps.clock();
  const ns = job.data.notifications;
  const known = await store.prefetch(ns);
  /** Notifications of this batch done with (sent, finished before, held, dead) or handed over. */
  const settled = new Map<string, 'done' | 'handed-over'>();
  const predecessorPending = (after: string): boolean | undefined => {
    const mine = settled.get(after);
    if (mine !== undefined) return mine === 'handed-over';
    return known.finished.has(after) ? false : undefined;
  };
  const queue = deps.queues.get(receiver);
  if (!queue) throw new Error(`no delivery queue for receiver ${receiver}`);
  const handOver = async (n: Notification, delay: number, attempts: number) => {
    await queue.add(n.kind, n, deliveryJobOptions(d, n.id, { delay, attempts }));
    settled.set(n.id, 'handed-over');
  };
  const counts = { sent: 0, duplicate: 0, held: 0, later: 0, failed: 0 };

  const one = async (n: Notification): Promise<void> => {
    const refKey = store.refKey(n);
    const r = await attempt(ctx, n, {
      now,
      mayHold: (job.attemptsStarted ?? 1) <= 1,
      tally: false,
      attemptsMade: 0,
      jobId: job.id ?? '',
      known: {
        finished: known.finished.has(n.id),
        previous: known.refs.get(refKey),
        ...(n.after === undefined ? {} : { predecessorPending: predecessorPending(n.after) }),
      },
    });
    counts[r.kind]++;
    if (r.kind === 'later') return handOver(n, r.ms, d.attempts);
    if (r.kind === 'failed') {
      const tries = { attemptsMade: 0, attempts: d.attempts, queuedAt: job.timestamp };
      const action = await settleFailure(ctx, n, r.error, tries, now);
      if (action.kind === 'wait') return handOver(n, action.ms, d.attempts);
      // The first attempt is spent; the job of its own makes the rest, after the first backoff.
      if (action.kind === 'retry') return handOver(n, d.backoff, d.attempts - 1);
    }
    if (r.kind === 'sent' && r.ref !== undefined) known.refs.set(refKey, r.ref);
    settled.set(n.id, 'done');
  };

  // Run again after a crash: what the first run handed over is in a job of its own already.
  if ((job.attemptsStarted ?? 1) > 1) {
    for (const n of ns)
      if (!known.finished.has(n.id) && (await queue.getJob(n.id))) settled.set(n.id, 'handed-over');
  }

  await eachAtMost(threadsOf(ns), d.in_flight, async (thread) => {
    for (const n of thread) if (!settled.has(n.id)) await one(n);
  });
  await store.tallySent(
    receiver,
    counts.sent,
    now,
    ns.map((n) => n.id),
  );
  return counts;
}

/** The notifications grouped by thread (and target), each thread in its order. */
function threadsOf(ns: readonly Notification[]): Notification[][] {
  const threads = new Map<string, Notification[]>();
  for (const n of ns) {
    const key = `${n.target ?? '-'}\u0000${n.thread}`;
    const list = threads.get(key);
    if (list) list.push(n);
    else threads.set(key, [n]);
  }
  return [...threads.values()];
}

/** Runs `fn` on every item, at most `limit` at a time. */
async function eachAtMost<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
