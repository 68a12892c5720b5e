/**
 * The Klaxon side of bench/delivery.ts: one App (role serve, no scheduler) in a process of its
 * own, so that its CPU, event loop and peak RSS are measured apart from the fake services and the
 * HTTP load, which run in the parent. The parent starts it with NODE_EXTRA_CA_CERTS (and
 * KLAXON_TEST_TLS_DIR) set, so that the App trusts the fake PagerDuty's certificate the way a
 * real deployment trusts a real CA.
 *
 * Protocol (IPC): parent -> `start` (raw config) -> child `ready` (URL) | `error`;
 * parent -> `go` (the measured window starts) ... `stop` -> child `stats`, stops the App, exits.
 *
 * Usage (normally via the parent): node --import tsx bench/delivery-child.ts
 */
import { performance } from 'node:perf_hooks';
import { App } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { KlaxonMetrics } from '../src/ops/metrics.js';
import { createLogger, silentLogger } from '../src/ops/logger.js';

export type ToChild =
  | { type: 'start'; config: Record<string, unknown>; logLevel: string }
  | { type: 'go' }
  /** Ends the measured window; `expected` sends are awaited (2 s at most) before the counts are read. */
  | { type: 'stop'; expected: number };

export interface ChildStats {
  /** Peak RSS of this process over its whole life, bytes. */
  peakRss: number;
  /** CPU used between `go` and `stop`, as a share of one core. */
  cpu: number;
  /** Event-loop utilisation between `go` and `stop`. */
  elu: number;
  /** `klaxon_notifications_total` by result (sent, retry, failed, dead, throttled, held…). */
  results: Record<string, number>;
  /** Sends timed by `klaxon_delivery_duration_seconds`: count and mean, ms. */
  sends: { count: number; meanMs: number };
}

export type FromChild =
  | { type: 'ready'; url: string; warnings: string[]; rss: number }
  | { type: 'error'; message: string }
  | { type: 'stats'; stats: ChildStats };

const send = (m: FromChild): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });

let app: App | undefined;
const metrics = new KlaxonMetrics({ defaultMetrics: false });
let measured: { cpu: NodeJS.CpuUsage; elu: ReturnType<typeof performance.eventLoopUtilization>; t0: number } =
  {
    cpu: process.cpuUsage(),
    elu: performance.eventLoopUtilization(),
    t0: performance.now(),
  };

async function start(raw: Record<string, unknown>, logLevel: string): Promise<void> {
  try {
    const { config, warnings } = validateConfig(raw, 'bench', process.env);
    app = await App.start({
      config,
      role: 'serve',
      port: 0,
      scheduler: false,
      logger:
        logLevel === 'silent' ? silentLogger() : createLogger({ level: logLevel, name: 'klaxon-bench' }),
      metrics,
    });
    if (!app.url) throw new Error('the app did not report its URL');
    await send({ type: 'ready', url: app.url, warnings, rss: process.memoryUsage().rss });
  } catch (err) {
    await send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
}

async function results(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.notifications.get()).values) {
    const r = String(v.labels.result ?? '?');
    out[r] = (out[r] ?? 0) + v.value;
  }
  return out;
}

async function stats(expected: number): Promise<ChildStats> {
  const wall = (performance.now() - measured.t0) / 1000;
  const c = process.cpuUsage(measured.cpu);
  const elu = performance.eventLoopUtilization(measured.elu).utilization;
  // The service may have the last message before the worker has recorded it as sent.
  const until = Date.now() + 2000;
  while (((await results()).sent ?? 0) < expected && Date.now() < until)
    await new Promise((r) => setTimeout(r, 10));
  let count = 0;
  let sum = 0;
  for (const v of (await metrics.deliveryLatency.get()).values) {
    if (v.metricName?.endsWith('_count')) count += v.value;
    else if (v.metricName?.endsWith('_sum')) sum += v.value;
  }
  return {
    peakRss: Math.max(process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss),
    cpu: wall > 0 ? (c.user + c.system) / 1e6 / wall : NaN,
    elu,
    results: await results(),
    sends: { count, meanMs: count > 0 ? (sum / count) * 1000 : NaN },
  };
}

let stopping = false;

async function stop(expected: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await send({ type: 'stats', stats: await stats(expected) });
  await app?.stop().catch((err: unknown) => console.error('app.stop failed:', err));
  process.exit(0);
}

process.on('message', (m: ToChild) => {
  if (m.type === 'start') void start(m.config, m.logLevel);
  else if (m.type === 'go')
    measured = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), t0: performance.now() };
  else if (m.type === 'stop') void stop(m.expected);
});
// The parent went away: do not linger with open Redis connections.
process.on('disconnect', () => {
  if (stopping) return;
  stopping = true;
  void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});
