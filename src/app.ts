import { Worker } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Channel } from './channels/channel.js';
import { createChannel, targetsOf, type ChannelDeps } from './channels/registry.js';
import { TelegramUpdates, telegramWebhooks } from './channels/telegram/updates.js';
import type { KlaxonConfig } from './config/schema.js';
import { recordBounds } from './digest/config.js';
import { DigestRunner } from './digest/digest-runner.js';
import { recentlyTrackedMs, StateCaps } from './ingest/caps.js';
import { buildServer } from './ingest/server.js';
import { systemClock, type Clock } from './model/clock.js';
import { healthReport } from './ops/health.js';
import { createLogger } from './ops/logger.js';
import { KlaxonMetrics } from './ops/metrics.js';
import { configSilences } from './routing/silences.js';
import { expectScrapedSources } from './scrape/expect.js';
import { startScraping, type Scraping } from './scrape/scheduler.js';
import { RedisAlertApi } from './state/alert-api.js';
import { RedisSessionStore } from './state/session-store.js';
import { RedisSourcesApi } from './state/sources-api.js';
import { RedisDeadLetters } from './worker/dead-letters.js';
import { Keys, queueNames } from './state/keys.js';
import { connectRedis, redisWhere } from './state/redis-connect.js';
import { ShardStore, alertCounts, trackedCounts } from './state/shard-store.js';
import { startDeliveryWorkers } from './worker/delivery-worker.js';
import { startIngestWorkers } from './worker/ingest-worker.js';
import { Pipeline } from './worker/pipeline.js';
import { Queues } from './worker/queues.js';

export interface AppOptions {
  config: KlaxonConfig;
  /** `serve`: HTTP API, workers and scheduler; `worker`: workers and scheduler; `api`: HTTP only. */
  role: 'serve' | 'worker' | 'api';
  clock?: Clock;
  logger?: Logger;
  metrics?: KlaxonMetrics;
  /** Runs the timer sweep on its own every `queue.sweep_every` (tests drive `sweep()` instead). */
  scheduler?: boolean;
  channelDeps?: ChannelDeps;
  /** Listen on this port instead of the configured one (0: any free port). */
  port?: number;
  /**
   * On `stop()`, how long running jobs (and HTTP requests) get to finish before the workers are
   * forced to close, ms. Default 25 s (`klaxon serve --shutdown-grace`).
   */
  shutdownGrace?: number;
  /** Called when a batch has been evaluated and its deliveries enqueued (benchmarks, tests). */
  onEvaluated?: (info: { receivedAt: number; finishedAt: number; samples: number; events: number }) => void;
}

/**
 * One Klaxon process: the parts its role needs, wired together. Everything it holds is closed
 * by `stop()`, in an order that lets in-flight work finish.
 */
export class App {
  server?: FastifyInstance;
  /** `http://host:port` once listening. */
  url?: string;
  readonly keys: Keys;
  readonly metrics: KlaxonMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  private readonly connections: Redis[] = [];
  private readonly workers: Worker[] = [];
  private readonly channels = new Map<string, Channel>();
  private stopping?: Promise<void>;
  private apiQueues?: Queues;
  private workQueues?: Queues;
  private alertApi?: RedisAlertApi;
  private telegramUpdates?: TelegramUpdates;
  private scraping?: Scraping;
  readonly opts: AppOptions;

  private constructor(opts: AppOptions) {
    // Scraped sources are watched by the absence rules from the start (src/scrape/expect.ts).
    this.opts = { ...opts, config: expectScrapedSources(opts.config) };
    const { config } = this.opts;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? createLogger({ level: config.log.level });
    this.metrics = opts.metrics ?? new KlaxonMetrics();
    this.keys = new Keys(config.redis.prefix, config.queue.shards);
  }

  static async start(opts: AppOptions): Promise<App> {
    const app = new App(opts);
    try {
      await app.init();
    } catch (err) {
      await app.stop();
      throw err;
    }
    return app;
  }

  /** A Redis connection that waits out outages (workers). */
  private patient = (): Redis => this.connect({ maxRetriesPerRequest: null });

  /** A connection to `redis.url`, or to the cluster of `redis.cluster` (src/state/redis-connect.ts). */
  private connect(extra: RedisOptions): Redis {
    const r = connectRedis(this.opts.config.redis, { lazyConnect: false, ...extra });
    r.on('error', () => undefined); // reconnects on its own; health reports the outage
    this.connections.push(r);
    return r;
  }

  private async init(): Promise<void> {
    const { config, role } = this.opts;
    this.logger.info({ redis: redisWhere(config.redis) }, 'connecting to Redis (waiting until it answers)');
    // The HTTP path fails fast while Redis is away, so that ingest can answer 503 at once.
    const fast = this.connect({ enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    this.apiQueues = new Queues(config, this.keys, fast);
    const apiQueues = this.apiQueues;
    const receivers = config.receivers;
    this.alertApi = new RedisAlertApi(
      fast,
      this.keys,
      this.clock,
      (shard, acks) => apiQueues.enqueueAcks(shard, acks),
      {
        targetsOf: (r) => (receivers[r] ? targetsOf(receivers[r]) : [undefined]),
        configSilences: configSilences(config.silences),
      },
    );

    if (role !== 'api') await this.startWorkers();
    if (role !== 'worker') await this.startServer(fast);
  }

  private async startWorkers(): Promise<void> {
    const { config } = this.opts;
    const redis = this.patient();
    this.workQueues = new Queues(config, this.keys, redis);
    await this.workQueues.init();
    // A Redis that restarted without persistence forgot the lanes' settings: set them again.
    let first = true;
    redis.on('ready', () => {
      if (first) first = false;
      else void this.workQueues?.init().catch(() => undefined);
    });
    const workQueues = this.workQueues;
    const alertApi = new RedisAlertApi(redis, this.keys, this.clock, (shard, acks) =>
      workQueues.enqueueAcks(shard, acks),
    );
    const fromConfig = configSilences(config.silences);
    for (const [name, rc] of Object.entries(config.receivers)) {
      this.channels.set(name, await createChannel(name, rc, this.opts.channelDeps));
    }
    const pipeline = new Pipeline({
      config,
      store: new ShardStore(redis, this.keys, { records: recordBounds(config.digest) }),
      silences: async () => [...fromConfig, ...(await alertApi.activeSilences())],
      deliver: (ns) => workQueues.deliverAll(ns),
      metrics: this.metrics,
      logger: this.logger,
    });
    this.workers.push(
      ...startIngestWorkers({
        config,
        pipeline,
        connection: this.patient,
        logger: this.logger,
        evaluated: (job) => {
          if (job.data.type !== 'batch') return;
          const b = job.data.batch;
          const finishedAt = Date.now();
          this.metrics.evaluateLatency.observe((finishedAt - b.receivedAt) / 1000);
          let samples = 0;
          for (const s of b.snapshots) samples += Object.keys(s.metrics).length;
          this.opts.onEvaluated?.({ receivedAt: b.receivedAt, finishedAt, samples, events: b.events.length });
        },
      }),
      ...startDeliveryWorkers({
        config,
        keys: this.keys,
        // Sends end in their own time: auto-pipelining gathers the marks of those that end
        // together into one write.
        redis: this.connect({ maxRetriesPerRequest: null, enableAutoPipelining: true }),
        channels: this.channels,
        queues: workQueues.deliver,
        deliver: (ns) => workQueues.deliverAll(ns),
        connection: this.patient,
        metrics: this.metrics,
        logger: this.logger,
        clock: this.clock,
      }),
    );
    // The parents of multi-lane flows complete once their children have (single Redis only).
    if (!config.redis.cluster)
      this.workers.push(
        new Worker(queueNames.receipts, async () => undefined, {
          connection: this.patient(),
          prefix: config.redis.prefix,
        }),
      );
    // Presses of Telegram's "Acknowledge" button: one poller per bot (one process at a time), or its webhook set.
    this.telegramUpdates = TelegramUpdates.start({
      receivers: config.receivers,
      publicUrl: config.server.public_url,
      prefix: config.redis.prefix,
      redis,
      acknowledge: (fp, ack) => alertApi.acknowledge(fp, ack),
      clock: this.clock,
      logger: this.logger,
    });
    if (this.opts.scheduler !== false) {
      const every = config.queue.sweep_every;
      await workQueues.scheduler.upsertJobScheduler(
        'sweep',
        { every },
        { name: 'sweep', opts: { removeOnComplete: 100, removeOnFail: 100 } },
      );
      this.workers.push(
        // A sweep held by a process that died is taken over as soon as an ingest job would be:
        // timers (escalation, reminders, what holds kept back) are late by a lock at most.
        new Worker(queueNames.scheduler, async () => this.sweep(), {
          connection: this.patient(),
          prefix: config.redis.prefix,
          lockDuration: config.queue.lock_duration,
          stalledInterval: config.queue.stalled_interval,
          maxStalledCount: 1000,
        }),
      );
    }
    if (this.opts.scheduler !== false) {
      const digest = new DigestRunner({
        config,
        redis,
        keys: this.keys,
        deliver: (ns) => workQueues.deliverAll(ns),
        clock: this.clock,
        logger: this.logger,
      });
      await digest.start(workQueues.digest);
      this.workers.push(
        new Worker(queueNames.digest, async () => digest.runDue(this.clock()), {
          connection: this.patient(),
          prefix: config.redis.prefix,
          lockDuration: config.queue.lock_duration,
          stalledInterval: config.queue.stalled_interval,
        }),
      );
    }
    // The bots' own /metrics and /health: one job scheduler per target, scraped by whichever
    // process takes the job; each scrape queues one batch, as a push does (src/scrape).
    this.scraping = await startScraping({
      config,
      keys: this.keys,
      redis,
      connection: this.patient,
      enqueue: (batch) => workQueues.enqueue(batch),
      metrics: this.metrics,
      logger: this.logger,
      clock: this.clock,
    });
    if (this.scraping.worker) this.workers.push(this.scraping.worker);
    for (const w of this.workers) w.on('error', () => undefined);
  }

  private async startServer(fast: Redis): Promise<void> {
    const { config } = this.opts;
    const apiQueues = this.apiQueues as Queues;
    const health = () =>
      healthReport({
        redis: fast,
        keys: this.keys,
        ingest: apiQueues.ingest,
        deliver: apiQueues.deliver,
        metrics: this.metrics,
      });
    this.metrics.tracked ??= () => trackedCounts(fast, this.keys);
    // A scrape of /metrics reads what /health reads (queues, receivers, dead letters) and the alerts.
    this.metrics.refresh ??= async () => {
      await health();
      const counts = await alertCounts(fast, this.keys);
      for (const [state, n] of Object.entries(counts)) this.metrics.alertsByState.set({ state }, n);
    };
    this.server = buildServer({
      config: config.server,
      enqueue: (batch) => apiQueues.enqueue(batch),
      health,
      ready: async () => (await health()).status !== 'down',
      metrics: this.metrics,
      caps: new StateCaps(
        fast,
        this.keys,
        config.rules,
        {
          maxSources: config.limits.max_sources,
          maxSeriesPerSource: config.limits.max_series_per_source,
        },
        recentlyTrackedMs(config.limits.idle_evict),
      ),
      alerts: this.alertApi as RedisAlertApi,
      clock: this.clock,
      logger: this.logger,
      digest: new DigestRunner({
        config,
        redis: fast,
        keys: this.keys,
        deliver: async () => undefined,
        clock: this.clock,
        logger: this.logger,
      }),
      ...(config.server.ui.enabled
        ? { sessions: new RedisSessionStore(fast, this.keys, config.server.ui.session_ttl) }
        : {}),
      sources: new RedisSourcesApi(fast, this.keys, this.alertApi as RedisAlertApi, this.clock),
      deadLetters: new RedisDeadLetters(
        fast,
        this.keys,
        apiQueues.deliver,
        config.queue.delivery,
        this.clock,
      ),
      telegram: telegramWebhooks(config.receivers, {
        acknowledge: (fp, ack) => (this.alertApi as RedisAlertApi).acknowledge(fp, ack),
        clock: this.clock,
        logger: this.logger,
      }),
    });
    const port = this.opts.port ?? config.server.port;
    const address = await this.server.listen({ host: config.server.host, port });
    this.url = address.replace('0.0.0.0', '127.0.0.1');
    this.logger.info({ url: this.url }, 'klaxon listening');
  }

  /** Queues a timer sweep of every lane at the clock's time (absence, reminders, windows). */
  async sweep(): Promise<void> {
    const queues = this.workQueues ?? this.apiQueues;
    if (!queues) return;
    const now = this.clock();
    await queues.enqueueTicks(now, Math.floor(now / this.opts.config.queue.sweep_every));
  }

  /**
   * Stops taking work, lets running jobs and requests finish (`shutdownGrace`, 25 s), then
   * forces the workers and closes every connection. Bounded whatever Redis does: it returns
   * within the grace plus a few seconds even when Redis is down or comes back meanwhile (a job
   * cut short stays locked in Redis and another worker takes it over after `queue.lock_duration`).
   * Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const grace = this.opts.shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE;
    const deadline = Date.now() + grace;
    const left = () => Math.max(0, deadline - Date.now());

    // The HTTP server stops listening at once; requests in flight get the grace, then their
    // connections are cut. The workers stop taking jobs meanwhile, and running ones may finish.
    const server = this.server;
    const http = server
      ? settlesWithin(server.close(), grace).then((closed) => {
          if (!closed) server.server.closeAllConnections();
        })
      : Promise.resolve();
    const workers = Promise.allSettled(this.workers.map((w) => w.close()));
    const telegram = this.telegramUpdates?.stop();
    const [, finished] = await Promise.all([http, settlesWithin(workers, left())]);
    if (telegram) await settlesWithin(telegram, Math.max(left(), FORCE_WAIT));
    if (!finished) {
      // Jobs still running, or BullMQ waiting on a Redis that is away (its graceful close waits
      // for the blocking connection to end, which never happens while Redis is unreachable, nor
      // after it returns). Cut the connections: commands pending on them fail, the jobs stay
      // locked in Redis and are taken over by another worker once their lock expires.
      this.logger.warn(
        { graceMs: grace },
        'workers did not stop within the shutdown grace: forcing them; a job cut short runs again on another worker after queue.lock_duration',
      );
      for (const r of this.connections) r.disconnect();
      for (const w of this.workers) stopTimers(w);
      await settlesWithin(workers, FORCE_WAIT);
    }
    await settlesWithin(
      Promise.allSettled([this.apiQueues?.close(), this.workQueues?.close(), this.scraping?.queue.close()]),
      Math.max(left(), FORCE_WAIT),
    );
    await settlesWithin(
      Promise.allSettled([...this.channels.values()].map((c) => c.close?.())),
      Math.max(left(), FORCE_WAIT),
    );
    for (const r of this.connections) r.disconnect();
  }
}

/** Running jobs get this long to finish on `stop()` before the workers are forced (ms). */
export const DEFAULT_SHUTDOWN_GRACE = 25_000;

/** After the grace, how long each forced step may still take (ms). */
const FORCE_WAIT = 1000;

/**
 * A worker whose graceful close hangs (BullMQ #4656: it waits for its blocking connection to
 * end, which a connection waiting to reconnect never does) keeps its stalled-job check, its lock
 * renewal timer and that blocking connection: stop them, so that an App stopped in-process
 * leaves nothing running (the CLI exits anyway). The lock manager and the backend are BullMQ's
 * internals, reached defensively: should they be renamed, this only does less.
 */
function stopTimers(w: Worker): void {
  void w.pause(true).catch(() => undefined);
  const internals = w as unknown as {
    lockManager?: { close?: () => Promise<void> };
    backend?: { blockingConnection?: { close?: (force: boolean) => Promise<void> } };
  };
  void internals.lockManager?.close?.().catch(() => undefined);
  void internals.backend?.blockingConnection?.close?.(true).catch(() => undefined);
}

/** Waits for `p` at most `ms`: true if it settled in time (resolved or rejected), false otherwise. */
async function settlesWithin(p: PromiseLike<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
