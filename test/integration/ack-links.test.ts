import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackToken } from '../../src/ingest/ack-links.js';
import type { Alert } from '../../src/model/alert.js';
import { launchChromium } from '../support/browser.js';
import { FakeSmtp } from '../support/fakes/smtp.js';
import { TestKlaxon, TOKEN } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';
import { freePort } from '../support/redis-server.js';

/**
 * The signed "Acknowledge" link of an email, followed by a person in a real browser: the live
 * pipeline sends the email (to the SMTP fake), Chromium renders it and clicks the link, the page
 * shows the alert and a form, and submitting it acknowledges the alert through its lane.
 */
const LINK_SECRET = `link-${randomBytes(16).toString('hex')}`;

describe('acknowledge links in a browser', () => {
  const smtp = new FakeSmtp();
  const k = new TestKlaxon(`t-acklink-${randomBytes(4).toString('hex')}`);
  let browser: Browser;
  let base = '';

  const api = async (path: string): Promise<{ status: number; body: { alert?: Alert } }> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as { alert?: Alert } };
  };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await Promise.all([smtp.start(), launchChromium().then((b) => (browser = b))]);
    await k.start(
      {
        server: {
          host: '127.0.0.1',
          tokens: [{ name: 'ops', token: TOKEN, sources: ['*'], admin: true }],
          rate_limit: { max: 100_000 },
          public_url: base,
          link_secret: LINK_SECRET,
        },
        receivers: {
          mail: {
            type: 'email',
            to: ['oncall@example.test'],
            from: 'klaxon@example.test',
            smtp: { host: smtp.host, port: smtp.port, require_tls: false },
          },
        },
        routes: { receivers: ['mail'] },
      },
      { port },
    );
  });
  afterAll(async () => {
    await browser?.close();
    await k.close();
    await smtp.close();
  });

  /** Pushes a critical alert and waits for its email; gives the alert's fingerprint and the HTML. */
  async function alertByEmail(name: string): Promise<{ fp: string; html: string }> {
    const before = smtp.messages.length;
    await k.push('/v1/alerts', {
      source: 'grid-1',
      name,
      severity: 'critical',
      title: `Order stuck <b>${name}</b>`,
    });
    const [mail] = (await smtp.waitForMessages(before + 1, 20_000)).slice(before);
    const html = mail?.parsed.html;
    if (typeof html !== 'string') throw new Error('the email has no HTML part');
    const fp = /fingerprint ([0-9a-f]{24})/.exec(mail?.parsed.text ?? '')?.[1];
    if (!fp) throw new Error('the email names no fingerprint');
    return { fp, html };
  }

  /** The email's HTML in a fresh browser context (closed with the test). */
  async function openEmail(html: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return page;
  }

  it('the link opens a page that changes nothing; its form acknowledges the alert', async () => {
    const { fp, html } = await alertByEmail('order_stuck');
    const email = await openEmail(html);
    const link = email.getByRole('link', { name: 'Acknowledge', exact: true });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${base}/v1/ack/[\\w-]+\\.[\\w-]+$`));
    // The email's links open in a new tab.
    const [page] = await Promise.all([email.context().waitForEvent('page'), link.click()]);
    try {
      await page.waitForLoadState('load');
      expect(page.url()).toMatch(new RegExp(`^${base}/v1/ack/`));
      expect(await page.locator('h1').innerText()).toBe('Order stuck <b>order_stuck</b>');
      const facts = await page.locator('dl').innerText();
      for (const v of ['order_stuck', 'critical', 'grid-1']) expect(facts).toContain(v);
      // Opening the link (as a mail scanner would) acknowledged nothing.
      await k.idle();
      expect((await api(`/v1/alerts/${fp}`)).body.alert?.acknowledged).toBeUndefined();

      await page.getByLabel('Your name (optional)').fill('Ann');
      await page.getByLabel('Comment (optional)').fill('restarting the bot');
      await Promise.all([
        page.waitForLoadState('load'),
        page.getByRole('button', { name: 'Acknowledge' }).click(),
      ]);
      await expect.poll(() => page.locator('p').first().innerText()).toContain('Acknowledged by Ann');

      let alert: Alert | undefined;
      await waitFor(
        async () => {
          alert = (await api(`/v1/alerts/${fp}`)).body.alert;
          return alert?.acknowledged !== undefined;
        },
        20_000,
        'the lane to apply the acknowledgement',
      );
      expect(alert?.acknowledged).toMatchObject({ by: 'Ann', comment: 'restarting the bot', via: 'link' });
      // The receiver that was told it fires hears who took it.
      await waitFor(
        () =>
          smtp.messages.some(
            (m) => /^\[ACKNOWLEDGED\]/.test(m.parsed.subject ?? '') && m.parsed.text?.includes(fp),
          ),
        20_000,
        'the acknowledgement email',
      );
    } finally {
      await email.context().close();
    }
  });

  it('a tampered or expired link is a 403 page and acknowledges nothing', async () => {
    const { fp, html } = await alertByEmail('order_late');
    const page = await openEmail(html);
    try {
      const href =
        (await page.getByRole('link', { name: 'Acknowledge', exact: true }).getAttribute('href')) ?? '';
      const token = href.split('/').at(-1) ?? '';
      const [payload = '', sig = ''] = token.split('.');
      const other = Buffer.from(
        JSON.stringify(['ffffffffffffffffffffffff', Date.now() + 3_600_000]),
      ).toString('base64url');
      for (const bad of [
        `${payload}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`,
        `${other}.${sig}`,
        ackToken(LINK_SECRET, fp, Date.now() - 1000),
      ]) {
        const res = await page.goto(`${base}/v1/ack/${bad}`);
        expect(res?.status(), bad).toBe(403);
        expect(await page.locator('h1').innerText()).toMatch(/^Link (not valid|expired)$/);
        expect(await page.locator('form').count()).toBe(0);
      }
      const expired = await page.goto(`${base}/v1/ack/${ackToken(LINK_SECRET, fp, Date.now() - 1000)}`);
      expect(await expired?.text()).toContain('expired');
      await k.idle();
      expect((await api(`/v1/alerts/${fp}`)).body.alert?.acknowledged).toBeUndefined();
    } finally {
      await page.context().close();
    }
  });
});
