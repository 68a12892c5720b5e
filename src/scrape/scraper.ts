/**
 * One scrape of one target: fetch it (undici, within the target's `timeout`), parse, map, and
 * queue what it yields as ONE IngestBatch through the same `Queues.enqueue` a push uses. A
 * target that cannot be scraped pushes nothing, so the absence rules see a silent bot; the
 * failure is logged (never with the target's headers) and counted in
 * `klaxon_scrape_failures_total`. See docs/scrape.md.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { errorCode } from '../channels/http-classify.js';
import type { StateCaps } from '../ingest/caps.js';
import type { IngestBatch } from '../model/batch.js';
import type { Clock } from '../model/clock.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import type { Keys } from '../state/keys.js';
import { ExpositionError, parseExposition } from './exposition.js';
import { healthEvents } from './health.js';
import { mapScrape, type ScrapeMemory } from './map.js';
import type { ScrapeTarget } from './schema.js';

/** A body larger than this is refused (a bot's /metrics is a few KB to a few MB). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** What the classic Prometheus text format is asked for with (not OpenMetrics, not protobuf). */
const PROMETHEUS_ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

export interface ScraperDeps {
  targets: readonly ScrapeTarget[];
  keys: Keys;
  /** Where the counter values of the previous scrape are kept. */
  redis: Redis;
  /** `Queues.enqueue`: the path of a push. */
  enqueue: (batch: IngestBatch) => Promise<void>;
  metrics: KlaxonMetrics;
  logger: Logger;
  clock: Clock;
  /** undici dispatcher (tests; default the global one). */
  dispatcher?: Dispatcher;
  /** The caps of `limits` (`max_sources`, `max_series_per_source`), checked as for a push. */
  caps?: Pick<StateCaps, 'check'>;
}

/** How long the check of limits may wait for Redis before the scrape is given up (a job retries). */
const CAPS_CHECK_MS = 5000;

export type ScrapeOutcome =
  { ok: true; snapshots: number; events: number } | { ok: false; reason: string; message: string };

/** Why a scrape failed, in a word for the log. */
class ScrapeFailure extends Error {
  constructor(
    readonly reason: 'timeout' | 'refused' | 'connection' | 'http' | 'too_large' | 'parse' | 'limit',
    message: string,
  ) {
    super(message);
  }
}

export class Scraper {
  private readonly byName: Map<string, ScrapeTarget>;
  /** Targets whose last scrape failed (in this process): their next failure is logged at debug. */
  private readonly failing = new Set<string>();

  constructor(private readonly deps: ScraperDeps) {
    this.byName = new Map(deps.targets.map((t) => [t.name, t]));
  }

  /**
   * Scrapes `name` once. `runId` names this run (the scheduler's job id): the batch id derives
   * from it, so a job run again after its worker died queues nothing twice. Throws only when the
   * batch cannot be queued (Redis away), never because the target failed.
   */
  async scrape(name: string, runId: string): Promise<ScrapeOutcome> {
    const { metrics, logger } = this.deps;
    const target = this.byName.get(name);
    if (!target) {
      logger.warn({ target: name }, 'scrape job for a target this process does not configure; skipped');
      return { ok: false, reason: 'unknown', message: `no target ${name}` };
    }
    const now = this.deps.clock();
    const started = performance.now();
    try {
      const collected = await this.collect(target, runId, now);
      const { batch, refused } = await this.withinCaps(target, collected.batch);
      if (batch.snapshots.length > 0 || batch.events.length > 0) await this.deps.enqueue(batch);
      const samples = sampleCount(batch);
      if (samples > 0) metrics.inputs.inc({ kind: 'sample' }, samples);
      if (batch.events.length > 0) metrics.inputs.inc({ kind: 'event' }, batch.events.length);
      // The counter values are kept once the events worked out from them are queued (a scrape
      // refused by a cap may still queue them): the next scrape counts only what came after.
      if (collected.memory && batch.events.length === collected.batch.events.length)
        await this.remember(target, collected.memory);
      if (refused) throw refused;
      if (this.failing.delete(name))
        logger.info({ target: name, endpoint: endpoint(target) }, 'scrape works again');
      return { ok: true, snapshots: batch.snapshots.length, events: batch.events.length };
    } catch (err) {
      if (!(err instanceof ScrapeFailure)) throw err;
      metrics.scrapeFailures.inc({ target: name });
      const first = !this.failing.has(name);
      this.failing.add(name);
      logger[first ? 'warn' : 'debug'](
        { target: name, endpoint: endpoint(target), reason: err.reason, err: err.message },
        err.reason === 'limit'
          ? 'scrape refused by limits: see err for what was left out'
          : 'scrape failed: nothing pushed for this target (its absence rules will see a silent bot)',
      );
      return { ok: false, reason: err.reason, message: err.message };
    } finally {
      metrics.scrapeDuration.observe({ target: name }, (performance.now() - started) / 1000);
    }
  }

  /**
   * The part of a scrape the caps of `limits` let in, as a push would be checked. Past
   * `max_series_per_source` the metrics are left out but the heartbeats and events still go (the
   * bot answered: it is not down); past `max_sources` nothing goes. Either way the scrape counts
   * as failed with the reason `limit`, which says which cap and why.
   */
  private async withinCaps(
    target: ScrapeTarget,
    batch: IngestBatch,
  ): Promise<{ batch: IngestBatch; refused?: ScrapeFailure }> {
    const caps = this.deps.caps;
    if (!caps) return { batch };
    const paths = { item: () => ['scrape', target.name], source: () => `scrape.${target.name}.source` };
    const verdict = await caps.check(batch, paths, CAPS_CHECK_MS);
    if (!verdict) return { batch };
    const first = verdict.errors[0];
    const refused = new ScrapeFailure(
      'limit',
      `${first?.path ?? target.name}: ${first?.message ?? verdict.limit}; ${
        verdict.limit === 'max_series_per_source' ? 'its metrics were left out' : 'nothing was queued'
      }`,
    );
    const eventsOnly = { ...batch, snapshots: [] };
    const eventsGo =
      verdict.limit === 'max_series_per_source' &&
      batch.events.length > 0 &&
      !(await caps.check(eventsOnly, paths, CAPS_CHECK_MS));
    // Counted as a push's refusal is: the inputs left out.
    this.deps.metrics.capRefused.inc(
      { limit: verdict.limit },
      sampleCount(batch) + (eventsGo ? 0 : batch.events.length),
    );
    return { batch: eventsGo ? eventsOnly : { ...batch, snapshots: [], events: [] }, refused };
  }

  /** Fetches and maps the target: the batch to queue, and the memory to keep once it is queued. */
  private async collect(
    target: ScrapeTarget,
    runId: string,
    now: number,
  ): Promise<{ batch: IngestBatch; memory?: ScrapeMemory }> {
    const id = `scrape.${target.name}.${runId}`.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 200);
    const batch: IngestBatch = {
      id,
      correlationId: id,
      receivedAt: now,
      snapshots: [],
      events: [],
      alerts: [],
    };
    const answer = await this.fetch(target);
    if (target.format === 'health') {
      const verdict = healthEvents(
        answer,
        { name: target.name, source: target.source as string, heartbeat: target.heartbeat },
        now,
      );
      if (!verdict.ok) throw new ScrapeFailure('http', verdict.reason);
      return { batch: { ...batch, events: verdict.events } };
    }
    if (answer.status < 200 || answer.status >= 300) throw new ScrapeFailure('http', `HTTP ${answer.status}`);
    let families;
    try {
      families = parseExposition(answer.body);
    } catch (err) {
      if (err instanceof ExpositionError)
        throw new ScrapeFailure('parse', `not the Prometheus text format: ${err.message}`);
      throw err;
    }
    const prev = await this.recall(target);
    const result = mapScrape(families, target, prev, now);
    if (result.notes.length > 0)
      this.deps.logger.debug({ target: target.name, notes: result.notes }, 'scrape notes');
    return {
      batch: { ...batch, snapshots: result.snapshots, events: result.events },
      memory: result.memory,
    };
  }

  private async fetch(target: ScrapeTarget): Promise<{ status: number; body: string }> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), target.timeout);
    try {
      const res = await request(target.url, {
        method: 'GET',
        headers: {
          accept: target.format === 'health' ? 'application/json' : PROMETHEUS_ACCEPT,
          'user-agent': 'klaxon-scrape',
          ...target.headers,
        },
        signal: abort.signal,
        headersTimeout: target.timeout,
        bodyTimeout: target.timeout,
        ...(this.deps.dispatcher ? { dispatcher: this.deps.dispatcher } : {}),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new ScrapeFailure('too_large', `the answer is larger than ${MAX_BODY_BYTES} bytes`);
        }
        chunks.push(chunk);
      }
      return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (err instanceof ScrapeFailure) throw err;
      throw classify(err, abort.signal.aborted, target.timeout);
    } finally {
      clearTimeout(timer);
    }
  }

  private async recall(target: ScrapeTarget): Promise<ScrapeMemory | undefined> {
    const raw = await this.deps.redis.get(this.deps.keys.scrapeMemory(target.name));
    if (!raw) return undefined;
    try {
      const m = JSON.parse(raw) as Partial<ScrapeMemory>;
      return typeof m.ts === 'number' && m.values && typeof m.values === 'object'
        ? (m as ScrapeMemory)
        : undefined;
    } catch {
      return undefined;
    }
  }

  private async remember(target: ScrapeTarget, memory: ScrapeMemory): Promise<void> {
    // Kept a while after the last scrape: a restart does not lose a rate, a removed target is forgotten.
    const ttl = Math.max(10 * target.interval, 600_000);
    await this.deps.redis.set(this.deps.keys.scrapeMemory(target.name), JSON.stringify(memory), 'PX', ttl);
  }
}

/** Samples of a batch, as `klaxon_inputs_total` counts them. */
function sampleCount(batch: IngestBatch): number {
  return batch.snapshots.reduce((n, s) => n + Object.keys(s.metrics).length, 0);
}

/** Where a target is, for the log: scheme, host and path, without credentials or query. */
export function endpoint(target: ScrapeTarget): string {
  const u = new URL(target.url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function classify(err: unknown, aborted: boolean, timeout: number): ScrapeFailure {
  const e = err as { message?: string };
  const code = errorCode(err);
  if (
    aborted ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  )
    return new ScrapeFailure('timeout', `no complete answer within ${timeout} ms`);
  if (code === 'ECONNREFUSED') return new ScrapeFailure('refused', 'connection refused');
  return new ScrapeFailure(
    'connection',
    code ? `${code}: ${e.message ?? ''}`.trim() : (e.message ?? String(err)),
  );
}
