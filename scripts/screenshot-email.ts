/**
 * Renders the HTML part of two alert emails, a firing daily-loss alert and its resolve, in
 * headless Chromium and saves them as docs/img/email-firing.png and docs/img/email-resolved.png,
 * the pictures the docs show. The HTML is exactly what the email channel sends (same content,
 * same renderer); the page may fetch nothing (every request is refused and reported).
 *
 *   npx tsx scripts/screenshot-email.ts
 *
 * Needs Chromium at /usr/bin/chromium (Debian's package), or CHROMIUM=/path/to/chrome.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe } from '../src/channels/content.js';
import { buildEmail } from '../src/channels/email/message.js';
import type { AlertView } from '../src/model/alert.js';
import type { MessageRef, Notification } from '../src/model/notification.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs', 'img');
const STARTED = Date.UTC(2026, 2, 12, 13, 42, 0);
const RESOLVED = STARTED + 47 * 60_000;

const alert: AlertView = {
  fingerprint: '3f2a9c1d7b6e4f08',
  name: 'DailyLossLimit',
  status: 'firing',
  severity: 'critical',
  labels: { source: 'grid-1', env: 'prod', exchange: 'binance', strategy: 'grid' },
  annotations: {
    summary: 'daily loss 104% of limit on grid-1: -$520.00 of -$500.00',
    description:
      'Realised plus unrealised PnL since 00:00 UTC is -$520.00, past the daily loss limit of -$500.00.\n' +
      'The bot has stopped opening positions; open orders stay on the book.',
    runbook_url: 'https://runbooks.example.com/trading/daily-loss',
  },
  links: [{ href: 'https://grafana.example.com/d/pnl?var-bot=grid-1', text: 'PnL dashboard' }],
  value: -520,
  threshold: -500,
  op: '<=',
  unit: 'money',
  startsAt: STARTED,
  firingAt: STARTED,
  occurrences: 4,
};

const firing: Notification = {
  id: 'n-3f2a9c1d-1',
  receiver: 'ops-email',
  kind: 'firing',
  alerts: [alert],
  thread: alert.fingerprint,
  createdAt: STARTED + 2 * 60_000,
};

const resolved: Notification = {
  ...firing,
  id: 'n-3f2a9c1d-2',
  kind: 'resolved',
  alerts: [{ ...alert, status: 'resolved', value: -430, endsAt: RESOLVED }],
  createdAt: RESOLVED,
};

function html(n: Notification, previous?: MessageRef): { html: string; ref?: MessageRef } {
  const content = describe(n, { publicUrl: 'https://klaxon.example.com' });
  const mail = buildEmail(
    { notification: n, content, previous, signal: AbortSignal.timeout(1_000), now: n.createdAt },
    { name: 'Klaxon', address: 'klaxon@example.com' },
    ['oncall@example.com'],
  );
  return { html: mail.html, ref: mail.ref };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 1 });
    const requested: string[] = [];
    await page.route('**/*', (route) => {
      requested.push(route.request().url());
      return route.abort();
    });
    const first = html(firing);
    const second = html(resolved, first.ref);
    for (const [file, doc] of [
      ['email-firing.png', first.html],
      ['email-resolved.png', second.html],
    ] as const) {
      await page.setContent(doc, { waitUntil: 'load' });
      const target = path.join(OUT, file);
      await page.screenshot({ path: target, fullPage: true });
      console.log(`wrote ${path.relative(ROOT, target)}`);
    }
    if (requested.length > 0) throw new Error(`the email HTML requested: ${requested.join(', ')}`);
  } finally {
    await browser.close();
  }
}

await main();
