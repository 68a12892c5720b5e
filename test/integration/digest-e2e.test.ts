import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import type { KlaxonConfig } from '../../src/config/schema.js';
import { slotAtOrBefore } from '../../src/digest/schedule.js';
import { silentLogger } from '../../src/ops/logger.js';
import { Keys } from '../../src/state/keys.js';
import { launchChromium } from '../support/browser.js';
import { FakeSmtp, type ReceivedMessage } from '../support/fakes/smtp.js';
import { cleanRedis, TestKlaxon, testRaw, TOKEN } from '../support/klaxon.js';
import { writeConfig } from '../support/processes.js';
import { waitFor } from '../support/recorder.js';

/**
 * The daily digest as operators get it: data pushed over HTTP, recorded by the live pipeline,
 * a scheduled digest sent by worker processes through a real SMTP server, its HTML shown in
 * headless Chromium; several workers and a restart; a digest missed while no worker ran; the
 * `klaxon digest` command.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OUT = path.join(ROOT, 'test-output', 'digest');
const H = 3_600_000;
const EVERY_4S = '*/4 * * * * *';

const prefix = `t-digest-${randomBytes(4).toString('hex')}`;
const smtp = new FakeSmtp();
const k = new TestKlaxon(prefix);
let browser: Browser;
const workers: App[] = [];

/** The config sections that send the digest to `mail` (SMTP) and `hook` (the webhook recorder). */
function digestSections(hookUrl: string, digest: Record<string, unknown>) {
  return {
    receivers: {
      hook: { type: 'webhook', url: hookUrl },
      mail: {
        type: 'email',
        to: ['desk@example.com'],
        from: 'Klaxon <klaxon@example.com>',
        smtp: { host: '127.0.0.1', port: smtp.port, require_tls: false },
      },
    },
    routes: { receivers: ['hook'] },
    digest: { receivers: ['mail', 'hook'], ...digest },
  };
}

function configFor(p: string, digest: Record<string, unknown>): KlaxonConfig {
  return validateConfig(testRaw(p, k.recorder.url, digestSections(k.recorder.url, digest)), 'test').config;
}

async function startWorker(config: KlaxonConfig): Promise<App> {
  const app = await App.start({ config, role: 'worker', scheduler: true, logger: silentLogger() });
  workers.push(app);
  return app;
}

async function stopWorker(app: App): Promise<void> {
  await app.stop();
  workers.splice(workers.indexOf(app), 1);
}

/** The digest emails received so far (their notification id header is `digest.<slot>.mail`). */
function digestMails(): { id: string; slot: number; m: ReceivedMessage }[] {
  return smtp.messages.flatMap((m) => {
    const id = String(m.parsed.headers.get('x-klaxon-notification-id') ?? '');
    const slot = /^digest\.(\d+)\.mail$/.exec(id)?.[1];
    return slot === undefined ? [] : [{ id, slot: Number(slot), m }];
  });
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  await smtp.start();
  browser = await launchChromium();
  // The service that takes the bots' data: no scheduler of its own.
  await k.start((url) => digestSections(url, { schedule: EVERY_4S }));
});

afterAll(async () => {
  for (const w of [...workers]) await stopWorker(w);
  await k.close();
  await smtp.close();
  await browser?.close();
});

describe('the daily digest', () => {
  it('is emailed with a text part, an HTML part and both charts, and renders in Chromium with no broken image', async () => {
    // Six hours of a bot: equity every 10 minutes, a few trades, heartbeats, one alert.
    const now = Date.now();
    const snaps = Array.from({ length: 36 }, (_, i) => ({
      source: 'grid-1',
      ts: new Date(now - 6 * H + i * 600_000).toISOString(),
      metrics: { equity: 50_000 + 40 * i - (i % 7 === 3 ? 300 : 0) },
    }));
    await k.push('/v1/metrics', snaps);
    const trades = [120, -40, 60, 0, -30].map((pnl, i) => ({
      source: 'grid-1',
      ts: new Date(now - 5 * H + i * H).toISOString(),
      type: 'trade_closed',
      data: { symbol: i % 2 ? 'ETH-USD' : 'BTC-USD', side: 'sell', pnl, fees: 1 },
    }));
    await k.push('/v1/events', [
      ...trades,
      {
        source: 'grid-1',
        ts: new Date(now - 2 * H).toISOString(),
        type: 'guard_triggered',
        data: { guard: 'slippage_guard' },
      },
      { source: 'grid-1', ts: new Date(now - 60_000).toISOString(), type: 'heartbeat' },
    ]);
    await k.push('/v1/alerts', {
      source: 'grid-1',
      name: 'api_auth_failed',
      severity: 'critical',
      title: 'exchange refused the API key',
      message: 'HTTP 401 from the exchange',
    });
    await k.idle();

    await startWorker(configFor(prefix, { schedule: EVERY_4S }));
    await waitFor(() => digestMails().length > 0, 20_000, 'a digest email');
    const mail = digestMails()[0]!.m.parsed;

    expect(mail.subject).toMatch(/^Klaxon daily digest \d{4}-\d{2}-\d{2}: equity \$51,400\.00/);
    expect(mail.text).toContain('Daily Trading Report - ');
    expect(mail.text).toContain('ACCOUNT SUMMARY');
    expect(mail.text).toContain('  Equity:          $51,400.00');
    expect(mail.text).toContain('  Total Trades:    5');
    expect(mail.text).toContain('slippage_guard: 1');
    expect(mail.text).toMatch(/api_auth_failed/);
    expect(typeof mail.html).toBe('string');
    const html = mail.html as string;
    const images = mail.attachments.filter((a) => a.contentType === 'image/png');
    expect(images.map((a) => a.cid).sort()).toEqual(['alerts@klaxon', 'equity@klaxon']);
    for (const img of images) expect(img.content.subarray(1, 4).toString()).toBe('PNG');
    expect(html).toContain('src="cid:equity@klaxon"');
    expect(html).toContain('src="cid:alerts@klaxon"');

    // As a mail client shows it: each cid: image replaced by its attachment.
    const shown = images.reduce(
      (h, a) => h.replaceAll(`cid:${a.cid}`, `data:image/png;base64,${a.content.toString('base64')}`),
      html,
    );
    const page = await browser.newPage({ viewport: { width: 700, height: 1000 } });
    try {
      await page.route('**/*', (route) => route.abort());
      await page.setContent(shown, { waitUntil: 'load' });
      const imgs = await page.evaluate(() =>
        Array.from(
          (
            globalThis as unknown as {
              document: { images: ArrayLike<{ alt: string; complete: boolean; naturalWidth: number }> };
            }
          ).document.images,
        ).map((i) => ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0 })),
      );
      expect(imgs).toEqual([
        { alt: 'Equity curve', ok: true },
        { alt: 'Alerts fired per hour', ok: true },
      ]);
      expect(await page.getByText('ACCOUNT SUMMARY', { exact: false }).first().isVisible()).toBe(true);
      await page.screenshot({ path: path.join(OUT, 'digest-email.png'), fullPage: true });
    } finally {
      await page.close();
    }

    // The chat side got the short version: the headline figures, as a `digest` notification.
    await waitFor(() => k.recorder.received.some((n) => n.kind === 'digest'), 10_000, 'the short digest');
    const short = k.recorder.received.find((n) => n.kind === 'digest')!;
    expect(short.id).toMatch(/^digest\.\d+\.hook$/);
    expect(short.digest?.overall.account.equity).toBe(51_400);
  });

  it('two workers and a restart still send one digest per scheduled time', async () => {
    const config = configFor(prefix, { schedule: EVERY_4S });
    const second = await startWorker(config);
    const from = Date.now();
    await waitFor(() => digestMails().filter((d) => d.slot > from).length >= 2, 20_000, 'two more digests');
    await stopWorker(second);
    await startWorker(config);
    const restarted = Date.now();
    await waitFor(
      () => digestMails().filter((d) => d.slot > restarted).length >= 2,
      20_000,
      'digests after the restart',
    );
    for (const w of [...workers]) await stopWorker(w);
    await k.idle();

    const mails = digestMails();
    const ids = mails.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Every scheduled time from the first to the last has its digest, once.
    const slots = [...new Set(mails.map((d) => d.slot))].sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(4000);
    expect(slots.length).toBeGreaterThanOrEqual(5);
  });

  it('a digest missed while no worker ran is sent when one returns, marked late', async () => {
    const p = `${prefix}-late`;
    // Scheduled daily at a time two hours ago; the service last ran the day before.
    const due = new Date(Date.now() - 2 * H);
    const schedule = `${due.getUTCMinutes()} ${due.getUTCHours()} * * *`;
    const config = configFor(p, { schedule });
    const slot = slotAtOrBefore(schedule, 'UTC', Date.now())!;
    const redis = new Redis(config.redis.url);
    try {
      await redis.set(new Keys(p, config.queue.shards).digestLast(), String(slot - 24 * H));
      const before = digestMails().length;
      await startWorker(config);
      await waitFor(() => digestMails().length > before, 20_000, 'the late digest');
      const late = digestMails().at(-1)!;
      expect(late.slot).toBe(slot);
      expect(late.m.parsed.subject).toMatch(/^\[LATE\] Klaxon daily digest .*: quiet day/);
      expect(late.m.parsed.text).toMatch(/LATE: scheduled for/);
      await waitFor(
        () => k.recorder.received.some((n) => n.id === `digest.${slot}.hook`),
        10_000,
        'the late short digest',
      );
      const short = k.recorder.received.find((n) => n.id === `digest.${slot}.hook`)!;
      expect(short.digest?.lateFrom).toBe(slot);
      // A restart now finds the slot handled: nothing more is sent.
      await stopWorker(workers.at(-1)!);
      await startWorker(config);
      await new Promise((r) => setTimeout(r, 1500));
      expect(digestMails().filter((d) => d.slot === slot)).toHaveLength(1);
    } finally {
      for (const w of [...workers]) await stopWorker(w);
      redis.disconnect();
      await cleanRedis(config);
    }
  });

  it('`klaxon digest` prints the digest as text or JSON, and names what is wrong with its options', async () => {
    const file = writeConfig(testRaw(prefix, k.recorder.url, digestSections(k.recorder.url, {})));
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'digest', '--config', file, ...args],
          { cwd: ROOT, timeout: 60_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        ),
      );
    const [text, json, bad] = await Promise.all([
      run(['--no-send']),
      run(['--no-send', '--format', 'json', '--source', 'grid-1', '--lookback-hours', '12']),
      run(['--no-send', '--date', '2026-13-45']),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Daily Trading Report - ');
    expect(text.stdout).toContain('  Equity:          $51,400.00');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      sources: { source: string }[];
      window: { start: number; end: number };
    };
    expect(report.sources.map((s) => s.source)).toEqual(['grid-1']);
    expect(report.window.end - report.window.start).toBe(12 * H);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--date takes a calendar date as YYYY-MM-DD, not "2026-13-45"');

    // The same over HTTP, behind the admin token.
    const res = await fetch(`${k.app.url}/v1/digest?format=text&lookback_hours=24`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('  Equity:          $51,400.00');
    const wrong = await fetch(`${k.app.url}/v1/digest?lookback_hours=0`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('lookback_hours');
    expect((await fetch(`${k.app.url}/v1/digest`)).status).toBe(401);
  });
});
