/**
 * Renders the HTML part of two alert emails, a firing daily-loss alert and its resolve, in
 * headless Chromium and saves them as docs/images/email-firing.png and docs/images/email-resolved.png,
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
import { describe } from '../src/channels/content.js';
import { buildEmail } from '../src/channels/email/message.js';
import type { MessageRef, Notification } from '../src/model/notification.js';
import { launchChromium } from '../test/support/browser.js';
import { firing, FROM, PUBLIC_URL, resolved, TO } from './example-alert.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs', 'images');
function html(n: Notification, previous?: MessageRef): { html: string; ref?: MessageRef } {
  const content = describe(n, { publicUrl: PUBLIC_URL, ui: true });
  const mail = buildEmail(
    { notification: n, content, previous, signal: AbortSignal.timeout(1_000), now: n.createdAt },
    FROM,
    TO,
  );
  return { html: mail.html, ref: mail.ref };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await launchChromium();
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
