/**
 * The chaos scenarios. Each one starts a redis-server of its own, a webhook receiver, and real
 * `klaxon serve` / `klaxon worker` processes from a config file; pushes inputs over HTTP while
 * it breaks something (workers killed, Redis restarted or stopped, the receiver down); puts
 * everything back; waits until every notification owed has arrived and the queues are empty
 * (both bounded); then counts exactly what was owed, delivered, duplicated and lost, and stops
 * everything it started.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../src/config/load.js';
import { freePort } from '../test/support/redis-server.js';
import {
  ChaosRedis,
  KlaxonProcess,
  Probe,
  sleep,
  until,
  type AppendFsync,
  type ProcessExit,
} from './cluster.js';
import { DEFAULT_LOAD, LoadClient, type Item, type LoadSummary } from './load.js';
import { RedisProxy } from './proxy.js';
import { ChaosReceiver } from './receiver.js';
import { tally, type ChaosEvent, type Tally } from './tally.js';

export const SCENARIO_IDS = [
  'kill-workers',
  'redis-restart',
  'receiver-down',
  'race',
  'redis-outage',
  'lost-reply',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface ChaosOptions {
  /** Inputs per second of the steady load. */
  rate: number;
  /** Inputs per request. */
  batch: number;
  /** Seconds of load in each scenario. */
  durationS: number;
  /** Bot sources the inputs are spread over (and so over the lanes). */
  sources: number;
  shards: number;
  /** `queue.lock_duration` and `queue.stalled_interval`, ms: how fast a dead worker's jobs are taken over. */
  lockMs: number;
  stalledMs: number;
  /** The load client gives up on a request refused for this long (s). */
  giveUpS: number;
  /** How long the receiver takes to answer a notification (ms). */
  latencyMs: number;
  /** Bound on the wait, after the load, for every notification owed and for empty queues (s). */
  settleS: number;
  /** Log level of the Klaxon processes (their logs go to files in the scenario's temp dir). */
  logLevel: string;
  /** Keep the temp dir (logs, AOF, config): `always`, `on-problem`, or `never`. */
  keep: 'always' | 'on-problem' | 'never';
  /** kill-workers: `klaxon worker` processes besides `klaxon serve`, and the kill period. */
  workers: number;
  killEveryS: number;
  /** redis-restart: kill -9 and restarts of Redis during the load; AOF fsync policy (also redis-outage). */
  restarts: number;
  fsync: AppendFsync;
  /** receiver-down: seconds the receiver is down; delivery timers are divided by `timeScale`. */
  downS: number;
  timeScale: number;
  /** race: rounds of identical alerts, copies of each, and the direct-alert dedup cap. */
  rounds: number;
  copies: number;
  dedupMax: number;
  /** redis-outage: seconds Redis stays stopped. */
  outageS: number;
  /**
   * redis-outage: stop Redis at a quiet moment (the load held back, every queue empty) rather
   * than at a random one, so that no command is cut in flight (lost-reply does that on purpose).
   */
  outageWhenQuiet: boolean;
  /** lost-reply: connections cut right after a shard commit. */
  cuts: number;
  /** Progress lines (chaos events as they happen). */
  progress?: (line: string) => void;
}

export const DEFAULT_OPTIONS: ChaosOptions = {
  rate: 100,
  batch: 5,
  durationS: 30,
  sources: 16,
  shards: 4,
  lockMs: 3000,
  stalledMs: 1000,
  giveUpS: 120,
  latencyMs: 20,
  settleS: 120,
  logLevel: 'warn',
  keep: 'on-problem',
  workers: 2,
  killEveryS: 3,
  restarts: 3,
  fsync: 'always',
  downS: 12,
  timeScale: 300,
  rounds: 10,
  copies: 20,
  dedupMax: 3,
  outageS: 10,
  outageWhenQuiet: false,
  cuts: 5,
};

/** The quick form (test/chaos, `--quick`): small loads, short outages, a few seconds each. */
export const QUICK_OPTIONS: Partial<ChaosOptions> = {
  rate: 30,
  batch: 3,
  durationS: 3,
  sources: 8,
  lockMs: 2000,
  stalledMs: 500,
  settleS: 40,
  keep: 'never',
  workers: 2,
  killEveryS: 0.9,
  restarts: 1,
  downS: 2,
  timeScale: 1800,
  rounds: 3,
  copies: 6,
  outageS: 2,
  outageWhenQuiet: true,
  cuts: 1,
};

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  /** What ran and how it was configured, one line each. */
  setup: string[];
  load: LoadSummary;
  tally: Tally;
  /** Chaos events, ms after the load started. */
  events: { atMs: number; what: string }[];
  deadLetters: number;
  failedJobs: { ingest: number; deliver: number };
  receiver: { refused: number; mismatched: number; malformed: number };
  /** Processes that exited without being told to. */
  unexpectedExits: ProcessExit[];
  /** Warnings and errors in the processes' logs, by message, most frequent first. */
  logLines: { line: string; count: number }[];
  /** Anything that breaks the targets: lost, a duplicate under another id, no recovery… */
  problems: string[];
  /** Worth knowing, not a failure (inputs the load client gave up on during a long outage). */
  notes: string[];
  timings: { setupMs: number; loadMs: number; drainMs: number; totalMs: number };
  /** Where the logs are, when kept. */
  dir?: string;
}

export const TITLES: Record<ScenarioId, string> = {
  'kill-workers': 'SIGKILL of a worker every few seconds under steady load',
  'redis-restart': 'Redis killed (kill -9) and restarted with AOF under load',
  'receiver-down': 'the receiver down for "an hour" (503, then refusing connections), then back',
  race: 'three worker processes racing on the same alerts, sent to every lane at once',
  'redis-outage': 'Redis unreachable mid-stream (stopped, then started again); the bots retry 503',
  'lost-reply': 'answers lost after Redis ran the command (a commit, an enqueue): the connection cut',
};

const TOKEN = 'chaos-token-0123456789abcdef';
const PREFIX = 'klaxon-chaos';
const RECEIVER = 'hook';

export async function runScenario(
  id: ScenarioId,
  partial: Partial<ChaosOptions> = {},
): Promise<ScenarioResult> {
  const o: ChaosOptions = { ...DEFAULT_OPTIONS, ...partial };
  switch (id) {
    case 'kill-workers':
      return killWorkers(o);
    case 'redis-restart':
      return redisRestart(o);
    case 'receiver-down':
      return receiverDown(o);
    case 'race':
      return race(o);
    case 'redis-outage':
      return redisOutage(o);
    case 'lost-reply':
      return lostReply(o);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/** 1. A `klaxon worker` SIGKILLed every `killEveryS` (in turn) and started again at once. */
function killWorkers(o: ChaosOptions): Promise<ScenarioResult> {
  const workers = Math.max(1, o.workers);
  return scenario('kill-workers', o, { workers, aof: false }, async (st) => {
    const ms = o.durationS * 1000;
    const load = st.steady(ms);
    // As many kills as fit in the load with a second to spare at its end (at least one). A slow
    // machine delays a kill but never skips one.
    const kills = Math.max(1, Math.floor((o.durationS - 1) / o.killEveryS));
    for (let i = 0; i < kills; i++) {
      await sleep(o.killEveryS * 1000);
      const w = st.workers[i % st.workers.length] as KlaxonProcess;
      const pid = w.pid;
      const at = Date.now();
      await w.kill('SIGKILL');
      st.mark(`SIGKILL ${w.name} (pid ${pid})`, at);
      w.start();
    }
    await load;
    return [
      `processes: klaxon serve (HTTP + workers) and ${workers} klaxon worker; a worker SIGKILLed every ` +
        `${o.killEveryS} s in turn and started again at once`,
    ];
  });
}

/** 2. Redis kill -9 `restarts` times, spread over the load, each time started again on the same port and dir. */
function redisRestart(o: ChaosOptions): Promise<ScenarioResult> {
  return scenario('redis-restart', o, { workers: 1, aof: o.fsync }, async (st) => {
    const ms = o.durationS * 1000;
    const start = Date.now();
    const load = st.steady(ms);
    for (let k = 1; k <= o.restarts; k++) {
      const wait = start + (k * ms) / (o.restarts + 1) - Date.now();
      if (wait > 0) await sleep(wait);
      const at = Date.now();
      await st.redis.kill('SIGKILL');
      st.mark('redis-server killed (SIGKILL)', at);
      const took = await st.redis.start();
      st.mark(`redis-server answering again after ${took} ms (AOF replayed)`);
    }
    await load;
    return [
      `processes: klaxon serve and 1 klaxon worker; redis-server with appendonly yes, ` +
        `appendfsync ${o.fsync}; ${o.restarts} kill -9 + restart on the same port and dir`,
    ];
  });
}

/**
 * 3. The receiver answers 503 for the first half of `downS`, then refuses connections for the
 * second half, then comes back. Delivery timers are the defaults (backoff 1 s doubling up to
 * 300 s, 40 attempts) divided by `timeScale`, so `downS` stands for `downS × timeScale` seconds.
 */
function receiverDown(o: ChaosOptions): Promise<ScenarioResult> {
  const backoff = Math.max(1, Math.round(1000 / o.timeScale));
  const maxBackoff = Math.max(1, Math.round(300_000 / o.timeScale));
  const delivery = { backoff, max_backoff: maxBackoff, attempts: 40 };
  const ms = Math.max(o.durationS, o.downS + 2) * 1000;
  return scenario('receiver-down', o, { workers: 0, aof: false, delivery }, async (st) => {
    const start = Date.now();
    const load = st.steady(ms);
    const downAt = start + (ms - o.downS * 1000) / 2;
    await sleep(downAt - Date.now());
    await st.receiver.setMode('failing');
    st.mark('receiver answers 503');
    await sleep(downAt + (o.downS * 1000) / 2 - Date.now());
    await st.receiver.setMode('closed');
    st.mark('receiver closed (connections refused)');
    await sleep(downAt + o.downS * 1000 - Date.now());
    await st.receiver.setMode('up');
    st.mark('receiver back');
    await load;
    const emulated = (o.downS * o.timeScale) / 60;
    return [
      `processes: klaxon serve; receiver down ${o.downS} s (503, then closed) standing for ` +
        `${emulated.toFixed(0)} min: delivery backoff ${backoff} ms, max_backoff ${maxBackoff} ms, attempts 40 ` +
        `(the defaults 1 s / 300 s / 40 divided by ${o.timeScale})`,
    ];
  });
}

/**
 * 4. `klaxon serve` + 2 `klaxon worker` (three processes racing for jobs): the steady load, and
 * `rounds` times, for every source (so every lane), `copies` identical alerts sent at once.
 */
function race(o: ChaosOptions): Promise<ScenarioResult> {
  return scenario('race', o, { workers: 2, aof: false }, async (st) => {
    const ms = o.durationS * 1000;
    const start = Date.now();
    const load = st.steady(ms);
    const bursts: Promise<unknown>[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const wait = start + (r * ms) / o.rounds - Date.now();
      if (wait > 0) await sleep(wait);
      for (let s = 0; s < o.sources; s++) {
        const key = `race${r}-${s}`;
        const item: Item = {
          key,
          kind: 'same',
          body: {
            source: `bot-${s}`,
            name: 'chaos_race',
            severity: 'warning',
            title: `race ${key}`,
            labels: { chaos_key: key },
          },
        };
        for (let c = 0; c < o.copies; c++) bursts.push(st.client.postNow('/v1/alerts', [item]));
      }
      st.mark(`round ${r + 1}: ${o.sources} alerts × ${o.copies} copies at once`);
    }
    await Promise.all(bursts);
    await load;
    return [
      `processes: klaxon serve and 2 klaxon worker (three racing); ${o.rounds} rounds of ` +
        `${o.sources} sources × ${o.copies} identical alerts at once (dedup max ${o.dedupMax} per hour: ` +
        `each owes ${Math.min(o.copies, o.dedupMax)}), plus the steady load`,
    ];
  });
}

/** 5. Redis stopped (SIGTERM) a third into the load for `outageS`, then started again. */
function redisOutage(o: ChaosOptions): Promise<ScenarioResult> {
  const ms = Math.max(o.durationS, o.outageS + 2) * 1000;
  return scenario('redis-outage', o, { workers: 1, aof: o.fsync }, async (st) => {
    const start = Date.now();
    const load = st.steady(ms);
    await sleep(start + ms / 3 - Date.now());
    if (o.outageWhenQuiet) {
      st.client.pause();
      await st.client.settle();
      await st.idle(o.settleS * 1000);
    }
    const at = Date.now();
    await st.redis.kill('SIGTERM');
    st.mark(`redis-server stopped (SIGTERM${o.outageWhenQuiet ? ', at a quiet moment' : ''})`, at);
    st.client.resume();
    await sleep(o.outageS * 1000);
    const took = await st.redis.start();
    st.mark(`redis-server answering again after ${took} ms`);
    await load;
    const refused = Object.entries(st.client.summary().statuses)
      .filter(([s]) => s !== '202')
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ');
    return [
      `processes: klaxon serve and 1 klaxon worker; redis-server (appendonly yes, appendfsync ${o.fsync}) ` +
        `stopped for ${o.outageS} s; answers to the bots while it was away: ${refused || 'none'}`,
    ];
  });
}

/**
 * What lost-reply cuts: the command (found by its markers) whose answer never arrives, and the
 * request sent to make it happen at once (all from one source, so one lane: a request spanning
 * lanes goes in as a flow whose job ids are its own, which a second run does not add twice).
 */
const CUTS = [
  {
    what: 'a shard commit of threshold breaches',
    kind: 'breach',
    markers: [':alert-index', '"chaos_key":"b'],
    unless: [],
  },
  {
    what: 'the enqueue of a request of direct alerts',
    kind: 'alert',
    markers: ['"type":"batch"', '"name":"chaos_alert"'],
    unless: [':{receipts}:'],
  },
] as const;

/**
 * 6. Every Klaxon connection to Redis goes through a proxy (chaos/proxy.ts). `cuts` times during
 * the steady load, the proxy lets the next shard commit of threshold breaches (a worker's
 * command) through to Redis, then the next enqueue of direct alerts (the HTTP side's), and cuts
 * that connection before Redis's answer comes back; a request from a single bot is sent right
 * after arming, so that the cut comes at once. Redis has run the command; the client
 * reconnects, and ioredis sends again what went unanswered. This is what a Redis shutdown does
 * to the commands of its last round (redis-outage hit it at random under a heavy load), made
 * deterministic.
 */
function lostReply(o: ChaosOptions): Promise<ScenarioResult> {
  return scenario('lost-reply', o, { workers: 0, aof: o.fsync, proxy: true }, async (st) => {
    const ms = o.durationS * 1000;
    const start = Date.now();
    const load = st.steady(ms);
    const proxy = st.proxy as RedisProxy;
    const total = o.cuts * CUTS.length;
    for (let i = 0; i < total; i++) {
      const c = CUTS[i % CUTS.length] as (typeof CUTS)[number];
      await sleep(Math.max(0, start + ((i + 1) * ms) / (total + 1) - Date.now()));
      const cut = proxy.cutAfter(c.markers, { unless: c.unless }).then(() => true);
      const { path, items } = st.request(c.kind, o.batch, `bot-${i % o.sources}`);
      void st.client.post(path, items);
      if (await Promise.race([cut, sleep(10_000).then(() => false)]))
        st.mark(`connection cut after ${c.what} ran, before its answer`);
      else {
        proxy.disarm();
        st.mark(`no cut: ${c.what} not seen within 10 s`);
      }
    }
    await load;
    return [
      `processes: klaxon serve, its Redis connections through a proxy; ${o.cuts} times each, the ` +
        `connection cut right after ${CUTS.map((c) => c.what).join(', and after ')} ran in Redis, ` +
        `before the answer came back`,
    ];
  });
}

// ---------------------------------------------------------------------------------------------
// The harness

interface StageOptions {
  /** `klaxon worker` processes besides `klaxon serve`. */
  workers: number;
  aof: AppendFsync | false;
  delivery?: Record<string, unknown>;
  /** The Klaxon processes reach Redis through a RedisProxy (`st.proxy`). */
  proxy?: boolean;
}

/** A running scenario: its Redis, receiver, processes, load client and what happened. */
class Stage {
  readonly events: ChaosEvent[] = [];
  readonly exits: ProcessExit[] = [];
  readonly workers: KlaxonProcess[] = [];
  serve!: KlaxonProcess;
  redis!: ChaosRedis;
  readonly receiver = new ChaosReceiver();
  client!: LoadClient;
  probe!: Probe;
  proxy?: RedisProxy;
  t0 = Date.now();
  /** `http://127.0.0.1:<port>` of `klaxon serve`. */
  url = '';
  private sources = 0;

  constructor(
    readonly o: ChaosOptions,
    readonly dir: string,
  ) {}

  /** Records a chaos event that happened `at` (now by default). */
  mark(what: string, at = Date.now()): void {
    this.events.push({ at, what });
    this.o.progress?.(`  ${((at - this.t0) / 1000).toFixed(1).padStart(6)} s  ${what}`);
  }

  async start(so: StageOptions): Promise<void> {
    const o = this.o;
    this.redis = new ChaosRedis(await freePort(), path.join(this.dir, 'redis'), so.aof);
    await this.redis.start();
    if (so.proxy) {
      this.proxy = new RedisProxy(this.redis.port);
      await this.proxy.start();
    }
    this.receiver.latencyMs = o.latencyMs;
    await this.receiver.start();
    const port = await freePort();
    const raw = {
      redis: { url: this.proxy?.url ?? this.redis.url, prefix: PREFIX },
      server: {
        host: '127.0.0.1',
        port,
        tokens: [{ name: 'bots', token: TOKEN, sources: ['*'], admin: true }],
        rate_limit: { max: 1_000_000 },
        enqueue_timeout: '2s',
      },
      queue: {
        shards: o.shards,
        lock_duration: o.lockMs,
        stalled_interval: o.stalledMs,
        delivery: { backoff: 50, max_backoff: 1000, attempts: 40, timeout: 5000, ...so.delivery },
      },
      defaults: { direct: { dedup: { window: '1h', max: o.dedupMax } } },
      receivers: { [RECEIVER]: { type: 'webhook', url: this.receiver.url, throttle: 'off' } },
      routes: { receivers: [RECEIVER] },
      rules: [
        {
          name: 'chaos_breach',
          kind: 'threshold',
          metric: 'chaos_level',
          bands: { critical: 50 },
          repeat: 'never',
        },
      ],
      log: { level: o.logLevel },
    };
    const file = path.join(this.dir, 'klaxon.yaml');
    validateConfig(raw, file); // throws on a mistake here rather than in every child
    writeFileSync(file, JSON.stringify(raw, null, 2));
    const onExit = (e: ProcessExit) => {
      this.exits.push(e);
      if (!e.expected) this.mark(`${e.name} exited on its own (code ${e.code}, signal ${e.signal})`);
    };
    const proc = (name: string, role: 'serve' | 'worker') =>
      new KlaxonProcess(name, role, file, path.join(this.dir, `${name}.log`), onExit);
    this.serve = proc('serve', 'serve');
    for (let i = 1; i <= so.workers; i++) this.workers.push(proc(`worker-${i}`, 'worker'));
    for (const p of [this.serve, ...this.workers]) p.start();
    this.probe = new Probe(this.redis.url, PREFIX, o.shards, RECEIVER);
    this.url = `http://127.0.0.1:${port}`;
    this.client = new LoadClient({
      ...DEFAULT_LOAD,
      giveUpAfterMs: o.giveUpS * 1000,
      url: this.url,
      token: TOKEN,
    });
    await this.ready(60_000);
  }

  /** Every process up: serve answers /ready, and each process runs its delivery worker. */
  async ready(ms: number): Promise<void> {
    await until(
      async () => {
        try {
          const res = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2000) });
          await res.body?.cancel().catch(() => undefined);
          return res.status === 200;
        } catch {
          return false;
        }
      },
      ms,
      'klaxon serve to be ready',
      100,
    );
    await until(
      async () => (await this.probe.workers().catch(() => 0)) >= 1 + this.workers.length,
      ms,
      `${1 + this.workers.length} processes with workers`,
      100,
    );
  }

  /** The steady load: requests of direct alerts and of threshold breaches in turn, for `ms`. */
  steady(ms: number): Promise<void> {
    const o = this.o;
    return this.client.steady({
      rate: o.rate,
      batch: o.batch,
      ms,
      next: (n) => this.request(n % 2 === 1 ? 'breach' : 'alert', o.batch),
    });
  }

  /**
   * A request of `n` inputs of one kind, each owing one notification: direct alerts with
   * `force: true`, or threshold breaches. Their sources go round the bots, or all are `source`.
   */
  request(kind: 'alert' | 'breach', n: number, source?: string): { path: string; items: Item[] } {
    const items = Array.from({ length: n }, (): Item => {
      const from = source ?? `bot-${this.sources++ % this.o.sources}`;
      const key = this.client.key(kind === 'breach' ? 'b' : 'a');
      return kind === 'breach'
        ? {
            key,
            kind: 'breach',
            body: { source: from, metrics: { chaos_level: 100 }, labels: { chaos_key: key } },
          }
        : {
            key,
            kind: 'alert',
            body: {
              source: from,
              name: 'chaos_alert',
              severity: 'warning',
              title: `chaos ${key}`,
              labels: { chaos_key: key },
              force: true,
            },
          };
    });
    return { path: kind === 'breach' ? '/v1/metrics' : '/v1/alerts', items };
  }

  /**
   * Waits until every ingest lane and delivery queue has been empty for three polls in a row and
   * `enough()` holds, or for ten polls (a second) in a row whatever `enough()` says.
   */
  async idle(ms: number, enough: () => boolean = () => true): Promise<void> {
    let quiet = 0;
    await until(
      async () => {
        const busy = await this.probe.busy().catch(() => 1);
        quiet = busy === 0 ? quiet + 1 : 0;
        return quiet >= 3 && (quiet >= 10 || enough());
      },
      ms,
      'the queues to drain',
      100,
    );
  }

  tally(): Tally {
    return tally(this.client.sent, this.receiver.receipts, {
      dedupMax: this.o.dedupMax,
      events: this.events,
      t0: this.t0,
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.serve, ...this.workers].filter(Boolean).map((p) => p.kill('SIGKILL')));
    await this.probe?.close().catch(() => undefined);
    await this.proxy?.close();
    await this.redis?.kill('SIGKILL');
    await this.receiver.close();
  }
}

async function scenario(
  id: ScenarioId,
  o: ChaosOptions,
  so: StageOptions,
  act: (st: Stage) => Promise<string[]>,
): Promise<ScenarioResult> {
  const began = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), `klaxon-chaos-${id}-`));
  const st = new Stage(o, dir);
  const problems: string[] = [];
  let result: ScenarioResult | undefined;
  try {
    o.progress?.(`[${id}] ${TITLES[id]}`);
    await st.start(so);
    const setupMs = Date.now() - began;
    st.t0 = Date.now();
    const setup = await act(st);
    // Everything is back: the killed workers were started again, Redis and the receiver are up.
    await st.ready(60_000).catch((err: Error) => problems.push(`did not recover: ${err.message}`));
    const loadMs = Date.now() - st.t0;
    const drained = Date.now();
    await st.client.settle();
    // Done when every notification owed has arrived and the queues are empty; or when the queues
    // have been empty for a second and some are still missing: nothing is left to send them.
    await st
      .idle(o.settleS * 1000, () => st.tally().lost === 0)
      .catch((err: Error) => problems.push(err.message));
    const drainMs = Date.now() - drained;

    const t = st.tally();
    const deadLetters = await st.probe.deadLetters();
    const failedJobs = await st.probe.failed();
    const unexpectedExits = st.exits.filter((e) => !e.expected);
    if (t.lost > 0) problems.push(`${t.lost} lost: ${t.lostKeys.slice(0, 10).join(', ')}`);
    if (t.otherIdBug > 0)
      problems.push(`${t.otherIdBug} told twice under another id: ${t.otherIdKeys.slice(0, 10).join(', ')}`);
    if (t.appliedTwice > 0)
      problems.push(
        `${t.appliedTwice} inputs evaluated twice (told with alert version > 1): ` +
          t.appliedTwiceIds.slice(0, 10).join(', '),
      );
    if (t.unknown > 0) problems.push(`${t.unknown} notifications about no input of ours`);
    if (st.receiver.mismatched > 0) problems.push(`${st.receiver.mismatched} header/body id mismatches`);
    if (deadLetters > 0) problems.push(`${deadLetters} dead letters`);
    if (failedJobs.ingest + failedJobs.deliver > 0)
      problems.push(`failed jobs: ${failedJobs.ingest} ingest, ${failedJobs.deliver} delivery`);
    for (const e of unexpectedExits)
      problems.push(`${e.name} exited on its own (code ${e.code}, signal ${e.signal})`);
    const notes: string[] = [];
    const { gaveUp, rejected } = st.client.summary();
    if (rejected > 0) problems.push(`${rejected} inputs refused with a 4xx (a mistake in the load)`);
    if (gaveUp > 0)
      notes.push(
        `${gaveUp} inputs never accepted: the load client gave up on them after ${o.giveUpS} s of refusals ` +
          `(not owed, so not counted as lost)`,
      );

    result = {
      id,
      title: TITLES[id],
      setup,
      load: st.client.summary(),
      tally: t,
      events: st.events.map((e) => ({ atMs: e.at - st.t0, what: e.what })),
      deadLetters,
      failedJobs,
      receiver: {
        refused: st.receiver.refused,
        mismatched: st.receiver.mismatched,
        malformed: st.receiver.malformed,
      },
      unexpectedExits,
      logLines: [],
      problems,
      notes,
      timings: { setupMs, loadMs, drainMs, totalMs: 0 },
    };
    return result;
  } catch (err) {
    const keptIn = o.keep === 'never' ? '' : ` (logs in ${dir})`;
    throw new Error(`[${id}] ${(err as Error).message}${keptIn}`, { cause: err });
  } finally {
    await st.stop();
    if (result) {
      result.logLines = logLines(dir);
      result.timings.totalMs = Date.now() - began;
    }
    const keep = o.keep === 'always' || (o.keep === 'on-problem' && (!result || result.problems.length > 0));
    if (keep && result) result.dir = dir;
    else if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Warnings and errors of the Klaxon processes' JSON logs, counted by process kind and message. */
function logLines(dir: string): { line: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const who = f.replace(/-\d+\.log$|\.log$/, '');
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      let msg: string;
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string; err?: unknown };
        if ((j.level ?? 0) < 40) continue;
        const err = typeof j.err === 'string' ? j.err : '';
        msg = `${j.level === 40 ? 'warn' : 'error'} ${j.msg ?? ''}${err ? `: ${err}` : ''}`;
      } catch {
        msg = `text ${line.slice(0, 160)}`;
      }
      const key = `${who}: ${msg.replace(/\d{3,}/g, 'N')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts]
    .map(([line, count]) => ({ line, count }))
    .sort((a, b) => b.count - a.count)
    .slice(0, 12);
}
