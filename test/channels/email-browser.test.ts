import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailChannel } from '../../src/channels/email/email-channel.js';
import { emailReceiverSchema } from '../../src/channels/email/schema.js';
import type { Delivery } from '../../src/channels/channel.js';
import type { MessageRef } from '../../src/model/notification.js';
import { launchChromium } from '../support/browser.js';
import { FakeSmtp } from '../support/fakes/smtp.js';
import { delivery, notification, T0 } from './helpers.js';

/**
 * What a person sees: the HTML part of a real sent message (sent by the channel through nodemailer
 * to the SMTP fake, parsed back by mailparser) rendered by headless Chromium, with scripts enabled
 * so that anything that could run would.
 */

const INJECT = '<script>alert("xss")</script><img src=x onerror="console.log(\'pwned\');alert(2)">';

/** The browser globals the page functions use (the project compiles without the DOM lib). */
interface InPage {
  document: {
    querySelectorAll(selector: string): ArrayLike<{ attributes: ArrayLike<{ name: string }> }>;
    documentElement: { scrollWidth: number };
  };
  getComputedStyle(el: unknown): { backgroundColor: string };
}

let browser: Browser;
let smtp: FakeSmtp;
let channel: EmailChannel;

beforeAll(async () => {
  browser = await launchChromium();
  smtp = await new FakeSmtp().start();
  channel = new EmailChannel(
    'ops',
    emailReceiverSchema.parse({
      type: 'email',
      to: ['oncall@example.com'],
      from: 'Klaxon <klaxon@example.com>',
      smtp: { host: '127.0.0.1', port: smtp.port, require_tls: false },
    }),
  );
});

afterAll(async () => {
  await channel?.close();
  await smtp?.close();
  await browser?.close();
});

interface Shown {
  page: Page;
  requests: string[];
  dialogs: string[];
  console: string[];
  errors: string[];
}

/** Sends `d`, takes the HTML part the server received, and opens it in a fresh page. */
async function sendAndShow(d: Delivery, width = 640): Promise<Shown & { ref?: MessageRef }> {
  const before = smtp.messages.length;
  const out = await channel.send(d);
  const html = smtp.messages[before]?.parsed.html;
  if (typeof html !== 'string') throw new Error('the message has no HTML part');
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const shown: Shown = { page, requests: [], dialogs: [], console: [], errors: [] };
  page.on('request', (r) => shown.requests.push(r.url()));
  page.on('dialog', (dialog) => {
    shown.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (m) => shown.console.push(m.text()));
  page.on('pageerror', (e) => shown.errors.push(e.message));
  // Anything the page asks for is refused (and recorded above).
  await page.route('**/*', (route) => route.abort());
  await page.setContent(html, { waitUntil: 'load' });
  // Give a stray onerror handler the chance to run, if the markup had let one in.
  await page.waitForTimeout(50);
  return { ...shown, ref: out.ref };
}

describe('the HTML part in a browser', () => {
  let firingRef: MessageRef | undefined;

  it('shows the headline, the facts and the links, and keeps injected markup inert', async () => {
    const d = delivery(
      notification(
        { id: 'b-1' },
        {
          labels: { source: 'grid-1', note: INJECT },
          annotations: {
            summary: `daily loss ${INJECT}`,
            description: `Realised PnL -$520.00.\nOrders paused. ${INJECT}`,
            runbook_url: 'https://runbooks.example.com/daily-loss',
          },
          links: [{ href: 'javascript:alert(3)', text: 'evil' }],
        },
      ),
    );
    const { page, requests, dialogs, console, errors, ref } = await sendAndShow(d);
    firingRef = ref;
    try {
      // The card: everything but the hidden inbox preview.
      const card = page.locator('table[width="600"]');
      const h1 = card.locator('h1');
      expect(await h1.isVisible()).toBe(true);
      expect(await h1.innerText()).toBe(d.content.title);
      expect(d.content.title).toContain('<script>alert("xss")</script>');
      expect(await card.getByText('CRITICAL', { exact: true }).isVisible()).toBe(true);

      // The facts table, label by label, value by value.
      expect(await page.locator('th[scope="row"]').allInnerTexts()).toEqual(
        d.content.facts.map((f) => f.label),
      );
      expect(await page.locator('th[scope="row"] + td').allInnerTexts()).toEqual(
        d.content.facts.map((f) => f.value),
      );
      expect(
        await card.locator('th[scope="row"]').first().locator('xpath=ancestor::table[1]').isVisible(),
      ).toBe(true);

      // Line breaks of the description are kept.
      expect(await card.getByText('Realised PnL -$520.00.').innerText()).toBe(
        `Realised PnL -$520.00.\nOrders paused. ${INJECT}`,
      );
      // The label with markup is shown as text.
      expect(await card.getByText(`note=${INJECT}`, { exact: true }).isVisible()).toBe(true);

      // Inert: nothing ran, nothing was logged, no element that could run or load anything exists.
      expect(dialogs).toEqual([]);
      expect(console).toEqual([]);
      expect(errors).toEqual([]);
      const active = await page.evaluate(() => {
        const { document } = globalThis as unknown as InPage;
        return {
          risky: document.querySelectorAll('script, img, iframe, object, embed, link, style, form, svg')
            .length,
          handlers: Array.from(document.querySelectorAll('*')).flatMap((el) =>
            Array.from(el.attributes)
              .filter((a) => /^on/i.test(a.name))
              .map((a) => a.name),
          ),
        };
      });
      expect(active).toEqual({ risky: 0, handlers: [] });

      // Links are buttons to http(s) only.
      const hrefs = await page
        .locator('a')
        .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      expect(hrefs).toEqual(['https://runbooks.example.com/daily-loss']);
      expect(await page.getByRole('link', { name: 'Runbook' }).isVisible()).toBe(true);

      // The red band across the top of the card.
      const band = await card
        .locator('td')
        .first()
        .evaluate((td) => (globalThis as unknown as InPage).getComputedStyle(td).backgroundColor);
      expect(band).toBe('rgb(198, 40, 40)');
      // The preheader is for the inbox list, not shown in the message.
      const preheader = page.locator('body > div').first();
      expect(await preheader.textContent()).toBe('Realised PnL -$520.00.');
      expect(await preheader.isVisible()).toBe(false);

      // Nothing was requested from the network.
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('turns green on resolve, and fits a phone screen', async () => {
    const n = notification(
      { id: 'b-2', kind: 'resolved' },
      {
        status: 'resolved',
        endsAt: T0 + 47 * 60_000,
        labels: { source: 'grid-1', note: INJECT },
        annotations: { summary: `daily loss ${INJECT}` },
      },
    );
    const { page, requests, dialogs, console } = await sendAndShow(delivery(n, { previous: firingRef }), 375);
    try {
      const card = page.locator('table[width="600"]');
      expect(await card.getByText('RESOLVED', { exact: true }).isVisible()).toBe(true);
      expect(
        await card.locator('p', { hasText: /^Resolved after 47m \(was CRITICAL\)\.$/ }).isVisible(),
      ).toBe(true);
      const band = await card
        .locator('td')
        .first()
        .evaluate((td) => (globalThis as unknown as InPage).getComputedStyle(td).backgroundColor);
      expect(band).toBe('rgb(46, 125, 50)');
      // No sideways scrolling on a 375 px screen.
      expect(
        await page.evaluate(() => (globalThis as unknown as InPage).document.documentElement.scrollWidth),
      ).toBeLessThanOrEqual(375);
      expect(dialogs).toEqual([]);
      expect(console).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
    expect(smtp.messages.at(-1)?.parsed.inReplyTo).toBe('<klaxon.b-1@example.com>');
  });
});
