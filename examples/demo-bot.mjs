// A demo trading bot for the compose stack: it exports Prometheus metrics in the names of the bots
// Klaxon serves (coinbase_trader_*, perps_bot_*) and a JSON /health, and plays a trading day with
// incidents, fast: one real second is SPEED simulated seconds (60 by default: the day in 24 min).
//
//   node examples/demo-bot.mjs            PORT=9100 SPEED=60
//
// The day (simulated time from 08:00):
//   09:30-09:45  market data stale (45 s)              -> staleness alerts
//   13:00-13:40  equity falls 6 %, over the daily loss limit; circuit breaker at 13:35
//   16:00-16:10  websocket reconnect storm, cycle latency 2.5 s
//   20:00-20:05  /health unhealthy (503); 20:05-20:12 the bot answers nothing (down)
// Then it starts the day again. No dependencies: Node's http only.
import http from 'node:http';
import process from 'node:process';

const PORT = Number(process.env.PORT ?? 9100);
const SPEED = Number(process.env.SPEED ?? 60);
const START = Date.now();
const DAY_START_MIN = 8 * 60;
const DAY_LENGTH_MIN = 16 * 60;

/** Simulated minutes since 00:00 of the simulated day. */
export function minuteOf(now, start = START, speed = SPEED) {
  const elapsed = ((now - start) / 1000) * speed;
  return DAY_START_MIN + ((elapsed / 60) % DAY_LENGTH_MIN);
}

const between = (m, from, to) => m >= from && m < to;
const hm = (h, m = 0) => h * 60 + m;

/** What the bot reports at a simulated minute `m`: a pure function of time, so every scrape agrees. */
export function stateAt(m) {
  const wave = Math.sin(m / 37) * 0.004 + Math.sin(m / 11) * 0.001;
  let drop = 0;
  if (m >= hm(13)) drop = Math.min(1, (m - hm(13)) / 40) * 0.06;
  const equity = 100_000 * (1 + wave - drop);
  const dailyLoss = Math.max(0, 100_000 - equity);
  const reconnects =
    Math.floor(Math.max(0, m - hm(8)) / 90) + (m >= hm(16) ? Math.min(m - hm(16), 10) * 6 : 0);
  return {
    equity,
    realizedPnl: -drop * 100_000 * 0.7,
    unrealizedPnl: wave * 100_000,
    dailyLoss,
    dailyLossLimit: 5_000,
    staleness: between(m, hm(9, 30), hm(9, 45)) ? 45 : 1.2,
    latencyMs: between(m, hm(16), hm(16, 10)) ? 2_500 : 180 + 40 * Math.sin(m / 5),
    reconnects,
    circuitBreaker: m >= hm(13, 35) ? 1 : 0,
    health: between(m, hm(20), hm(20, 5))
      ? 'unhealthy'
      : between(m, hm(16), hm(16, 10))
        ? 'degraded'
        : 'healthy',
    down: between(m, hm(20, 5), hm(20, 12)),
  };
}

export function exposition(s) {
  const lines = [
    ['coinbase_trader_equity', 'gauge', 'Account equity in USD', s.equity],
    ['coinbase_trader_realized_pnl_usd', 'gauge', 'Realized PnL today in USD', s.realizedPnl],
    ['coinbase_trader_unrealized_pnl_usd', 'gauge', 'Unrealized PnL in USD', s.unrealizedPnl],
    ['perps_bot_risk_daily_loss', 'gauge', 'Loss today in USD', s.dailyLoss],
    ['perps_bot_risk_daily_loss_limit', 'gauge', 'Daily loss limit in USD', s.dailyLossLimit],
    ['perps_bot_market_data_staleness_seconds', 'gauge', 'Age of the newest market data', s.staleness],
    ['coinbase_trader_cycle_latency_ms', 'gauge', 'Duration of the last trading cycle', s.latencyMs],
    ['coinbase_trader_websocket_reconnects_total', 'counter', 'Websocket reconnects', s.reconnects],
    [
      'coinbase_trader_circuit_breaker_triggered',
      'gauge',
      '1 while the circuit breaker is open',
      s.circuitBreaker,
    ],
  ];
  return (
    lines
      .map(
        ([name, type, help, v]) =>
          `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${Number(v.toFixed(4))}`,
      )
      .join('\n') + '\n'
  );
}

export function startDemoBot(port = PORT, clock = () => minuteOf(Date.now())) {
  const server = http.createServer((req, res) => {
    const s = stateAt(clock());
    if (s.down) {
      req.socket.destroy();
      return;
    }
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(s));
    } else if (req.url === '/health') {
      const code = s.health === 'unhealthy' ? 503 : 200;
      const body = { status: s.health, checks: { market_data: s.staleness < 30 ? 'ok' : 'stale' } };
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startDemoBot();
  process.stdout.write(`demo bot on :${PORT}, one real second = ${SPEED} simulated seconds\n`);
}
