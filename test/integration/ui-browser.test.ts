import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi } from '../../scripts/build-ui.mjs';
import type { Silence } from '../../src/ingest/alert-api.js';
import { launchChromium } from '../support/browser.js';
import { TestKlaxon, TOKEN } from '../support/klaxon.js';

/**
 * The web console in headless Chromium against a running Klaxon (its bundle built by the same
 * script as `npm run build`): log in, see alerts pushed over the API, acknowledge one, silence
 * another, watch a third resolve without reloading, and reach nothing without logging in.
 * Screenshots go to test-output/ui.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OUT = path.join(ROOT, 'test-output', 'ui');
const UI_DIR = mkdtempSync(path.join(tmpdir(), 'klaxon-ui-'));

const k = new TestKlaxon(`klaxon-test-ui-browser-${process.pid}`);
let browser: Browser;
let base = '';

const ALERTS = {
  ack: {
    source: 'grid-1',
    name: 'daily_loss',
    severity: 'critical',
    title: 'Daily loss 6.2% over the 5% limit',
    value: 6.2,
  },
  silence: { source: 'dca-2', name: 'api_latency', severity: 'warning', title: 'API latency p95 1.8 s' },
  resolve: {
    source: 'grid-1',
    name: 'exchange_disconnected',
    severity: 'high',
    title: 'Binance websocket down',
  },
};

async function fingerprintOf(name: string): Promise<string> {
  const res = await fetch(`${base}/v1/alerts?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const { alerts } = (await res.json()) as { alerts: { fingerprint: string; name: string }[] };
  const a = alerts.find((x) => x.name === name);
  if (!a) throw new Error(`no alert ${name}`);
  return a.fingerprint;
}

const row = (page: Page, fp: string) => page.locator(`li[data-fp="${fp}"]`);

async function logIn(page: Page): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  await buildUi(UI_DIR);
  await k.start((url) => ({
    server: {
      host: '127.0.0.1',
      tokens: [{ name: 'ops', token: TOKEN, sources: ['*'], admin: true }],
      rate_limit: { max: 100_000 },
      ui: { dir: UI_DIR },
    },
    receivers: { hook: { type: 'webhook', url } },
  }));
  base = k.app.url as string;
  browser = await launchChromium();
  for (const a of Object.values(ALERTS)) await k.push('/v1/alerts', a);
  await k.idle();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await k.close();
  rmSync(UI_DIR, { recursive: true, force: true });
});

describe('web console', () => {
  it('shows nothing but the login form without a login, and the data routes refuse the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/ui/`);
    await page.getByLabel('Admin token').waitFor();
    expect(await page.locator('li[data-fp]').count()).toBe(0);
    const statuses = await page.evaluate(async () =>
      Promise.all(
        ['/v1/alerts', '/v1/silences', '/v1/sources', '/ui/session'].map(
          async (p) => (await fetch(p)).status,
        ),
      ),
    );
    expect(statuses).toEqual([401, 401, 401, 401]);
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown token');
    // The token typed in never lands in the page's storage or its address.
    expect(page.url()).not.toContain('wrong-token');
    expect(await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })')).toBe('{}');
    await context.close();
  });

  it('logs in, acknowledges one alert, silences another and watches a third resolve without reloading', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await logIn(page);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'klaxon_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });

    const fps = {
      ack: await fingerprintOf('daily_loss'),
      silence: await fingerprintOf('api_latency'),
      resolve: await fingerprintOf('exchange_disconnected'),
    };
    for (const fp of Object.values(fps))
      await expect.poll(() => row(page, fp).getAttribute('data-status')).toBe('firing');
    // A marker that a reload would wipe: everything below happens in this one page.
    await page.evaluate('window.stayed = true');
    await page.screenshot({ path: path.join(OUT, 'alerts.png'), fullPage: true });

    // Acknowledge from the alert's timeline.
    await row(page, fps.ack).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: 'daily_loss' }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).first().click();
    await page.getByLabel('Comment').first().fill('on it');
    await page.getByRole('button', { name: 'Acknowledge' }).last().click();
    await expect
      .poll(() => page.getByText('acknowledged', { exact: false }).count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => {
        const h = await fetch(`${base}/v1/alerts/${fps.ack}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return ((await h.json()) as { alert: { acknowledged?: { by: string; comment?: string } } }).alert
          .acknowledged;
      })
      .toMatchObject({ by: 'ops', comment: 'on it' });
    await page.screenshot({ path: path.join(OUT, 'timeline.png'), fullPage: true });

    // Silence another, with the matchers the form fills in from its labels.
    await page.getByRole('navigation').getByRole('link', { name: 'Alerts', exact: true }).click();
    await row(page, fps.silence).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: 'api_latency' }).waitFor();
    await page.getByRole('button', { name: 'Silence' }).first().click();
    await page.getByRole('button', { name: 'Create silence' }).click();
    await expect
      .poll(async () => {
        const res = await fetch(`${base}/v1/silences`, { headers: { authorization: `Bearer ${TOKEN}` } });
        return ((await res.json()) as { silences: Silence[] }).silences;
      })
      .toEqual([
        expect.objectContaining({
          createdBy: 'ops',
          matchers: expect.arrayContaining([{ name: 'source', value: 'dca-2', op: '=' }]),
        }),
      ]);

    // The acknowledged alert and the silenced one are marked in the list.
    await page.getByRole('navigation').getByRole('link', { name: 'Alerts', exact: true }).click();
    await expect.poll(() => row(page, fps.ack).getAttribute('data-acked'), { timeout: 10_000 }).toBe('true');
    await expect.poll(() => row(page, fps.silence).getAttribute('data-silenced')).toBe('true');
    expect(await row(page, fps.ack).getAttribute('data-silenced')).toBe('false');

    // A resolve pushed over the API shows without a reload.
    await k.push('/v1/alerts', { ...ALERTS.resolve, status: 'resolved' });
    await expect
      .poll(() => row(page, fps.resolve).getAttribute('data-status'), { timeout: 15_000 })
      .toBe('resolved');
    expect(await page.evaluate('window.stayed')).toBe(true);

    // Logged out, the same page reaches nothing.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(async () => (await fetch('/v1/alerts')).status)).toBe(401);
    await context.close();
  });

  it('fits a phone screen: the alerts page and a timeline at 390 px wide', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await logIn(page);
    await page.locator('li[data-fp]').first().waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(OUT, 'alerts-phone.png'), fullPage: true });
    await context.close();
  });
});
