import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/model/notification.js';
import { Keys, queueNames } from '../../src/state/keys.js';
import { AM_TOKEN, REDIS_URL, TestKlaxon, TOKEN, waitUntilIdle } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';
import { OwnRedisCluster } from '../support/redis-cluster.js';

/**
 * Klaxon on a Redis Cluster (3 masters, 3 replicas): the main scenarios tell exactly what they
 * tell on one Redis, the lanes spread over the masters, and a master failing over while alerts
 * are accepted loses none of them and doubles none.
 */
const FIXTURES = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'alertmanager');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

const SHARDS = 8;
/** One source per lane: `SOURCES[n]` goes through lane n. */
const SOURCES = (() => {
  const keys = new Keys('klaxon', SHARDS);
  const out: string[] = [];
  for (let i = 0; out.filter(Boolean).length < SHARDS; i++) out[keys.shardOf(`bot-${i}`)] ??= `bot-${i}`;
  return out;
})();

const sections = (redis: Record<string, unknown>) => ({
  redis,
  // A job whose end a failover cut short is taken over after lock_duration: short, as in the
  // tests that kill workers.
  queue: {
    shards: SHARDS,
    lock_duration: '2s',
    stalled_interval: '1s',
    delivery: { backoff: 50, max_backoff: 200, attempts: 20 },
  },
  defaults: { repeat: 'never' },
  rules: [{ name: 'disk', kind: 'threshold', metric: 'disk_percent', bands: { warning: 90 } }],
});

const line = (n: Notification) => `${n.alerts[0]?.labels.source}:${n.alerts[0]?.name}:${n.kind}`;

/**
 * The main scenarios, in order: metric snapshots of eight sources (one request over every lane)
 * fire a rule; an alert pushed on /v1/alerts; an Alertmanager alert fires and resolves; an
 * acknowledgement; the snapshots fall back and resolve. Returns what the webhook received, one
 * line per notification, sorted (lanes run side by side), and checks each alert's own order.
 */
async function mainScenarios(k: TestKlaxon): Promise<string[]> {
  const ts = Date.now();
  await k.push(
    '/v1/metrics',
    SOURCES.map((source) => ({ source, ts, metrics: { disk_percent: 95 } })),
  );
  await k.push('/v1/alerts', {
    source: SOURCES[1],
    name: 'stop_loss',
    severity: 'critical',
    title: 'stop loss hit',
  });
  await k.push('/v1/alertmanager', fixture('resolve-1-firing.json'), AM_TOKEN);
  await waitUntilIdle(k.config, 15_000);
  await k.push('/v1/alertmanager', fixture('resolve-2-resolved.json'), AM_TOKEN);
  const fp = k.recorder.received.find((n) => line(n) === `${SOURCES[0]}:disk:firing`)?.alerts[0]?.fingerprint;
  expect(fp).toBeDefined();
  const ack = await k.post(`/v1/alerts/${fp}/ack`, { by: 'alice', comment: 'on it' });
  expect(ack.status).toBe(202);
  await waitUntilIdle(k.config, 15_000);
  await k.push(
    '/v1/metrics',
    SOURCES.map((source) => ({ source, ts: ts + 1000, metrics: { disk_percent: 50 } })),
  );
  await waitUntilIdle(k.config, 15_000);
  // Each alert's notifications arrive in the order they were decided.
  const byAlert = new Map<string, string[]>();
  for (const n of k.recorder.received) {
    const key = n.alerts[0]?.fingerprint ?? '';
    byAlert.set(key, [...(byAlert.get(key) ?? []), n.kind]);
  }
  for (const kinds of byAlert.values()) expect(kinds[0]).toBe('firing');
  expect(byAlert.get(fp as string)).toEqual(['firing', 'acknowledged', 'resolved']);
  return k.recorder.received.map(line).sort();
}

describe('Klaxon on a Redis Cluster', () => {
  const cluster = new OwnRedisCluster(3);
  const onCluster = new TestKlaxon(`klaxon-test-cluster-${process.pid}`);
  const single = new TestKlaxon(`klaxon-test-cluster-single-${process.pid}`);

  // Only what started is closed (a recorder never started would wait for ever).
  const started: TestKlaxon[] = [];
  beforeAll(async () => {
    await cluster.start();
    await onCluster.start(sections({ url: REDIS_URL, prefix: onCluster.prefix, cluster: cluster.seeds }));
    started.push(onCluster);
    await single.start(sections({ url: REDIS_URL, prefix: single.prefix }));
    started.push(single);
  }, 40_000);

  afterAll(async () => {
    try {
      await Promise.allSettled(started.map((k) => k.close()));
    } finally {
      await cluster.stop();
    }
  }, 40_000);

  it('tells the main scenarios exactly as one Redis does', async () => {
    const [got, expected] = await Promise.all([mainScenarios(onCluster), mainScenarios(single)]);
    expect(got).toEqual(expected);
    expect(got).toEqual(
      [
        ...SOURCES.flatMap((s) => [`${s}:disk:firing`, `${s}:disk:resolved`]),
        `${SOURCES[0]}:disk:acknowledged`,
        `${SOURCES[1]}:stop_loss:firing`,
        'alertmanager:ServiceDown:firing',
        'alertmanager:ServiceDown:resolved',
      ].sort(),
    );
  });

  it('answers the admin API (alerts over every lane, an alert history) and /health as one Redis does', async () => {
    const view = async (k: TestKlaxon) => {
      const get = async (p: string) =>
        (await (
          await fetch(`${k.app.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).json()) as {
          alerts: { name: string; status: string; fingerprint: string }[];
        } & Record<string, unknown>;
      const list = await get('/v1/alerts?limit=100');
      const fp = list.alerts.find((a) => a.name === 'stop_loss')?.fingerprint;
      const history = (await get(`/v1/alerts/${fp}/history`)) as unknown as { history: { kind?: string }[] };
      const health = await get('/health');
      return {
        alerts: list.alerts.map((a) => `${a.name}:${a.status}`).sort(),
        history: history.history.length,
        health: health.status,
      };
    };
    const [got, expected] = await Promise.all([view(onCluster), view(single)]);
    expect(got).toEqual(expected);
    expect(got.alerts).toHaveLength(SHARDS + 2);
    expect(got.history).toBeGreaterThan(0);
    expect(got.health).toBe('ok');
  });

  it("keeps each lane's keys and queue in one slot, and spreads the lanes over the masters", async () => {
    const prefix = onCluster.prefix;
    const nodes = await cluster.nodes();
    const masters = nodes.filter((n) => n.role === 'master' && !n.failed);
    const holders = new Set<number>();
    for (let s = 0; s < SHARDS; s++) {
      const slot = await cluster.keySlot(`${prefix}:{s${s}}:version`);
      expect(await cluster.keySlot(`${prefix}:${queueNames.ingest(s)}:wait`)).toBe(slot);
      const master = await cluster.masterOf(slot);
      const here = await cluster.keysOn(master, `${prefix}:*`);
      // The lane's state and its BullMQ queue live on the master that serves its slot.
      expect(here).toContain(`${prefix}:{s${s}}:version`);
      expect(here).toContain(`${prefix}:${queueNames.ingest(s)}:meta`);
      holders.add(master);
    }
    expect(holders.size).toBeGreaterThan(1);
    // And no lane's keys anywhere else.
    for (const m of masters)
      for (const key of await cluster.keysOn(m.port, `${prefix}:*{s[0-9]*`)) {
        const shard = /^[^{]*\{s(\d+)\}/.exec(key)?.[1];
        expect([key, await cluster.masterOf(await cluster.keySlot(`{s${shard}}`))]).toEqual([key, m.port]);
      }
  });

  it('loses and doubles no accepted alert while a master fails over', async () => {
    const k = onCluster;
    k.recorder.received.length = 0;
    const lane0 = await cluster.masterOf(await cluster.keySlot(`${k.prefix}:{s0}:version`));
    const accepted: string[] = [];
    let refused = 0;
    let stop = false;
    // A bot pushing alerts one after another, each retried until it is accepted (202), as a
    // bot does with a 503; the sources spread them over every lane.
    const sender = (async () => {
      for (let i = 0; !stop || i < 40; i++) {
        const name = `burst_${i}`;
        const body = { source: SOURCES[i % SOURCES.length], name, severity: 'warning', title: name };
        for (;;) {
          const res = await k.post('/v1/alerts', body).catch(() => undefined);
          if (res?.status === 202) break;
          expect([undefined, 503]).toContain(res?.status);
          refused++;
          await new Promise((r) => setTimeout(r, 50));
        }
        accepted.push(name);
      }
    })();
    await waitFor(() => accepted.length >= 20, 10_000, 'alerts accepted before the failover');
    const promoted = await cluster.failover(lane0);
    expect(await cluster.masterOf(await cluster.keySlot(`${k.prefix}:{s0}:version`))).toBe(promoted);
    const atFailover = accepted.length;
    await waitFor(() => accepted.length >= atFailover + 20, 15_000, 'alerts accepted after the failover');
    stop = true;
    await sender;
    await waitFor(() => k.recorder.received.length >= accepted.length, 20_000, 'every alert notified');
    await waitUntilIdle(k.config, 15_000);
    const told = k.recorder.received.map((n) => n.alerts[0]?.name as string);
    expect([...told].sort()).toEqual([...accepted].sort());
    expect(new Set(k.recorder.received.map((n) => n.id)).size).toBe(k.recorder.received.length);
    console.info(`cluster failover: ${accepted.length} alerts accepted, ${refused} answers 503 retried`);
  });
});
