/**
 * Writes examples/trading-session.jsonl: three hours of one bot's snapshots (every 30 s) and
 * heartbeats (every 15 s) with three incidents: an API latency spike, a daily-loss breach and a
 * stall of the whole bot. Deterministic, so the replay in the README stays true.
 *   npx tsx examples/make-trading-session.ts
 */
import { writeFileSync } from 'node:fs';

const start = Date.parse('2026-11-20T08:00:00Z');
const min = 60_000;
const lines: string[] = [];
let seed = 7;
const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

const latencyIncident = [40 * min, 48 * min];
const stall = [150 * min, 162 * min];

for (let t = 0; t <= 180 * min; t += 15_000) {
  const ts = new Date(start + t).toISOString();
  if (t >= stall[0]! && t < stall[1]!) continue; // the bot is frozen: nothing at all
  lines.push(JSON.stringify({ source: 'alpha', ts, type: 'heartbeat' }));
  if (t % 30_000 !== 0) continue;
  // The day goes well, then badly from minute 90 on.
  const trend = t < 90 * min ? 300 * (t / (90 * min)) : 300 - 1400 * ((t - 90 * min) / (60 * min));
  const pnl = trend + (rand() - 0.5) * 30;
  const equity = 50_000 + Math.min(pnl, 300) + (rand() - 0.5) * 20;
  const latency =
    t >= latencyIncident[0]! && t < latencyIncident[1]!
      ? (t < 44 * min ? 700 : 1400) + rand() * 100
      : 120 + rand() * 60;
  lines.push(
    JSON.stringify({
      source: 'alpha',
      ts,
      metrics: {
        equity: Math.round(equity * 100) / 100,
        daily_pnl: Math.round(Math.max(pnl, -1100) * 100) / 100,
        daily_loss_limit: 1000,
        drawdown_pct: Math.round(Math.max(0, -pnl / 500) * 100) / 100,
        api_latency_ms: Math.round(latency),
        cycle_latency_ms: Math.round(200 + rand() * 80),
        market_data_staleness_s: Math.round(rand() * 3 * 10) / 10,
        ws_connected: 1,
        trades_per_minute: 4 + Math.floor(rand() * 3),
        order_error_rate: Math.round(rand() * 0.02 * 1000) / 1000,
        win_rate: 0.55,
        cpu_percent: Math.round(30 + rand() * 10),
        memory_percent: Math.round(50 + rand() * 5),
      },
    }),
  );
}
writeFileSync(new URL('./trading-session.jsonl', import.meta.url), lines.join('\n') + '\n');
console.log(`${lines.length} records`);
