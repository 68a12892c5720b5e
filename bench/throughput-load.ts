/**
 * Load generator of `npm run bench` (bench/throughput.ts starts it as a child process, so that
 * building and sending requests does not run on the server's event loop).
 *
 * A fleet of trading bots pushes metric snapshots to POST /v1/metrics over keep-alive HTTP:
 * - `saturate`: `concurrency` requests in flight at all times, as fast as the server answers;
 * - `paced`: requests started on a fixed schedule that carries `rate` samples per second (open
 *   loop: a request due while `concurrency` are still in flight is skipped and counted).
 * Both stop after `seconds` (or `maxRequests`), wait for the requests in flight and send one
 * `LoadResult` to the parent over IPC.
 *
 * Usage (normally via the parent): node --import tsx bench/throughput-load.ts '<LoadOptions JSON>'
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  /** `http://127.0.0.1:PORT` */
  url: string;
  token: string;
  mode: 'saturate' | 'paced';
  seconds: number;
  /** Most requests in flight. */
  concurrency: number;
  /** Snapshots per request (all from one source). */
  batch: number;
  /** Number of bots. */
  sources: number;
  /** Samples per second (`paced` only). */
  rate?: number;
  /** Hard cap on requests, whatever the time. */
  maxRequests: number;
}

export interface LoadResult {
  mode: LoadOptions['mode'];
  /** From the first request to the last answer, seconds. */
  elapsed: number;
  requests: number;
  /** Requests answered 202. */
  accepted: number;
  samplesSent: number;
  samplesAccepted: number;
  snapshotsAccepted: number;
  /** HTTP status (or `error:<code>`) -> count. */
  statuses: Record<string, number>;
  /** Paced only: requests skipped because `concurrency` were still in flight when they were due. */
  skipped: number;
  /** Paced only: requests started more than 10 ms after they were due. */
  late: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  bodyBytesMean: number;
  /** CPU used by this process during the run, ms. */
  cpuMs: { user: number; system: number };
}

export const METRICS_PER_SNAPSHOT = 15;

const EXCHANGES = ['binance', 'bybit', 'okx', 'kraken', 'coinbase'];
const STRATEGIES = ['grid', 'momentum', 'market-making', 'arbitrage'];

/** Symmetric noise in [-1, 1], triangular (rarely near the ends: few anomaly-detector hits). */
function noise(): number {
  return Math.random() + Math.random() - 1;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** One bot: slowly moving state plus noise, mostly within every threshold of the trading preset. */
export class Bot {
  readonly source: string;
  readonly labels: Record<string, string>;
  private equity: number;
  private readonly lossLimit: number;
  private pnl = 0;
  private peak: number;
  private lastTs = 0;
  private readonly baseLatency: number;
  private readonly baseTrades: number;
  private readonly winRate: number;

  constructor(i: number) {
    this.source = `bench-bot-${String(i + 1).padStart(2, '0')}`;
    this.labels = {
      exchange: EXCHANGES[i % EXCHANGES.length] as string,
      strategy: STRATEGIES[i % STRATEGIES.length] as string,
    };
    this.equity = 10_000 + 5_000 * (i % 10);
    this.peak = this.equity * 1.03;
    this.lossLimit = round(this.equity * 0.03, 2);
    this.baseLatency = 90 + 10 * (i % 7);
    this.baseTrades = 6 + (i % 5);
    this.winRate = 0.52 + 0.02 * (i % 5);
  }

  snapshot(now: number): { source: string; ts: number; metrics: Record<string, number>; labels: object } {
    // Distinct, increasing timestamps per bot (several snapshots may be built in one ms).
    const ts = Math.max(now, this.lastTs + 1);
    this.lastTs = ts;
    // P&L wanders but is pulled back towards 0: it stays well above -80% of the loss limit.
    const step = noise() * this.lossLimit * 0.002;
    this.pnl = clamp(this.pnl * 0.999 + step, -0.4 * this.lossLimit, 0.6 * this.lossLimit);
    const equity = this.equity + this.pnl;
    this.peak = Math.max(this.peak, equity);
    // A rare latency spike (about one snapshot in 20,000): the anomaly detectors have something to see.
    const spike = Math.random() < 5e-5 ? 8 : 1;
    const metrics: Record<string, number> = {
      equity: round(equity, 2),
      daily_pnl: round(this.pnl, 2),
      daily_loss_limit: this.lossLimit,
      drawdown_pct: round(((this.peak - equity) / this.peak) * 100, 3),
      api_latency_ms: round(this.baseLatency * (1 + 0.25 * noise()) * spike, 1),
      cycle_latency_ms: round(this.baseLatency * 1.8 * (1 + 0.2 * noise()), 1),
      market_data_staleness_s: round(1.2 + noise(), 3),
      ws_connected: 1,
      open_orders: Math.round(8 + 4 * noise()),
      order_error_rate: round(0.01 + 0.008 * noise(), 4),
      trades_per_minute: round(this.baseTrades * (1 + 0.3 * noise()), 2),
      win_rate: round(this.winRate + 0.05 * noise(), 3),
      cpu_percent: round(35 + 15 * noise(), 1),
      memory_percent: round(45 + 10 * noise(), 1),
      circuit_breaker: 0,
    };
    return { source: this.source, ts, metrics, labels: this.labels };
  }

  /** A JSON array of `n` consecutive snapshots of this bot. */
  body(n: number): Buffer {
    const now = Date.now();
    const snaps = [];
    for (let k = 0; k < n; k++) snaps.push(this.snapshot(now));
    return Buffer.from(JSON.stringify(snaps));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

async function run(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  if (target.hostname !== '127.0.0.1') throw new Error(`refusing to load ${target.hostname}: 127.0.0.1 only`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const bots = Array.from({ length: opts.sources }, (_, i) => new Bot(i));
  const samplesPerRequest = opts.batch * METRICS_PER_SNAPSHOT;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let requests = 0;
  let accepted = 0;
  let bodyBytes = 0;
  let skipped = 0;
  let late = 0;
  let next = 0;

  const post = (body: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let settled = false;
      const done = (status: string) => {
        if (settled) return;
        settled = true;
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === '202') accepted++;
        resolve();
      };
      void postMetrics(target, agent, opts.token, body).then(done);
      requests++;
      bodyBytes += body.length;
    });

  const nextBody = (): Buffer => {
    const bot = bots[next++ % bots.length] as Bot;
    return bot.body(opts.batch);
  };

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + opts.seconds * 1000;

  if (opts.mode === 'saturate') {
    const worker = async () => {
      while (performance.now() < end && requests < opts.maxRequests) await post(nextBody());
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } else {
    const rate = opts.rate ?? 5000;
    const interval = (samplesPerRequest / rate) * 1000;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < opts.maxRequests; i++) {
      const due = start + i * interval;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight.size >= opts.concurrency) {
        skipped++;
        continue;
      }
      if (performance.now() - due > 10) late++;
      const p = post(nextBody()).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }

  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    mode: opts.mode,
    elapsed,
    requests,
    accepted,
    samplesSent: requests * samplesPerRequest,
    samplesAccepted: accepted * samplesPerRequest,
    snapshotsAccepted: accepted * opts.batch,
    statuses,
    skipped,
    late,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
      mean: sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
    },
    bodyBytesMean: requests > 0 ? bodyBytes / requests : 0,
    cpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 },
  };
}

function isMain(): boolean {
  const argv1 = process.argv[1] ?? '';
  return argv1.endsWith('throughput-load.ts') || argv1.endsWith('throughput-load.js');
}

if (isMain()) {
  // The parent going away (crash, Ctrl-C) ends the load at once.
  process.on('disconnect', () => process.exit(1));
  const opts = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  run(opts).then(
    (result) => {
      const msg = { type: 'result', result };
      if (process.send) process.send(msg, () => process.exit(0));
      else {
        console.log(JSON.stringify(msg));
        process.exit(0);
      }
    },
    (err: unknown) => {
      console.error('load generator failed:', err);
      process.exit(1);
    },
  );
}

/**
 * POSTs one body of snapshots to `/v1/metrics`; resolves with the status (`202`) or
 * `error:<code>` (never rejects), 30 s at most.
 */
export function postMetrics(target: URL, agent: http.Agent, token: string, body: Buffer): Promise<string> {
  return new Promise((done) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: '/v1/metrics',
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(String(res.statusCode ?? 0)));
        res.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`));
    req.end(body);
  });
}
