import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HealthReport } from '../ingest/context.js';
import type { Keys } from '../state/keys.js';
import type { DeadLetter } from '../model/notification.js';
import type { KlaxonMetrics } from './metrics.js';

interface HealthDeps {
  redis: Redis;
  keys: Keys;
  ingest: readonly Queue[];
  deliver: ReadonlyMap<string, Queue>;
  metrics: KlaxonMetrics;
}

const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms).unref()),
  ]);

/**
 * What /health reports: Redis, queue depths, each receiver's last success and failure, dead
 * letters. `down` when Redis does not answer; `degraded` when something needs a look (dead
 * letters, failed ingest jobs, a receiver whose last attempt failed). Refreshes the gauges of
 * /metrics on the way.
 */
export async function healthReport(deps: HealthDeps): Promise<HealthReport> {
  const { redis, keys, metrics } = deps;
  try {
    await within(redis.ping(), 1500);
  } catch (err) {
    return { status: 'down', redis: { ok: false, error: (err as Error).message } };
  }
  try {
    const [ingestCounts, deliverCounts, status, deadCount, dead, workers] = await within(
      Promise.all([
        Promise.all(deps.ingest.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'failed'))),
        Promise.all(
          [...deps.deliver].map(
            async ([name, q]) => [name, await q.getJobCounts('wait', 'active', 'delayed', 'failed')] as const,
          ),
        ),
        redis.hgetall(keys.receiverStatus()),
        redis.llen(keys.deadLetters()),
        redis.lrange(keys.deadLetters(), 0, 4),
        // Every process that evaluates has a worker on each lane: those of lane 0 count them.
        deps.ingest[0]?.getWorkersCount() ?? 0,
      ]),
      1500,
    );
    const ingest = { wait: 0, active: 0, delayed: 0, failed: 0 };
    for (const c of ingestCounts)
      for (const k of Object.keys(ingest) as (keyof typeof ingest)[]) ingest[k] += c[k] ?? 0;
    for (const [state, n] of Object.entries(ingest)) metrics.queueDepth.set({ queue: 'ingest', state }, n);
    const receivers: Record<string, unknown> = {};
    let failing = false;
    for (const [name, counts] of deliverCounts) {
      for (const [state, n] of Object.entries(counts))
        metrics.queueDepth.set({ queue: `deliver-${name}`, state }, n);
      const lastSuccess = Number(status[`${name}.last_success`] ?? 0) || undefined;
      const lastFailure = Number(status[`${name}.last_failure`] ?? 0) || undefined;
      // `failing`: retrying; `broken`: the service refused for good (bad credentials, a deleted webhook).
      const state =
        status[`${name}.state`] ??
        (lastFailure && (!lastSuccess || lastFailure > lastSuccess) ? 'failing' : 'ok');
      if (state !== 'ok') failing = true;
      for (const s of ['ok', 'failing', 'broken'])
        metrics.receiverState.set({ receiver: name, state: s }, s === state ? 1 : 0);
      receivers[name] = {
        state,
        queue: counts,
        lastSuccess: lastSuccess && new Date(lastSuccess).toISOString(),
        lastFailure: lastFailure && new Date(lastFailure).toISOString(),
        lastError: status[`${name}.last_error`],
      };
    }
    metrics.deadLetters.set(deadCount);
    const degraded = deadCount > 0 || ingest.failed > 0 || failing;
    return {
      status: degraded ? 'degraded' : 'ok',
      redis: { ok: true },
      queues: { ingest },
      workers: { count: workers },
      receivers,
      deadLetters: {
        count: deadCount,
        latest: dead.map((d) => {
          const x = JSON.parse(d) as DeadLetter;
          return {
            at: new Date(x.at).toISOString(),
            receiver: x.receiver,
            ...(x.target === undefined ? {} : { target: x.target }),
            reason: x.reason,
            notification: x.notification.id,
          };
        }),
      },
    };
  } catch (err) {
    return { status: 'down', redis: { ok: false, error: (err as Error).message } };
  }
}
