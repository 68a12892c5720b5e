import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Notification } from '../../src/model/notification.js';
import { createLogger, silentLogger } from '../../src/ops/logger.js';
import { TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/scrape/${name}`, import.meta.url), 'utf8');
const BOT_SECRET = 'Bearer bot-secret-0123456789';

/**
 * A bot as Klaxon sees it: a Prometheus /metrics (the recorded exposition, with values the test
 * changes) and a JSON /health, on a real local HTTP server that counts the requests it gets.
 */
class Bot {
  metrics: string;
  health = { status: 200, body: fixture('gpt_trader_health_healthy.json') };
  /** Requests per path. */
  readonly requests = new Map<string, number>();
  /** The authorization header requests must carry, when set. */
  auth?: string;
  private server?: http.Server;
  port = 0;

  constructor(exposition: string) {
    this.metrics = exposition;
  }

  /** Sets the value of an unlabelled sample of the exposition. */
  set(metric: string, value: number): void {
    const line = new RegExp(`^${metric} .*$`, 'm');
    if (!line.test(this.metrics)) throw new Error(`no sample ${metric}`);
    this.metrics = this.metrics.replace(line, `${metric} ${value}`);
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => {
      const path = req.url ?? '';
      this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
      if (this.auth && req.headers.authorization !== this.auth) return res.writeHead(401).end();
      if (path === '/metrics')
        return res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          .end(this.metrics);
      if (path === '/health')
        return res
          .writeHead(this.health.status, { 'content-type': 'application/json' })
          .end(this.health.body);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server?.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  count(path: string): number {
    return this.requests.get(path) ?? 0;
  }

  /** The bot stops: its port refuses connections. */
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const firing = (ns: Notification[], source: string, severity?: string) =>
  ns.filter(
    (n) =>
      n.kind === 'firing' &&
      n.alerts[0]?.labels.source === source &&
      (severity === undefined || n.alerts[0]?.severity === severity),
  );

/**
 * Klaxon scraping real local bots under the trading preset: what a pushing bot would trigger, a
 * scraping Klaxon triggers from the bot's own metrics; a bot that stops answering is a bot down.
 */
describe('scraping the bots’ own /metrics and /health', () => {
  const k = new TestKlaxon(`klaxon-test-scrape-${process.pid}`);
  const perps = new Bot(fixture('perps_bot.prom'));
  const quiet = new Bot(fixture('perps_bot.prom'));
  const counted = new Bot(fixture('coinbase_trader.prom'));
  let ghostPort = 0;
  let second: App | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    perps.auth = BOT_SECRET;
    await Promise.all([perps.start(), quiet.start(), counted.start()]);
    ghostPort = await closedPort();
    const fast = { interval: '1s', timeout: '500ms' };
    await k.start(
      {
        presets: ['trading', 'bot-health'],
        queue: { shards: 2, sweep_every: '250ms' },
        // The preset's bot_down, with a window a test can wait for.
        rules: [
          {
            name: 'bot_down',
            kind: 'absence',
            event: 'heartbeat',
            bands: { critical: '2s' },
            dedup: { window: '1m', max: 3 },
          },
        ],
        scrape: [
          {
            name: 'perps-1',
            url: perps.url('/metrics'),
            map: 'perps_bot',
            headers: { authorization: BOT_SECRET },
            ...fast,
          },
          {
            name: 'perps-1-health',
            url: perps.url('/health'),
            format: 'health',
            source: 'perps-1',
            headers: { authorization: BOT_SECRET },
            ...fast,
          },
          { name: 'quiet-1', url: quiet.url('/metrics'), map: 'perps_bot', ...fast },
          { name: 'ghost', url: `http://127.0.0.1:${ghostPort}/metrics`, map: 'perps_bot', ...fast },
          {
            name: 'counted',
            url: counted.url('/metrics'),
            map: 'coinbase_trader',
            interval: '500ms',
            timeout: '400ms',
          },
        ],
      },
      {
        scheduler: true,
        logger: createLogger({
          level: 'debug',
          destination: new Writable({
            write(chunk: Buffer, _enc, done) {
              logs.push(chunk.toString('utf8'));
              done();
            },
          }),
        }),
      },
    );
  });

  afterAll(async () => {
    await second?.stop();
    await k.close();
    await Promise.allSettled([perps.stop(), counted.stop()]);
  });

  it('scraped daily PnL crossing 80 % then 100 % of the limit fires the daily-loss alert', async () => {
    await waitFor(() => perps.count('/metrics') >= 1, 5000, 'a first scrape');
    perps.set('perps_bot_risk_daily_loss', 850); // daily_pnl -850 of a 1000 limit
    await waitFor(
      () => firing(k.recorder.of('daily_loss_limit'), 'perps-1', 'warning').length === 1,
      8000,
      'warning',
    );
    perps.set('perps_bot_risk_daily_loss', 1000);
    await waitFor(
      () => firing(k.recorder.of('daily_loss_limit'), 'perps-1', 'critical').length === 1,
      8000,
      'critical',
    );
    const [n] = firing(k.recorder.of('daily_loss_limit'), 'perps-1', 'critical');
    expect(n?.alerts[0]?.annotations.title).toBe(
      'daily loss 100% of limit on perps-1: -$1,000.00 of -$1,000.00',
    );
  });

  it('market data staleness above 30 s fires the staleness alert', async () => {
    perps.set('perps_bot_market_data_staleness_seconds', 45);
    await waitFor(
      () => firing(k.recorder.of('market_data_stale'), 'perps-1', 'critical').length === 1,
      8000,
      'stale',
    );
    expect(firing(k.recorder.of('market_data_stale'), 'perps-1')[0]?.alerts[0]?.annotations.title).toBe(
      'market data 45 s old on perps-1',
    );
  });

  it('/health answering 503 unhealthy is a bot_unhealthy alert (high), degraded a warning', async () => {
    perps.health = { status: 503, body: fixture('gpt_trader_health_unhealthy.json') };
    await waitFor(
      () => firing(k.recorder.of('bot_unhealthy'), 'perps-1', 'high').length === 1,
      8000,
      'unhealthy',
    );
    const alert = firing(k.recorder.of('bot_unhealthy'), 'perps-1')[0]?.alerts[0];
    expect(alert?.annotations).toMatchObject({
      title: 'perps-1 reports itself unhealthy',
      description: 'broker_unreachable',
    });
    perps.health = { status: 200, body: fixture('gpt_trader_health_degraded.json') };
    await waitFor(
      () => firing(k.recorder.of('bot_degraded'), 'perps-1', 'warning').length === 1,
      8000,
      'degraded',
    );
    perps.health = { status: 200, body: fixture('gpt_trader_health_healthy.json') };
    // An unhealthy bot still answers: it is not down.
    expect(firing(k.recorder.of('bot_down'), 'perps-1')).toEqual([]);
  });

  it('a target that stops answering is a bot down; one that never answered too', async () => {
    await waitFor(() => quiet.count('/metrics') >= 1, 5000, 'a first scrape of quiet-1');
    expect(firing(k.recorder.of('bot_down'), 'quiet-1')).toEqual([]);
    await quiet.stop();
    await waitFor(
      () => firing(k.recorder.of('bot_down'), 'quiet-1', 'critical').length === 1,
      8000,
      'quiet-1 down',
    );
    // `ghost` never answered: its source is expected by bot_down from the start.
    expect(firing(k.recorder.of('bot_down'), 'ghost', 'critical')).toHaveLength(1);
    const failures = await k.app.metrics.registry.getSingleMetricAsString('klaxon_scrape_failures_total');
    expect(failures).toMatch(/klaxon_scrape_failures_total\{target="quiet-1"\} [1-9]/);
    expect(failures).toMatch(/klaxon_scrape_failures_total\{target="ghost"\} [1-9]/);
    expect(failures).toMatch(/klaxon_scrape_failures_total\{target="perps-1"\} 0/);
    const durations = await k.app.metrics.registry.getSingleMetricAsString('klaxon_scrape_duration_seconds');
    expect(durations).toMatch(/klaxon_scrape_duration_seconds_count\{target="perps-1"\} [1-9]/);
    const log = logs.join('');
    expect(log).toMatch(/"target":"quiet-1".*"reason":"refused".*scrape failed/);
    expect(log).toContain(`"endpoint":"http://127.0.0.1:${quiet.port}/metrics"`);
    // The bot's secret went in the requests (perps-1 answered), never into the log.
    expect(log).not.toContain('bot-secret');
    expect(perps.count('/health')).toBeGreaterThan(0);
  });

  it('two processes on one Redis prefix scrape each target once per interval, not twice', async () => {
    second = await App.start({ config: k.config, role: 'worker', scheduler: true, logger: silentLogger() });
    await new Promise((r) => setTimeout(r, 1000));
    const before = counted.count('/metrics');
    await new Promise((r) => setTimeout(r, 4000));
    const scraped = counted.count('/metrics') - before;
    // Every 500 ms for 4 s: 8, give or take one at each end (twice would be 16).
    expect(scraped).toBeGreaterThanOrEqual(6);
    expect(scraped).toBeLessThanOrEqual(10);
  });
});
