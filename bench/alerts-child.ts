/**
 * The helper processes of bench/alerts.ts (`npm run bench:alerts`), one per process, chosen by
 * the `start` message:
 * - `worker`: one Klaxon App with the worker role (what `klaxon worker` runs: ingest and delivery
 *   workers, no HTTP; here without the timer scheduler, like the serve process of the benchmark),
 *   against the benchmark's Redis, so that its CPU and peak RSS are its own;
 * - `bots`: the background load of `--background`: a fleet of trading bots (bench/throughput-load.ts's
 *   `Bot`, whose values stay within the trading preset's thresholds) pushing metric snapshots to
 *   POST /v1/metrics at a paced rate of samples per second, until told to stop.
 *
 * Protocol (IPC): parent -> `start` -> child `ready` | `error`; parent -> `stop` -> child `stats`
 * (worker) or `bots` (bots), then the child exits. The parent going away ends the child too.
 *
 * Usage (normally via the parent): node --import tsx bench/alerts-child.ts
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { App } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { createLogger, silentLogger } from '../src/ops/logger.js';
import { KlaxonMetrics } from '../src/ops/metrics.js';
import { Bot, METRICS_PER_SNAPSHOT, postMetrics } from './throughput-load.js';

export interface BotsOptions {
  /** `http://127.0.0.1:PORT` of the Klaxon serve process. */
  url: string;
  token: string;
  /** Samples per second, all bots together. */
  rate: number;
  bots: number;
  /** Snapshots per request (of one bot). */
  batch: number;
}

export interface BotsResult {
  /** From the first request until `stop` (and the last answer), s. */
  elapsed: number;
  requests: number;
  /** HTTP status (or `error:<code>`) -> requests. */
  statuses: Record<string, number>;
  samplesAccepted: number;
  /** Requests due while 16 were still in flight: not sent. */
  skipped: number;
}

export type ToAlertsChild =
  | { type: 'start'; mode: 'worker'; config: Record<string, unknown>; logLevel: string }
  | { type: 'start'; mode: 'bots'; bots: BotsOptions }
  | { type: 'stop' };

export type FromAlertsChild =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  /** Worker: `klaxon_notifications_total` by result (sent, retry, failed…). */
  | { type: 'stats'; results: Record<string, number> }
  | { type: 'bots'; result: BotsResult };

const send = (m: FromAlertsChild): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });

const failed = async (err: unknown): Promise<never> => {
  await send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
};

// ---------------------------------------------------------------------------------------------
// worker: one App with the worker role

let app: App | undefined;
const metrics = new KlaxonMetrics({ defaultMetrics: false });

async function startWorker(raw: Record<string, unknown>, logLevel: string): Promise<void> {
  const { config } = validateConfig(raw, 'bench', process.env);
  app = await App.start({
    config,
    role: 'worker',
    scheduler: false,
    logger: logLevel === 'silent' ? silentLogger() : createLogger({ level: logLevel, name: 'klaxon-worker' }),
    metrics,
  });
  await send({ type: 'ready' });
}

async function stopWorker(): Promise<void> {
  const results: Record<string, number> = {};
  for (const v of (await metrics.notifications.get()).values) {
    const r = String(v.labels.result ?? '?');
    results[r] = (results[r] ?? 0) + v.value;
  }
  await send({ type: 'stats', results });
  await app?.stop().catch((err: unknown) => console.error('app.stop failed:', err));
}

// ---------------------------------------------------------------------------------------------
// bots: paced snapshots to POST /v1/metrics

const BOTS_IN_FLIGHT = 16;
let botsStopped = false;
let botsRun: Promise<BotsResult> | undefined;

async function runBots(o: BotsOptions): Promise<BotsResult> {
  const target = new URL(o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: BOTS_IN_FLIGHT });
  const fleet = Array.from({ length: o.bots }, (_, i) => new Bot(i));
  const statuses: Record<string, number> = {};
  let requests = 0;
  let accepted = 0;
  let skipped = 0;
  let next = 0;

  const post = (body: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const done = (status: string) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === '202') accepted++;
        resolve();
      };
      void postMetrics(target, agent, o.token, body).then(done);
      requests++;
    });

  // Requests start on a fixed schedule (open loop), each with `batch` snapshots of the next bot.
  const interval = ((o.batch * METRICS_PER_SNAPSHOT) / o.rate) * 1000;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; !botsStopped; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (botsStopped) break;
    if (inFlight.size >= BOTS_IN_FLIGHT) {
      skipped++;
      continue;
    }
    const p = post((fleet[next++ % fleet.length] as Bot).body(o.batch)).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  agent.destroy();
  return {
    elapsed: (performance.now() - start) / 1000,
    requests,
    statuses,
    samplesAccepted: accepted * o.batch * METRICS_PER_SNAPSHOT,
    skipped,
  };
}

// ---------------------------------------------------------------------------------------------

let stopping = false;

process.on('message', (m: ToAlertsChild) => {
  if (m.type === 'start' && m.mode === 'worker') startWorker(m.config, m.logLevel).catch(failed);
  else if (m.type === 'start' && m.mode === 'bots') {
    botsRun = runBots(m.bots);
    botsRun.catch(failed);
    void send({ type: 'ready' });
  } else if (m.type === 'stop' && !stopping) {
    stopping = true;
    botsStopped = true;
    const done = botsRun
      ? botsRun.then((result) => send({ type: 'bots', result }))
      : stopWorker().catch((err: unknown) => console.error(err));
    void done.finally(() => process.exit(0));
  }
});
// The parent went away: do not linger with open connections.
process.on('disconnect', () => {
  if (stopping) return;
  stopping = true;
  botsStopped = true;
  void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});
