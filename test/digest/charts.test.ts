import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMAIL_COLORS } from '../../src/channels/email/render-html.js';
import { chartSvgs, drawAlertsChart, drawEquityChart, hourTicks } from '../../src/digest/charts.js';
import type { DigestReport } from '../../src/digest/types.js';
import { fixtureReport, quietReport, WINDOW_END, WINDOW_START } from './report-fixture.js';

const OUT = path.join(process.cwd(), 'test-output', 'digest');

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The text elements of an SVG, in order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('digest charts', () => {
  it('draws both charts of the fixture as 1120×440 PNGs (560×220 at twice the pixel density)', () => {
    const report = fixtureReport();
    const equity = drawEquityChart(report);
    const alerts = drawAlertsChart(report);
    expect(pngSize(equity)).toEqual({ width: 1120, height: 440 });
    expect(pngSize(alerts)).toEqual({ width: 1120, height: 440 });
    mkdirSync(OUT, { recursive: true });
    writeFileSync(path.join(OUT, 'equity.png'), equity);
    writeFileSync(path.join(OUT, 'alerts.png'), alerts);
    writeFileSync(path.join(OUT, 'equity-empty.png'), drawEquityChart(quietReport()));
    writeFileSync(path.join(OUT, 'alerts-empty.png'), drawAlertsChart(quietReport()));
  });

  it('labels the equity axis in money and the time axis on the report zone clock', () => {
    const { equity } = chartSvgs(fixtureReport());
    const labels = texts(equity);
    expect(labels).toContain('Equity');
    expect(labels.some((l) => /^\$\d{2},\d{3}$/.test(l))).toBe(true);
    expect(labels).toEqual(expect.arrayContaining(['06:00', '09:00', '12:00', 'Dec 2']));
    expect(equity).toContain("font-family:'DejaVu Sans'");
    const ny = texts(chartSvgs({ ...fixtureReport(), timeZone: 'America/New_York' }).equity);
    expect(ny).toEqual(expect.arrayContaining(['Dec 1', '03:00', 'Dec 2']));
    expect(labels).not.toContain('Dec 1');
  });

  it('stacks the alerts per hour by severity in the alert colours, hours labelled in the zone', () => {
    const { alerts } = chartSvgs(fixtureReport());
    for (const s of ['critical', 'high', 'warning', 'info'] as const) {
      expect(alerts).toContain(`fill="${EMAIL_COLORS[s]}"`);
      expect(texts(alerts)).toContain(s);
    }
    expect(texts(alerts)).toEqual(expect.arrayContaining(['Alerts fired per hour', '06:00', '08:00']));
    expect(alerts).not.toContain('No alerts fired');
  });

  it('puts ticks on whole local hours, in zones a half hour off UTC too', () => {
    const ticks = hourTicks(WINDOW_START, WINDOW_END, 'Asia/Kolkata');
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(9);
    for (const t of ticks) expect(new Date(t).getUTCMinutes()).toBe(30);
  });

  it('shows a friendly empty state instead of throwing when there is nothing to draw', () => {
    const quiet = quietReport();
    const noHours: DigestReport = {
      ...quiet,
      overall: { ...quiet.overall, alerts: { ...quiet.overall.alerts, perHour: [] } },
    };
    expect(chartSvgs(quiet).equity).toContain('No equity recorded');
    expect(chartSvgs(quiet).alerts).toContain('No alerts fired');
    expect(chartSvgs(noHours).alerts).toContain('No alerts fired');
    expect(pngSize(drawEquityChart(quiet))).toEqual({ width: 1120, height: 440 });
    expect(pngSize(drawAlertsChart(noHours))).toEqual({ width: 1120, height: 440 });
  });

  it('draws a flat or single-point equity curve', () => {
    const r = fixtureReport();
    const one: DigestReport = {
      ...r,
      overall: { ...r.overall, equityCurve: [[WINDOW_START + 3_600_000, 100]] },
    };
    expect(pngSize(drawEquityChart(one))).toEqual({ width: 1120, height: 440 });
    expect(texts(chartSvgs(one).equity).some((l) => l.startsWith('$'))).toBe(true);
  });

  it('gives the same bytes for the same report', () => {
    const r = fixtureReport();
    expect(chartSvgs(r)).toEqual(chartSvgs(r));
    expect(drawAlertsChart(r).equals(drawAlertsChart(r))).toBe(true);
  });
});
