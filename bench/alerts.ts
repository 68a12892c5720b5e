/**
 * `npm run bench:alerts`: how long Klaxon takes to pass a storm of Alertmanager alerts on to a
 * webhook, end to end (HTTP accept -> ingest queue -> evaluation -> grouping -> delivery queue ->
 * delivery worker -> HTTP POST), what that costs in CPU, memory and Redis commands, and, with
 * `--vs-alertmanager`, how a real Alertmanager does with the same alerts (docs: issue 13,
 * /work/shared/docs/perf-alert-path.md).
 *
 *   npx tsx bench/alerts.ts [--count 10000] [--batch 100] [--in-flight 4] [--timeout 60]
 *                           [--workers K | --workers-sweep] [--background R] [--vs-alertmanager]
 *                           [--floor] [--no-grouping] [--log-level silent] [--cpu-prof DIR]
 *
 * Load: `--count` distinct alerts (alertname BenchHostHighCpu, instance bench-host-<i>:9100, status
 * firing, the annotations Alertmanager's fixtures carry) in Alertmanager's webhook v4 body, as
 * Alertmanager would POST them, `--batch` alerts per request to `POST /v1/alertmanager`,
 * `--in-flight` requests at a time (bodies built before the clock starts).
 *
 * Each run starts afresh: its own `redis-server` on a free loopback port without persistence
 * (`--save '' --appendonly no`, data in a temp dir); a sink (node:http in this process) that
 * answers 200 at once and counts the alerts inside every body it receives; Klaxon (an App, role
 * serve, no timer scheduler) in a child process (bench/delivery-child.ts, so that its CPU and peak
 * RSS are its own) with the default config except: the Alertmanager token, a request limit high
 * enough not to be what is measured, one `webhook` receiver pointing at the sink and a route that
 * sends every alert there, grouping like the Alertmanager it is compared with: one group per alert
 * (`group_by: [alertname, instance]`), `group_wait: 0`, `group_interval: 1s` (`--no-grouping`: a
 * route without grouping instead). No presets, unless `--background`. Everything it started is
 * stopped and the temp dirs deleted after each run, on failure too.
 *
 * Figures, per run: seconds from the first request until all alerts were accepted (202), and until
 * the sink had every one; peak RSS (VmHWM, /proc) of Klaxon's node process(es) and of its
 * redis-server, summed; their CPU seconds (/proc) over the same window as the second time; Redis
 * commands and bytes per alert (to Redis and back, INFO stats) and the top 8 commands by calls with
 * their mean time (INFO commandstats after
 * CONFIG RESETSTAT just before the first request, read 2 s after the sink had all, so that the
 * last jobs' completion counts too; the benchmark's own INFO calls are among them).
 *
 * Options:
 * - `--workers K`: K more Klaxon processes with the worker role (bench/alerts-child.ts: what
 *   `klaxon worker` runs) against the same Redis; their RSS and CPU are added and shown apart.
 * - `--workers-sweep`: the run with 1, 2 and 3 worker processes in turn, then a table.
 * - `--background R`: the trading preset is loaded, and while the alerts go through, 20 bots
 *   (bench/alerts-child.ts, bench/throughput-load.ts's `Bot`) push metric snapshots to
 *   POST /v1/metrics at R samples/s in all (starting 2 s before the alerts). Their requests count
 *   in the CPU and Redis figures; alerts the preset raises reach the sink and are shown apart.
 * - `--vs-alertmanager`: the same alerts through Debian's `prometheus-alertmanager`
 *   (/usr/bin/prometheus-alertmanager, or $ALERTMANAGER_BIN) started on a free loopback port with
 *   a temp config (group_by ['...']: one group per alert, group_wait 0s, group_interval 1s, a
 *   webhook to the same kind of sink, send_resolved false), a temp --storage.path and no cluster
 *   (`--cluster.listen-address=`); the alerts go to POST /api/v2/alerts ({labels, annotations,
 *   startsAt, generatorURL}), same batch and in-flight. Same two times, its peak RSS and CPU, side
 *   by side with Klaxon's, and the ratio Klaxon/Alertmanager of "sink had all".
 * - `--floor`: the same alerts, bodies and sink through bench/alerts-floor-child.ts, a Node.js
 *   process that answers 202 and POSTs each alert on through an undici Pool, and does nothing else
 *   (no Redis, no checks, nothing kept): the best any Node.js service can do on this machine, since
 *   the load and the sink share its cores. Same figures, and the ratio Klaxon/floor.
 *
 * Exit code 1 when something broke: an alert missing when --timeout ran out, one delivered twice
 * (the sink keeps counting for 2 s after it had all), a request not accepted, a process that
 * crashed. A slow figure is not a failure.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, redisAnswers } from '../test/support/redis-server.js';
import { waitFor } from '../test/support/recorder.js';
import type { BotsResult, FromAlertsChild, ToAlertsChild } from './alerts-child.js';
import type { FromFloorChild, ToFloorChild } from './alerts-floor-child.js';
import type { FromChild, ToChild } from './delivery-child.js';
import { compiledChild, repoRoot, int, machineLine, num, sleep } from './common.js';

// ---------------------------------------------------------------------------------------------
// Options

const USAGE =
  'npx tsx bench/alerts.ts [--count 10000] [--batch 100] [--in-flight 4] [--timeout 60] [--workers K | --workers-sweep] [--background R] [--vs-alertmanager] [--floor] [--no-grouping] [--log-level silent] [--cpu-prof DIR]';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '4' },
    timeout: { type: 'string', default: '60' },
    workers: { type: 'string', default: '0' },
    'workers-sweep': { type: 'boolean', default: false },
    background: { type: 'string', default: '0' },
    'vs-alertmanager': { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    'no-grouping': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'silent' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  console.log(
    '  --count            distinct alerts per run\n' +
      '  --batch            alerts per request (one webhook body)\n' +
      '  --in-flight        requests in flight at a time\n' +
      '  --timeout          seconds to wait, per run, for the sink to have every alert\n' +
      '  --workers K        K Klaxon worker processes besides the serve process\n' +
      '  --workers-sweep    runs with 1, 2 and 3 worker processes in turn, and a table\n' +
      '  --background R     20 bots push metric snapshots (trading preset loaded) at R samples/s meanwhile\n' +
      '  --vs-alertmanager  the same alerts through prometheus-alertmanager too, side by side\n' +
      '                     (/usr/bin/prometheus-alertmanager, or $ALERTMANAGER_BIN)\n' +
      '  --floor            the same alerts through a Node.js process that only POSTs them on, side by side\n' +
      "  --no-grouping      Klaxon's route without grouping (default: one group per alert, group_wait 0)\n" +
      "  --log-level        the Klaxon processes' log level (silent, error, warn, info…), JSON lines on stdout\n" +
      '  --cpu-prof DIR     write a V8 CPU profile of each Klaxon process into DIR',
  );
  process.exit(0);
}

const COUNT = Math.round(num('count', args.count, 1, 1_000_000));
const BATCH = Math.round(num('batch', args.batch, 1, 1000));
const IN_FLIGHT = Math.round(num('in-flight', args['in-flight'], 1, 256));
const TIMEOUT_S = num('timeout', args.timeout, 1, 3600);
const WORKERS = Math.round(num('workers', args.workers, 0, 32));
const SWEEP = args['workers-sweep'] === true;
const BACKGROUND = num('background', args.background, 0, 10_000_000);
const PROFILE_DIR = args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined;
const VS_AM = args['vs-alertmanager'] === true;
const FLOOR_RUN = args.floor === true;
const GROUPING = args['no-grouping'] !== true;
const LOG_LEVEL = args['log-level'] ?? 'silent';
if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(LOG_LEVEL)) {
  console.error('--log-level must be one of fatal, error, warn, info, debug, trace, silent');
  process.exit(2);
}
const AM_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

const AM_TOKEN = `bench-am-${process.pid}-${Math.random().toString(36).slice(2)}`;
const BOT_TOKEN = `bench-bots-${process.pid}-${Math.random().toString(36).slice(2)}`;
/** The sink keeps counting this long after it had every alert, to catch one delivered twice. */
const SETTLE_MS = 2000;
const BOTS = 20;
/** The background load runs this long before the alerts start. */
const WARMUP_MS = 2000;
const TOP = 8;

// ---------------------------------------------------------------------------------------------
// Everything started, so that it is stopped on every way out

const processes = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let aborted = false;

function tracked(proc: ChildProcess): ChildProcess {
  processes.add(proc);
  proc.once('exit', () => processes.delete(proc));
  return proc;
}

function killAll(): void {
  for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

/** Sends `signal`, waits up to `ms` for the exit, then SIGKILL. */
async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

async function tempDir(kind: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `klaxon-bench-alerts-${kind}-`));
  tempDirs.add(dir);
  return dir;
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------
// Figures of a process from /proc: CPU seconds and peak RSS (VmHWM)

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a live process so far; NaN once it is gone. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state (field 3) ... utime (14), stime (15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Peak RSS of a live process over its life, bytes (VmHWM); NaN once it is gone. */
function peakRss(pid: number | undefined): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mib = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : 'n/a');
const secs = (s: number) => (Number.isFinite(s) ? `${s.toFixed(2)} s` : 'n/a');
const cpuS = (s: number) => (Number.isFinite(s) ? s.toFixed(1) : 'n/a');
const bodiesOf = (r: { bodies: number; bodyBytes: number }) =>
  `${int(r.bodies)} webhook bodies of ${int(r.bodyBytes / r.bodies)} bytes on average`;

// ---------------------------------------------------------------------------------------------
// The alerts, as Alertmanager's API takes them and as its webhook sends them

const ALERTNAME = 'BenchHostHighCpu';
const INSTANCE = /^bench-host-(\d+):9100$/;
const SEVERITIES = ['critical', 'warning', 'info'] as const;

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
}

function makeAlerts(n: number): AmAlert[] {
  const startsAt = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({
    labels: {
      alertname: ALERTNAME,
      instance: `bench-host-${i}:9100`,
      job: 'node',
      severity: SEVERITIES[i % SEVERITIES.length] as string,
      team: 'platform',
    },
    annotations: {
      summary: `CPU usage above 95% on bench-host-${i}`,
      description: `CPU usage on bench-host-${i}:9100 has been above 95% for more than 5 minutes (current value: ${(95 + (i % 50) / 10).toFixed(1)}%).`,
      runbook_url: 'https://runbooks.example.org/HighCpuUsage',
    },
    startsAt,
    generatorURL:
      'http://localhost:9090/graph?g0.expr=100+-+avg+by(instance)(rate(node_cpu_seconds_total%7Bmode%3D%22idle%22%7D%5B5m%5D))*100+%3E+95&g0.tab=1',
  }));
}

/** Labels (or annotations) with one value in every alert. */
function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}

/** Alertmanager's webhook body (version 4), as its webhook receiver POSTs it. */
function webhookBody(alerts: AmAlert[]): string {
  return JSON.stringify({
    receiver: 'klaxon',
    status: 'firing',
    alerts: alerts.map((a) => ({
      status: 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: a.generatorURL,
      fingerprint: createHash('sha256').update(JSON.stringify(a.labels)).digest('hex').slice(0, 16),
    })),
    groupLabels: { alertname: ALERTNAME },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: 'http://localhost:9093',
    version: '4',
    groupKey: `{}:{alertname="${ALERTNAME}"}`,
    truncatedAlerts: 0,
  });
}

function batches<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The sink: answers 200 at once, counts the alerts in every body (Klaxon's or Alertmanager's)

/** The shares of the alerts at which the sink notes the time: how delivery went over the run. */
const SHARES = [0.1, 0.5, 0.9];

class Sink {
  private readonly server = http.createServer((req, res) => this.onRequest(req, res));
  url = '';
  /** How many times each alert arrived. */
  private readonly seen: Uint16Array;
  distinct = 0;
  /** Arrivals of an alert that had arrived already. */
  duplicates = 0;
  /** Alerts that are not the benchmark's (the trading preset's, with --background). */
  others = 0;
  bodies = 0;
  /** Bytes of all the bodies. */
  bytes = 0;
  unreadable = 0;
  /** performance.now() when the last missing alert arrived. */
  allAt: number | undefined;
  /** performance.now() when the sink first had each share of the alerts in SHARES. */
  readonly sharesAt: (number | undefined)[] = SHARES.map(() => undefined);

  constructor(private readonly expected: number) {
    this.seen = new Uint16Array(expected);
  }

  async start(): Promise<this> {
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      this.bodies++;
      const body = Buffer.concat(chunks);
      this.bytes += body.length;
      this.count(body.toString('utf8'));
    });
  }

  private count(text: string): void {
    let alerts: unknown;
    try {
      const body = JSON.parse(text) as { notification?: { alerts?: unknown }; alerts?: unknown };
      // Klaxon's webhook (format json): {notification: {alerts: [AlertView]}}; Alertmanager's: {alerts: [...]}.
      alerts = body.notification ? body.notification.alerts : body.alerts;
    } catch {
      alerts = undefined;
    }
    if (!Array.isArray(alerts)) {
      this.unreadable++;
      return;
    }
    for (const a of alerts as { labels?: Record<string, string> }[]) {
      const m = a.labels?.alertname === ALERTNAME ? INSTANCE.exec(a.labels.instance ?? '') : null;
      const i = m ? Number(m[1]) : -1;
      if (i < 0 || i >= this.expected) {
        this.others++;
        continue;
      }
      if (this.seen[i] === 0) {
        this.distinct++;
        SHARES.forEach((share, k) => {
          if (this.sharesAt[k] === undefined && this.distinct >= share * this.expected)
            this.sharesAt[k] = performance.now();
        });
        if (this.distinct === this.expected) this.allAt = performance.now();
      } else this.duplicates++;
      this.seen[i] = Math.min(65535, (this.seen[i] ?? 0) + 1);
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

// ---------------------------------------------------------------------------------------------
// Load: the bodies, `IN_FLIGHT` requests at a time

interface PushResult {
  /** Alerts in requests answered `okStatus`. */
  accepted: number;
  /** performance.now() of the last such answer. */
  lastAcceptedAt: number;
  /** HTTP status (or `error:<code>`) -> requests. */
  statuses: Record<string, number>;
}

async function push(
  url: string,
  headers: Record<string, string>,
  bodies: { body: Buffer; alerts: number }[],
  okStatus: number,
): Promise<PushResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const result: PushResult = { accepted: 0, lastAcceptedAt: NaN, statuses: {} };
  let next = 0;
  const one = (b: { body: Buffer; alerts: number }): Promise<void> =>
    new Promise((resolve) => {
      const done = (status: string, text: string) => {
        if (status === String(okStatus)) {
          result.accepted += b.alerts;
          result.lastAcceptedAt = performance.now();
        } else if ((result.statuses[status] ?? 0) === 0)
          console.error(`  POST ${target.pathname} answered ${status}: ${text.slice(0, 300)}`);
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        resolve();
      };
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          timeout: 60_000,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': b.body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(String(res.statusCode ?? 0), Buffer.concat(chunks).toString('utf8')));
          res.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`, ''));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`, ''));
      req.end(b.body);
    });
  const loop = async () => {
    while (!aborted && next < bodies.length) await one(bodies[next++] as { body: Buffer; alerts: number });
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  agent.destroy();
  return result;
}

/** Waits until the sink has every alert (its time), or the time-out, the abort or `gone()`. */
async function waitForSink(sink: Sink, t0: number, gone: () => boolean): Promise<number | undefined> {
  const deadline = t0 + TIMEOUT_S * 1000;
  while (sink.allAt === undefined && !aborted && !gone() && performance.now() < deadline) await sleep(5);
  return sink.allAt;
}

// ---------------------------------------------------------------------------------------------
// The processes: redis-server, the Klaxon children

interface OwnRedis {
  proc: ChildProcess;
  url: string;
  client: Redis;
}

async function startRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  const proc = tracked(
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    ),
  );
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', (err) => reject(new Error(`could not start redis-server: ${err.message}`)));
    proc.once('exit', (code) => reject(new Error(`redis-server exited at start (code ${code})`)));
  });
  failed.catch(() => undefined);
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([waitFor(() => redisAnswers(url), 10_000, `redis-server on port ${port}`), failed]);
  const client = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  client.on('error', () => undefined);
  await client.connect();
  return { proc, url, client };
}

async function stopRedis(r: OwnRedis): Promise<void> {
  r.client.disconnect();
  await stopProcess(r.proc, 'SIGTERM', 5000);
}

type Message = { type: string };

/** A forked child speaking a typed IPC protocol (bench/delivery-child.ts, bench/alerts-child.ts). */
class IpcChild<To extends Message, From extends Message> {
  readonly proc: ChildProcess;
  private readonly listeners = new Set<(m: From) => void>();
  private readonly exitWaiters = new Set<() => void>();

  constructor(
    readonly name: string,
    script: string,
  ) {
    this.proc = tracked(
      fork(compiledChild(script), [], {
        cwd: repoRoot,
        execArgv: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    this.proc.on('message', (m: From) => {
      for (const l of [...this.listeners]) l(m);
    });
    this.proc.on('exit', () => {
      for (const w of [...this.exitWaiters]) w();
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  describeExit(): string {
    return `code ${this.proc.exitCode}, signal ${this.proc.signalCode}`;
  }

  post(m: To): void {
    if (!this.exited && this.proc.connected) this.proc.send(m);
  }

  /** The next message of `type`; rejects on an `error` message, on exit, or after `ms`. */
  next<T extends From['type']>(type: T, ms: number): Promise<Extract<From, { type: T }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(onMessage);
        this.exitWaiters.delete(onExit);
      };
      const onMessage = (m: From) => {
        if (m.type === 'error') {
          done();
          reject(new Error(`${this.name} failed: ${(m as { message?: string }).message}`));
        } else if (m.type === type) {
          done();
          resolve(m as Extract<From, { type: T }>);
        }
      };
      const onExit = () => {
        done();
        reject(new Error(`${this.name} exited (${this.describeExit()}) before sending '${type}'`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} sent no '${type}' within ${ms / 1000} s`));
      }, ms);
      this.listeners.add(onMessage);
      this.exitWaiters.add(onExit);
      if (this.exited) onExit();
    });
  }

  async waitExit(ms: number): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
      this.exitWaiters.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

type KlaxonServe = IpcChild<ToChild, FromChild>;
type AlertsChild = IpcChild<ToAlertsChild, FromAlertsChild>;

function klaxonConfig(redisUrl: string, sinkUrl: string, background: boolean): Record<string, unknown> {
  return {
    redis: { url: redisUrl },
    server: {
      host: '127.0.0.1',
      port: 0,
      tokens: [{ name: 'bots', token: BOT_TOKEN, sources: ['*'] }],
      alertmanager: { token: AM_TOKEN },
      // One credential pushes everything: the per-credential request limit must not be what is measured.
      rate_limit: { max: 1_000_000, window: '1s' },
    },
    receivers: { sink: { type: 'webhook', url: `${sinkUrl}/klaxon` } },
    // One group per alert, told at once: as the Alertmanager it is compared with is run.
    routes: GROUPING
      ? { receivers: ['sink'], group_by: ['alertname', 'instance'], group_wait: 0, group_interval: '1s' }
      : { receivers: ['sink'] },
    presets: background ? ['trading'] : [],
    log: { level: LOG_LEVEL },
  };
}

// ---------------------------------------------------------------------------------------------
// One Klaxon run

interface RedisCommand {
  name: string;
  calls: number;
  usecPerCall: number;
}

interface KlaxonRun {
  workers: number;
  background: number;
  ok: boolean;
  problems: string[];
  /** From the first request until the last 202, s. */
  acceptedS: number;
  /** From the first request until the sink had every alert, s (NaN: it never did). */
  deliveredS: number;
  /** From the first request until the sink had each share of SHARES, s. */
  sharesS: number[];
  delivered: number;
  duplicates: number;
  others: number;
  /** Webhook bodies the sink received (a body may carry several alerts), and their bytes. */
  bodies: number;
  bodyBytes: number;
  /** Peak RSS, bytes: the serve process, each worker process, redis-server. */
  rss: { serve: number; workers: number[]; redis: number };
  /** CPU seconds from the first request until the sink had all (or the time-out). */
  cpu: { serve: number; workers: number[]; redis: number; bench: number };
  redisPeakMemory: number;
  redisCommands: number;
  /** Bytes Klaxon sent to Redis and read back (INFO stats total_net_input/output_bytes). */
  redisBytes: { in: number; out: number };
  top: RedisCommand[];
  /** Notifications `sent` per process (serve first), and other delivery results. */
  sent: number[];
  otherResults: Record<string, number>;
  bots?: BotsResult;
}

const warningsShown = new Set<string>();

async function redisFigures(
  client: Redis,
): Promise<{ total: number; bytes: { in: number; out: number }; top: RedisCommand[]; peak: number }> {
  const stats = await client.info('stats');
  const memory = await client.info('memory');
  const commands: RedisCommand[] = [];
  for (const m of (await client.info('commandstats')).matchAll(
    /^cmdstat_(\S+?):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/gm,
  ))
    commands.push({ name: m[1] as string, calls: Number(m[2]), usecPerCall: Number(m[3]) });
  commands.sort((a, b) => b.calls - a.calls);
  return {
    total: Number(/^total_commands_processed:(\d+)/m.exec(stats)?.[1] ?? NaN),
    bytes: {
      in: Number(/^total_net_input_bytes:(\d+)/m.exec(stats)?.[1] ?? NaN),
      out: Number(/^total_net_output_bytes:(\d+)/m.exec(stats)?.[1] ?? NaN),
    },
    top: commands.slice(0, TOP),
    peak: Number(/^used_memory_peak:(\d+)/m.exec(memory)?.[1] ?? NaN),
  };
}

async function runKlaxon(workers: number, background: number): Promise<KlaxonRun> {
  const run: KlaxonRun = {
    workers,
    background,
    ok: false,
    problems: [],
    acceptedS: NaN,
    deliveredS: NaN,
    sharesS: [],
    delivered: 0,
    duplicates: 0,
    others: 0,
    bodies: 0,
    bodyBytes: 0,
    rss: { serve: NaN, workers: [], redis: NaN },
    cpu: { serve: NaN, workers: [], redis: NaN, bench: NaN },
    redisPeakMemory: NaN,
    redisCommands: NaN,
    redisBytes: { in: NaN, out: NaN },
    top: [],
    sent: [],
    otherResults: {},
  };
  const dir = await tempDir('redis');
  let redis: OwnRedis | undefined;
  let sink: Sink | undefined;
  let serve: KlaxonServe | undefined;
  const workerChildren: AlertsChild[] = [];
  let bots: AlertsChild | undefined;
  try {
    redis = await startRedis(dir);
    sink = await new Sink(COUNT).start();
    const config = klaxonConfig(redis.url, sink.url, background > 0);

    serve = new IpcChild('the Klaxon serve process', 'delivery-child.ts');
    serve.post({ type: 'start', config, logLevel: LOG_LEVEL });
    const ready = await serve.next('ready', 60_000);
    for (const w of ready.warnings)
      if (!warningsShown.has(w)) {
        warningsShown.add(w);
        console.log(`  config warning: ${w}`);
      }
    for (let k = 0; k < workers; k++) {
      const w: AlertsChild = new IpcChild(`Klaxon worker process ${k + 1}`, 'alerts-child.ts');
      workerChildren.push(w);
      w.post({ type: 'start', mode: 'worker', config, logLevel: LOG_LEVEL });
    }
    await Promise.all(workerChildren.map((w) => w.next('ready', 60_000)));
    if (background > 0) {
      bots = new IpcChild('the background bots', 'alerts-child.ts');
      // At most about 50 requests/s: a request carries several snapshots of one bot when needed.
      const batch = Math.max(1, Math.ceil(background / 15 / 50));
      bots.post({
        type: 'start',
        mode: 'bots',
        bots: { url: ready.url, token: BOT_TOKEN, rate: background, bots: BOTS, batch },
      });
      await bots.next('ready', 30_000);
      await sleep(WARMUP_MS);
    }

    const bodies = batches(makeAlerts(COUNT), BATCH).map((b) => ({
      body: Buffer.from(webhookBody(b)),
      alerts: b.length,
    }));
    const pids = { serve: serve.pid, workers: workerChildren.map((w) => w.pid), redis: redis.proc.pid };
    await redis.client.config('RESETSTAT');
    const cpu0 = {
      serve: cpuSeconds(pids.serve),
      workers: pids.workers.map(cpuSeconds),
      redis: cpuSeconds(pids.redis),
      bench: process.cpuUsage(),
    };
    serve.post({ type: 'go' });
    await sleep(20);

    const t0 = performance.now();
    let pushed: PushResult | undefined;
    let pushError: unknown;
    const pushing = push(
      `${ready.url}/v1/alertmanager`,
      { authorization: `Bearer ${AM_TOKEN}` },
      bodies,
      202,
    ).then(
      (r) => (pushed = r),
      (err: unknown) => (pushError = err),
    );
    const crashed = () => [serve, ...workerChildren].some((c) => c?.exited);
    const allAt = await waitForSink(sink, t0, crashed);
    const timedOut = allAt === undefined && !crashed() && !aborted;
    const t1 = allAt ?? performance.now();
    const bench = process.cpuUsage(cpu0.bench);
    run.cpu = {
      serve: cpuSeconds(pids.serve) - cpu0.serve,
      workers: pids.workers.map((pid, k) => cpuSeconds(pid) - (cpu0.workers[k] ?? NaN)),
      redis: cpuSeconds(pids.redis) - cpu0.redis,
      bench: (bench.user + bench.system) / 1e6,
    };
    await pushing;
    run.deliveredS = allAt === undefined ? NaN : (t1 - t0) / 1000;
    if (pushed) run.acceptedS = (pushed.lastAcceptedAt - t0) / 1000;
    if (allAt !== undefined) await sleep(SETTLE_MS);

    run.rss = {
      serve: peakRss(pids.serve),
      workers: pids.workers.map(peakRss),
      redis: peakRss(pids.redis),
    };
    const figures = await redisFigures(redis.client);
    run.redisCommands = figures.total;
    run.redisBytes = figures.bytes;
    run.top = figures.top;
    run.redisPeakMemory = figures.peak;
    run.delivered = sink.distinct;
    run.sharesS = sink.sharesAt.map((at) => (at === undefined ? NaN : (at - t0) / 1000));
    run.duplicates = sink.duplicates;
    run.others = sink.others;
    run.bodies = sink.bodies;
    run.bodyBytes = sink.bytes;

    if (bots) {
      const answer = bots.next('bots', 60_000);
      bots.post({ type: 'stop' });
      run.bots = (await answer).result;
    }
    // Listening first: a child answers `stop` at once, and a message nobody waits for is lost.
    const answers = [
      serve.next('stats', 30_000).then((m) => m.stats.results),
      ...workerChildren.map((w) => w.next('stats', 30_000).then((m) => m.results)),
    ];
    serve.post({ type: 'stop', expected: 0 });
    for (const w of workerChildren) w.post({ type: 'stop' });
    const results = await Promise.all(answers);
    run.sent = results.map((r) => r.sent ?? 0);
    for (const r of results)
      for (const [k, n] of Object.entries(r))
        if (k !== 'sent' && n > 0) run.otherResults[k] = (run.otherResults[k] ?? 0) + n;
    await Promise.all([serve, ...workerChildren].map((c) => c.waitExit(40_000)));

    if (pushError) run.problems.push(`pushing alerts failed: ${String(pushError)}`);
    const bad = Object.entries(pushed?.statuses ?? {}).filter(([s]) => s !== '202');
    if (bad.length > 0)
      run.problems.push(`answers other than 202: ${bad.map(([s, n]) => `${s} x${n}`).join(', ')}`);
    if (run.delivered < COUNT)
      run.problems.push(
        `the sink had ${int(run.delivered)} of ${int(COUNT)} alerts when ${timedOut ? `--timeout ${TIMEOUT_S} s ran out` : 'the run ended'}`,
      );
    if (run.duplicates > 0) run.problems.push(`${int(run.duplicates)} alerts arrived more than once`);
    if (sink.unreadable > 0) run.problems.push(`${sink.unreadable} bodies the sink could not read`);
    for (const [k, n] of Object.entries(run.otherResults))
      if (['failed', 'dead', 'fallback'].includes(k)) run.problems.push(`deliveries ${k}: ${int(n)}`);
    const badBots = Object.entries(run.bots?.statuses ?? {}).filter(([s]) => s !== '202');
    if (badBots.length > 0)
      run.problems.push(
        `background requests answered other than 202: ${badBots.map(([s, n]) => `${s} x${n}`).join(', ')}`,
      );
  } catch (err) {
    // Once interrupted, whatever failed failed because everything was stopped: not worth a word.
    if (!aborted) run.problems.push(err instanceof Error ? err.message : String(err));
  } finally {
    for (const c of [bots, ...workerChildren, serve]) if (c && !c.exited) c.proc.kill('SIGKILL');
    await Promise.all([bots, ...workerChildren, serve].map((c) => c?.waitExit(5000)));
    await sink?.close();
    if (redis) await stopRedis(redis);
    await removeDir(dir);
  }
  if (aborted) run.problems.push('interrupted');
  run.ok = run.problems.length === 0;
  return run;
}

// ---------------------------------------------------------------------------------------------
// One run of something else with the same alerts and sink: Alertmanager, or the Node.js floor

interface OtherRun {
  ok: boolean;
  problems: string[];
  acceptedS: number;
  deliveredS: number;
  delivered: number;
  duplicates: number;
  rss: number;
  cpu: number;
  bodies: number;
  bodyBytes: number;
}

/** What it takes to run one: a process that takes the alerts at `pushUrl`, sending to the sink. */
interface Contender {
  /** Its name in problems. */
  name: string;
  /** Starts it (files in `dir`), sending to the sink at `sinkUrl`; ready to take alerts on return. */
  start(sinkUrl: string, dir: string): Promise<{ proc: ChildProcess; pushUrl: string; stderr: () => string }>;
  /** The request body of a batch of alerts, and the status that means accepted. */
  body: (alerts: AmAlert[]) => string;
  okStatus: number;
}

function alertmanagerVersion(): string {
  try {
    const out = execFileSync(AM_BIN, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\S+)/.exec(out)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** Debian's prometheus-alertmanager: its own API, one group per alert, a webhook to the sink. */
const ALERTMANAGER: Contender = {
  name: 'alertmanager',
  okStatus: 200,
  body: (alerts) => JSON.stringify(alerts),
  async start(sinkUrl, dir) {
    const configFile = path.join(dir, 'alertmanager.yml');
    await writeFile(
      configFile,
      [
        'route:',
        '  receiver: sink',
        "  group_by: ['...']",
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 4h',
        'receivers:',
        '  - name: sink',
        '    webhook_configs:',
        `      - url: ${sinkUrl}/alertmanager`,
        '        send_resolved: false',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let stderr = '';
    const proc = tracked(
      spawn(
        AM_BIN,
        [
          `--config.file=${configFile}`,
          `--storage.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
    proc.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    await waitFor(
      async () => {
        if (exited(proc)) throw new Error(`alertmanager exited at start: ${stderr.trim()}`);
        return (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200;
      },
      30_000,
      'alertmanager to be ready',
    );
    return { proc, pushUrl: `${base}/api/v2/alerts`, stderr: () => stderr.trim() };
  },
};

/** bench/alerts-floor-child.ts: receive and POST on, nothing else (the best Node.js can do). */
const FLOOR: Contender = {
  name: 'the floor process',
  okStatus: 202,
  body: webhookBody,
  async start(sinkUrl) {
    const child = new IpcChild<ToFloorChild, FromFloorChild>('the floor process', 'alerts-floor-child.ts');
    child.post({ type: 'start', sinkUrl: `${sinkUrl}/floor` });
    const ready = await child.next('ready', 30_000);
    return { proc: child.proc, pushUrl: ready.url, stderr: () => '' };
  },
};

const exited = (proc: ChildProcess) => proc.exitCode !== null || proc.signalCode !== null;

async function runOther(contender: Contender): Promise<OtherRun> {
  const run: OtherRun = {
    ok: false,
    problems: [],
    acceptedS: NaN,
    deliveredS: NaN,
    delivered: 0,
    duplicates: 0,
    rss: NaN,
    cpu: NaN,
    bodies: 0,
    bodyBytes: 0,
  };
  const dir = await tempDir(contender.name.replace(/\W+/g, '-'));
  let sink: Sink | undefined;
  let started: Awaited<ReturnType<Contender['start']>> | undefined;
  try {
    sink = await new Sink(COUNT).start();
    started = await contender.start(sink.url, dir);
    const proc = started.proc;
    const gone = () => exited(proc);

    const bodies = batches(makeAlerts(COUNT), BATCH).map((b) => ({
      body: Buffer.from(contender.body(b)),
      alerts: b.length,
    }));
    const cpu0 = cpuSeconds(proc.pid);
    const t0 = performance.now();
    let pushed: PushResult | undefined;
    let pushError: unknown;
    const pushing = push(started.pushUrl, {}, bodies, contender.okStatus).then(
      (r) => (pushed = r),
      (err: unknown) => (pushError = err),
    );
    const allAt = await waitForSink(sink, t0, gone);
    const timedOut = allAt === undefined && !gone() && !aborted;
    run.cpu = cpuSeconds(proc.pid) - cpu0;
    await pushing;
    run.deliveredS = allAt === undefined ? NaN : (allAt - t0) / 1000;
    if (pushed) run.acceptedS = (pushed.lastAcceptedAt - t0) / 1000;
    if (allAt !== undefined) await sleep(SETTLE_MS);
    run.rss = peakRss(proc.pid);
    run.delivered = sink.distinct;
    run.duplicates = sink.duplicates;
    run.bodies = sink.bodies;
    run.bodyBytes = sink.bytes;

    if (pushError) run.problems.push(`pushing alerts failed: ${String(pushError)}`);
    const bad = Object.entries(pushed?.statuses ?? {}).filter(([s]) => s !== String(contender.okStatus));
    if (bad.length > 0)
      run.problems.push(
        `answers other than ${contender.okStatus}: ${bad.map(([s, n]) => `${s} x${n}`).join(', ')}`,
      );
    if (gone()) run.problems.push(`${contender.name} exited early: ${started.stderr()}`);
    if (run.delivered < COUNT)
      run.problems.push(
        `the sink had ${int(run.delivered)} of ${int(COUNT)} alerts when ${timedOut ? `--timeout ${TIMEOUT_S} s ran out` : 'the run ended'}`,
      );
    if (run.duplicates > 0) run.problems.push(`${int(run.duplicates)} alerts arrived more than once`);
    if (sink.others + sink.unreadable > 0)
      run.problems.push(`the sink got ${sink.others + sink.unreadable} alerts or bodies it did not expect`);
  } catch (err) {
    // Once interrupted, whatever failed failed because everything was stopped: not worth a word.
    if (!aborted) run.problems.push(err instanceof Error ? err.message : String(err));
  } finally {
    if (started) await stopProcess(started.proc, 'SIGTERM', 5000);
    await sink?.close();
    await removeDir(dir);
  }
  if (aborted) run.problems.push('interrupted');
  run.ok = run.problems.length === 0;
  return run;
}

// ---------------------------------------------------------------------------------------------
// Report

const totalRss = (r: KlaxonRun) => r.rss.serve + sum(r.rss.workers) + r.rss.redis;
const totalCpu = (r: KlaxonRun) => r.cpu.serve + sum(r.cpu.workers) + r.cpu.redis;
const perAlert = (r: KlaxonRun) =>
  Number.isFinite(r.redisCommands) ? (r.redisCommands / COUNT).toFixed(1) : 'n/a';

function describeRun(r: KlaxonRun): string {
  const parts = [
    `Klaxon: serve process${r.workers > 0 ? ` + ${r.workers} worker process${r.workers === 1 ? '' : 'es'}` : ''}`,
  ];
  if (r.background > 0) parts.push(`background ${int(r.background)} samples/s from ${BOTS} bots`);
  return parts.join(', ');
}

function printKlaxon(r: KlaxonRun): void {
  const pad = (s: string) => `  ${s.padEnd(34)}`;
  const workers = (xs: number[], f: (n: number) => string) =>
    xs.length > 0 ? ` + workers ${xs.map(f).join(' + ')}` : '';
  console.log(`\n${describeRun(r)}`);
  console.log(`${pad(`all ${int(COUNT)} accepted (202) after`)}${secs(r.acceptedS)}`);
  console.log(
    `${pad(`sink had all ${int(COUNT)} after`)}${secs(r.deliveredS)}` +
      (Number.isFinite(r.deliveredS) ? `  (${int(COUNT / r.deliveredS)} alerts/s)` : '') +
      `, in ${bodiesOf(r)}`,
  );
  console.log(
    `${pad('sink had')}${SHARES.map((share, k) => `${share * 100} % after ${secs(r.sharesS[k] ?? NaN)}`).join(', ')}`,
  );
  console.log(
    `${pad('peak RSS')}${mib(totalRss(r))} = node ${mib(r.rss.serve)}${workers(r.rss.workers, mib)} + Redis ${mib(r.rss.redis)}` +
      `  (Redis used_memory_peak ${mib(r.redisPeakMemory)})`,
  );
  console.log(
    `${pad('CPU seconds')}${cpuS(totalCpu(r))} = node ${cpuS(r.cpu.serve)}${workers(r.cpu.workers, cpuS)} + Redis ${cpuS(r.cpu.redis)}` +
      `  (this process, load + sink: ${cpuS(r.cpu.bench)})`,
  );
  console.log(`${pad('Redis commands per alert')}${perAlert(r)}  (${int(r.redisCommands)} in all)`);
  console.log(
    `${pad('Redis bytes per alert')}${int(r.redisBytes.in / COUNT)} in, ${int(r.redisBytes.out / COUNT)} out`,
  );
  console.log(`${pad(`top ${TOP} Redis commands by calls`)}`);
  for (const c of r.top)
    console.log(
      `      ${c.name.padEnd(22)} ${int(c.calls).padStart(9)} calls  ${c.usecPerCall.toFixed(2).padStart(8)} µs/call`,
    );
  if (r.sent.length > 1)
    console.log(
      `${pad('notifications sent by')}serve ${int(r.sent[0] ?? NaN)}, ${r.sent
        .slice(1)
        .map((n, k) => `worker ${k + 1} ${int(n)}`)
        .join(', ')}`,
    );
  const extra = Object.entries(r.otherResults).map(([k, n]) => `${k} ${int(n)}`);
  if (extra.length > 0) console.log(`${pad('delivery results besides sent')}${extra.join(', ')}`);
  if (r.bots) {
    const ok = r.bots.statuses['202'] ?? 0;
    console.log(
      `${pad('background')}${int(r.bots.samplesAccepted / r.bots.elapsed)} samples/s accepted (${int(ok)} of ${int(r.bots.requests)} requests 202, ${r.bots.skipped} skipped) over ${r.bots.elapsed.toFixed(1)} s; ` +
        `${int(r.others)} other alerts reached the sink`,
    );
  } else if (r.others > 0) console.log(`${pad('other alerts at the sink')}${int(r.others)}`);
  for (const p of r.problems) console.log(`  PROBLEM: ${p}`);
}

function printOther(title: string, a: OtherRun): void {
  const pad = (s: string) => `  ${s.padEnd(34)}`;
  console.log(`\n${title}`);
  console.log(`${pad(`all ${int(COUNT)} accepted after`)}${secs(a.acceptedS)}`);
  console.log(
    `${pad(`sink had all ${int(COUNT)} after`)}${secs(a.deliveredS)}` +
      (Number.isFinite(a.deliveredS) ? `  (${int(COUNT / a.deliveredS)} alerts/s)` : '') +
      `, in ${bodiesOf(a)}`,
  );
  console.log(`${pad('peak RSS')}${mib(a.rss)}`);
  console.log(`${pad('CPU seconds')}${cpuS(a.cpu)}`);
  for (const p of a.problems) console.log(`  PROBLEM: ${p}`);
}

function printSweep(runs: KlaxonRun[]): void {
  console.log(
    `\n${int(COUNT)} alerts, ${BATCH} per request, ${IN_FLIGHT} in flight${BACKGROUND > 0 ? `, background ${int(BACKGROUND)} samples/s` : ''}\n`,
  );
  console.log(
    '| Worker processes | All accepted | Sink had all | Alerts/s | Peak RSS (node + Redis) | CPU s (node + Redis) | Redis commands/alert | |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of runs)
    console.log(
      `| ${r.workers} | ${secs(r.acceptedS)} | ${secs(r.deliveredS)} | ${int(COUNT / r.deliveredS)} | ${mib(totalRss(r))} | ${cpuS(totalCpu(r))} | ${perAlert(r)} | ${r.ok ? 'ok' : 'PROBLEM'} |`,
    );
}

/** The Klaxon runs beside the others (Alertmanager, the floor), and Klaxon's time over each. */
function printComparison(runs: KlaxonRun[], others: { head: string; run: OtherRun }[]): void {
  const heads = runs.map((r) =>
    r.workers > 0 || r.background > 0
      ? `Klaxon (${[r.workers > 0 ? `${r.workers} workers` : '', r.background > 0 ? `bg ${int(r.background)}/s` : ''].filter(Boolean).join(', ')})`
      : 'Klaxon',
  );
  console.log(`\n${int(COUNT)} alerts, ${BATCH} per request, ${IN_FLIGHT} in flight\n`);
  console.log(`| | ${[...others.map((o) => o.head), ...heads].join(' | ')} |`);
  console.log(`|---|${[...others, ...runs].map(() => '---:').join('|')}|`);
  const row = (label: string, o: (r: OtherRun) => string, k: (r: KlaxonRun) => string) =>
    console.log(`| ${label} | ${[...others.map(({ run }) => o(run)), ...runs.map(k)].join(' | ')} |`);
  row(
    `all ${int(COUNT)} accepted after`,
    (a) => secs(a.acceptedS),
    (r) => secs(r.acceptedS),
  );
  row(
    `sink had all ${int(COUNT)} after`,
    (a) => secs(a.deliveredS),
    (r) => secs(r.deliveredS),
  );
  row(
    'CPU seconds (Klaxon: node + Redis)',
    (a) => cpuS(a.cpu),
    (r) => cpuS(totalCpu(r)),
  );
  row(
    'peak RSS (Klaxon: node + Redis)',
    (a) => mib(a.rss),
    (r) => mib(totalRss(r)),
  );
  console.log('');
  for (const [r, head] of runs.map((r, i) => [r, heads[i]] as const))
    for (const o of others) {
      const ratio = r.deliveredS / o.run.deliveredS;
      console.log(
        `${head}/${o.head}, sink had all: ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : 'n/a'}`,
      );
    }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  let amVersion = '';
  if (VS_AM) {
    try {
      accessSync(AM_BIN, fsConstants.X_OK);
    } catch {
      console.error(
        `--vs-alertmanager: ${AM_BIN} is not there (or not executable). Install Debian's Alertmanager ` +
          `(apt-get install prometheus-alertmanager), or point $ALERTMANAGER_BIN at an alertmanager binary.`,
      );
      return 2;
    }
    amVersion = alertmanagerVersion();
  }

  // A first redis-server of our own, for the machine line (and to know redis-server starts at all).
  const dir = await tempDir('redis');
  let machine: string;
  try {
    const r = await startRedis(dir);
    try {
      machine = await machineLine(r.client);
    } finally {
      await stopRedis(r);
    }
  } finally {
    await removeDir(dir);
  }

  console.log('# Klaxon alert path benchmark');
  console.log(machine);
  console.log(
    `${int(COUNT)} distinct firing alerts in Alertmanager webhook v4 bodies to POST /v1/alertmanager, ${BATCH} per request, ${IN_FLIGHT} in flight; ` +
      `Klaxon: one webhook receiver (a local sink), ${GROUPING ? 'route group_by [alertname, instance], group_wait 0, group_interval 1s' : 'route without grouping'}, ` +
      `${BACKGROUND > 0 ? 'preset trading' : 'no presets'}, its own redis-server without persistence; timeout ${TIMEOUT_S} s`,
  );

  const runs: KlaxonRun[] = [];
  for (const workers of SWEEP ? [1, 2, 3] : [WORKERS]) {
    if (aborted) break;
    const r = await runKlaxon(workers, BACKGROUND);
    printKlaxon(r);
    runs.push(r);
  }
  if (SWEEP) printSweep(runs);

  const others: { head: string; run: OtherRun }[] = [];
  if (VS_AM && !aborted) {
    const run = await runOther(ALERTMANAGER);
    printOther(`Alertmanager ${amVersion} (group_by ['...'], group_wait 0s, group_interval 1s)`, run);
    others.push({ head: `Alertmanager ${amVersion}`, run });
  }
  if (FLOOR_RUN && !aborted) {
    const run = await runOther(FLOOR);
    printOther(
      'The floor: a Node.js process that takes the same bodies and POSTs each alert on, nothing else (no Redis)',
      run,
    );
    others.push({ head: 'Node.js floor', run });
  }
  if (others.length > 0) printComparison(runs, others);
  return [...runs, ...others.map((o) => o.run)].every((r) => r.ok) ? 0 : 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    aborted = true;
    killAll();
  });
// The last resort: nothing this benchmark started outlives it.
process.on('exit', killAll);

try {
  process.exitCode = await main();
} catch (err) {
  console.error('benchmark failed:', err);
  process.exitCode = 1;
} finally {
  killAll();
  for (const d of [...tempDirs]) await removeDir(d).catch(() => undefined);
}
// Nothing should be left running; a straggling handle must not keep the benchmark alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
