/**
 * The daily digest's cost once its records are read: figures (`computeDigest`), the email (text,
 * HTML, two chart PNGs) for a day where every source is busy.
 *
 *   npm run bench:digest -- --sources 10 --trades 2000 --alerts 500 --rounds 5
 *
 * Each source pushes equity and PnL every minute of the day (the recording keeps a point a minute),
 * closes `--trades` trades over 8 symbols, and its alerts fire, get notified and resolve.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { computeDigest } from '../src/digest/figures.js';
import { buildDigestEmail } from '../src/digest/digest-email.js';
import type { AlertRecord, DigestInput, SourceRecords, TradeRecord } from '../src/digest/types.js';
import { int, mb, num } from './common.js';

const { values: args } = parseArgs({
  options: {
    sources: { type: 'string', default: '10' },
    trades: { type: 'string', default: '2000' },
    alerts: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
  },
});
const sources = num('sources', args.sources, 1, 500);
const tradesPerSource = num('trades', args.trades, 0, 20_000);
const alertsPerSource = num('alerts', args.alerts, 0, 20_000);
const rounds = num('rounds', args.rounds, 1, 100);

const MINUTE = 60_000;
const end = Date.UTC(2026, 11, 2, 5, 0, 0);
const start = end - 24 * 60 * MINUTE;
const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;

/** A deterministic pseudo-random sequence, so every run draws the same day. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function busySource(i: number): SourceRecords {
  const rnd = random(i + 1);
  const minutes = Array.from({ length: 24 * 60 }, (_, m) => start + m * MINUTE);
  let equity = 50_000;
  const series: SourceRecords['series'] = { equity: [], realized_pnl: [], unrealized_pnl: [], fees: [] };
  let realized = 0;
  for (const t of minutes) {
    equity += (rnd() - 0.49) * 40;
    realized += (rnd() - 0.48) * 5;
    series.equity!.push([t, equity]);
    series.realized_pnl!.push([t, realized]);
    series.unrealized_pnl!.push([t, (rnd() - 0.5) * 200]);
    series.fees!.push([t, (t - start) / MINUTE / 10]);
  }
  const trades: TradeRecord[] = Array.from({ length: tradesPerSource }, (_, k) => ({
    t: start + Math.floor((k / Math.max(1, tradesPerSource)) * 24 * 60 * MINUTE),
    kind: 'trade',
    symbol: `SYM${k % 8}/USDT`,
    side: k % 2 ? 'buy' : 'sell',
    pnl: (rnd() - 0.45) * 30,
  }));
  const alerts: AlertRecord[] = [];
  for (let k = 0; k < alertsPerSource; k++) {
    const fired = start + Math.floor(rnd() * 23 * 60) * MINUTE;
    const base = {
      fp: `s${i}-a${k % 50}`,
      name: `rule_${k % 25}`,
      severity: SEVERITIES[k % 4]!,
      labels: { source: `bot-${i}`, symbol: `SYM${k % 8}/USDT` },
      since: fired,
    };
    alerts.push({ ...base, t: fired, type: 'fired', value: rnd() * 100 });
    alerts.push({ ...base, t: fired, type: 'notified', kind: 'firing', receiver: 'ops' });
    alerts.push({ ...base, t: fired + 20 * MINUTE, type: 'resolved' });
  }
  alerts.sort((a, b) => a.t - b.t);
  return {
    source: `bot-${i}`,
    series,
    heartbeats: minutes.map((t) => [t, 2]),
    events: [],
    trades,
    alerts,
    dropped: [],
    before: {},
  };
}

const input: DigestInput = {
  window: { start, end },
  sources: Array.from({ length: sources }, (_, i) => busySource(i)),
  deliveries: [],
  deadLettersWaiting: 0,
};

const timings = { figures: [] as number[], email: [] as number[] };
let htmlBytes = 0;
let pngBytes = 0;
let reportBytes = 0;
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const report = computeDigest(input, {
    timeZone: 'Europe/Berlin',
    generatedAt: end,
    heartbeatGapMs: 5 * MINUTE,
    noisiest: 5,
  });
  const t1 = performance.now();
  const email = buildDigestEmail(report, { link: 'https://klaxon.example/v1/digest/view/x' });
  const t2 = performance.now();
  timings.figures.push(t1 - t0);
  timings.email.push(t2 - t1);
  htmlBytes = Buffer.byteLength(email.html);
  pngBytes = email.attachments.reduce((n, a) => n + a.content.length, 0);
  reportBytes = Buffer.byteLength(JSON.stringify(report));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpus = os.cpus();
console.log(
  `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`,
);
console.log(
  `Day: ${sources} sources, ${int(24 * 60 * 4 * sources)} series points, ${int(tradesPerSource * sources)} trades, ` +
    `${int(alertsPerSource * sources * 3)} alert records; median of ${rounds} rounds`,
);
console.log(`figures (computeDigest)        ${median(timings.figures).toFixed(1)} ms`);
console.log(`email (text, HTML, two charts) ${median(timings.email).toFixed(1)} ms`);
console.log(
  `sizes: report JSON ${int(reportBytes / 1024)} KB, HTML ${int(htmlBytes / 1024)} KB, ` +
    `PNGs ${int(pngBytes / 1024)} KB; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
);
