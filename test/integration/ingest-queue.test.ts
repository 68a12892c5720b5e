import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueNames } from '../../src/state/keys.js';
import { TestKlaxon } from '../support/klaxon.js';

/** Bad input never reaches the queue, not even the good part of a batch. */
describe('ingest with the real queue', () => {
  const k = new TestKlaxon(`klaxon-test-ingestq-${process.pid}`);
  let redis: Redis;
  beforeAll(async () => {
    await k.start();
    redis = new Redis(k.config.redis.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await k.close();
  });

  const queued = async () => {
    let n = 0;
    for (let i = 0; i < k.config.queue.shards; i++) {
      const q = new Queue(queueNames.ingest(i), { connection: redis, prefix: k.config.redis.prefix });
      const c = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
      n += Object.values(c).reduce((a, b) => a + b, 0);
      await q.close();
    }
    return n;
  };

  it('rejects a batch with one bad snapshot whole, naming the field', async () => {
    const res = await k.post('/v1/metrics', [
      { source: 'a', metrics: { equity: 100 } },
      { source: 'a', metrics: { equity: 'lots' } },
      { source: 'a', metrics: { equity: 101 } },
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(['[1].metrics.equity']);
    expect(await queued()).toBe(0);
  });

  it('rejects NaN from a Python bot, naming the metric', async () => {
    const res = await k.post('/v1/metrics', '{"source": "a", "metrics": {"equity": NaN}}');
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('equity');
    expect(await queued()).toBe(0);
  });

  it('refuses a wrong token and queues nothing', async () => {
    const res = await k.post(
      '/v1/metrics',
      { source: 'a', metrics: { equity: 1 } },
      'wrong-token-0123456789',
    );
    expect(res.status).toBe(401);
    expect(await queued()).toBe(0);
  });

  it('queues a good batch once', async () => {
    await k.push('/v1/metrics', [{ source: 'a', metrics: { equity: 1 } }]);
    await k.idle();
    expect(await queued()).toBe(1);
  });
});
