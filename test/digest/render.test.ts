import { describe, expect, it } from 'vitest';
import { buildDigestEmail, digestSubject, EMAIL_HTML_BUDGET } from '../../src/digest/digest-email.js';
import { renderDigestHtml } from '../../src/digest/render-html.js';
import { renderDigestText, signedMoney, signedPercent } from '../../src/digest/render-text.js';
import type { DigestReport, SourceFigures } from '../../src/digest/types.js';
import { fixtureReport, quietFigures, quietReport, WINDOW_END } from './report-fixture.js';

const HOSTILE = '<img src=x onerror=alert(1)>&"bot"';

/** The lines of the text from the line `start` up to (not including) the next blank line. */
function block(text: string, start: string): string[] {
  const lines = text.split('\n');
  const i = lines.indexOf(start);
  expect(i, `line ${JSON.stringify(start)} in the text`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', i);
  return lines.slice(i, end === -1 ? undefined : end);
}

/** The text of one source's part: from its title to the next part's. */
function part(text: string, title: string): string {
  const from = text.indexOf(`\n${title}\n`);
  expect(from).toBeGreaterThanOrEqual(0);
  const next = text.indexOf('\nSOURCE: ', from + title.length + 2);
  return text.slice(from, next === -1 ? undefined : next);
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('renderDigestText', () => {
  const text = renderDigestText(fixtureReport());

  it('opens with the 80-column banner, the date, the window in the report time zone and the generation time', () => {
    expect(text.split('\n').slice(0, 5)).toEqual([
      '='.repeat(80),
      'Daily Trading Report - 2026-12-02',
      'Window: 2026-12-01 06:00 → 2026-12-02 06:00 (Europe/Berlin)',
      'Generated: 2026-12-02 06:00:03',
      '='.repeat(80),
    ]);
    expect(text).not.toContain('LATE');
  });

  it('shows all sources together first, then each source, with the sections in the known order', () => {
    const titles = text.split('\n').filter((l) => /^(ALL SOURCES|SOURCE: )/.test(l));
    expect(titles).toEqual(['ALL SOURCES', 'SOURCE: grid-1', 'SOURCE: scalper-eu']);
    const headings = part(text, 'SOURCE: grid-1')
      .split('\n')
      .filter((l, i, all) => all[i + 1] === '-'.repeat(80) && /^[A-Z ]+$/.test(l));
    expect(headings).toEqual([
      'ACCOUNT SUMMARY',
      'PNL BREAKDOWN',
      'PERFORMANCE METRICS',
      'TRADE STATISTICS',
      'TOP PERFORMERS BY SYMBOL',
      'RISK CONTROLS',
      'HEALTH METRICS',
      'ALERTS',
    ]);
    expect(text.match(/^DELIVERIES$/gm)).toHaveLength(1);
    expect(text.trimEnd().endsWith('='.repeat(80))).toBe(true);
  });

  it('lays out the figures as the operators example report does', () => {
    const grid = part(text, 'SOURCE: grid-1');
    expect(block(grid, 'ACCOUNT SUMMARY')).toEqual([
      'ACCOUNT SUMMARY',
      '-'.repeat(80),
      '  Equity:          $50,234.56',
      '  Change (24h):    +$1,234.56 (+2.52%)',
      '  New High:        $50,301.20 at 2026-12-02 04:35',
    ]);
    expect(block(grid, 'PNL BREAKDOWN').slice(2)).toEqual([
      '  Realized PnL:    +$1,100.00',
      '  Unrealized PnL:  +$200.00',
      '  Funding PnL:     -$65.44',
      '  Fees Paid:       $120.00',
      '  Total PnL:       +$1,234.56',
    ]);
    expect(block(grid, 'PERFORMANCE METRICS').slice(2)).toEqual([
      '  Win Rate:        65.00%',
      '  Profit Factor:   2.34',
      '  Sharpe Ratio:    1.87',
      '  Max Drawdown:    $450.00 (0.92%)',
    ]);
    expect(block(grid, 'TRADE STATISTICS').slice(2)).toEqual([
      '  Total Trades:    20',
      '  Winning:         13',
      '  Losing:          7',
      '  Avg Win:         $150.00',
      '  Avg Loss:        $90.00',
      '  Largest Win:     $450.00',
      '  Largest Loss:    $210.00',
      '  Fills:           41',
    ]);
    expect(block(grid, 'TOP PERFORMERS BY SYMBOL').slice(2)).toEqual([
      'Symbol       Total PnL     Trades    Win%',
      '-'.repeat(80),
      'BTC-USD      $780.50           8   75.0%',
      'ETH-USD      $320.25           6   66.7%',
      'SOL-USD      -$65.44           6   50.0%',
    ]);
    expect(block(grid, 'RISK CONTROLS').slice(2)).toEqual([
      '  Guard Triggers:',
      '    slippage_guard: 3',
      '    exposure_guard: 1',
      '  Circuit Breaker State:',
      '    All systems normal',
    ]);
    expect(block(grid, 'HEALTH METRICS').slice(2)).toEqual([
      '  Stale Marks:     0',
      '  WS Reconnects:   2',
      '  Unfilled Orders: 0',
      '  API Errors:      1',
      '  Order Rejects:   1',
      '  Heartbeat Gaps:  1',
      '  Longest Silence: 4m 12s',
      '  Last Heartbeat:  12s ago',
    ]);
    expect(block(grid, 'ALERTS').slice(2)).toEqual([
      '  Fired:           20 (1 critical, 3 high, 9 warning, 7 info)',
      '  Noisiest Rules:',
      '    SlippageHigh: 6 fired, 9 notifications',
      '    WsReconnects: 5 fired, 5 notifications',
      '    DailyLoss: 1 fired, 3 notifications',
      '  Time to Ack:     median 4m 12s, max 12m (3 alerts)',
      '  Time to Resolve: median 20m, max 1h 5m (14 alerts)',
      '  Still Open:      2',
      '    [CRITICAL] DailyLoss since 2026-12-01 16:42 (open 13h 18m, acknowledged): daily loss 104% of limit on grid-1',
      '    [WARNING] SlippageHigh since 2026-12-02 02:05 (open 3h 55m)',
    ]);
  });

  it('names the source of each open alert in the all-sources part', () => {
    expect(part(text, 'ALL SOURCES')).toContain('    [CRITICAL] DailyLoss on grid-1 since 2026-12-01 16:42');
  });

  it('ends with deliveries per receiver, dead letters and the notes, once', () => {
    expect(block(text, 'DELIVERIES').slice(2)).toEqual([
      'Receiver                            Sent  Failed    Dead',
      '-'.repeat(80),
      'ops-email                             12       1       0',
      'oncall-pagerduty                       4       0       0',
      'team-telegram                         17       2       1',
      '  Dead Letters:    1 in window, 1 waiting',
    ]);
    expect(block(text, 'NOTES').slice(2)).toEqual([
      '  - scalper-eu: no equity pushed after 2026-12-02 03:10',
    ]);
  });

  it('says "No trades." and n/a for a source that traded nothing, and an unreported breaker state', () => {
    const scalper = part(text, 'SOURCE: scalper-eu');
    expect(block(scalper, 'TRADE STATISTICS').slice(2)).toEqual(['  No trades.']);
    expect(block(scalper, 'PERFORMANCE METRICS').slice(2)).toEqual([
      '  Win Rate:        n/a',
      '  Profit Factor:   n/a',
      '  Sharpe Ratio:    n/a',
      '  Max Drawdown:    $0.00 (0.00%)',
    ]);
    expect(scalper).toContain('  Change (24h):    $0.00 (0.00%)');
    expect(scalper).toContain('    State not reported');
    expect(scalper).not.toContain('NaN');
  });

  it('shows ∞ as the profit factor of a day without losses, and a tripped breaker with its trips', () => {
    const r = singleSource({
      ...fixtureReport().sources[0]!,
      trades: {
        ...fixtureReport().sources[0]!.trades,
        lost: 0,
        profitFactor: null,
        avgLoss: null,
        largestLoss: null,
      },
      risk: { guards: [], breakerTrips: [{ rule: 'daily_loss', count: 2 }], breakerTripped: true },
    });
    const t = renderDigestText(r);
    expect(t).toContain('  Profit Factor:   ∞\n');
    expect(t).toContain('  Avg Loss:        n/a\n');
    expect(block(t, 'RISK CONTROLS').slice(2)).toEqual([
      '  Guard Triggers:',
      '    None',
      '  Circuit Breaker State:',
      '    TRIPPED',
      '    Tripped by daily_loss: 2',
    ]);
  });

  it('prints one line instead of the trading sections for a quiet day, and no all-sources part for one source', () => {
    const t = renderDigestText(quietReport());
    expect(t).toContain('SOURCE: grid-1\n' + '='.repeat(80) + '\n\n  No trading activity recorded.\n');
    for (const h of ['ACCOUNT SUMMARY', 'TRADE STATISTICS', 'HEALTH METRICS', 'ALERTS\n', 'ALL SOURCES'])
      expect(t).not.toContain(h);
    expect(t).toContain('  No notifications delivered.');
    expect(t).not.toContain('NOTES');
  });

  it('still shows the health and alerts of a quiet source that has them', () => {
    const quiet = quietFigures('grid-1');
    const t = renderDigestText(
      singleSource({ ...quiet, health: { ...quiet.health, wsReconnects: 4, lastHeartbeatAgeMs: 90_000 } }),
    );
    expect(t).toContain('  No trading activity recorded.');
    expect(t).toContain('  WS Reconnects:   4');
    expect(t).toContain('  Last Heartbeat:  1m 30s ago');
    expect(t).not.toContain('ACCOUNT SUMMARY');
  });

  it('marks a late report with its scheduled and actual times', () => {
    const r: DigestReport = {
      ...fixtureReport(),
      lateFrom: WINDOW_END,
      generatedAt: WINDOW_END + 3 * 3_600_000,
    };
    expect(renderDigestText(r).split('\n').slice(3, 5)).toEqual([
      'Generated: 2026-12-02 09:00:00',
      'LATE: scheduled for 2026-12-02 06:00, sent 2026-12-02 09:00',
    ]);
  });

  it('shows times in the report time zone, whatever the machine zone', () => {
    const t = renderDigestText({ ...fixtureReport(), timeZone: 'America/New_York' });
    expect(t).toContain('Window: 2026-12-01 00:00 → 2026-12-02 00:00 (America/New_York)');
  });

  it('uses the account currency', () => {
    expect(renderDigestText(fixtureReport(), { currency: 'EUR' })).toContain('  Funding PnL:     -€65.44');
  });
});

describe('signed figures', () => {
  it('puts a plus on gains, a minus on losses, and nothing on zero', () => {
    expect(signedMoney(1234.56)).toBe('+$1,234.56');
    expect(signedMoney(-65.44)).toBe('-$65.44');
    expect(signedMoney(-0.001)).toBe('$0.00');
    expect(signedMoney(0)).toBe('$0.00');
    expect(signedPercent(2.5234)).toBe('+2.52%');
    expect(signedPercent(-0.4)).toBe('-0.40%');
    expect(signedPercent(-0.001)).toBe('0.00%');
  });
});

function singleSource(f: SourceFigures): DigestReport {
  return { ...fixtureReport(), overall: { ...f, source: null }, sources: [f] };
}

describe('renderDigestHtml', () => {
  const images = { equity: 'cid:equity@klaxon', alerts: 'data:image/png;base64,iVBORw0KGgo=' };

  it('is a complete email document without scripts, styles sheets or external resources', () => {
    const html = renderDigestHtml(fixtureReport(), { images });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('max-width:600px');
    expect(html).not.toMatch(/<script|<style|<link|https?:\/\//i);
  });

  it('shows the headline figures and every section of the text', () => {
    const html = renderDigestHtml(fixtureReport(), { images });
    for (const s of ['$60,234.56', '+$1,234.56 (+2.09%)', '65.0%', '>20<', '>2<']) expect(html).toContain(s);
    for (const s of [
      'ACCOUNT SUMMARY',
      'TOP PERFORMERS BY SYMBOL',
      'RISK CONTROLS',
      'HEALTH METRICS',
      'DELIVERIES',
      'NOTES',
      'ALL SOURCES',
      'SOURCE: scalper-eu',
      'BTC-USD',
      'slippage_guard: 3',
      'team-telegram',
    ])
      expect(html).toContain(s);
    expect(html).toContain('daily loss 104% of limit on grid-1');
  });

  it('shows the two charts with the given URLs and their size, and no image at all without them', () => {
    const html = renderDigestHtml(fixtureReport(), { images });
    expect(html.match(/<img /g)).toHaveLength(2);
    expect(html).toContain('<img src="cid:equity@klaxon" alt="Equity curve" width="560" height="220"');
    expect(html).toContain('<img src="data:image/png;base64,iVBORw0KGgo=" alt="Alerts fired per hour"');
    expect(renderDigestHtml(fixtureReport(), { images: null })).not.toContain('<img');
  });

  it('escapes names, titles and labels that contain markup', () => {
    const r = fixtureReport();
    const grid = r.sources[0]!;
    const hostile: SourceFigures = {
      ...grid,
      source: HOSTILE,
      symbols: [{ symbol: '<b>BTC</b>', pnl: 1, trades: 1, winRate: 1 }],
      risk: { ...grid.risk, guards: [{ guard: '<script>alert(2)</script>', count: 1 }] },
      alerts: {
        ...grid.alerts,
        open: grid.alerts.open.map((o) => ({
          ...o,
          source: HOSTILE,
          name: '<i>rule</i>',
          title: '"><svg onload=x>',
        })),
      },
    };
    const html = renderDigestHtml(
      { ...r, sources: [hostile, r.sources[1]!], overall: { ...r.overall, alerts: hostile.alerts } },
      { images, link: 'https://klaxon.example/digest?d=1&x="y"' },
    );
    expect(html).not.toMatch(/<img src=x|<script|<svg|<b>|<i>rule/);
    expect(html).toContain('SOURCE: &lt;img src=x onerror=alert(1)&gt;&amp;&quot;bot&quot;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;: 1');
    expect(html).toContain('&quot;&gt;&lt;svg onload=x&gt;');
    expect(html).toContain('href="https://klaxon.example/digest?d=1&amp;x=&quot;y&quot;"');
  });

  it('shows a link only when it is an http(s) URL', () => {
    expect(renderDigestHtml(fixtureReport(), { images: null, link: 'javascript:alert(1)' })).not.toContain(
      'javascript:',
    );
    expect(renderDigestHtml(fixtureReport(), { images: null, link: 'https://k.example/d' })).toContain(
      '<a href="https://k.example/d"',
    );
  });

  it('marks a late report and says so for a quiet one', () => {
    const q = quietReport();
    const html = renderDigestHtml(
      { ...q, lateFrom: WINDOW_END, generatedAt: WINDOW_END + 3_600_000 },
      { images: null },
    );
    expect(html).toContain('DAILY DIGEST · LATE');
    expect(html).toContain('LATE: scheduled for 2026-12-02 06:00, sent 2026-12-02 07:00');
    expect(html).toContain('No trading activity recorded.');
    expect(html).not.toContain('ACCOUNT SUMMARY');
  });
});

describe('buildDigestEmail', () => {
  it('has a subject with the date, equity, change and alerts', () => {
    expect(digestSubject(fixtureReport())).toBe(
      'Klaxon daily digest 2026-12-02: equity $60,234.56 (+2.09%), 20 alerts, 2 open',
    );
    expect(digestSubject(quietReport())).toBe(
      'Klaxon daily digest 2026-12-02: quiet day, no trading activity',
    );
    expect(digestSubject({ ...quietReport(), lateFrom: WINDOW_END })).toBe(
      '[LATE] Klaxon daily digest 2026-12-02: quiet day, no trading activity',
    );
  });

  it('carries the text, the HTML pointing at two inline PNG attachments, and the link', () => {
    const mail = buildDigestEmail(fixtureReport(), { link: 'https://klaxon.example/digest/2026-12-02' });
    expect(mail.text.startsWith(renderDigestText(fixtureReport()))).toBe(true);
    expect(mail.text).toContain('Open in Klaxon: https://klaxon.example/digest/2026-12-02');
    expect(mail.attachments.map((a) => [a.cid, a.filename, a.contentType])).toEqual([
      ['equity@klaxon', 'equity.png', 'image/png'],
      ['alerts@klaxon', 'alerts.png', 'image/png'],
    ]);
    for (const a of mail.attachments) {
      expect(mail.html).toContain(`src="cid:${a.cid}"`);
      expect(pngSize(a.content)).toEqual({ width: 1120, height: 440 });
    }
    expect(mail.html).toContain('href="https://klaxon.example/digest/2026-12-02"');
  });

  it('keeps the HTML of many busy sources under the size Gmail shows whole, each source a row', () => {
    const base = fixtureReport();
    const sources = Array.from({ length: 30 }, (_, i) => ({
      ...base.sources[i % 2]!,
      source: `bot-${String(i).padStart(2, '0')}`,
    }));
    const report = { ...base, sources };
    expect(Buffer.byteLength(renderDigestHtml(report, { images: null }))).toBeGreaterThan(EMAIL_HTML_BUDGET);

    const mail = buildDigestEmail(report);
    expect(Buffer.byteLength(mail.html)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET);
    expect(mail.html).toContain('EACH SOURCE');
    expect(mail.html).not.toContain('SOURCE: bot-00');
    for (const s of sources) {
      expect(mail.html).toContain(`>${s.source}<`);
      expect(mail.text).toContain(`SOURCE: ${s.source}`);
    }
    expect(buildDigestEmail(fixtureReport()).html).toContain('SOURCE: grid-1');
  });

  it('builds an email for a quiet, late day too', () => {
    const mail = buildDigestEmail({ ...quietReport(), lateFrom: WINDOW_END });
    expect(mail.subject.startsWith('[LATE] ')).toBe(true);
    expect(mail.attachments).toHaveLength(2);
    for (const a of mail.attachments) expect(pngSize(a.content)).toEqual({ width: 1120, height: 440 });
  });
});
