/**
 * `npm run bench`: Klaxon end to end, HTTP accept -> queue -> evaluation (the trading preset's
 * rules and anomaly detectors) -> delivery-job enqueue, against the Redis at $REDIS_URL
 * (default redis://127.0.0.1:6379).
 *
 *   npm run bench -- [--seconds 20] [--rate 5000] [--concurrency 16] [--batch 100]
 *                    [--paced-batch 50] [--sources 20] [--shards 8] [--drain-timeout 180]
 *
 * An App (role serve, no scheduler, silent logger) runs in this process with a config built here:
 * its own Redis prefix (`klaxon-bench-<pid>`), one token for every source, one `file` receiver in
 * a temp dir. The load comes from a child process (bench/throughput-load.ts) over keep-alive HTTP.
 * Phase 1 saturates the server for `--seconds`, then waits for the backlog to drain; phase 2
 * sends `--rate` samples per second for `--seconds` and reports accept-to-evaluated latency.
 * Everything it wrote (Redis keys under its prefix, the temp dir) is deleted at the end.
 * Exit code 1 only when something broke (not for a missed target).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { App } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { KlaxonMetrics } from '../src/ops/metrics.js';
import { silentLogger } from '../src/ops/logger.js';
import { METRICS_PER_SNAPSHOT, type LoadOptions, type LoadResult } from './throughput-load.js';
import { compiledChild, repoRoot, deleteKeys, int, machineLine, mb, num, pct, sleep } from './common.js';

const TARGET_SAMPLES_PER_S = 300_000;
const TARGET_P99_MS = 100;

// ---------------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16' },
    batch: { type: 'string', default: '100' },
    'paced-batch': { type: 'string', default: '50' },
    sources: { type: 'string', default: '20' },
    shards: { type: 'string', default: '8' },
    'drain-timeout': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'npm run bench -- [--seconds 20] [--rate 5000] [--concurrency 16] [--batch 100] [--paced-batch 50] [--sources 20] [--shards 8] [--drain-timeout S]',
  );
  process.exit(0);
}

const SECONDS = num('seconds', args.seconds, 1, 3600);
const RATE = num('rate', args.rate, 1, 10_000_000);
const CONCURRENCY = Math.round(num('concurrency', args.concurrency, 1, 1024));
const BATCH = Math.round(num('batch', args.batch, 1, 5000));
const PACED_BATCH = Math.round(num('paced-batch', args['paced-batch'], 1, 5000));
const SOURCES = Math.round(num('sources', args.sources, 1, 10_000));
const SHARDS = Math.round(num('shards', args.shards, 1, 256));
const DRAIN_TIMEOUT_S = num(
  'drain-timeout',
  args['drain-timeout'] ?? String(Math.max(120, 6 * SECONDS)),
  1,
  7200,
);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `klaxon-bench-${process.pid}`;
const TOKEN = `bench-${process.pid}-${Math.random().toString(36).slice(2)}-token`;

// ---------------------------------------------------------------------------------------------
// Small helpers

const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : 'n/a');
const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

// ---------------------------------------------------------------------------------------------
// What the server reports: evaluated batches (onEvaluated hook), RSS, CPU

interface Evaluated {
  receivedAt: number;
  finishedAt: number;
  samples: number;
}

/** Every evaluated batch, from the App's onEvaluated hook. */
const evaluated: Evaluated[] = [];
const MAX_RECORDS = 5_000_000;
let hookCalls = 0;
/**
 * The same facts from Klaxon's own metrics (evaluateLatency is observed once per evaluated batch,
 * `evaluated{kind=sample}` counts its samples): used only if the hook never fires.
 */
const fromMetrics: Evaluated[] = [];
let metricSamples = 0;

function records(): Evaluated[] {
  return hookCalls > 0 ? evaluated : fromMetrics;
}

function instrument(metrics: KlaxonMetrics): void {
  const observe = metrics.evaluateLatency.observe.bind(metrics.evaluateLatency) as (v: number) => void;
  (metrics.evaluateLatency as unknown as { observe: (v: number) => void }).observe = (v: number) => {
    const now = Date.now();
    if (fromMetrics.length < MAX_RECORDS)
      fromMetrics.push({ receivedAt: now - v * 1000, finishedAt: now, samples: metricSamples });
    metricSamples = 0;
    observe(v);
  };
  const inc = metrics.evaluated.inc.bind(metrics.evaluated) as (l: { kind: string }, v: number) => void;
  (metrics.evaluated as unknown as { inc: (l: { kind: string }, v: number) => void }).inc = (l, v) => {
    if (l.kind === 'sample') metricSamples += v;
    inc(l, v);
  };
}

/** Peak RSS every 100 ms, CPU of this process, event-loop utilisation and Redis CPU over a phase. */
class ResourceMeter {
  peakRss = process.memoryUsage().rss;
  private readonly timer: NodeJS.Timeout;
  private readonly cpu0 = process.cpuUsage();
  private readonly elu0 = performance.eventLoopUtilization();
  private readonly t0 = performance.now();

  private constructor(
    private readonly redis: Redis,
    private readonly redisCpu0: number,
  ) {
    this.timer = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss);
    }, 100);
  }

  static async start(redis: Redis): Promise<ResourceMeter> {
    return new ResourceMeter(redis, await redisCpu(redis));
  }

  async stop(): Promise<{ peakRss: number; cpu: number; elu: number; redisCpu: number; wall: number }> {
    clearInterval(this.timer);
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss);
    const wall = (performance.now() - this.t0) / 1000;
    const c = process.cpuUsage(this.cpu0);
    return {
      peakRss: this.peakRss,
      wall,
      cpu: (c.user + c.system) / 1e6 / wall,
      elu: performance.eventLoopUtilization(this.elu0).utilization,
      redisCpu: ((await redisCpu(this.redis)) - this.redisCpu0) / wall,
    };
  }
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const f = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return f('used_cpu_user') + f('used_cpu_sys');
}

// ---------------------------------------------------------------------------------------------
// Load generator (child process)

let child: ChildProcess | undefined;
let aborted = false;

function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const c = fork(compiledChild('throughput-load.ts'), [JSON.stringify(opts)], {
      cwd: repoRoot,
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = c;
    let result: LoadResult | undefined;
    // The child stops by itself after `seconds`; this is the backstop.
    const killer = setTimeout(() => c.kill('SIGKILL'), (opts.seconds + 120) * 1000);
    c.on('message', (m: { type?: string; result?: LoadResult }) => {
      if (m?.type === 'result') result = m.result;
    });
    c.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    c.on('exit', (code, signal) => {
      clearTimeout(killer);
      child = undefined;
      if (result) resolve(result);
      else reject(new Error(`load generator exited (code ${code}, signal ${signal}) without a result`));
    });
  });
}

/**
 * Waits until `batches` batches have been evaluated since `from` (one request of one source is
 * one job). Resolves with the time it took, or undefined on timeout.
 */
async function drain(fromIndex: number, batches: number, timeoutS: number): Promise<number | undefined> {
  const t0 = performance.now();
  const deadline = t0 + timeoutS * 1000;
  while (!aborted && performance.now() < deadline) {
    if (records().length - fromIndex >= batches) return (performance.now() - t0) / 1000;
    await sleep(20);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Phases

interface SaturationReport {
  load: LoadResult;
  acceptedPerS: number;
  evaluatedInWindowPerS: number;
  drainS: number | undefined;
  endToEndPerS: number;
  samplesEvaluated: number;
  batchesEvaluated: number;
  res: Awaited<ReturnType<ResourceMeter['stop']>>;
  loadCpu: number;
}

async function saturation(url: string, redis: Redis): Promise<SaturationReport> {
  const from = records().length;
  const meter = await ResourceMeter.start(redis);
  const loadStart = Date.now();
  const load = await runLoad({
    url,
    token: TOKEN,
    mode: 'saturate',
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    batch: BATCH,
    sources: SOURCES,
    maxRequests: 10_000_000,
  });
  const loadEnd = Date.now();
  const drainS = await drain(from, load.accepted, DRAIN_TIMEOUT_S);
  const res = await meter.stop();
  const recs = records().slice(from);
  // The child's clock starts with its first request, a little after loadStart (process start-up).
  const window = recs.filter((r) => r.finishedAt <= loadEnd);
  const samplesInWindow = window.reduce((a, r) => a + r.samples, 0);
  const samplesEvaluated = recs.reduce((a, r) => a + r.samples, 0);
  const windowS = Math.min(load.elapsed, (loadEnd - loadStart) / 1000);
  return {
    load,
    acceptedPerS: load.samplesAccepted / load.elapsed,
    evaluatedInWindowPerS: samplesInWindow / windowS,
    drainS,
    endToEndPerS: drainS === undefined ? NaN : load.samplesAccepted / (load.elapsed + drainS),
    samplesEvaluated,
    batchesEvaluated: recs.length,
    res,
    loadCpu: (load.cpuMs.user + load.cpuMs.system) / 1000 / load.elapsed,
  };
}

interface PacedReport {
  load: LoadResult;
  achievedPerS: number;
  latency: { n: number; p50: number; p95: number; p99: number; max: number };
  drainS: number | undefined;
  res: Awaited<ReturnType<ResourceMeter['stop']>>;
  loadCpu: number;
}

async function paced(url: string, redis: Redis): Promise<PacedReport> {
  const from = records().length;
  const meter = await ResourceMeter.start(redis);
  const load = await runLoad({
    url,
    token: TOKEN,
    mode: 'paced',
    rate: RATE,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    batch: PACED_BATCH,
    sources: SOURCES,
    maxRequests: Math.ceil((SECONDS * RATE) / (PACED_BATCH * METRICS_PER_SNAPSHOT)) + 1,
  });
  const drainS = await drain(from, load.accepted, DRAIN_TIMEOUT_S);
  const res = await meter.stop();
  const lat = records()
    .slice(from)
    .map((r) => r.finishedAt - r.receivedAt)
    .sort((a, b) => a - b);
  return {
    load,
    achievedPerS: load.samplesAccepted / load.elapsed,
    latency: {
      n: lat.length,
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      p99: percentile(lat, 99),
      max: lat.length > 0 ? (lat[lat.length - 1] as number) : NaN,
    },
    drainS,
    res,
    loadCpu: (load.cpuMs.user + load.cpuMs.system) / 1000 / load.elapsed,
  };
}

// ---------------------------------------------------------------------------------------------
// Clean-up: every key under our prefix

// ---------------------------------------------------------------------------------------------
// Report

function statuses(load: LoadResult): string {
  return (
    Object.entries(load.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}: ${int(n)}`)
      .join(', ') || 'none'
  );
}

function printSaturation(s: SaturationReport): void {
  const l = s.load;
  console.log(
    `\n## Phase 1: saturation (${SECONDS} s, ${CONCURRENCY} requests in flight, ${BATCH} snapshots/request)`,
  );
  console.log(
    `  requests           ${int(l.requests)} sent, ${int(l.accepted)} accepted (${statuses(l)}); ${int(l.bodyBytesMean)} bytes/request`,
  );
  console.log(
    `  samples            ${int(l.samplesSent)} sent, ${int(l.samplesAccepted)} accepted, ${int(s.samplesEvaluated)} evaluated (${int(s.batchesEvaluated)} batches)`,
  );
  console.log(
    `  accepted (202)     ${int(s.acceptedPerS)} samples/s  (${int(l.accepted / l.elapsed)} requests/s)`,
  );
  console.log(`  evaluated          ${int(s.evaluatedInWindowPerS)} samples/s while the load ran`);
  console.log(
    `  drain              ${s.drainS === undefined ? `did not drain within ${DRAIN_TIMEOUT_S} s` : `${s.drainS.toFixed(2)} s after the load stopped`}`,
  );
  console.log(
    `  end to end         ${int(s.endToEndPerS)} samples/s (all accepted samples / (load time + drain))   target >= ${int(TARGET_SAMPLES_PER_S)}: ${passFail(s.endToEndPerS >= TARGET_SAMPLES_PER_S)}`,
  );
  console.log(
    `  HTTP latency       p50 ${ms(l.latencyMs.p50)} ms, p90 ${ms(l.latencyMs.p90)} ms, p99 ${ms(l.latencyMs.p99)} ms, max ${ms(l.latencyMs.max)} ms`,
  );
  console.log(
    `  server process     peak RSS ${mb(s.res.peakRss)}, CPU ${pct(s.res.cpu)} of one core, event loop busy ${pct(s.res.elu)}`,
  );
  console.log(
    `  load generator     CPU ${pct(s.loadCpu)} of one core;  Redis CPU ${pct(s.res.redisCpu)} of one core`,
  );
}

function printPaced(p: PacedReport): void {
  const l = p.load;
  const perReq = PACED_BATCH * METRICS_PER_SNAPSHOT;
  console.log(
    `\n## Phase 2: paced at ${int(RATE)} samples/s (${SECONDS} s, ${PACED_BATCH} snapshots = ${int(perReq)} samples/request, ${int(RATE / perReq)} requests/s)`,
  );
  console.log(
    `  requests           ${int(l.requests)} sent, ${int(l.accepted)} accepted (${statuses(l)}); skipped ${int(l.skipped)}, late > 10 ms ${int(l.late)}`,
  );
  console.log(`  achieved           ${int(p.achievedPerS)} samples/s accepted`);
  console.log(
    `  accept -> evaluated  p50 ${ms(p.latency.p50)} ms, p95 ${ms(p.latency.p95)} ms, p99 ${ms(p.latency.p99)} ms, max ${ms(p.latency.max)} ms (${int(p.latency.n)} batches)   target p99 < ${TARGET_P99_MS} ms: ${passFail(p.latency.p99 < TARGET_P99_MS)}`,
  );
  console.log(
    `  HTTP latency       p50 ${ms(l.latencyMs.p50)} ms, p90 ${ms(l.latencyMs.p90)} ms, p99 ${ms(l.latencyMs.p99)} ms, max ${ms(l.latencyMs.max)} ms`,
  );
  console.log(
    `  server process     peak RSS ${mb(p.res.peakRss)}, CPU ${pct(p.res.cpu)} of one core, event loop busy ${pct(p.res.elu)}`,
  );
  console.log(
    `  load generator     CPU ${pct(p.loadCpu)} of one core;  Redis CPU ${pct(p.res.redisCpu)} of one core`,
  );
}

function printTable(machine: string, s: SaturationReport, p: PacedReport): void {
  const l = p.latency;
  const rows: [string, string, string, string][] = [
    ['Saturation: samples/s accepted (HTTP 202)', int(s.acceptedPerS), '', ''],
    [
      'Saturation: samples/s evaluated end to end',
      int(s.endToEndPerS),
      `≥ ${int(TARGET_SAMPLES_PER_S)}`,
      passFail(s.endToEndPerS >= TARGET_SAMPLES_PER_S),
    ],
    ['Saturation: samples/s evaluated while loading', int(s.evaluatedInWindowPerS), '', ''],
    [
      'Saturation: backlog drain time',
      s.drainS === undefined ? 'timeout' : `${s.drainS.toFixed(2)} s`,
      '',
      '',
    ],
    ['Saturation: peak RSS', mb(s.res.peakRss), '', ''],
    [
      `Paced ${int(RATE)} samples/s: accept → evaluated p50 / p95 / p99 / max`,
      `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} / ${ms(l.max)} ms`,
      `p99 < ${TARGET_P99_MS} ms`,
      passFail(l.p99 < TARGET_P99_MS),
    ],
    [
      `Paced ${int(RATE)} samples/s: HTTP p50 / p99`,
      `${ms(p.load.latencyMs.p50)} / ${ms(p.load.latencyMs.p99)} ms`,
      '',
      '',
    ],
    [`Paced ${int(RATE)} samples/s: peak RSS`, mb(p.res.peakRss), '', ''],
  ];
  console.log(`\n${machine}\n`);
  console.log('| Measure | Result | Target | |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'klaxon-bench-'));
  const alertsFile = path.join(tmp, 'alerts.jsonl');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', () => undefined);
  let app: App | undefined;
  let code = 0;
  try {
    await redis.connect();
    const machine = await machineLine(redis);

    const { config, warnings } = validateConfig(
      {
        redis: { url: REDIS_URL, prefix: PREFIX },
        server: {
          host: '127.0.0.1',
          port: 0,
          tokens: [{ name: 'bench', token: TOKEN, sources: ['*'] }],
          // One token pushes everything: the per-token request limit would be the bottleneck.
          rate_limit: { max: 1_000_000, window: '1s' },
        },
        queue: { shards: SHARDS },
        receivers: { file: { type: 'file', path: alertsFile } },
        routes: { receivers: ['file'] },
        presets: ['trading'],
        log: { level: 'silent' },
      },
      'bench',
      process.env,
    );

    const metrics = new KlaxonMetrics();
    instrument(metrics);
    app = await App.start({
      config,
      role: 'serve',
      port: 0,
      scheduler: false,
      logger: silentLogger(),
      metrics,
      onEvaluated: (info) => {
        hookCalls++;
        if (evaluated.length < MAX_RECORDS)
          evaluated.push({ receivedAt: info.receivedAt, finishedAt: info.finishedAt, samples: info.samples });
      },
    });
    const url = app.url;
    if (!url) throw new Error('the app did not report its URL');

    console.log('# Klaxon throughput benchmark');
    console.log(machine);
    console.log(
      `Server: ${url}, Redis ${REDIS_URL} prefix ${PREFIX}, ${SHARDS} shards, ${config.rules.length} rules (preset trading; ${warnings.length} config warnings), file receiver`,
    );
    console.log(
      `Load: child process, ${SOURCES} bots, ${METRICS_PER_SNAPSHOT} metrics/snapshot, keep-alive HTTP, ${SECONDS} s per phase`,
    );

    const sat = await saturation(url, redis);
    printSaturation(sat);
    if (aborted) throw new Error('interrupted');
    const pac = await paced(url, redis);
    printPaced(pac);
    if (aborted) throw new Error('interrupted');

    const source =
      hookCalls > 0 ? 'App onEvaluated hook' : 'klaxon_evaluate_duration_seconds (hook never fired)';
    const notifications = (await readFile(alertsFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean).length;
    console.log(
      `\nEvaluations measured with: ${source}. Alert notifications delivered to the file receiver: ${int(notifications)}.`,
    );
    printTable(machine, sat, pac);

    const problems: string[] = [];
    if (sat.load.accepted === 0 || pac.load.accepted === 0) problems.push('no request was accepted');
    if (sat.drainS === undefined || pac.drainS === undefined)
      problems.push(`evaluation did not catch up with the accepted batches within ${DRAIN_TIMEOUT_S} s`);
    for (const l of [sat.load, pac.load]) {
      const bad = Object.keys(l.statuses).filter((s) => s !== '202');
      if (bad.length > 0) problems.push(`${l.mode}: answers other than 202 (${statuses(l)})`);
    }
    if (problems.length > 0) {
      console.error(`\nSomething broke:\n  ${problems.join('\n  ')}`);
      code = 1;
    }
  } catch (err) {
    console.error('benchmark failed:', err);
    code = 1;
  } finally {
    child?.kill('SIGKILL');
    if (app) await app.stop().catch((err: unknown) => console.error('app.stop failed:', err));
    try {
      if (redis.status !== 'ready') await redis.connect().catch(() => undefined);
      const n = await deleteKeys(redis, PREFIX);
      console.log(`\nCleaned up: ${n} Redis keys under ${PREFIX}:*, ${tmp}`);
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
    child?.kill('SIGKILL');
  });

process.exitCode = await main();
// Nothing should be left running; a straggling handle must not keep the benchmark alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
