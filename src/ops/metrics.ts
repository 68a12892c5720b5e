import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Klaxon's own Prometheus metrics. One instance per process, shared by every part of it. */
export class KlaxonMetrics {
  readonly registry = new Registry();

  readonly inputs = new Counter({
    name: 'klaxon_inputs_total',
    help: 'Inputs accepted, by kind (sample, event, alert, alertmanager_alert)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'klaxon_requests_rejected_total',
    help: 'Ingest requests refused, by route and HTTP status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  readonly ingestLatency = new Histogram({
    name: 'klaxon_ingest_duration_seconds',
    help: 'Time from request arrival to the batch being durably queued',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly evaluated = new Counter({
    name: 'klaxon_evaluated_total',
    help: 'Samples and events evaluated by the worker',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly evaluateLatency = new Histogram({
    name: 'klaxon_evaluate_duration_seconds',
    help: 'Time from HTTP accept to the end of evaluation of a batch (delivery jobs enqueued)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly transitions = new Counter({
    name: 'klaxon_alert_transitions_total',
    help: 'Alert state changes, by the new status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly alertsByState = new Gauge({
    name: 'klaxon_alerts',
    help: 'Alerts known, by state (refreshed on scrape)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => this.readRefresh(),
  });

  readonly notifications = new Counter({
    name: 'klaxon_notifications_total',
    help: 'Delivery attempts, by receiver and result (sent, retry, failed: refused for good, dead: dead-lettered, held: folded by a rate limit, throttled: waited for the service limit, fallback: handed to a fallback receiver)',
    labelNames: ['receiver', 'result'] as const,
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'klaxon_delivery_duration_seconds',
    help: 'Time one send to a receiver took',
    labelNames: ['receiver'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly receiverState = new Gauge({
    name: 'klaxon_receiver_state',
    help: 'Delivery state of each receiver, 1 for the state it is in: ok, failing (retrying) or broken (refused for good until its config is fixed); refreshed on scrape',
    labelNames: ['receiver', 'state'] as const,
    registers: [this.registry],
    collect: () => this.readRefresh(),
  });

  readonly queueDepth = new Gauge({
    name: 'klaxon_queue_jobs',
    help: 'Jobs per queue and state (refreshed on scrape)',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
    collect: () => this.readRefresh(),
  });

  readonly evicted = new Counter({
    name: 'klaxon_evictions_total',
    help: 'Rule and detector states (what: series) and sources (what: source) forgotten after being idle for limits.idle_evict',
    labelNames: ['what'] as const,
    registers: [this.registry],
  });

  readonly capRefused = new Counter({
    name: 'klaxon_inputs_refused_total',
    help: 'Inputs refused (of requests, and of scrapes) because they would pass a cap, by limit (max_sources, max_series_per_source)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly scrapeFailures = new Counter({
    name: 'klaxon_scrape_failures_total',
    help: 'Scrapes of a `scrape:` target that failed: timeout, connection refused, an HTTP status other than 2xx (and 503 for a health target), a body that does not parse (these push nothing), or a cap of limits passed (what passed it is left out)',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly scrapeDuration = new Histogram({
    name: 'klaxon_scrape_duration_seconds',
    help: 'Time one scrape of a target took, from request to the batch queued (failed ones too)',
    labelNames: ['target'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Set by the process: counts the sources and series tracked in Redis, on scrape. */
  tracked?: () => Promise<{ sources: number; series: number }>;
  /** One read for both gauges of a scrape. */
  private readonly readTracked = sharedRead(() => this.tracked?.());
  readonly trackedSources = new Gauge({
    name: 'klaxon_tracked_sources',
    help: 'Sources whose inputs Klaxon tracks (refreshed on scrape; bounded by limits.max_sources)',
    registers: [this.registry],
    collect: async () => {
      const t = await this.readTracked();
      if (t) this.trackedSources.set(t.sources);
    },
  });

  readonly trackedSeries = new Gauge({
    name: 'klaxon_tracked_series',
    help: 'Rule and detector states (series) kept in Redis (refreshed on scrape)',
    registers: [this.registry],
    collect: async () => {
      const t = await this.readTracked();
      if (t) this.trackedSeries.set(t.series);
    },
  });

  /**
   * Set by the process: reads queue depths, receiver states, alert counts and dead letters just
   * before a scrape. One read serves every gauge it sets (prom-client collects them side by side).
   */
  refresh?: () => Promise<void>;
  private readonly readRefresh = sharedRead(() => this.refresh?.());
  readonly deadLetters = new Gauge({
    name: 'klaxon_dead_letters',
    help: 'Notifications that exhausted their retries (refreshed on scrape)',
    registers: [this.registry],
    collect: () => this.readRefresh(),
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // Shown at zero from the start, so that a rate over them needs no first event.
    for (const what of ['series', 'source']) this.evicted.inc({ what }, 0);
    for (const limit of ['max_sources', 'max_series_per_source']) this.capRefused.inc({ limit }, 0);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'klaxon_' });
  }
}

/**
 * A read that the gauges of one scrape share: prom-client collects them side by side, so a call
 * while one is under way waits for it instead of reading again; a failed read gives undefined.
 */
function sharedRead<T>(read: () => Promise<T> | undefined): () => Promise<T | undefined> {
  let pending: Promise<T | undefined> | undefined;
  return () =>
    (pending ??= (read() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .finally(() => {
        pending = undefined;
      }));
}
