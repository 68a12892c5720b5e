/**
 * `npm run bench:trading`: simulated trading days (bench/trading/scenario.ts) replayed through the
 * real pipeline (`replay()`: rules, detectors, life cycle, routing) with the trading preset as the
 * config loader reads it, then counted (bench/trading/score.ts): per rule, incidents caught, delay
 * from onset to the first notification, false alerts per bot per day; and false anomaly alerts
 * per healthy bot per day (target: at most 1). Figures are summed over seeds, with the spread.
 *
 *   npm run bench:trading [-- --seeds 5] [--first 1] [--preset FILE] [--grace 10] [--json]
 *
 * `--preset FILE` replays with another preset file instead of config/presets/trading.yaml (to
 * compare a change before making it).
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { validateConfig } from '../../src/config/load.js';
import { REPO_ROOT } from '../../src/config/paths.js';
import type { KlaxonConfig } from '../../src/config/schema.js';
import { replay } from '../../src/replay/replay.js';
import { generateScenario, type Scenario } from './scenario.js';
import { median, scoreBot, summarise, type BotScore, type RuleSummary } from './score.js';

const MIN = 60_000;

/** The bench's config: the trading preset, every alert routed to one console receiver. */
export function benchConfig(preset = 'trading'): KlaxonConfig {
  const { config } = validateConfig(
    { presets: [preset], receivers: { console: { type: 'console' } }, routes: { receivers: ['console'] } },
    path.join(REPO_ROOT, 'config', 'bench-trading.yaml'),
    {},
  );
  return config;
}

/** Replays every bot of a scenario on its own (one lane, its own clock) and scores it. */
export async function runScenario(
  config: KlaxonConfig,
  scenario: Scenario,
  graceMs: number,
): Promise<BotScore[]> {
  const scores: BotScore[] = [];
  for (const bot of scenario.bots) {
    const result = await replay(config, bot.records);
    scores.push(scoreBot(bot, result.told, graceMs));
  }
  return scores;
}

export interface SeedFigures {
  seed: number;
  incidents: number;
  caught: number;
  falsePerBotDay: number;
  falseAnomalyPerHealthyBotDay: number;
}

export function seedFigures(
  seed: number,
  scores: readonly BotScore[],
  anomalyRules: ReadonlySet<string>,
): SeedFigures {
  const days = 1; // one simulated trading day per bot
  const healthy = scores.filter((s) => s.healthy);
  const falseOf = (s: BotScore, only?: ReadonlySet<string>) =>
    Object.entries(s.alerts)
      .filter(([name]) => !only || only.has(name))
      .reduce((n, [, a]) => n + a.false, 0);
  return {
    seed,
    incidents: scores.reduce((n, s) => n + s.incidents.length, 0),
    caught: scores.reduce((n, s) => n + s.incidents.filter((o) => o.caught).length, 0),
    falsePerBotDay: scores.reduce((n, s) => n + falseOf(s), 0) / (scores.length * days),
    falseAnomalyPerHealthyBotDay:
      healthy.reduce((n, s) => n + falseOf(s, anomalyRules), 0) / Math.max(1, healthy.length * days),
  };
}

const fmtMin = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / MIN).toFixed(1)}m`);
const spread = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${median(s)!.toFixed(2)}, min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}`;
};

export function formatReport(
  rules: readonly RuleSummary[],
  seeds: readonly SeedFigures[],
  scores: readonly BotScore[],
  header: string,
): string {
  const botDays = scores.length;
  const healthyDays = scores.filter((s) => s.healthy).length;
  const lines = [header, ''];
  lines.push(
    `${'rule'.padEnd(27)} ${'caught'.padStart(8)} ${'median'.padStart(7)} ${'worst'.padStart(7)} ${'alerts'.padStart(7)} ${'false'.padStart(6)} ${'false/bot-day'.padStart(13)} ${'healthy false/bot-day'.padStart(21)}`,
  );
  for (const r of rules) {
    if (r.expected === 0 && r.total === 0) continue;
    lines.push(
      `${(r.rule + (r.anomaly ? ' *' : '')).padEnd(27)} ${(r.expected > 0 ? `${r.caught}/${r.expected}` : '-').padStart(8)} ${fmtMin(median(r.delays)).padStart(7)} ${fmtMin(r.delays.length ? Math.max(...r.delays) : undefined).padStart(7)} ${String(r.total).padStart(7)} ${String(r.false).padStart(6)} ${(r.false / botDays).toFixed(2).padStart(13)} ${(r.falseHealthy / Math.max(1, healthyDays)).toFixed(2).padStart(21)}`,
    );
  }
  const silent = rules.filter((r) => r.expected === 0 && r.total === 0).map((r) => r.rule);
  if (silent.length) lines.push(`(never told, no incident expects them: ${silent.join(', ')})`);
  lines.push('* anomaly rule');
  const all = scores.flatMap((s) => s.incidents);
  const delays = all.flatMap((o) => (o.delay === undefined ? [] : [o.delay]));
  const missed = all.filter((o) => !o.caught).map((o) => `${o.incident.bot}/${o.incident.kind}`);
  lines.push(
    '',
    `incidents caught: ${all.length - missed.length}/${all.length}` +
      ` (delay to the first expected notification: median ${fmtMin(median(delays))}, worst ${fmtMin(delays.length ? Math.max(...delays) : undefined)})` +
      (missed.length ? `; missed: ${missed.join(', ')}` : ''),
  );
  const totalFalse = rules.reduce((n, r) => n + r.false, 0);
  const anomalyFalseHealthy = rules.filter((r) => r.anomaly).reduce((n, r) => n + r.falseHealthy, 0);
  const alerts = rules.reduce((n, r) => n + r.total, 0);
  lines.push(
    `alerting notifications: ${alerts}, false: ${totalFalse} (${(totalFalse / botDays).toFixed(2)} per bot per day; per seed ${spread(seeds.map((s) => s.falsePerBotDay))})`,
    `false anomaly alerts per healthy bot per day: ${(anomalyFalseHealthy / Math.max(1, healthyDays)).toFixed(2)} (target <= 1; per seed ${spread(seeds.map((s) => s.falseAnomalyPerHealthyBotDay))})`,
    `per seed (caught / false per bot-day / false anomaly per healthy bot-day): ${seeds
      .map(
        (s) =>
          `#${s.seed} ${s.caught}/${s.incidents} ${s.falsePerBotDay.toFixed(2)} ${s.falseAnomalyPerHealthyBotDay.toFixed(2)}`,
      )
      .join('; ')}`,
  );
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '5' },
      first: { type: 'string', default: '1' },
      preset: { type: 'string' },
      grace: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
  });
  const began = performance.now();
  const n = Number(values.seeds);
  const first = Number(values.first);
  const graceMs = Number(values.grace) * MIN;
  const preset = values.preset ? path.resolve(values.preset) : 'trading';
  const config = benchConfig(preset);
  const anomalyRules = new Set(
    config.rules.filter((r) => r.kind === 'anomaly').map((r) => r.alert ?? r.name),
  );
  const ruleNames = [
    ...new Map(config.rules.map((r) => [r.alert ?? r.name, r.kind === 'anomaly'])).entries(),
  ].map(([name, anomaly]) => ({ name, anomaly }));
  const scores: BotScore[] = [];
  const seeds: SeedFigures[] = [];
  for (let seed = first; seed < first + n; seed++) {
    const s = await runScenario(config, generateScenario(seed), graceMs);
    scores.push(...s);
    seeds.push(seedFigures(seed, s, anomalyRules));
  }
  const rules = summarise(scores, ruleNames);
  const seconds = (performance.now() - began) / 1000;
  const header =
    `bench:trading: ${n} seed(s) from ${first} x ${scores.length / n} bots x one 8-h trading day, preset ${preset === 'trading' ? 'config/presets/trading.yaml' : preset}, grace ${values.grace} min\n` +
    `machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; run time ${seconds.toFixed(1)} s`;
  if (values.json) process.stdout.write(JSON.stringify({ rules, seeds, seconds }, null, 2) + '\n');
  else process.stdout.write(formatReport(rules, seeds, scores, header));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();
