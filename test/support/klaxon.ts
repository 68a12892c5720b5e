import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { App, type AppOptions } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import type { KlaxonConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/ops/logger.js';
import { queueNames } from '../../src/state/keys.js';
import { connectRedis } from '../../src/state/redis-connect.js';
import { Recorder, waitFor } from './recorder.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const AM_TOKEN = 'test-alertmanager-token-0123456789';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A raw config (as a YAML file holds it) for tests: its own key prefix, one admin bearer token,
 * a webhook receiver to `recorderUrl`; `extra` replaces whole sections.
 */
export function testRaw(
  prefix: string,
  recorderUrl: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    redis: { url: REDIS_URL, prefix },
    server: {
      host: '127.0.0.1',
      tokens: [{ name: 'bots', token: TOKEN, sources: ['*'], admin: true }],
      alertmanager: { token: AM_TOKEN },
      rate_limit: { max: 100_000 },
    },
    queue: { shards: 4, delivery: { backoff: 50, max_backoff: 200, attempts: 5 } },
    receivers: { hook: { type: 'webhook', url: recorderUrl } },
    routes: { receivers: ['hook'] },
    ...extra,
  };
}

/** Queue settings for tests that kill workers: a dead worker's job is taken over within ~3 s. */
export const quickTakeover = (shards: number, extra: Record<string, unknown> = {}) => ({
  shards,
  lock_duration: '2s',
  stalled_interval: '1s',
  delivery: { backoff: 50, attempts: 5 },
  ...extra,
});

/** `testRaw`, validated. */
export function testConfig(
  prefix: string,
  recorderUrl: string,
  extra: Record<string, unknown> = {},
): KlaxonConfig {
  return validateConfig(testRaw(prefix, recorderUrl, extra), 'test').config;
}

/** A running Klaxon with a recorder, cleaned up (keys and queues) by `close`. */
export class TestKlaxon {
  app!: App;
  readonly recorder = new Recorder();
  config!: KlaxonConfig;

  constructor(readonly prefix: string) {}

  /** `extra` overrides config sections; as a function it gets the recorder's URL. */
  async start(
    extra: Record<string, unknown> | ((recorderUrl: string) => Record<string, unknown>) = {},
    opts: Partial<AppOptions> = {},
  ): Promise<this> {
    await this.recorder.start();
    this.config = testConfig(
      this.prefix,
      this.recorder.url,
      typeof extra === 'function' ? extra(this.recorder.url) : extra,
    );
    this.app = await App.start({
      config: this.config,
      role: 'serve',
      port: 0,
      scheduler: false,
      logger: silentLogger(),
      ...opts,
    });
    return this;
  }

  post(path: string, body: unknown, token = TOKEN): Promise<Response> {
    return fetch(`${this.app.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
  }

  /** Posts and expects 202. */
  async push(path: string, body: unknown, token = TOKEN): Promise<void> {
    const res = await this.post(path, body, token);
    if (res.status !== 202) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  }

  /** Waits until every ingest lane and delivery queue is empty. */
  async idle(ms = 10_000): Promise<void> {
    await waitUntilIdle(this.config, ms);
  }

  async close(): Promise<void> {
    await this.app?.stop();
    await this.recorder.close();
    await cleanRedis(this.config);
  }
}

/** Waits until every ingest lane and delivery queue is empty, on one Redis or a cluster. */
export async function waitUntilIdle(config: KlaxonConfig, ms = 10_000): Promise<void> {
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const queues = [
    ...Array.from({ length: config.queue.shards }, (_, i) => queueNames.ingest(i)),
    ...Object.keys(config.receivers).map(queueNames.deliver),
  ].map((name) => new Queue(name, { connection: redis, prefix: config.redis.prefix }));
  try {
    let quietSince = 0;
    await waitFor(
      async () => {
        const counts = await Promise.all(
          queues.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children')),
        );
        const busy = counts.some((c) => Object.values(c).some((n) => n > 0));
        if (busy) quietSince = 0;
        else quietSince ||= Date.now();
        return quietSince > 0 && Date.now() - quietSince > 150;
      },
      ms,
      'queues to drain',
    );
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  }
}

/** Deletes every key under the config's prefix (queues included). Never touches other keys. */
export async function cleanRedis(config: KlaxonConfig | undefined): Promise<void> {
  if (!config) return;
  const redis = new Redis(config.redis.url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.redis.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
