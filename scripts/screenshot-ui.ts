/**
 * Screenshots of the web console for the docs: a Klaxon on the local Redis (its own key prefix,
 * removed afterwards) is fed a trading morning through the public API (four bots, their equity
 * and heartbeats, alerts of every severity, one acknowledged, one silenced, one resolved), and
 * headless Chromium logs in and saves docs/images/console-alerts.png, console-timeline.png,
 * console-sources.png and console-phone.png.
 *
 *   npm run build:ui && npx tsx scripts/screenshot-ui.ts
 *
 * Needs Redis (REDIS_URL or 127.0.0.1:6379) and Chromium at /usr/bin/chromium (or CHROMIUM).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.js';
import { TestKlaxon, TOKEN } from '../test/support/klaxon.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs', 'images');
const MIN = 60_000;

async function feed(k: TestKlaxon, now: number): Promise<void> {
  const bots = { 'grid-1': 10_000, 'dca-2': 4_000, 'arb-1': 25_000, 'mm-3': 7_500 };
  for (const [source, start] of Object.entries(bots)) {
    const snapshots = Array.from({ length: 180 }, (_, i) => ({
      source,
      ts: now - (180 - i) * MIN,
      metrics: {
        equity: Math.round(start * (1 + 0.02 * Math.sin(i / 20) - (source === 'grid-1' ? i * 0.0004 : 0))),
      },
    }));
    await k.push('/v1/metrics', snapshots);
    const quiet = source === 'mm-3' ? 7 * MIN : 20_000;
    await k.push('/v1/events', { source, type: 'heartbeat', ts: now - quiet });
  }
  const alerts = [
    {
      source: 'grid-1',
      name: 'daily_loss',
      severity: 'critical',
      title: 'Daily loss 6.2% over the 5% limit',
      value: 6.2,
      labels: { account: 'main' },
    },
    {
      source: 'grid-1',
      name: 'exchange_disconnected',
      severity: 'high',
      title: 'Binance websocket down for 2m',
      labels: { exchange: 'binance' },
    },
    {
      source: 'dca-2',
      name: 'api_latency',
      severity: 'warning',
      title: 'Order API p95 at 1.8 s',
      value: 1.8,
      labels: { exchange: 'kraken' },
    },
    {
      source: 'arb-1',
      name: 'funding_spike',
      severity: 'info',
      title: 'ETH-PERP funding 0.12% per 8h',
      labels: { symbol: 'ETH-PERP' },
    },
    {
      source: 'mm-3',
      name: 'order_rejected',
      severity: 'high',
      title: 'Orders rejected: insufficient margin',
      labels: { symbol: 'SOL-USDT' },
    },
  ];
  for (const a of alerts) await k.push('/v1/alerts', a);
  await k.idle();
  await k.push('/v1/alerts', { ...alerts[4], status: 'resolved' });
  await k.idle();
}

async function shot(page: Page, file: string): Promise<void> {
  await page.waitForTimeout(300);
  const target = path.join(OUT, file);
  await page.screenshot({ path: target, fullPage: true });
  console.log(`wrote ${path.relative(ROOT, target)}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const k = new TestKlaxon(`klaxon-screens-${process.pid}`);
  const browser = await launchChromium();
  try {
    await k.start({
      server: { host: '127.0.0.1', tokens: [{ name: 'alice', token: TOKEN, sources: ['*'], admin: true }] },
    });
    const base = k.app.url as string;
    await feed(k, Date.now());

    const context = await browser.newContext({ viewport: { width: 1180, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${base}/ui/`);
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('li[data-fp]').first().waitFor();

    // Acknowledge the daily loss and silence the latency warning, as an operator would.
    await page.locator('li[data-fp]', { hasText: 'daily_loss' }).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Acknowledge' }).first().click();
    await page.getByLabel('Comment').first().fill('Halving size, watching the next hour');
    await page.getByRole('button', { name: 'Acknowledge' }).last().click();
    await page.getByText('Acknowledgement sent').waitFor();
    await k.idle();
    await page.getByRole('navigation').getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.locator('li[data-fp]', { hasText: 'api_latency' }).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Silence' }).first().click();
    await page.getByLabel('Comment').fill('Kraken maintenance until 10:00');
    await page.getByRole('button', { name: 'Create silence' }).click();
    await page.waitForTimeout(500);

    await page.getByRole('navigation').getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.locator('li[data-acked="true"]').first().waitFor();
    await shot(page, 'console-alerts.png');
    await page.locator('li[data-fp]', { hasText: 'daily_loss' }).getByRole('link').first().click();
    await page.getByText('SENT').first().waitFor();
    await shot(page, 'console-timeline.png');
    await page.getByRole('navigation').getByRole('link', { name: 'Sources', exact: true }).click();
    await page.locator('svg').first().waitFor();
    await shot(page, 'console-sources.png');
    await context.close();

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    await small.goto(`${base}/ui/`);
    await small.getByLabel('Admin token').fill(TOKEN);
    await small.getByRole('button', { name: 'Log in' }).click();
    await small.locator('li[data-fp]').first().waitFor();
    await shot(small, 'console-phone.png');
    await phone.close();
  } finally {
    await browser.close();
    await k.close();
  }
}

await main();
