import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import type { KlaxonConfig } from '../../src/config/schema.js';
import type { Notification } from '../../src/model/notification.js';
import { silentLogger } from '../../src/ops/logger.js';
import { cleanRedis, quickTakeover, testRaw, TOKEN, waitUntilIdle } from '../support/klaxon.js';
import { startWorker, stopWorker, writeConfig } from '../support/processes.js';
import { Recorder, waitFor } from '../support/recorder.js';

/**
 * Several `klaxon worker` processes against one Redis, and workers that die mid-batch. The HTTP
 * API runs in this process (role `api`); every evaluation happens in the worker processes.
 */
describe('worker processes', () => {
  const recorder = new Recorder();
  const children: ChildProcess[] = [];
  let app: App | undefined;
  let config: KlaxonConfig | undefined;
  let run = 0;
  /** The config of the running cluster, as its worker processes read it. */
  let raw: Record<string, unknown> | undefined;

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopWorker(c, 'SIGKILL')));
    await app?.stop();
    await cleanRedis(config);
    recorder.received.length = 0;
  });
  afterAll(() => recorder.close());

  /** An API process plus `n` worker processes sharing a fresh prefix. */
  async function cluster(n: number, extra: Record<string, unknown> = {}): Promise<string> {
    if (!recorder.url) await recorder.start();
    raw = testRaw(`klaxon-test-workers-${process.pid}-${run++}`, recorder.url, {
      queue: quickTakeover(4),
      ...extra,
    });
    config = validateConfig(raw, 'test').config;
    const file = writeConfig(raw);
    app = await App.start({ config, role: 'api', port: 0, logger: silentLogger(), scheduler: false });
    for (let i = 0; i < n; i++) children.push(startWorker(file));
    return app.url as string;
  }

  const post = (url: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('100 identical alerts raced by three workers give exactly the configured number of notifications', async () => {
    const url = await cluster(3, { defaults: { direct: { dedup: { window: '5m', max: 3 } } } });
    const alert = { source: 'bot-1', name: 'order_stuck', severity: 'warning', title: 'order stuck' };
    const answers = await Promise.all(Array.from({ length: 100 }, () => post(url, '/v1/alerts', alert)));
    expect(answers.map((r) => r.status)).toEqual(Array(100).fill(202));
    await waitFor(() => recorder.received.length >= 3, 20_000, 'three notifications');
    await waitUntilIdle(config as KlaxonConfig, 20_000);
    expect(recorder.received).toHaveLength(3);
  });

  /** Samples with spikes for several bots, pushed in many small batches. */
  const series = () =>
    Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 300 }, (_, i) => ({
        source: `bot-${b}`,
        ts: 1_790_000_000_000 + i * 1000,
        metrics: { trades_per_minute: i % 97 === 60 + b ? 60 : 10 + ((i * (b + 3)) % 5) },
      })),
    );
  const anomalies = (ns: Notification[]) =>
    ns
      .filter((n) => n.alerts[0]?.name === 'trades_per_minute_anomaly')
      .map((n) => `${n.alerts[0]?.labels.source}@${n.alerts[0]?.value}#${n.alerts[0]?.occurrences}`)
      .sort();

  it('detector results with three workers equal those of one', async () => {
    const rules = {
      rules: [
        {
          name: 'trades_per_minute_anomaly',
          kind: 'anomaly',
          metric: 'trades_per_minute',
          detector: { type: 'zscore', window: 50, threshold: 3 },
          dedup: 'none',
        },
      ],
    };
    const results: string[][] = [];
    for (const workers of [1, 3]) {
      const url = await cluster(workers, rules);
      const bots = series();
      for (let i = 0; i < 300; i += 20) {
        // Interleave the bots' batches, several requests in flight at once.
        await Promise.all(bots.map((points) => post(url, '/v1/metrics', points.slice(i, i + 20))));
      }
      await waitUntilIdle(config as KlaxonConfig, 30_000);
      results.push(anomalies(recorder.received));
      await Promise.all(children.splice(0).map((c) => stopWorker(c)));
      await app?.stop();
      app = undefined;
      await cleanRedis(config);
      recorder.received.length = 0;
    }
    expect(results[0]?.length).toBeGreaterThanOrEqual(6);
    expect(results[1]).toEqual(results[0]);
  });

  it('a worker killed with SIGKILL mid-batch loses nothing and sends nothing twice', async () => {
    const url = await cluster(1, {
      queue: quickTakeover(4, { delivery: { backoff: 50, attempts: 5, in_flight: 4 } }),
      rules: [
        {
          name: 'stop_loss_hit',
          kind: 'event',
          event: 'position_stop_loss_hit',
          severity: 'critical',
          by: ['symbol'],
          dedup: 'none',
        },
      ],
    });
    const total = 400;
    const events = Array.from({ length: total }, (_, i) => ({
      source: `bot-${i % 5}`,
      type: 'position_stop_loss_hit',
      symbol: `SYM-${i}`,
      data: { loss: i },
    }));
    for (let i = 0; i < total; i += 10)
      expect((await post(url, '/v1/events', events.slice(i, i + 10))).status).toBe(202);
    // Kill the only worker while it is busy, then start a fresh one.
    await waitFor(() => recorder.received.length >= 20, 20_000, 'the first notifications');
    await stopWorker(children[0] as ChildProcess, 'SIGKILL');
    const before = recorder.received.length;
    expect(before).toBeLessThan(total);
    children.push(startWorker(writeConfig(raw as Record<string, unknown>)));
    await waitFor(
      () => new Set(recorder.received.map((n) => n.alerts[0]?.labels.symbol)).size === total,
      40_000,
      'all notifications',
    );
    await waitUntilIdle(config as KlaxonConfig, 20_000);
    const ids = recorder.received.map((n) => n.id);
    expect(new Set(ids).size).toBe(total);
    // Only a send whose HTTP request was in flight at the moment of the kill can arrive twice (at
    // most one per send slot: delivery.concurrency jobs, delivery.in_flight sends each); it
    // carries the same notification id for the receiver.
    const { concurrency, in_flight: inFlight } = c().queue.delivery;
    expect(ids.length - total).toBeLessThanOrEqual(concurrency * inFlight);
  });

  it('acknowledgement, escalation and idempotency keys hold with three workers racing and one SIGKILLed', async () => {
    if (!recorder.url) await recorder.start();
    const url = await cluster(3, {
      queue: quickTakeover(4, { sweep_every: '250ms' }),
      receivers: {
        hook: { type: 'webhook', url: recorder.url },
        pager: { type: 'webhook', url: recorder.url },
      },
      routes: { receivers: ['hook'], escalate: [{ after: '12s', receivers: ['pager'] }] },
    });
    // The workers are up once a first alert went through.
    await post(url, '/v1/alerts', { source: 'warm-up', name: 'warm_up', severity: 'info', title: 'up' });
    await waitFor(() => recorder.received.length >= 1, 30_000, 'the workers to start');
    recorder.received.length = 0;
    const n = 20;
    const alert = (i: number) => ({
      source: `bot-${i}`,
      name: 'disk_full',
      severity: 'critical',
      title: 'disk full',
      // Each bot sends its alert twice (a retry after a lost answer): one evaluation.
      id: `disk-${i}`,
    });
    const sent = await Promise.all(
      Array.from({ length: n * 2 }, (_, i) => post(url, '/v1/alerts', alert(i % n))),
    );
    expect(sent.map((r) => r.status)).toEqual(Array(n * 2).fill(202));
    await waitFor(
      () => recorder.received.filter((x) => x.kind === 'firing').length >= n,
      20_000,
      'the firings',
    );
    // Half are taken at once; one worker dies while the acknowledgements are applied.
    const fps = new Map(recorder.received.map((x) => [x.alerts[0]?.labels.source, x.alerts[0]?.fingerprint]));
    const acks = Array.from({ length: n / 2 }, (_, i) =>
      post(url, `/v1/alerts/${fps.get(`bot-${i}`)}/ack`, { by: 'alice' }),
    );
    await stopWorker(children[0] as ChildProcess, 'SIGKILL');
    expect((await Promise.all(acks)).map((r) => r.status)).toEqual(Array(n / 2).fill(202));
    await waitFor(
      () => new Set(recorder.received.filter((x) => x.kind === 'escalated').map((x) => x.id)).size >= n / 2,
      30_000,
      'the escalations',
    );
    await new Promise((r) => setTimeout(r, 2000));
    await waitUntilIdle(config as KlaxonConfig, 20_000);
    const told = (kind: string, receiver: string) =>
      [
        ...new Map(
          recorder.received.filter((x) => x.kind === kind && x.receiver === receiver).map((x) => [x.id, x]),
        ).values(),
      ]
        .map((x) => x.alerts[0]?.labels.source as string)
        .sort();
    const bots = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `bot-${from + i}`).sort();
    expect(told('firing', 'hook')).toEqual(bots(0, n));
    expect(told('acknowledged', 'hook')).toEqual(bots(0, n / 2));
    expect(told('escalated', 'pager')).toEqual(bots(n / 2, n));
    // Only a send in flight at the moment of the kill can arrive twice, with the same id.
    expect(recorder.received.length - new Set(recorder.received.map((x) => x.id)).size).toBeLessThanOrEqual(
      c().queue.delivery.concurrency * 2,
    );
  }, 90_000);

  const c = () => config as KlaxonConfig;
});
