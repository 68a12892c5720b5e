import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/app.js';
import { QueueUnavailableError } from '../../src/ingest/errors.js';
import type { IngestBatch } from '../../src/model/batch.js';
import { createLogger, silentLogger } from '../../src/ops/logger.js';
import { isRedisUnavailable } from '../../src/state/redis-errors.js';
import { Keys } from '../../src/state/keys.js';
import { EnqueueError, Queues } from '../../src/worker/queues.js';
import { cleanRedis, testConfig, TestKlaxon, TOKEN } from '../support/klaxon.js';
import { Recorder, waitFor } from '../support/recorder.js';
import { freePort, OwnRedis } from '../support/redis-server.js';

/** Redis goes away and comes back: ingest says 503 at once, then works again with nothing lost. */
describe('a Redis outage', () => {
  let redis: OwnRedis;
  let app: App;
  const recorder = new Recorder();

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    await recorder.start();
    const config = testConfig(`klaxon-test-outage-${process.pid}`, recorder.url, {});
    config.redis.url = redis.url;
    app = await App.start({ config, role: 'serve', port: 0, scheduler: false, logger: silentLogger() });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
    await recorder.close();
  });

  const alert = (name: string) =>
    fetch(`${app.url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'bot', name, severity: 'critical', title: name }),
    });

  it('answers 503 within 2 s while Redis is down, and serves normally once it is back', async () => {
    expect((await alert('before')).status).toBe(202);
    await waitFor(() => recorder.received.length === 1, 10_000, 'the first notification');

    await redis.stop();
    const started = Date.now();
    const res = await alert('during');
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await res.json()).toMatchObject({ error: 'queue_unavailable' });
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(503);

    await redis.start();
    await waitFor(async () => (await alert('after')).status === 202, 15_000, 'ingest to accept again');
    await waitFor(() => recorder.of('after').length === 1, 15_000, 'the notification after the outage');
    expect(recorder.of('during')).toHaveLength(0);
  });
});

/** With persistence on, what was accepted before a Redis crash is evaluated and told after it. */
describe('a Redis restart with persistence', () => {
  it('keeps accepted inputs across a crash of Redis', async () => {
    const redis = new OwnRedis(await freePort());
    await redis.start({ appendonly: true });
    const recorder = await new Recorder().start();
    const config = testConfig(`klaxon-test-persist-${process.pid}`, recorder.url, {});
    config.redis.url = redis.url;
    // Only the API runs: the inputs wait in the queue.
    const api = await App.start({ config, role: 'api', port: 0, scheduler: false, logger: silentLogger() });
    let worker: App | undefined;
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${api.url}/v1/alerts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ source: `bot-${i}`, name: 'kept', severity: 'critical', title: 'kept' }),
        });
        expect(res.status).toBe(202);
      }
      await redis.stop();
      await redis.start({ appendonly: true });
      worker = await App.start({ config, role: 'worker', scheduler: false, logger: silentLogger() });
      await waitFor(() => recorder.of('kept').length === 5, 20_000, 'the five notifications');
    } finally {
      await worker?.stop();
      await api.stop();
      await redis.stop();
      await recorder.close();
    }
  });
});

/** A logger whose JSON lines the test reads back. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  type Line = { level: number; msg: string; err?: { message?: string; stack?: string } };
  return { logger, entries: () => lines.map((l) => JSON.parse(l) as Line) };
}

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/** Every admin route, with what it needs. */
const ADMIN_CALLS: { method: string; path: string; body?: unknown }[] = [
  { method: 'GET', path: '/v1/alerts' },
  { method: 'GET', path: '/v1/alerts?status=firing' },
  { method: 'GET', path: '/v1/alerts/0123456789abcdef01234567' },
  { method: 'POST', path: '/v1/alerts/0123456789abcdef01234567/ack', body: { by: 'alice' } },
  { method: 'GET', path: '/v1/silences' },
  {
    method: 'POST',
    path: '/v1/silences',
    body: { matchers: [{ name: 'source', value: 'bot' }], duration: '1h', createdBy: 'alice' },
  },
  { method: 'DELETE', path: '/v1/silences/0a35a8c3-9d37-4f96-ad8b-b5bcaaf300ca' },
];

/**
 * Redis unreachable or too slow is a 503 to retry, for ingest and the admin routes alike, and
 * only that: a failure of Klaxon's own is a 500 logged as a bug, never blamed on Redis.
 */
describe('what a 503 means', () => {
  let redis: OwnRedis;
  let app: App;
  let log: ReturnType<typeof capturingLogger>;
  const recorder = new Recorder();

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    await recorder.start();
    const config = testConfig(`klaxon-test-outage-admin-${process.pid}`, recorder.url, {});
    config.redis.url = redis.url;
    config.server.enqueue_timeout = 1000;
    log = capturingLogger();
    // Redis goes away and is paused here: BullMQ may then need the forced close (see App.stop).
    app = await App.start({
      config,
      role: 'serve',
      port: 0,
      scheduler: false,
      logger: log.logger,
      shutdownGrace: 2000,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
    await recorder.close();
  });

  const call = (c: (typeof ADMIN_CALLS)[number]) =>
    fetch(`${app.url}${c.path}`, {
      method: c.method,
      headers: c.body === undefined ? { authorization: headers.authorization } : headers,
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
    });

  it('admin routes answer 503 queue_unavailable with Retry-After at once while Redis is down, and work again after', async () => {
    for (const c of ADMIN_CALLS) expect([200, 201, 404]).toContain((await call(c)).status);

    await redis.stop();
    for (const c of ADMIN_CALLS) {
      const started = Date.now();
      const res = await call(c);
      expect({ route: `${c.method} ${c.path}`, status: res.status }).toEqual({
        route: `${c.method} ${c.path}`,
        status: 503,
      });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = (await res.json()) as { error: string; message: string };
      expect(body).toEqual({
        error: 'queue_unavailable',
        message: expect.stringMatching(/^Redis is unavailable.*; send it again later$/),
      });
    }
    // Ingest, as before, says the same.
    const ingest = await fetch(`${app.url}/v1/alerts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ source: 'bot', name: 'x', severity: 'warning', title: 'x' }),
    });
    expect(ingest.status).toBe(503);
    expect(ingest.headers.get('retry-after')).toBe('5');
    expect(await ingest.json()).toMatchObject({ error: 'queue_unavailable' });
    // Logged as Redis being away, never as a Klaxon bug.
    expect(log.entries().filter((e) => e.level >= 50)).toEqual([]);
    expect(log.entries().filter((e) => e.msg === 'queue unavailable').length).toBe(ADMIN_CALLS.length + 1);

    await redis.start();
    await waitFor(async () => (await call(ADMIN_CALLS[0]!)).status === 200, 15_000, 'admin to answer again');
    for (const c of ADMIN_CALLS) expect([200, 201, 404]).toContain((await call(c)).status);
  });

  it('a Redis that does not answer in time (CLIENT PAUSE) is a 503 within server.enqueue_timeout', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '2000', 'ALL');
      const started = Date.now();
      const [list, ingest] = await Promise.all([
        call(ADMIN_CALLS[0]!),
        fetch(`${app.url}/v1/alerts`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ source: 'bot', name: 'slow', severity: 'warning', title: 'slow' }),
        }),
      ]);
      expect(Date.now() - started).toBeLessThan(1900);
      for (const res of [list, ingest]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(await res.json()).toMatchObject({ error: 'queue_unavailable' });
      }
      expect(log.entries().filter((e) => e.level >= 50)).toEqual([]);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
  });

  it('a full Redis (maxmemory with noeviction) refuses writes with a 503; reads still work', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      const ingest = await fetch(`${app.url}/v1/alerts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ source: 'bot', name: 'full', severity: 'warning', title: 'full' }),
      });
      expect(ingest.status).toBe(503);
      expect(ingest.headers.get('retry-after')).toBe('5');
      const silence = await call(ADMIN_CALLS.find((c) => c.path === '/v1/silences' && c.method === 'POST')!);
      expect(silence.status).toBe(503);
      expect((await call(ADMIN_CALLS[0]!)).status).toBe(200);
      expect(log.entries().filter((e) => e.level >= 50)).toEqual([]);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    }
  });
});

describe('a failure of Klaxon’s own while queueing', () => {
  const prefix = `klaxon-test-outage-bug-${process.pid}`;
  afterEach(() => vi.restoreAllMocks());

  it('an unserialisable batch is an EnqueueError (a bug), not QueueUnavailableError, with a real Redis', async () => {
    const config = testConfig(prefix, 'http://127.0.0.1:9/hook', {});
    const redis = new Redis(config.redis.url);
    const queues = new Queues(config, new Keys(config.redis.prefix, config.queue.shards), redis);
    try {
      const batch = {
        id: 'b1',
        receivedAt: Date.now(),
        snapshots: [{ source: 'bot', ts: Date.now(), metrics: { x: 1 }, labels: {}, extra: 1n }],
        events: [],
        alerts: [],
      } as unknown as IngestBatch;
      const err = await queues.enqueue(batch).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EnqueueError);
      expect(err).not.toBeInstanceOf(QueueUnavailableError);
      expect((err as Error).message).toMatch(/Klaxon bug.*Redis is not the cause.*BigInt/);
      expect((err as Error).cause).toBeInstanceOf(TypeError);
      // A batch over several lanes goes through the flow producer: the same.
      const wide = {
        ...batch,
        snapshots: Array.from({ length: 16 }, (_, i) => ({
          source: `bot-${i}`,
          ts: 1,
          metrics: {},
          labels: {},
          extra: 1n,
        })),
      } as unknown as IngestBatch;
      await expect(queues.enqueue(wide)).rejects.toBeInstanceOf(EnqueueError);
    } finally {
      await queues.close();
      redis.disconnect();
      await cleanRedis(config);
    }
  });

  it('answers 500 internal_error, without Retry-After, and logs it as a Klaxon bug with its stack', async () => {
    const log = capturingLogger();
    const k = new TestKlaxon(`${prefix}-http`);
    await k.start({}, { logger: log.logger });
    try {
      const add = Queue.prototype.add;
      // The batch as validated, plus a value JSON cannot hold: BullMQ's own serialisation fails.
      vi.spyOn(Queue.prototype, 'add').mockImplementation(function (this: Queue, name, data, opts) {
        const job = data as { type: string; batch: Record<string, unknown> };
        return add.call(this, name, { ...job, batch: { ...job.batch, poison: 1n } }, opts);
      });
      const res = await k.post('/v1/alerts', { source: 'bot', name: 'x', severity: 'warning', title: 'x' });
      expect(res.status).toBe(500);
      expect(res.headers.get('retry-after')).toBeNull();
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('internal_error');
      expect(body.message).toContain(res.headers.get('x-request-id'));
      const errors = log.entries().filter((e) => e.level >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.err?.message).toMatch(/Klaxon bug/);
      expect(errors[0]?.err?.stack).toMatch(/TypeError: Do not know how to serialize a BigInt\n\s+at /);
      expect(log.entries().some((e) => e.msg === 'queue unavailable')).toBe(false);

      vi.restoreAllMocks();
      expect(
        (await k.post('/v1/alerts', { source: 'bot', name: 'y', severity: 'warning', title: 'y' })).status,
      ).toBe(202);
    } finally {
      await k.close();
    }
  });
});

describe('isRedisUnavailable', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });

  it('says yes to what means Redis is unreachable or too slow', () => {
    for (const err of [
      withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).'),
      new Error('connect ETIMEDOUT'),
      new Error('Command timed out'),
      new QueueUnavailableError('the ingest queue (Redis) did not confirm the batch within 10000 ms'),
      new Error('LOADING Redis is loading the dataset in memory'),
      new Error("OOM command not allowed when used memory > 'maxmemory'."),
      new Error('wrapped', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }),
    ])
      expect({ err: err.message, unavailable: isRedisUnavailable(err) }).toEqual({
        err: err.message,
        unavailable: true,
      });
  });

  it('says no to our own failures and to other Redis errors', () => {
    for (const err of [
      new TypeError('Do not know how to serialize a BigInt'),
      new TypeError('Converting circular structure to JSON'),
      new Error("Cannot read properties of undefined (reading 'id')"),
      new Error('ERR Error running script (call to f_1234): @user_script:1: oops'),
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new Error('the connection is closed, said a channel'),
      'a string',
      undefined,
    ])
      expect(isRedisUnavailable(err)).toBe(false);
  });
});
