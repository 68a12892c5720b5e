import { z } from 'zod';
import { receiversSchema } from '../channels/registry.js';
import { ruleSchema } from '../detectors/rules/schema.js';
import { digestConfigSchema } from '../digest/config.js';
import { ingestConfigSchema } from '../ingest/config.js';
import { durationSchema, positiveDurationSchema } from '../model/duration.js';
import { routeSchema } from '../routing/routes.js';
import { inhibitRuleSchema } from '../routing/inhibition.js';
import { configSilenceSchema } from '../routing/silences.js';
import { scrapeSchema } from '../scrape/schema.js';

const dedupDefaults = z.strictObject({ window: positiveDurationSchema, max: z.int().min(1).max(1000) });

export const configSchema = z.strictObject({
  redis: z
    .strictObject({
      /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). */
      url: z
        .string()
        .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
        .default('redis://127.0.0.1:6379'),
      /** Every key Klaxon writes starts with this (BullMQ queues too). */
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only')
        .default('klaxon'),
      /**
       * Seed nodes of a Redis Cluster (`redis://[:password@]host:port`); when set, Klaxon connects
       * to the cluster (ioredis `Cluster`) and `url` is not used. See docs/scaling.md.
       */
      cluster: z
        .array(z.string().regex(/^rediss?:\/\/[^/]+\/?$/, 'a redis:// or rediss:// URL without a database'))
        .min(1)
        .optional(),
    })
    .prefault({}),
  server: ingestConfigSchema.prefault({}),
  queue: z
    .strictObject({
      /** Ingest is split into this many ordered lanes by source; more lanes, more parallel workers. */
      shards: z.int().min(1).max(256).default(8),
      /** How long a worker holds a job before others may take it over (it renews while alive). */
      lock_duration: positiveDurationSchema.default(30_000),
      /** How often workers look for jobs whose worker died. */
      stalled_interval: positiveDurationSchema.default(30_000),
      /** Timers (absence, repeats, windows) are checked this often. */
      sweep_every: positiveDurationSchema.default(10_000),
      delivery: z
        .strictObject({
          attempts: z.int().min(1).max(1000).default(40),
          backoff: positiveDurationSchema.default(1000),
          max_backoff: positiveDurationSchema.default(300_000),
          timeout: positiveDurationSchema.default(15_000),
          /** Delivery jobs a process runs at once per receiver. */
          concurrency: z.int().min(1).max(100).default(4),
          /** Notifications of one receiver that travel in one delivery job. */
          batch: z.int().min(1).max(1000).default(100),
          /** Sends a batch job has in flight at once (different threads; a thread goes in order). */
          in_flight: z.int().min(1).max(1000).default(32),
        })
        .prefault({}),
    })
    .prefault({}),
  defaults: z
    .strictObject({
      /** For rules and alerts that name none (the bots' own default: 5 minutes, 3 notifications). */
      dedup: dedupDefaults.default({ window: 300_000, max: 3 }),
      repeat: z.union([z.literal('never'), durationSchema]).default(4 * 3_600_000),
      resolve_after: durationSchema.default(3_600_000),
      flapping: z
        .strictObject({ window: positiveDurationSchema.default(600_000), max: z.int().min(2).default(6) })
        .prefault({}),
      /** Resolved alerts stay listed (and count for dedup) this long. */
      retain_resolved: durationSchema.default(86_400_000),
      /** Dedup for alerts pushed by bots on /v1/alerts and for Alertmanager alerts. */
      direct: z.strictObject({ dedup: dedupDefaults.optional() }).prefault({}),
    })
    .prefault({}),
  /**
   * Bounds on the state kept per source (see src/state/eviction.ts): rule and detector states
   * idle longer than `idle_evict` are forgotten by the timer sweep, and ingest refuses what would
   * track more sources, or more series of one source, than the caps.
   */
  limits: z
    .strictObject({
      /** Distinct sources tracked at once; a request that would add more is refused (422). */
      max_sources: z.int().min(1).max(10_000_000).default(10_000),
      /** Distinct rule and detector states (series) of one source; more is refused (422). */
      max_series_per_source: z.int().min(1).max(1_000_000).default(1000),
      idle_evict: z
        .strictObject({
          /** A series with no input this long is forgotten (its detector warms up again). */
          series: z.union([z.literal('never'), positiveDurationSchema]).default(7 * 86_400_000),
          /** A source with no input this long is forgotten, with every series it has left. */
          sources: z.union([z.literal('never'), positiveDurationSchema]).default(7 * 86_400_000),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Caps on notifications; what overflows is folded into one "N more alerts" message. */
  rate_limits: z
    .strictObject({
      global: z.strictObject({ max: z.int().min(1), per: durationSchema }).optional(),
      per_receiver: z.strictObject({ max: z.int().min(1), per: durationSchema }).optional(),
    })
    .prefault({}),
  receivers: receiversSchema.prefault({ console: { type: 'console' } }),
  routes: routeSchema.default({ receivers: ['console'] }),
  /** Rule sets shipped in `config/presets/` (by name) or YAML files (by path). */
  presets: z.array(z.string()).default([]),
  rules: z.array(ruleSchema).default([]),
  silences: z.array(configSilenceSchema).default([]),
  /** While an alert matching a rule's source fires, alerts matching its target are muted. */
  inhibit_rules: z.array(inhibitRuleSchema).default([]),
  /** The daily digest: schedule, receivers, what is recorded for it. */
  digest: digestConfigSchema,
  /** Targets Klaxon scrapes itself: the bots' Prometheus `/metrics` and JSON `/health` (docs/scrape.md). */
  scrape: scrapeSchema.default([]),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type KlaxonConfig = z.output<typeof configSchema>;
export type KlaxonConfigInput = z.input<typeof configSchema>;
