/**
 * `npm run chaos` (tsx chaos/run.ts): runs the chaos scenarios against real `klaxon serve` and
 * `klaxon worker` processes and a redis-server of their own, and prints for each what was
 * accepted, owed, delivered, duplicated and lost. See docs/chaos.md. Exit code 1 when any
 * scenario lost a notification, told one twice under two ids, or did not recover.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { killAllChildren } from './cluster.js';
import { formatResult, formatTable } from './report.js';
import {
  DEFAULT_OPTIONS,
  QUICK_OPTIONS,
  runScenario,
  SCENARIO_IDS,
  TITLES,
  type ChaosOptions,
  type ScenarioId,
  type ScenarioResult,
} from './scenarios.js';

const d = DEFAULT_OPTIONS;
const USAGE = `usage: npm run chaos -- [options]      (or: npx tsx chaos/run.ts [options])

Runs each scenario against real processes (klaxon serve, klaxon worker) and a redis-server of its
own on a free port (never the Redis at 6379), with a webhook receiver in this process, and counts
the inputs accepted and the notifications owed, delivered, duplicated and lost.

scenarios (default: all, in this order):
${SCENARIO_IDS.map((id, i) => `  ${i + 1}. ${id.padEnd(14)} ${TITLES[id]}`).join('\n')}

options:
  --scenarios LIST        comma-separated names or numbers, e.g. 1,3 or kill-workers,race
  --duration S            seconds of load in each scenario (${d.durationS})
  --rate N                inputs per second (${d.rate})
  --batch N               inputs per request (${d.batch})
  --sources N             bot sources, spread over the lanes (${d.sources})
  --shards N              queue.shards (${d.shards})
  --lock-duration MS      queue.lock_duration (${d.lockMs})
  --stalled-interval MS   queue.stalled_interval (${d.stalledMs})
  --workers N             kill-workers: klaxon worker processes besides klaxon serve (${d.workers})
  --kill-every S          kill-workers: seconds between two SIGKILLs (${d.killEveryS})
  --restarts N            redis-restart: kill -9 and restarts of Redis (${d.restarts})
  --appendfsync P         redis-restart, redis-outage: always or everysec (${d.fsync})
  --down S                receiver-down: seconds the receiver is down (${d.downS})
  --time-scale N          receiver-down: delivery backoff timers divided by N, so that --down S
                          stands for S×N seconds (${d.timeScale}: 12 s for an hour)
  --rounds N              race: rounds of identical alerts (${d.rounds})
  --copies N              race: copies of each alert sent at once (${d.copies})
  --dedup-max N           race: defaults.direct.dedup.max (${d.dedupMax})
  --outage S              redis-outage: seconds Redis stays stopped (${d.outageS})
  --outage-when-quiet     redis-outage: stop Redis with nothing in flight (the quick form does)
  --give-up S             the load client gives up on a request refused this long (${d.giveUpS})
  --latency MS            how long the receiver takes to answer a notification (${d.latencyMs})
  --cuts N                lost-reply: cuts of each kind, after a commit and after an enqueue (${d.cuts})
  --settle S              bound on the wait for delivery after the load (${d.settleS})
  --log-level L           log level of the Klaxon processes (${d.logLevel})
  --keep WHEN             keep the temp dir with logs: always, on-problem, never (${d.keep})
  --quick                 the small settings of the quick form (test/chaos), before other options
  --json FILE             also write the results as JSON
  -h, --help              this text
`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n\n${USAGE}`);
  process.exit(2);
}

function num(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}`);
  return n;
}

function scenarios(raw: string | undefined): ScenarioId[] {
  if (raw === undefined) return [...SCENARIO_IDS];
  return raw.split(',').map((s) => {
    const t = s.trim();
    const byNumber = /^\d+$/.test(t) ? SCENARIO_IDS[Number(t) - 1] : undefined;
    const id = byNumber ?? SCENARIO_IDS.find((x) => x === t);
    if (!id) fail(`unknown scenario ${JSON.stringify(t)}`);
    return id;
  });
}

function machineLine(): string {
  const cpus = os.cpus();
  let redis = '?';
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    // reported by the first scenario
  }
  return (
    `Machine: ${os.availableParallelism()} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GB RAM, ${os.platform()} ${os.arch()}, Node ${process.version}, ` +
    `redis-server ${redis}`
  );
}

function parse() {
  return parseArgs({
    options: {
      scenarios: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      batch: { type: 'string' },
      sources: { type: 'string' },
      shards: { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      workers: { type: 'string' },
      'kill-every': { type: 'string' },
      restarts: { type: 'string' },
      appendfsync: { type: 'string' },
      down: { type: 'string' },
      'time-scale': { type: 'string' },
      rounds: { type: 'string' },
      copies: { type: 'string' },
      'dedup-max': { type: 'string' },
      outage: { type: 'string' },
      'outage-when-quiet': { type: 'boolean' },
      cuts: { type: 'string' },
      'give-up': { type: 'string' },
      latency: { type: 'string' },
      settle: { type: 'string' },
      'log-level': { type: 'string' },
      keep: { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

async function main(): Promise<number> {
  const parsed = (() => {
    try {
      return parse();
    } catch (err) {
      return fail((err as Error).message);
    }
  })();
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const fsync = v.appendfsync;
  if (fsync !== undefined && fsync !== 'always' && fsync !== 'everysec')
    fail('--appendfsync must be always or everysec');
  const keep = v.keep;
  if (keep !== undefined && keep !== 'always' && keep !== 'on-problem' && keep !== 'never')
    fail('--keep must be always, on-problem or never');
  const given: Partial<ChaosOptions> = {
    durationS: num('duration', v.duration, 1, 3600),
    rate: num('rate', v.rate, 1, 100_000),
    batch: num('batch', v.batch, 1, 1000),
    sources: num('sources', v.sources, 1, 10_000),
    shards: num('shards', v.shards, 1, 256),
    lockMs: num('lock-duration', v['lock-duration'], 100, 600_000),
    stalledMs: num('stalled-interval', v['stalled-interval'], 100, 600_000),
    workers: num('workers', v.workers, 1, 16),
    killEveryS: num('kill-every', v['kill-every'], 0.2, 3600),
    restarts: num('restarts', v.restarts, 1, 100),
    fsync,
    downS: num('down', v.down, 1, 3600),
    timeScale: num('time-scale', v['time-scale'], 1, 100_000),
    rounds: num('rounds', v.rounds, 1, 1000),
    copies: num('copies', v.copies, 1, 1000),
    dedupMax: num('dedup-max', v['dedup-max'], 1, 1000),
    outageS: num('outage', v.outage, 1, 3600),
    outageWhenQuiet: v['outage-when-quiet'],
    cuts: num('cuts', v.cuts, 1, 1000),
    giveUpS: num('give-up', v['give-up'], 1, 86_400),
    latencyMs: num('latency', v.latency, 0, 60_000),
    settleS: num('settle', v.settle, 5, 3600),
    logLevel: v['log-level'],
    keep,
  };
  const defined = Object.fromEntries(Object.entries(given).filter(([, x]) => x !== undefined));
  const opts: ChaosOptions = {
    ...DEFAULT_OPTIONS,
    ...(v.quick ? QUICK_OPTIONS : {}),
    ...defined,
    progress: (line) => process.stdout.write(`${line}\n`),
  };
  const ids = scenarios(v.scenarios);

  const stop = () => {
    process.stderr.write('\ninterrupted: stopping every process started\n');
    void killAllChildren().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  process.stdout.write(`${machineLine()}\n`);
  process.stdout.write(
    `Load: ${opts.rate} inputs/s in requests of ${opts.batch} (direct alerts with force: true and threshold ` +
      `breaches in turn, each owing one notification), ${opts.sources} sources over ${opts.shards} lanes, ` +
      `${opts.durationS} s per scenario; receiver latency ${opts.latencyMs} ms; lock_duration ${opts.lockMs} ms, stalled_interval ${opts.stalledMs} ms\n\n`,
  );
  const results: ScenarioResult[] = [];
  for (const [i, id] of ids.entries()) {
    try {
      const r = await runScenario(id, opts);
      results.push(r);
      process.stdout.write(`${formatResult(r, SCENARIO_IDS.indexOf(id) + 1)}\n\n`);
    } catch (err) {
      process.stdout.write(`[${i + 1}] ${id}: FAILED TO RUN: ${(err as Error).message}\n\n`);
      await killAllChildren();
      return 1;
    }
  }
  process.stdout.write(`${formatTable(results)}\n`);
  if (v.json) writeFileSync(v.json, JSON.stringify(results, null, 2));
  return results.every((r) => r.problems.length === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`chaos: ${(err as Error).stack ?? String(err)}\n`);
    await killAllChildren();
    process.exit(1);
  },
);
