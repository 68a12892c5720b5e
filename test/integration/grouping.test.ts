import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import type { KlaxonConfig } from '../../src/config/schema.js';
import type { FileRecord } from '../../src/channels/file/file-channel.js';
import {
  GROUP_JOB,
  runGroupFlush,
  scheduleFlushes,
  type GroupFlushJob,
} from '../../src/grouping/group-jobs.js';
import { groupHash, GroupStore } from '../../src/grouping/group-store.js';
import type { GroupRef, Notification } from '../../src/model/notification.js';
import { silentLogger } from '../../src/ops/logger.js';
import { Keys, queueNames } from '../../src/state/keys.js';
import {
  cleanRedis,
  quickTakeover,
  REDIS_URL,
  TestKlaxon,
  testRaw,
  TOKEN,
  waitUntilIdle,
} from '../support/klaxon.js';
import { startWorker, stopWorker, writeConfig } from '../support/processes.js';
import { Recorder, waitFor } from '../support/recorder.js';

const GROUP_INTERVAL_MS = 1000;

/** A direct alert from grid-1 (fingerprint: name and labels; severity is not part of it). */
const alert = (name: string, symbol: string, extra: Record<string, unknown> = {}) => ({
  source: 'grid-1',
  name,
  severity: 'warning',
  title: `${name} on ${symbol}`,
  labels: { symbol },
  ...extra,
});

/** `kind: symbol:severity, …` per message, the part a user notices. */
const told = (ns: readonly Notification[]) =>
  ns.map(
    (n) =>
      `${n.kind}: ${n.alerts.map((a) => `${a.labels.symbol}:${a.status === 'resolved' ? 'resolved' : a.severity}`).join(', ')}`,
  );

/** The file receiver's lines. */
function fileLines(file: string): Notification[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as FileRecord).notification);
}

describe('grouping: an alert storm', () => {
  const k = new TestKlaxon(`t-grp-storm-${process.pid}`);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'klaxon-grp-')), 'alerts.jsonl');
  beforeAll(() =>
    k.start((url) => ({
      receivers: { hook: { type: 'webhook', url }, file: { type: 'file', path: file } },
      routes: {
        receivers: ['hook', 'file'],
        group_by: ['source', 'alertname'],
        group_wait: '300ms',
        group_interval: `${GROUP_INTERVAL_MS}ms`,
      },
    })),
  );
  afterAll(() => k.close());

  it('500 alerts from one source reach each receiver as a few group messages that name every alert', async () => {
    const names = ['api_latency', 'order_rejected'];
    const alerts = Array.from({ length: 500 }, (_, i) => alert(names[i % 2] as string, `SYM${i}`));
    // In batches of 25, ten requests at a time.
    for (let i = 0; i < alerts.length; i += 250)
      await Promise.all(
        Array.from({ length: 10 }, (_, b) => k.push('/v1/alerts', alerts.slice(i + b * 25, i + b * 25 + 25))),
      );
    const everyone = (ns: Notification[]) => new Set(ns.flatMap((n) => n.alerts.map((a) => a.fingerprint)));
    await waitFor(
      () => everyone(k.recorder.received).size === 500,
      20_000,
      'every alert told at the webhook',
    );
    await waitFor(() => everyone(fileLines(file)).size === 500, 20_000, 'every alert told in the file');
    await k.idle();

    for (const received of [k.recorder.received, fileLines(file)]) {
      // A few messages (a group speaks once, then at most once per group_interval), not 500.
      expect(received.length).toBeLessThanOrEqual(12);
      expect(received.length).toBeGreaterThanOrEqual(2);
      expect(new Set(received.map((n) => n.id)).size).toBe(received.length);
      const byGroup = new Map<string, Notification[]>();
      for (const n of received) byGroup.set(n.thread, [...(byGroup.get(n.thread) ?? []), n]);
      expect(byGroup.size).toBe(2);
      for (const [thread, ns] of byGroup) {
        expect(thread).toMatch(/^group:[0-9a-f]{20}$/);
        // One alert name per group, every message firing, each following the one before.
        expect(new Set(ns.flatMap((n) => n.alerts.map((a) => a.name))).size).toBe(1);
        expect(ns.every((n) => n.kind === 'firing')).toBe(true);
        ns.sort((a, b) => a.createdAt - b.createdAt);
        ns.slice(1).forEach((n, i) => {
          expect(n.after).toBe(ns[i]?.id);
          expect(n.createdAt - (ns[i] as Notification).createdAt).toBeGreaterThanOrEqual(GROUP_INTERVAL_MS);
        });
        // The last message of a group lists all of its alerts.
        expect(ns.at(-1)?.alerts).toHaveLength(250);
      }
      // Every alert is named, and the layout lists them all (no "and N more").
      expect(everyone(received).size).toBe(500);
    }
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const last = JSON.parse(lines.at(-1) as string) as FileRecord;
    expect(last.title).toMatch(/^\[WARNING\] 250 alerts firing: (api_latency|order_rejected) on grid-1$/);
    expect(last.text).not.toContain('more');
    for (const a of last.notification.alerts) expect(last.text).toContain(`symbol=${a.labels.symbol} `);
  });
});

describe('grouping: group wait is a hold, and nothing held is forgotten', () => {
  const k = new TestKlaxon(`t-grp-hold-${process.pid}`);
  beforeAll(() =>
    k.start({
      routes: {
        receivers: ['hook'],
        group_by: ['source', 'alertname'],
        // Long enough for the five requests below to land inside it.
        group_wait: '3s',
        group_interval: `${GROUP_INTERVAL_MS}ms`,
      },
    }),
  );
  afterAll(() => k.close());

  it('tells once, as critical, an alert that rose during group_wait, and never one that fired and resolved in it', async () => {
    await k.push('/v1/alerts', alert('api_latency', 'BTC'));
    await k.push('/v1/alerts', alert('api_latency', 'ETH'));
    await k.push('/v1/alerts', alert('api_latency', 'BTC', { severity: 'critical' }));
    await k.push('/v1/alerts', alert('api_latency', 'SOL'));
    await k.push('/v1/alerts', alert('api_latency', 'SOL', { status: 'resolved' }));
    await waitFor(() => k.recorder.received.length > 0, 10_000, 'the group message');
    await k.idle();
    expect(told(k.recorder.received)).toEqual(['firing: BTC:critical, ETH:warning']);
    expect(k.recorder.received[0]?.raisedFrom).toBeUndefined();
  });

  it('a resolve goes out in the next group message, then the last resolve on its own', async () => {
    k.recorder.received.length = 0;
    await k.push('/v1/alerts', alert('api_latency', 'ETH', { status: 'resolved' }));
    await waitFor(() => k.recorder.received.length === 1, 10_000, 'the resolve');
    await k.push('/v1/alerts', alert('api_latency', 'BTC', { status: 'resolved' }));
    await waitFor(() => k.recorder.received.length === 2, 10_000, 'the last resolve');
    await k.idle();
    expect(told(k.recorder.received)).toEqual([
      'firing: BTC:critical, ETH:resolved',
      'resolved: BTC:resolved',
    ]);
    const [first, second] = k.recorder.received;
    expect(second?.after).toBe(first?.id);
    expect(second?.thread).toBe(first?.thread);
  });
});

/** A firing critical `bot_down` notification to `hook` of the alert `fp`, joining group `ref`. */
const botDown = (fp: string, labels: Record<string, string>, ref: GroupRef): Notification => ({
  id: `${fp}.1.firing.hook`,
  receiver: 'hook',
  kind: 'firing',
  alerts: [
    {
      fingerprint: fp,
      name: 'bot_down',
      status: 'firing',
      severity: 'critical',
      labels,
      annotations: {},
      startsAt: Date.now(),
      occurrences: 1,
    },
  ],
  thread: fp,
  createdAt: Date.now(),
  group: ref,
});

describe('grouping: racing and reruns', () => {
  const prefix = `t-grp-race-${process.pid}`;
  const recorder = new Recorder();
  const apps: App[] = [];
  let config: KlaxonConfig;

  beforeAll(async () => {
    await recorder.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
    await cleanRedis(config);
    recorder.received.length = 0;
  });
  afterAll(() => recorder.close());

  function raw(run: string, routes: Record<string, unknown>) {
    return testRaw(`${prefix}-${run}`, recorder.url, {
      queue: quickTakeover(8),
      routes: { receivers: ['hook'], ...routes },
    });
  }

  const post = (url: string, body: unknown) =>
    fetch(`${url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('alerts of one group from many lanes, evaluated by three workers at once, make one message', async () => {
    const r = raw('lanes', { group_by: ['alertname'], group_wait: '2s', group_interval: '1s' });
    config = validateConfig(r, 'test').config;
    const opts = { config, port: 0, logger: silentLogger(), scheduler: false } as const;
    apps.push(await App.start({ ...opts, role: 'serve' }));
    apps.push(await App.start({ ...opts, role: 'worker' }));
    apps.push(await App.start({ ...opts, role: 'worker' }));
    const url = apps[0]?.url as string;
    // 16 sources spread over the 8 lanes, all posted at once.
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, s) =>
        post(
          url,
          Array.from({ length: 10 }, (_, i) => ({ ...alert('bot_down', `S${s}-${i}`), source: `bot-${s}` })),
        ),
      ),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await waitFor(() => recorder.received.length > 0, 15_000, 'the group message');
    await waitUntilIdle(config, 15_000);
    expect(recorder.received).toHaveLength(1);
    expect(recorder.received[0]?.alerts).toHaveLength(160);
  });

  it('group_wait 0: many new groups told in the join itself, and three writers joining the same notifications (a job, its rerun, a command sent again) all get the one message', async () => {
    config = validateConfig(
      raw('join', { group_by: ['alertname', 'symbol'], group_wait: '0s' }),
      'test',
    ).config;
    const keys = new Keys(config.redis.prefix, config.queue.shards);
    const writers = [0, 1, 2].map(() => new Redis(REDIS_URL));
    try {
      const requests = Array.from({ length: 50 }, (_, i) => {
        const ref: GroupRef = {
          key: `0|alertname=bot_down,symbol=S${i}`,
          labels: { alertname: 'bot_down', symbol: `S${i}` },
          waitMs: 0,
          intervalMs: 60_000,
        };
        return { ref, ns: [botDown(`fp-${i}`, { symbol: `S${i}` }, ref)] };
      });
      const stores = writers.map((w) => new GroupStore(w, keys));
      const now = Date.now();
      const outcomes = await Promise.all(
        stores.map((s) => s.join('hook', requests, now, { sendResolved: true })),
      );
      for (const o of outcomes) {
        expect(o.map((x) => x.message?.alerts.map((a) => a.labels.symbol))).toEqual(
          requests.map((_, i) => [`S${i}`]),
        );
        expect(o.every((x) => x.next === undefined)).toBe(true);
      }
      expect(outcomes[1]).toEqual(outcomes[0]);
      expect(outcomes[2]).toEqual(outcomes[0]);
      // Each group was flushed once: its first message, every member told, nothing pending.
      const group = await stores[0]?.read('hook', groupHash(requests[7]?.ref.key as string));
      expect(group?.meta?.seq).toBe(1);
      expect(group?.meta?.next).toBeUndefined();
      expect(group?.meta?.lastMessage).toBe(outcomes[0]?.[7]?.message?.id);
      expect([...(group?.members.values() ?? [])].map((m) => m.told)).toEqual([true]);
      // The same join much later (a job rerun from its done marker) gives the same messages back.
      const rerun = await stores[0]?.join('hook', requests, now + 30_000, { sendResolved: true });
      expect(rerun).toEqual(outcomes[0]);
      // Once the messages are queued, their copies are forgotten: a rerun then adds nothing, and
      // tells nothing again (the queued messages carry on under their ids).
      await stores[0]?.forgetJoins((outcomes[0] ?? []).map((o) => o.storedAt as string));
      const afterQueued = await stores[0]?.join('hook', requests, now + 60_000, { sendResolved: true });
      expect(afterQueued?.every((o) => o.message === undefined && o.next === undefined)).toBe(true);
      const unchanged = await stores[0]?.read('hook', groupHash(requests[7]?.ref.key as string));
      expect(unchanged).toEqual(group);
    } finally {
      for (const w of writers) w.disconnect();
    }
  });

  it('two workers scheduling the same flush add one job, and a flush run again sends the same message once', async () => {
    config = validateConfig(raw('flush', { group_by: ['alertname'] }), 'test').config;
    const keys = new Keys(config.redis.prefix, config.queue.shards);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(queueNames.deliver('hook'), { connection, prefix: config.redis.prefix });
    const writers = [0, 1, 2].map(() => new Redis(REDIS_URL));
    try {
      const ref: GroupRef = {
        key: '0|alertname=bot_down',
        labels: { alertname: 'bot_down' },
        waitMs: 60_000,
        intervalMs: 60_000,
      };
      const hash = groupHash(ref.key);
      const ns = ['a', 'b'].map((s) => botDown(`fp-${s}`, { source: s }, ref));
      // Three writers add the same notifications at once (a job and its rerun, another lane).
      const stores = writers.map((w) => new GroupStore(w, keys));
      const now = Date.now();
      const pending = (
        await Promise.all(stores.map((s) => s.join('hook', [{ ref, ns }], now, { sendResolved: true })))
      ).map(([o]) => o?.next);
      expect(pending).toEqual([pending[0], pending[0], pending[0]]);
      const next = pending[0] as { seq: number; due: number };
      expect((await stores[0]?.read('hook', hash))?.members.size).toBe(2);

      const job: GroupFlushJob = { receiver: 'hook', hash, seq: next.seq, key: ref.key };
      await Promise.all([0, 1].map(() => scheduleFlushes(queue, config, [job], next.due, now)));
      expect(await queue.getJobCounts('delayed')).toMatchObject({ delayed: 1 });
      expect((await queue.getDelayed()).map((j) => j.name)).toEqual([GROUP_JOB]);

      // The flush runs twice (a worker taken over): the same message, enqueued once.
      const delivered: Notification[] = [];
      const deps = {
        config,
        keys,
        redis: connection,
        queues: new Map([['hook', queue]]),
        deliver: async (m: Notification[]) => {
          delivered.push(...m);
          await queue.addBulk(
            m.map((n) => ({ name: n.kind, data: n, opts: { jobId: n.id, delay: 60_000 } })),
          );
        },
        logger: silentLogger(),
      };
      await Promise.all([runGroupFlush(deps, 'hook', job), runGroupFlush(deps, 'hook', job)]);
      expect(delivered.map((n) => n.id)).toEqual([
        `group.hook.${hash}.${next.seq}`,
        `group.hook.${hash}.${next.seq}`,
      ]);
      expect(delivered[0]?.alerts.map((a) => a.fingerprint)).toEqual(['fp-a', 'fp-b']);
      expect(await queue.getJobCounts('delayed')).toMatchObject({ delayed: 2 });
    } finally {
      await queue.close();
      connection.disconnect();
      for (const w of writers) w.disconnect();
    }
  });
});

describe('grouping: a worker process killed mid-storm', () => {
  const recorder = new Recorder();
  let child: ChildProcess | undefined;
  let app: App | undefined;
  let config: KlaxonConfig | undefined;

  afterAll(async () => {
    if (child) await stopWorker(child, 'SIGKILL');
    await app?.stop();
    await cleanRedis(config);
    await recorder.close();
  });

  it(
    'this process and a worker process race on the groups; the worker is SIGKILLed; every alert is named, each message once',
    { timeout: 180_000 },
    async () => {
      await recorder.start();
      const raw = testRaw(`t-grp-kill-${process.pid}`, recorder.url, {
        queue: quickTakeover(4),
        routes: { receivers: ['hook'], group_by: ['alertname'], group_wait: '300ms', group_interval: '1s' },
      });
      config = validateConfig(raw, 'test').config;
      app = await App.start({ config, role: 'serve', port: 0, logger: silentLogger(), scheduler: false });
      child = startWorker(writeConfig(raw));
      // Both take jobs once the worker process has connected its workers.
      const connection = new Redis(REDIS_URL);
      const lane = new Queue(queueNames.ingest(0), { connection, prefix: config.redis.prefix });
      try {
        await waitFor(async () => (await lane.getWorkers()).length >= 2, 60_000, 'the worker process');
      } finally {
        await lane.close();
        connection.disconnect();
      }
      const url = app.url as string;
      const total = 300;
      const alerts = Array.from({ length: total }, (_, i) => ({
        ...alert(`storm_${i % 3}`, `SYM${i}`),
        source: `bot-${i % 6}`,
      }));
      const push = async (from: number, to: number) => {
        for (let i = from; i < to; i += 10) {
          const res = await fetch(`${url}/v1/alerts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify(alerts.slice(i, i + 10)),
          });
          expect(res.status).toBe(202);
        }
      };
      await push(0, 150);
      await waitFor(() => recorder.received.length > 0, 30_000, 'the first group messages');
      await stopWorker(child, 'SIGKILL');
      await push(150, total);
      const named = () => new Set(recorder.received.flatMap((n) => n.alerts.map((a) => a.labels.symbol)));
      await waitFor(() => named().size === total, 60_000, 'every alert named');
      await waitUntilIdle(config, 20_000);
      expect(named().size).toBe(total);
      // Only a send in flight at the kill may arrive twice, under the same id.
      const ids = recorder.received.map((n) => n.id);
      expect(ids.length - new Set(ids).size).toBeLessThanOrEqual(config.queue.delivery.concurrency);
      // Three groups (one per alert name), each speaking at most once per group_interval.
      expect(new Set(recorder.received.map((n) => n.thread)).size).toBe(3);
      for (const thread of new Set(recorder.received.map((n) => n.thread))) {
        const ns = recorder.received
          .filter((n) => n.thread === thread)
          .sort((a, b) => a.createdAt - b.createdAt);
        ns.slice(1).forEach((n, i) => {
          if (n.id !== ns[i]?.id)
            expect(n.createdAt - (ns[i] as Notification).createdAt).toBeGreaterThanOrEqual(1000);
        });
      }
    },
  );
});

describe('grouping: a storm of new groups', () => {
  const k = new TestKlaxon(`t-grp-new-${process.pid}`);
  beforeAll(() =>
    k.start((url) => ({
      receivers: { hook: { type: 'webhook', url } },
      routes: {
        receivers: ['hook'],
        group_by: ['alertname', 'symbol'],
        group_wait: '0s',
        group_interval: '1s',
      },
    })),
  );
  afterAll(() => k.close());

  it('one alert per group and group_wait 0: each group speaks once, told by the job that joined it (no flush job)', async () => {
    const connection = new Redis(REDIS_URL);
    const queue = new Queue(queueNames.deliver('hook'), { connection, prefix: k.config.redis.prefix });
    try {
      await k.push(
        '/v1/alerts',
        Array.from({ length: 60 }, (_, i) => alert('exchange_down', `SYM${i}`)),
      );
      await waitFor(() => k.recorder.received.length >= 60, 15_000, 'a message per group');
      await k.idle();
      const received = k.recorder.received;
      expect(received).toHaveLength(60);
      expect(new Set(received.map((n) => n.alerts[0]?.labels.symbol)).size).toBe(60);
      expect(received.every((n) => n.alerts.length === 1 && n.kind === 'firing')).toBe(true);
      expect(received.every((n) => /^group:[0-9a-f]{20}$/.test(n.thread))).toBe(true);
      const flushJobs = (await queue.getCompleted()).filter((j) => j.name === GROUP_JOB);
      expect(flushJobs).toHaveLength(0);
      // The messages kept for a rerun of the joining job are gone once they were queued.
      const [, joins] = await connection.scan(
        '0',
        'MATCH',
        `${k.config.redis.prefix}:*:join:*`,
        'COUNT',
        100_000,
      );
      expect(joins).toEqual([]);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
