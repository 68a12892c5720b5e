import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { silentLogger } from '../../src/ops/logger.js';
import { testConfig, TOKEN } from '../support/klaxon.js';
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
