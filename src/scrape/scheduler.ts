/**
 * The scrape schedule: one BullMQ job scheduler per target on the `{scrape}` queue, every
 * `interval`, so that however many processes run workers each target is scraped once per
 * interval; and the worker (in every process that runs workers) that runs the scrapes.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { KlaxonConfig } from '../config/schema.js';
import { recentlyTrackedMs, StateCaps } from '../ingest/caps.js';
import type { IngestBatch } from '../model/batch.js';
import type { Clock } from '../model/clock.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import { queueNames, type Keys } from '../state/keys.js';
import { Scraper } from './scraper.js';

export interface ScrapeJob {
  target: string;
}

/** Scrapes one process runs at once, at most (they wait on the network, not the CPU). */
const MAX_CONCURRENCY = 32;

export interface Scraping {
  queue: Queue<ScrapeJob>;
  /** None when no target is configured. */
  worker?: Worker<ScrapeJob>;
  scraper: Scraper;
}

/**
 * Sets the schedulers of the configured targets (an interval changed in the config is taken on),
 * removes those of targets no longer configured, and starts the worker.
 */
export async function startScraping(deps: {
  config: KlaxonConfig;
  keys: Keys;
  /** A connection that waits out outages: the queue and the counter memory. */
  redis: Redis;
  /** A new such connection (the worker's blocking one). */
  connection: () => Redis;
  enqueue: (batch: IngestBatch) => Promise<void>;
  metrics: KlaxonMetrics;
  logger: Logger;
  clock: Clock;
  dispatcher?: Dispatcher;
}): Promise<Scraping> {
  const { config, logger } = deps;
  const targets = config.scrape;
  const prefix = config.redis.prefix;
  const queue = new Queue<ScrapeJob>(queueNames.scrape, { connection: deps.redis, prefix });
  queue.on('error', () => undefined);
  const configured = new Set(targets.map((t) => t.name));
  for (const s of await queue.getJobSchedulers(0, -1)) {
    const id = s.id ?? s.key;
    if (configured.has(id)) continue;
    await queue.removeJobScheduler(id);
    logger.info({ target: id }, 'scrape target no longer configured: its schedule is removed');
  }
  for (const t of targets) {
    deps.metrics.scrapeFailures.inc({ target: t.name }, 0);
    await queue.upsertJobScheduler(
      t.name,
      { every: t.interval },
      {
        name: 'scrape',
        data: { target: t.name },
        opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
      },
    );
  }
  const scraper = new Scraper({
    targets,
    keys: deps.keys,
    redis: deps.redis,
    enqueue: deps.enqueue,
    metrics: deps.metrics,
    logger,
    clock: deps.clock,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    caps: new StateCaps(
      deps.redis,
      deps.keys,
      config.rules,
      { maxSources: config.limits.max_sources, maxSeriesPerSource: config.limits.max_series_per_source },
      recentlyTrackedMs(config.limits.idle_evict),
    ),
  });
  if (targets.length === 0) return { queue, scraper };
  const worker = new Worker<ScrapeJob>(
    queueNames.scrape,
    async (job) => {
      await scraper.scrape(job.data.target, job.id ?? String(job.timestamp));
    },
    {
      connection: deps.connection(),
      prefix,
      concurrency: Math.min(targets.length, MAX_CONCURRENCY),
      lockDuration: config.queue.lock_duration,
      stalledInterval: config.queue.stalled_interval,
    },
  );
  worker.on('error', (err) => logger.warn({ err: err.message }, 'scrape worker error'));
  worker.on('failed', (job, err) =>
    logger.warn(
      { target: job?.data.target, err: err.message },
      'scrape could not queue its batch (Redis?); the next interval scrapes again',
    ),
  );
  logger.info(
    { targets: targets.map((t) => ({ target: t.name, format: t.format, every: t.interval })) },
    'scraping targets',
  );
  return { queue, worker, scraper };
}
