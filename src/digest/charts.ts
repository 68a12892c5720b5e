import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { EMAIL_COLORS } from '../channels/email/render-html.js';
import { formatMoney } from '../model/format.js';
import { SEVERITIES } from '../model/severity.js';
import { CHART_HEIGHT, CHART_WIDTH } from './render-html.js';
import { zonedParts } from './zoned-time.js';
import type { DigestReport } from './types.js';

/**
 * The digest's two chart images, drawn at send time without a browser: ECharts renders an SVG
 * string on the server, resvg turns it into a PNG. Deterministic: the same report gives the same
 * bytes (no animation, no clock, times shown in the report's time zone whatever the machine's).
 */

export { CHART_HEIGHT, CHART_WIDTH };
/** Device pixel ratio of the PNGs, for sharp images on high-density screens. */
export const CHART_SCALE = 2;

const FONT_FAMILY = "'DejaVu Sans', Verdana, sans-serif";
const TEXT = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e5e7eb';
const LINE = EMAIL_COLORS.info;
const HOUR = 3_600_000;

/** The two charts of a report as SVG documents (what the PNGs are made from). */
export function chartSvgs(report: DigestReport, opts: ChartOptions = {}): { equity: string; alerts: string } {
  return {
    equity: renderSvg(equityOption(report, opts.currency ?? 'USD')),
    alerts: renderSvg(alertsOption(report)),
  };
}

/** Options of the charts: the account currency of the equity axis (ISO 4217, default USD). */
export interface ChartOptions {
  currency?: string;
}

/** The overall equity curve as a PNG (CHART_WIDTH × CHART_HEIGHT at CHART_SCALE). */
export function drawEquityChart(report: DigestReport, opts: ChartOptions = {}): Buffer {
  return toPng(renderSvg(equityOption(report, opts.currency ?? 'USD')));
}

/** Alerts fired per hour, stacked by severity, as a PNG (CHART_WIDTH × CHART_HEIGHT at CHART_SCALE). */
export function drawAlertsChart(report: DigestReport): Buffer {
  return toPng(renderSvg(alertsOption(report)));
}

function renderSvg(option: echarts.EChartsCoreOption): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
  });
  try {
    chart.setOption(option);
    return stableNames(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/**
 * The SVG with the renderer's running numbers (of its instances, `zr3-`, and of its style
 * classes, `cls-117`) replaced by ones counted from zero within the document, so the same chart
 * gives the same text each time.
 */
function stableNames(svg: string): string {
  const classes = new Map<string, number>();
  return svg.replace(/\bzr\d+-/g, 'zr-').replace(/\bzr-cls-(\d+)/g, (_, n: string) => {
    let i = classes.get(n);
    if (i === undefined) classes.set(n, (i = classes.size));
    return `zr-cls-${i}`;
  });
}

function toPng(svg: string): Buffer {
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'width', value: CHART_WIDTH * CHART_SCALE },
    background: '#ffffff',
  })
    .render()
    .asPng();
  return Buffer.from(png);
}

/** What every chart shares: white background, the font, no animation, a small title. */
function base(title: string): Record<string, unknown> {
  return {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT_FAMILY, color: TEXT },
    title: {
      text: title,
      left: 8,
      top: 6,
      textStyle: { fontFamily: FONT_FAMILY, fontSize: 13, fontWeight: 'bold', color: TEXT },
    },
  };
}

/** A centred grey sentence where a chart has nothing to show. */
function emptyState(text: string): Record<string, unknown> {
  return {
    type: 'text',
    left: 'center',
    top: 'middle',
    silent: true,
    z: 100,
    style: {
      text,
      fontFamily: FONT_FAMILY,
      fontSize: 14,
      fill: MUTED,
      backgroundColor: '#ffffff',
      padding: [4, 10],
    },
  };
}

function equityOption(report: DigestReport, currency: string): echarts.EChartsCoreOption {
  const curve = report.overall.equityCurve;
  const tz = report.timeZone;
  if (curve.length === 0) return { ...base('Equity'), graphic: [emptyState('No equity recorded')] };
  const min = Math.min(report.window.start, curve[0]![0]);
  const max = Math.max(report.window.end, curve[curve.length - 1]![0]);
  const ticks = hourTicks(min, max, tz);
  return {
    ...base('Equity'),
    grid: { left: 12, right: 24, top: 40, bottom: 8, containLabel: true },
    xAxis: {
      type: 'time',
      min,
      max,
      axisLine: { lineStyle: { color: MUTED } },
      axisTick: { customValues: ticks },
      axisLabel: {
        customValues: ticks,
        color: MUTED,
        fontFamily: FONT_FAMILY,
        fontSize: 11,
        hideOverlap: true,
        formatter: (t: number) => hourLabel(t, tz),
      },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      scale: true,
      splitNumber: 4,
      axisLabel: {
        color: MUTED,
        fontFamily: FONT_FAMILY,
        fontSize: 11,
        formatter: (v: number) => axisMoney(v, currency),
      },
      splitLine: { lineStyle: { color: GRID } },
    },
    series: [
      {
        type: 'line',
        data: curve,
        showSymbol: false,
        lineStyle: { color: LINE, width: 2 },
        itemStyle: { color: LINE },
        areaStyle: { color: LINE, opacity: 0.08 },
      },
    ],
  };
}

function alertsOption(report: DigestReport): echarts.EChartsCoreOption {
  const hours = report.overall.alerts.perHour;
  const tz = report.timeZone;
  if (hours.length === 0)
    return { ...base('Alerts fired per hour'), graphic: [emptyState('No alerts fired')] };
  const total = hours.reduce((n, h) => n + SEVERITIES.reduce((m, s) => m + h.counts[s], 0), 0);
  const every = Math.max(1, Math.ceil(hours.length / 12));
  return {
    ...base('Alerts fired per hour'),
    legend: {
      right: 12,
      top: 8,
      itemGap: 14,
      itemWidth: 10,
      itemHeight: 10,
      textStyle: { fontFamily: FONT_FAMILY, fontSize: 11, color: MUTED },
      data: [...SEVERITIES],
    },
    grid: { left: 12, right: 24, top: 40, bottom: 8, containLabel: true },
    xAxis: {
      type: 'category',
      data: hours.map((h) => hourLabel(h.start, tz)),
      axisLine: { lineStyle: { color: MUTED } },
      axisTick: { alignWithLabel: true, interval: every - 1 },
      axisLabel: { color: MUTED, fontFamily: FONT_FAMILY, fontSize: 11, interval: every - 1 },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      max: total === 0 ? 4 : undefined,
      axisLabel: { color: MUTED, fontFamily: FONT_FAMILY, fontSize: 11 },
      splitLine: { lineStyle: { color: GRID } },
    },
    // Highest severity on top of each bar, where the eye lands first.
    series: [...SEVERITIES].reverse().map((s) => ({
      name: s,
      type: 'bar',
      stack: 'alerts',
      barMaxWidth: 16,
      itemStyle: { color: EMAIL_COLORS[s] },
      data: hours.map((h) => h.counts[s]),
    })),
    color: [...SEVERITIES].map((s) => EMAIL_COLORS[s]),
    graphic: total === 0 ? [emptyState('No alerts fired')] : [],
  };
}

/** `14:00`, or `Dec 2` at local midnight: a tick of the time axis in the report's zone. */
function hourLabel(t: number, tz: string): string {
  const p = zonedParts(t, tz);
  if (p.hour === '00' && p.minute === '00')
    return `${MONTHS[Number(p.month) - 1] ?? p.month} ${Number(p.day)}`;
  return `${p.hour}:${p.minute}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const STEPS = [1, 2, 3, 4, 6, 12, 24];

/**
 * Whole local hours between `min` and `max`, every few hours so there are at most 8: the time
 * axis's ticks on the report zone's clock (zones off UTC by a half hour included).
 */
export function hourTicks(min: number, max: number, tz: string): number[] {
  const span = (max - min) / HOUR;
  const step = STEPS.find((s) => span / s <= 8) ?? 24 * Math.ceil(span / 24 / 8);
  const ticks: number[] = [];
  const quarter = 15 * 60_000;
  for (let t = Math.ceil(min / quarter) * quarter; t <= max; t += quarter) {
    const p = zonedParts(t, tz);
    if (p.minute === '00' && Number(p.hour) % Math.min(step, 24) === 0) ticks.push(t);
  }
  return ticks;
}

/** Money for an axis: whole amounts without cents (`$50,200`), others as formatMoney gives them. */
function axisMoney(v: number, currency: string): string {
  const s = formatMoney(v, currency);
  return Number.isInteger(v) ? s.replace(/\.00(?=\D*$)/, '') : s;
}
