/**
 * `npm run bench` (second part): how many notifications per second Klaxon delivers through each
 * channel, end to end through the real delivery path (HTTP accept -> ingest queue -> evaluation ->
 * delivery queue -> delivery worker -> the channel's client library -> the service), to a local
 * stand-in of each service (the fakes the tests use), with the services' default rate limits
 * (`throttle`) off, against the Redis at $REDIS_URL (default redis://127.0.0.1:6379).
 *
 *   npx tsx bench/delivery.ts [--channels webhook,telegram,discord,pagerduty,email] [--count 2000]
 *                             [--batch 100] [--in-flight 4] [--timeout 60] [--log-level silent]
 *                             [--cpu-prof DIR]
 *
 * For each channel in turn: the fake service starts in this process; an App (role serve, no
 * scheduler) whose only receiver is that channel starts in a child process (bench/delivery-child.ts,
 * so that Klaxon's CPU and peak RSS are its own, and so that it trusts the certificate of the fake
 * PagerDuty through NODE_EXTRA_CA_CERTS, which Node reads only at start-up). Its config: its own
 * Redis prefix (`klaxon-bench-delivery-<pid>`), default `queue.delivery` (concurrency 4),
 * `throttle: off`, direct-alert dedup high enough that nothing is folded. This process then pushes
 * `--count` distinct alerts (distinct name+source, so one notification each) to POST /v1/alerts,
 * `--batch` per request with `--in-flight` requests at a time, and measures from the first request
 * until the fake has received all of them. Then the App and the fake stop and every key under the
 * prefix is deleted before the next channel; the certificate's temp dir is removed at the end.
 *
 * Figures: notifications/s end to end; the Klaxon process's peak RSS (and RSS once started), CPU
 * and event-loop use over the measured window; the mean time of one send
 * (klaxon_delivery_duration_seconds); Redis CPU and commands per notification (counted for the
 * whole server: someone else's load on a shared Redis shows up in them); this process's CPU (fake
 * service + load); delivery results other than `sent` (a retry after a rate-limit answer, say),
 * which slow delivery down but lose nothing. Exit code 1 only when something broke: a request not
 * answered 202, a notification not delivered within --timeout or not exactly once, a delivery
 * failed for good, the fake refusing a request, a crash, keys left behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { writeLocalhostCert } from '../test/support/tls.js';
import { FakeDiscord } from '../test/support/fakes/discord.js';
import { FakePagerDuty } from '../test/support/fakes/pagerduty.js';
import { FakeSmtp } from '../test/support/fakes/smtp.js';
import { FakeTelegram } from '../test/support/fakes/telegram.js';
import { Recorder } from '../test/support/recorder.js';
import type { ChildStats, FromChild, ToChild } from './delivery-child.js';
import {
  compiledChild,
  repoRoot,
  countKeys,
  deleteKeys,
  int,
  machineLine,
  mb,
  num,
  pct,
  redisUsage,
  sleep,
} from './common.js';

const CHANNELS = ['webhook', 'telegram', 'discord', 'pagerduty', 'email'] as const;
type ChannelName = (typeof CHANNELS)[number];

// ---------------------------------------------------------------------------------------------
// Options

const USAGE =
  'npx tsx bench/delivery.ts [--channels webhook,telegram,discord,pagerduty,email] [--count 2000] [--batch 100] [--in-flight 4] [--timeout 60] [--log-level silent] [--cpu-prof DIR]';

const { values: args } = parseArgs({
  options: {
    channels: { type: 'string', default: CHANNELS.join(',') },
    count: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '4' },
    timeout: { type: 'string', default: '60' },
    'log-level': { type: 'string', default: 'silent' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  console.log(
    '  --channels   which channels, in this order (default: all)\n' +
      '  --count      distinct alerts (= notifications) per channel\n' +
      '  --batch      alerts per POST /v1/alerts request\n' +
      '  --in-flight  requests in flight at a time\n' +
      '  --timeout    seconds to wait per channel for every notification to arrive\n' +
      "  --log-level  the App's log level (silent, error, warn, info…), JSON lines on stdout\n" +
      '  --cpu-prof   write a V8 CPU profile of each Klaxon process into this directory',
  );
  process.exit(0);
}

const COUNT = Math.round(num('count', args.count, 1, 1_000_000));
const BATCH = Math.round(num('batch', args.batch, 1, 5000));
const IN_FLIGHT = Math.round(num('in-flight', args['in-flight'], 1, 256));
const TIMEOUT_S = num('timeout', args.timeout, 1, 3600);
const LOG_LEVEL = args['log-level'] ?? 'silent';
const PROFILE_DIR = args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined;
if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(LOG_LEVEL)) {
  console.error(`--log-level must be one of fatal, error, warn, info, debug, trace, silent`);
  process.exit(2);
}
const SELECTED: ChannelName[] = [];
for (const c of (args.channels ?? '').split(',').map((s) => s.trim())) {
  if (c === '') continue;
  if (!(CHANNELS as readonly string[]).includes(c)) {
    console.error(`--channels: unknown channel ${JSON.stringify(c)}; known: ${CHANNELS.join(', ')}`);
    process.exit(2);
  }
  if (!SELECTED.includes(c as ChannelName)) SELECTED.push(c as ChannelName);
}
if (SELECTED.length === 0) {
  console.error(`--channels: name at least one of ${CHANNELS.join(', ')}`);
  process.exit(2);
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `klaxon-bench-delivery-${process.pid}`;
const TOKEN = `bench-${process.pid}-${Math.random().toString(36).slice(2)}-token`;
const SOURCES = 20;

// ---------------------------------------------------------------------------------------------
// Small helpers

const msFmt = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : 'n/a');

/** The alert numbers (see `alertsBatch`) that texts name, counted once each. */
function distinctAlerts(texts: Iterable<string>): number {
  const seen = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(TITLE_NUMBER)) seen.add(m[1] as string);
  return seen.size;
}

// ---------------------------------------------------------------------------------------------
// The fake services: start, the receiver that points at it, and what it has received

interface Fake {
  receiver: Record<string, unknown>;
  /** Notifications received and accepted so far. */
  delivered(): number;
  /** Requests (or messages) the fake refused or could not take, so far. */
  refused(): number;
  /** How many distinct alerts (by the number in their title) the delivered messages name. */
  distinct(): number;
  close(): Promise<void>;
}

async function startFake(channel: ChannelName): Promise<Fake> {
  switch (channel) {
    case 'webhook': {
      const rec = await new Recorder().start();
      return {
        receiver: { type: 'webhook', url: rec.url, throttle: 'off' },
        delivered: () => rec.received.length,
        refused: () => rec.attempts - rec.received.length,
        distinct: () => distinctAlerts(rec.received.map((n) => JSON.stringify(n))),
        close: () => rec.close(),
      };
    }
    case 'telegram': {
      const token = '123456:BENCH-token';
      const tg = await new FakeTelegram({ token }).start();
      return {
        receiver: { type: 'telegram', token, chat_ids: [555], api_root: tg.apiRoot, throttle: 'off' },
        delivered: () => tg.messages.length,
        refused: () => tg.requests.length - tg.messages.length,
        distinct: () => distinctAlerts(tg.messages.map((m) => m.text)),
        close: () => tg.close(),
      };
    }
    case 'discord': {
      // The default: the fake reports its bucket in X-RateLimit-* headers but never enforces it.
      const dc = await new FakeDiscord({ rateLimit: { enforce: false } }).start();
      return {
        receiver: { type: 'discord', webhook_url: dc.webhookUrl(), api_root: dc.apiRoot, throttle: 'off' },
        delivered: () => dc.messages.size,
        refused: () =>
          dc.requests.filter((r) => r.answered !== undefined && r.answered !== 200 && r.answered !== 204)
            .length,
        distinct: () => distinctAlerts([...dc.messages.values()].map((m) => JSON.stringify(m.embeds))),
        close: () => dc.close(),
      };
    }
    case 'pagerduty': {
      const pd = await new FakePagerDuty().start();
      let seen = 0;
      let accepted = 0;
      let other = 0;
      const tally = () => {
        for (; seen < pd.requests.length; seen++) {
          if (pd.requests[seen]?.answer === 202) accepted++;
          else other++;
        }
      };
      return {
        receiver: {
          type: 'pagerduty',
          routing_key: 'bench'.repeat(6) + '01',
          server: pd.server,
          throttle: 'off',
        },
        delivered: () => (tally(), accepted),
        refused: () => (tally(), other),
        distinct: () => distinctAlerts(pd.requests.filter((r) => r.answer === 202).map((r) => r.raw)),
        close: () => pd.close(),
      };
    }
    case 'email': {
      const smtp = await new FakeSmtp().start();
      return {
        receiver: {
          type: 'email',
          to: ['oncall@example.com'],
          from: 'Klaxon <klaxon@example.com>',
          smtp: { host: smtp.host, port: smtp.port, secure: false, require_tls: false },
          throttle: 'off',
        },
        delivered: () => smtp.messages.length,
        refused: () => smtp.errors.length,
        distinct: () => distinctAlerts(smtp.messages.map((m) => m.parsed.subject ?? '')),
        close: () => smtp.close(),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The Klaxon process

class KlaxonChild {
  readonly proc: ChildProcess;
  private readonly listeners = new Set<(m: FromChild) => void>();
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitWaiters = new Set<() => void>();

  constructor(env: NodeJS.ProcessEnv) {
    this.proc = fork(compiledChild('delivery-child.ts'), [], {
      cwd: repoRoot,
      execArgv: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: FromChild) => {
      for (const l of [...this.listeners]) l(m);
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const w of [...this.exitWaiters]) w();
    });
  }

  post(m: ToChild): void {
    if (this.exited === undefined && this.proc.connected) this.proc.send(m);
  }

  /** The next message of `type`; rejects when the child exits first or after `ms`. */
  next<T extends FromChild['type']>(type: T, ms: number): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(onMessage);
        this.exitWaiters.delete(onExit);
      };
      const onMessage = (m: FromChild) => {
        if (m.type === 'error') {
          done();
          reject(new Error(`the Klaxon process failed: ${m.message}`));
        } else if (m.type === type) {
          done();
          resolve(m as Extract<FromChild, { type: T }>);
        }
      };
      const onExit = () => {
        done();
        reject(new Error(`the Klaxon process exited (${this.describeExit()}) before sending '${type}'`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the Klaxon process sent no '${type}' within ${ms / 1000} s`));
      }, ms);
      this.listeners.add(onMessage);
      this.exitWaiters.add(onExit);
      if (this.exited) onExit();
    });
  }

  describeExit(): string {
    return this.exited ? `code ${this.exited.code}, signal ${this.exited.signal}` : 'running';
  }

  /** Waits for the child to exit (it does after `stop`); kills it after `ms`. */
  async waitExit(ms: number): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
      }, ms);
      this.exitWaiters.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}

function configFor(channel: ChannelName, receiver: Record<string, unknown>): Record<string, unknown> {
  return {
    redis: { url: REDIS_URL, prefix: PREFIX },
    server: {
      host: '127.0.0.1',
      port: 0,
      tokens: [{ name: 'bench', token: TOKEN, sources: ['*'] }],
      // One token pushes everything: the per-token request limit must not be what is measured.
      rate_limit: { max: 1_000_000, window: '1s' },
    },
    // Every alert is distinct (one notification each); a high cap makes sure none is folded.
    defaults: { direct: { dedup: { window: '1h', max: 1000 } } },
    receivers: { [channel]: receiver },
    routes: { receivers: [channel] },
    log: { level: 'silent' },
  };
}

// ---------------------------------------------------------------------------------------------
// Load: COUNT distinct alerts, BATCH per request, IN_FLIGHT requests at a time

const SEVERITIES = ['critical', 'error', 'warning'] as const;
/** Every alert's title carries its number, in words no channel escapes. */
const TITLE_NUMBER = /bench alert number (\d+)/g;

function alertsBatch(run: string, from: number, to: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    const bot = i % SOURCES;
    out.push({
      source: `bench-bot-${bot}`,
      name: `bench_${run}_alert_${i}`,
      severity: SEVERITIES[i % SEVERITIES.length],
      title: `Order book stale on BTCUSDT, bench alert number ${i}`,
      message: `No order book update for 45 s from exchange-${bot % 5}.\nLast mid price 64123.5, spread 0.8 bps.`,
      labels: { symbol: 'BTCUSDT', exchange: `exchange-${bot % 5}`, strategy: 'grid' },
      value: 45 + (i % 10),
    });
  }
  return out;
}

interface PushResult {
  /** Alerts in requests answered 202. */
  accepted: number;
  /** HTTP status (or `error:<message>`) -> requests. */
  statuses: Record<string, number>;
}

async function push(url: string, run: string, aborted: () => boolean): Promise<PushResult> {
  const statuses: Record<string, number> = {};
  let accepted = 0;
  let next = 0;
  const worker = async () => {
    while (!aborted()) {
      const from = next;
      if (from >= COUNT) return;
      const to = Math.min(COUNT, from + BATCH);
      next = to;
      let status: string;
      try {
        const res = await fetch(`${url}/v1/alerts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(alertsBatch(run, from, to)),
        });
        status = String(res.status);
        const text = await res.text();
        if (res.status === 202) accepted += to - from;
        else if ((statuses[status] ?? 0) === 0)
          console.error(`  POST /v1/alerts answered ${status}: ${text}`);
      } catch (err) {
        status = `error:${(err as Error).message}`;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { accepted, statuses };
}

// ---------------------------------------------------------------------------------------------
// One channel

interface ChannelReport {
  channel: ChannelName;
  ok: boolean;
  problems: string[];
  pushed: number;
  delivered: number;
  /** RSS of the Klaxon process once started, before the load. */
  readyRss: number;
  /** Distinct alerts among the delivered messages. */
  distinct: number;
  refused: number;
  /** From the first request until the last notification arrived (or the timeout), s. */
  seconds: number;
  /** Until the last request was answered, s. */
  pushSeconds: number;
  rate: number;
  timedOut: boolean;
  stats?: ChildStats;
  redisCpu: number;
  /** Redis commands processed per notification delivered. */
  redisCommands: number;
  selfCpu: number;
}

let aborted = false;
let currentChild: KlaxonChild | undefined;

async function runChannel(
  channel: ChannelName,
  env: NodeJS.ProcessEnv,
  redis: Redis,
): Promise<ChannelReport> {
  const report: ChannelReport = {
    channel,
    ok: false,
    problems: [],
    pushed: 0,
    delivered: 0,
    readyRss: NaN,
    distinct: 0,
    refused: 0,
    seconds: NaN,
    pushSeconds: NaN,
    rate: NaN,
    timedOut: false,
    redisCpu: NaN,
    redisCommands: NaN,
    selfCpu: NaN,
  };
  let fake: Fake | undefined;
  let child: KlaxonChild | undefined;
  try {
    fake = await startFake(channel);
    child = new KlaxonChild(env);
    currentChild = child;
    child.post({ type: 'start', config: configFor(channel, fake.receiver), logLevel: LOG_LEVEL });
    const ready = await child.next('ready', 60_000);
    for (const w of ready.warnings) console.log(`  config warning: ${w}`);
    report.readyRss = ready.rss;

    const redis0 = await redisUsage(redis);
    const cpu0 = process.cpuUsage();
    child.post({ type: 'go' });
    // A few ms for the `go` message to land before the first request.
    await sleep(20);
    const t0 = performance.now();
    const run = `${process.pid}_${channel}`;
    let pushDone = false;
    let pushError: unknown;
    let pushed: PushResult = { accepted: 0, statuses: {} };
    const pushing = push(ready.url, run, () => aborted || child?.exited !== undefined).then(
      (r) => {
        pushed = r;
        report.pushSeconds = (performance.now() - t0) / 1000;
        pushDone = true;
      },
      (err: unknown) => {
        pushError = err;
        pushDone = true;
      },
    );
    const deadline = t0 + TIMEOUT_S * 1000;
    let t1 = NaN;
    for (;;) {
      const target = pushDone ? pushed.accepted : COUNT;
      if (fake.delivered() >= target && pushDone) {
        t1 = performance.now();
        break;
      }
      if (aborted || child.exited !== undefined || performance.now() > deadline) break;
      await sleep(5);
    }
    await pushing;
    if (!Number.isFinite(t1)) {
      t1 = performance.now();
      report.timedOut = !aborted && child.exited === undefined;
    }
    const wall = (t1 - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    report.selfCpu = (cpu.user + cpu.system) / 1e6 / wall;
    const redis1 = await redisUsage(redis);
    report.redisCpu = (redis1.cpu - redis0.cpu) / wall;
    report.pushed = pushed.accepted;
    report.delivered = fake.delivered();
    report.refused = fake.refused();
    report.seconds = wall;
    report.rate = report.delivered / wall;
    report.redisCommands = (redis1.commands - redis0.commands) / Math.max(1, report.delivered);

    if (pushError) report.problems.push(`pushing alerts failed: ${String(pushError)}`);
    const bad = Object.entries(pushed.statuses).filter(([s]) => s !== '202');
    if (bad.length > 0)
      report.problems.push(
        `POST /v1/alerts answers other than 202: ${bad.map(([s, n]) => `${s} x${n}`).join(', ')}`,
      );
    if (report.timedOut)
      report.problems.push(
        `only ${report.delivered} of ${report.pushed} notifications arrived within --timeout ${TIMEOUT_S} s`,
      );
    if (report.delivered > report.pushed)
      report.problems.push(
        `${report.delivered - report.pushed} more messages arrived than alerts were pushed`,
      );
    report.distinct = fake.distinct();
    if (!report.timedOut && !aborted && report.distinct !== report.pushed)
      report.problems.push(
        `the ${report.delivered} messages name ${report.distinct} distinct alerts, not ${report.pushed}`,
      );
    if (report.refused > 0) report.problems.push(`the fake refused ${report.refused} requests`);
    if (child.exited) report.problems.push(`the Klaxon process exited early (${child.describeExit()})`);

    child.post({ type: 'stop', expected: report.delivered });
    report.stats = (await child.next('stats', 30_000)).stats;
    // Waits (a retry after a rate-limit answer, a throttle) slow delivery down but lose nothing:
    // reported, not a failure. A notification refused for good or dead-lettered is one.
    const r = report.stats.results;
    const lost = Object.entries(r).filter(([k, n]) => ['failed', 'dead', 'fallback'].includes(k) && n > 0);
    if (lost.length > 0)
      report.problems.push(`deliveries that failed: ${lost.map(([k, n]) => `${k} ${int(n)}`).join(', ')}`);
    await child.waitExit(40_000);
  } catch (err) {
    report.problems.push(err instanceof Error ? err.message : String(err));
  } finally {
    child?.kill();
    if (child) await child.waitExit(5_000);
    currentChild = undefined;
    await fake
      ?.close()
      .catch((err: unknown) => report.problems.push(`closing the fake failed: ${String(err)}`));
    try {
      await deleteKeys(redis, PREFIX);
    } catch (err) {
      report.problems.push(`could not delete the Redis keys under ${PREFIX}:*: ${String(err)}`);
    }
  }
  if (aborted) report.problems.push('interrupted');
  report.ok = report.problems.length === 0;
  return report;
}

// ---------------------------------------------------------------------------------------------
// Report

function printChannel(r: ChannelReport): void {
  const s = r.stats;
  const head = r.timedOut
    ? `${r.channel.padEnd(10)} ${String(r.delivered).padStart(6)} of ${r.pushed} notifications in ${r.seconds.toFixed(2)} s (timed out) = ${int(r.rate)}/s`
    : `${r.channel.padEnd(10)} ${String(r.delivered).padStart(6)} notifications in ${r.seconds.toFixed(2)} s = ${int(r.rate)}/s`;
  console.log(`${head}   peak RSS ${mb(s?.peakRss ?? NaN)} (${mb(r.readyRss)} once started)`);
  console.log(
    `           Klaxon CPU ${pct(s?.cpu ?? NaN)} of one core, event loop busy ${pct(s?.elu ?? NaN)}; ` +
      `one send ${msFmt(s?.sends.meanMs ?? NaN)} mean (${int(s?.sends.count ?? NaN)} sends); ` +
      `Redis CPU ${pct(r.redisCpu)}, ${int(r.redisCommands)} commands/notification; fake + load CPU ${pct(r.selfCpu)}; ` +
      `requests answered after ${r.pushSeconds.toFixed(2)} s`,
  );
  if (s) {
    const extra = Object.entries(s.results)
      .filter(([k, n]) => k !== 'sent' && n > 0)
      .map(([k, n]) => `${k} ${int(n)}`);
    if (extra.length > 0) console.log(`           delivery results besides sent: ${extra.join(', ')}`);
  }
  for (const p of r.problems) console.log(`           PROBLEM: ${p}`);
}

function printTable(machine: string, reports: ChannelReport[]): void {
  console.log(`\n${machine}`);
  console.log(
    `${int(COUNT)} distinct alerts per channel, ${BATCH} per request, ${IN_FLIGHT} requests in flight; queue.delivery defaults (concurrency 4); throttle off\n`,
  );
  console.log('| Channel | Notifications/s | Time | Peak RSS (Klaxon) | Klaxon CPU | Mean send | |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of reports)
    console.log(
      `| ${r.channel} | ${int(r.rate)} | ${r.seconds.toFixed(2)} s | ${mb(r.stats?.peakRss ?? NaN)} | ${pct(r.stats?.cpu ?? NaN)} | ${msFmt(r.stats?.sends.meanMs ?? NaN)} | ${r.ok ? 'ok' : 'PROBLEM'} |`,
    );
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'klaxon-bench-delivery-'));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', () => undefined);
  let code = 0;
  try {
    await redis.connect();
    await writeLocalhostCert(tmp);
    // The fake PagerDuty (here) reads its certificate through testTls(); the Klaxon process must
    // trust it from start-up, hence NODE_EXTRA_CA_CERTS in its environment.
    process.env.KLAXON_TEST_TLS_DIR = tmp;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KLAXON_TEST_TLS_DIR: tmp,
      NODE_EXTRA_CA_CERTS: path.join(tmp, 'cert.pem'),
    };

    const machine = await machineLine(redis);
    console.log('# Klaxon delivery benchmark');
    console.log(machine);
    console.log(
      `Redis ${REDIS_URL} prefix ${PREFIX}; ${int(COUNT)} alerts per channel, ${BATCH} per request, ${IN_FLIGHT} in flight; timeout ${TIMEOUT_S} s per channel\n`,
    );

    const reports: ChannelReport[] = [];
    for (const channel of SELECTED) {
      if (aborted) break;
      const r = await runChannel(channel, env, redis);
      printChannel(r);
      reports.push(r);
      if (!r.ok) code = 1;
    }
    printTable(machine, reports);
  } catch (err) {
    console.error('benchmark failed:', err);
    code = 1;
  } finally {
    currentChild?.kill();
    try {
      if (redis.status !== 'ready') await redis.connect().catch(() => undefined);
      await deleteKeys(redis, PREFIX);
      const left = await countKeys(redis, PREFIX);
      console.log(`\nCleaned up: Redis keys under ${PREFIX}:* (${left} left), ${tmp}`);
      if (left > 0) code = 1;
    } catch (err) {
      console.error(`could not delete the Redis keys under ${PREFIX}:*:`, err);
      code = 1;
    }
    redis.disconnect();
    await rm(tmp, { recursive: true, force: true });
  }
  return code;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    aborted = true;
    currentChild?.kill();
  });

process.exitCode = await main();
// Nothing should be left running; a straggling handle must not keep the benchmark alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
