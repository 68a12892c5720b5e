import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/model/notification.js';
import { queueNames } from '../../src/state/keys.js';
import { TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

/**
 * An alert storm: the notifications one request produces for a receiver travel in batch jobs of
 * `delivery.batch`, and go out once each, with retries, waits and the order of each thread kept.
 */
const storm = (prefix: string, count: number, status: 'firing' | 'resolved' = 'firing') =>
  Array.from({ length: count }, (_, i) => ({
    source: 'exchange-outage',
    name: `${prefix}-${i}`,
    severity: 'critical',
    title: `${prefix} ${i}`,
    status,
  }));

describe('delivery in batches', () => {
  const k = new TestKlaxon(`klaxon-test-delivery-batch-${process.pid}`);
  let connection: Redis;
  let queue: Queue;
  let events: QueueEvents;
  /** Batch jobs completed (they are removed once completed: their events tell). */
  let batchesDone = 0;
  beforeAll(async () => {
    await k.start({ queue: { delivery: { batch: 20, in_flight: 4, backoff: '200ms' } } });
    connection = new Redis(k.config.redis.url);
    queue = new Queue(queueNames.deliver('hook'), { connection, prefix: k.config.redis.prefix });
    events = new QueueEvents(queueNames.deliver('hook'), {
      connection: { url: k.config.redis.url },
      prefix: k.config.redis.prefix,
    });
    events.on('completed', ({ jobId }) => {
      if (jobId.startsWith('batch.')) batchesDone++;
    });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events.close();
    await queue.close();
    connection.disconnect();
    await k.close();
  });
  afterEach(() => {
    k.recorder.received.length = 0;
    k.recorder.delayMs = 0;
    k.recorder.failNext = undefined;
  });

  const ids = (name: string) => k.recorder.received.filter((n) => n.alerts[0]?.name.startsWith(name));

  it('sends every alert of a storm once, in jobs of delivery.batch notifications', async () => {
    const before = batchesDone;
    await k.push('/v1/alerts', storm('outage', 100));
    await waitFor(() => ids('outage').length >= 100, 15_000, 'all 100 notifications');
    await k.idle();
    const sent = ids('outage');
    expect(sent).toHaveLength(100);
    expect(new Set(sent.map((n) => n.alerts[0]?.name)).size).toBe(100);
    expect(batchesDone - before).toBe(5);
    // A completed delivery job is gone: the notifications it carried do not stay in Redis.
    expect((await queue.getCompleted()).filter((j) => j.name === 'batch')).toEqual([]);
    // Nothing is left listed as travelling once its batch is done.
    expect(await connection.hlen(k.app.keys.deliveryPending('hook'))).toBe(0);
  });

  it('retries the failed part of a batch on its own and delivers it once', async () => {
    k.recorder.failNext = { times: 7, status: 500 };
    await k.push('/v1/alerts', storm('flaky', 40));
    await waitFor(() => ids('flaky').length >= 40, 15_000, 'all 40 notifications');
    await k.idle();
    expect(ids('flaky')).toHaveLength(40);
    expect(new Set(ids('flaky').map((n) => n.alerts[0]?.name)).size).toBe(40);
  });

  it('waits as a 429 says for the part that got it, without holding up the rest', async () => {
    k.recorder.failNext = { times: 3, status: 429, retryAfter: '2' };
    const started = Date.now();
    await k.push('/v1/alerts', storm('limited', 20));
    await waitFor(() => ids('limited').length >= 17, 10_000, 'the 17 that were not refused');
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(() => ids('limited').length >= 20, 10_000, 'the 3 that waited');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    await k.idle();
    expect(ids('limited')).toHaveLength(20);
  });

  it('never lets a resolve in a later batch overtake its firing still on its way in an earlier one', async () => {
    k.recorder.delayMs = 300;
    await k.push('/v1/alerts', storm('flap', 20));
    // The resolves in the opposite order: the last firing is still waiting for its turn.
    await k.push('/v1/alerts', storm('flap', 20, 'resolved').reverse());
    await waitFor(() => ids('flap').length >= 40, 15_000, 'every firing and resolve');
    for (let i = 0; i < 20; i++) {
      const kinds = ids(`flap-${i}`)
        .filter((n) => n.alerts[0]?.name === `flap-${i}`)
        .map((n) => n.kind);
      expect(kinds, `flap-${i}`).toEqual(['firing', 'resolved']);
    }
  });

  it('sends nothing twice when a batch is queued again after it completed (an ingest job run again)', async () => {
    await k.push('/v1/alerts', storm('again', 3));
    await waitFor(() => ids('again').length >= 3, 10_000, 'the 3 notifications');
    await k.idle();
    // The batch job is gone once completed; an ingest job run again queues its notifications
    // anew, and the sent markers (kept 7 days) are what stops a second send.
    const again = ids('again').map((n) => n as Notification);
    const before = batchesDone;
    await queue.add('batch', { receiver: 'hook', notifications: again }, { jobId: 'batch.again' });
    await waitFor(() => batchesDone > before, 10_000, 'the rerun');
    await k.idle();
    expect(ids('again')).toHaveLength(3);
  });

  it('sends a notification that travels in two jobs at once (a batch and one of its own) only once', async () => {
    await k.push('/v1/alerts', storm('template', 1));
    await waitFor(() => ids('template').length === 1, 10_000, 'a notification to copy');
    const model = ids('template')[0] as Notification;
    const twin = (name: string): Notification => ({
      ...model,
      id: `twice.${name}.firing.hook`,
      thread: `twice.${name}`,
      alerts: model.alerts.map((a) => ({ ...a, name, fingerprint: `twice-${name}` })),
    });
    const [a, b] = [twin('twice-a'), twin('twice-b')] as [Notification, Notification];
    k.recorder.delayMs = 300;
    await Promise.all([
      queue.add(a.kind, a, { jobId: a.id }),
      queue.add('batch', { receiver: 'hook', notifications: [a, b] }, { jobId: 'batch.twice' }),
    ]);
    await waitFor(() => ids('twice').length >= 2, 10_000, 'both notifications');
    await new Promise((r) => setTimeout(r, 1500));
    await k.idle();
    expect(
      ids('twice')
        .map((n) => n.id)
        .sort(),
    ).toEqual([a.id, b.id]);
  });
});
