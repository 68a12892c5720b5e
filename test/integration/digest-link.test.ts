import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_LINK_TTL } from '../../src/digest/describe.js';
import type { DigestReport } from '../../src/digest/types.js';
import { ackToken, signedLink } from '../../src/ingest/ack-links.js';
import { Keys } from '../../src/state/keys.js';
import { launchChromium } from '../support/browser.js';
import { REDIS_URL, TestKlaxon, TOKEN } from '../support/klaxon.js';
import { freePort } from '../support/redis-server.js';
import { fixtureReport, WINDOW_END } from '../digest/report-fixture.js';

/**
 * The page behind a short digest's "Full digest" link, opened in headless Chromium against a
 * running Klaxon: the stored report of that scheduled time, self-contained (its charts inline,
 * nothing fetched), and the refusals of a link that expired, was made for something else or
 * points at a digest no longer kept. Also `GET /v1/digest` as a page and its input checks.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OUT = path.join(ROOT, 'test-output', 'digest');
const LINK_SECRET = `link-${randomBytes(16).toString('hex')}`;
const HOUR = 3_600_000;
const SLOT = WINDOW_END;

const k = new TestKlaxon(`t-digestlink-${randomBytes(4).toString('hex')}`);
const logLines: string[] = [];
let browser: Browser;
let redis: Redis;
let base = '';

/** A link to the digest of `slot`, signed with the server's secret. */
function digestLink(slot: number, expiresAt = Date.now() + DIGEST_LINK_TTL): string {
  const href = signedLink({ publicUrl: base, secret: LINK_SECRET }, 'digest', String(slot), expiresAt);
  if (!href) throw new Error('no link');
  return href;
}

/**
 * Opens `url` in a fresh browser context that lets only that URL through: every other request
 * is aborted. `requested`: every request the page made (`data:` URLs are not requests).
 */
async function openIsolated(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ page: Page; context: BrowserContext; status: number | undefined; requested: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 760, height: 1000 },
    extraHTTPHeaders: headers,
  });
  const requested: string[] = [];
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.on('request', (r) => {
    if (!r.url().startsWith('data:')) requested.push(r.url());
  });
  const res = await page.goto(url, { waitUntil: 'load' });
  return { page, context, status: res?.status(), requested };
}

/** Every image of the page: its alt text, whether it is inline, and whether it decoded. */
async function images(page: Page): Promise<{ alt: string; inline: boolean; loaded: boolean }[]> {
  return page.evaluate(() =>
    Array.from(
      (
        globalThis as unknown as {
          document: {
            images: ArrayLike<{ alt: string; src: string; complete: boolean; naturalWidth: number }>;
          };
        }
      ).document.images,
    ).map((i) => ({
      alt: i.alt,
      inline: i.src.startsWith('data:image/png;base64,'),
      loaded: i.complete && i.naturalWidth > 0,
    })),
  );
}

/** `default-src 'none'; img-src data:` → { 'default-src': ["'none'"], 'img-src': ['data:'] } */
function csp(header: string | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = values;
  }
  return out;
}

/** The page allows images from `data:` URLs and nothing else from anywhere. */
function expectDataImagesOnly(header: string | null | undefined): void {
  const d = csp(header);
  expect(d['default-src']).toEqual(["'none'"]);
  expect(d['img-src']).toEqual(['data:']);
  for (const [name, values] of Object.entries(d)) {
    if (!name.endsWith('-src')) continue;
    for (const v of values) expect(v, `${name} ${v}`).not.toMatch(/^(https?:|\*|'self'|blob:)/);
  }
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  browser = await launchChromium();
  await k.start(
    (hookUrl) => ({
      server: {
        host: '127.0.0.1',
        tokens: [{ name: 'ops', token: TOKEN, sources: ['*'], admin: true }],
        rate_limit: { max: 100_000 },
        public_url: base,
        link_secret: LINK_SECRET,
      },
      receivers: { hook: { type: 'webhook', url: hookUrl } },
      routes: { receivers: ['hook'] },
      digest: { receivers: ['hook'], time_zone: 'Europe/Berlin' },
    }),
    { port, logger: pino({ level: 'debug' }, sink) },
  );
  redis = new Redis(REDIS_URL);
  const report: DigestReport = { ...fixtureReport(), currency: 'USD' };
  await redis.set(
    new Keys(k.prefix, k.config.queue.shards).digestReport(SLOT),
    JSON.stringify(report),
    'PX',
    HOUR,
  );
});

afterAll(async () => {
  redis?.disconnect();
  await browser?.close();
  await k.close();
});

describe('the full digest behind a signed link', () => {
  it('shows the stored report, both charts inline, and fetches nothing', async () => {
    const link = digestLink(SLOT);
    const { page, context, status, requested } = await openIsolated(link);
    try {
      expect(status).toBe(200);
      expect(requested).toEqual([link]);
      expect(await page.locator('h1').innerText()).toBe('Daily Trading Report - 2026-12-02');
      const text = await page.locator('body').innerText();
      for (const shown of ['$60,234.56', 'grid-1', 'scalper-eu', 'SlippageHigh', 'slippage_guard'])
        expect(text, shown).toContain(shown);
      expect(await images(page)).toEqual([
        { alt: 'Equity curve', inline: true, loaded: true },
        { alt: 'Alerts fired per hour', inline: true, loaded: true },
      ]);
      await page.screenshot({ path: path.join(OUT, 'digest-link.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('answers with headers that keep the link private and the page self-contained', async () => {
    const res = await fetch(digestLink(SLOT));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expectDataImagesOnly(res.headers.get('content-security-policy'));
  });

  it('an expired link is a 403 page that says so', async () => {
    const { page, context, status } = await openIsolated(digestLink(SLOT, Date.now() - 1_000));
    try {
      expect(status).toBe(403);
      expect(await page.locator('h1').innerText()).toBe('Link expired');
      expect(await page.locator('img').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('an acknowledge token, or a tampered one, on the digest path is a 403 page', async () => {
    const link = digestLink(SLOT);
    const token = link.split('/').at(-1) ?? '';
    const [payload = '', sig = ''] = token.split('.');
    const otherSlot = Buffer.from(JSON.stringify([String(SLOT - 86_400_000), Date.now() + HOUR])).toString(
      'base64url',
    );
    const bad = [
      ackToken(LINK_SECRET, String(SLOT), Date.now() + HOUR),
      `${payload}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`,
      `${otherSlot}.${sig}`,
    ];
    for (const t of bad) {
      const { page, context, status } = await openIsolated(`${base}/v1/digest/view/${t}`);
      try {
        expect(status, t).toBe(403);
        expect(await page.locator('h1').innerText()).toBe('Link not valid');
        expect(await page.locator('body').innerText()).not.toContain('$60,234.56');
      } finally {
        await context.close();
      }
    }
  });

  it('a digest link does not acknowledge anything on the acknowledge path', async () => {
    const token = digestLink(SLOT).split('/').at(-1) ?? '';
    const res = await fetch(`${base}/v1/ack/${token}`);
    expect(res.status).toBe(403);
  });

  it('a slot that is not kept is a 404 page', async () => {
    const { page, context, status } = await openIsolated(digestLink(SLOT - 86_400_000));
    try {
      expect(status).toBe(404);
      expect(await page.locator('h1').innerText()).toBe('Digest no longer kept');
    } finally {
      await context.close();
    }
  });

  it('the logs never show a link token', () => {
    const token = digestLink(SLOT).split('/').at(-1) ?? '';
    const [payload = ''] = token.split('.');
    const views = logLines.filter((l) => l.includes('/v1/digest/view/'));
    expect(views.length).toBeGreaterThan(0);
    for (const l of views) expect(l).toContain('/v1/digest/view/[redacted]');
    for (const l of logLines) expect(l).not.toContain(payload);
  });
});

describe('GET /v1/digest', () => {
  const get = (query: string, token: string | null = TOKEN) =>
    fetch(`${k.app.url}/v1/digest${query}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  it('format=html answers a page whose CSP allows data: images only, and its charts show under it', async () => {
    const res = await get('?format=html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expectDataImagesOnly(res.headers.get('content-security-policy'));

    const url = `${k.app.url}/v1/digest?format=html`;
    const { page, context, status, requested } = await openIsolated(url, {
      authorization: `Bearer ${TOKEN}`,
    });
    try {
      expect(status).toBe(200);
      expect(requested).toEqual([url]);
      expect(await page.locator('h1').innerText()).toMatch(/^Daily Trading Report - \d{4}-\d{2}-\d{2}$/);
      const imgs = await images(page);
      expect(imgs).toHaveLength(2);
      for (const i of imgs) expect(i, i.alt).toMatchObject({ inline: true, loaded: true });
    } finally {
      await context.close();
    }
  });

  it('a date that is not in the calendar is a 400 naming date', async () => {
    const res = await get('?date=2026-02-30');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; errors?: { path: string; message: string }[] };
    expect(body.error).toBe('invalid_input');
    expect(body.errors).toEqual([{ path: 'date', message: 'is not a calendar date' }]);
  });

  it('without a token: 401', async () => {
    const res = await get('?format=html', null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.text()).not.toContain('Daily Trading Report');
  });
});
