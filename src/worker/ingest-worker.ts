import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KlaxonConfig } from '../config/schema.js';
import { queueNames } from '../state/keys.js';
import type { Pipeline } from './pipeline.js';
import type { IngestJob } from './queues.js';
import { isRedisUnavailable } from '../state/redis-errors.js';

/**
 * Workers for every ingest lane. A lane runs one job at a time across all processes (global
 * concurrency 1), so inputs of a source are evaluated in the order they were accepted. A job
 * whose worker dies is picked up again by another once its lock expires, and applies at most once.
 */
export function startIngestWorkers(deps: {
  config: KlaxonConfig;
  pipeline: Pipeline;
  connection: () => Redis;
  logger: Logger;
  evaluated?: (job: Job<IngestJob>) => void;
}): Worker[] {
  const { config, pipeline, logger } = deps;
  return Array.from({ length: config.queue.shards }, (_, shard) => {
    const worker = new Worker<IngestJob>(
      queueNames.ingest(shard),
      async (job) => {
        const data = job.data;
        await transientRetry(logger, async () => {
          if (data.type === 'batch') await pipeline.processBatch(shard, job.id as string, data.batch);
          else await pipeline.processTick(shard, job.id as string, data.now);
        });
        deps.evaluated?.(job);
      },
      {
        connection: deps.connection(),
        prefix: config.redis.prefix,
        concurrency: 1,
        lockDuration: config.queue.lock_duration,
        stalledInterval: config.queue.stalled_interval,
        // A job whose worker died is run again, however often that happens.
        maxStalledCount: 1000,
        drainDelay: 1,
      },
    );
    worker.on('error', (err) => logger.warn({ err: err.message, shard }, 'ingest worker error'));
    worker.on('failed', (job, err) =>
      logger.error(
        { jobId: job?.id, shard, err: err.message },
        'ingest job failed; it stays in the failed set',
      ),
    );
    return worker;
  });
}

/**
 * Keeps retrying while the error looks transient (Redis away, a conflict) so that a lane keeps its
 * order: a job that failed and came back later would let the jobs behind it overtake it.
 */
async function transientRetry(logger: Logger, fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 30 || !isTransient(err)) throw err;
      const wait = Math.min(100 * 2 ** (attempt - 1), 5000);
      logger.warn({ err: (err as Error).message, attempt, wait }, 'evaluation failed; trying again');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function isTransient(err: unknown): boolean {
  return err instanceof Error && (err.name === 'VersionConflict' || isRedisUnavailable(err));
}
