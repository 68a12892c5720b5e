import {
  EMAIL_COLORS,
  emailDocument,
  escapeHtml,
  FONT,
  MONO,
  MUTED,
  RULE,
  TEXT,
} from '../channels/email/render-html.js';
import { isHttpUrl } from '../channels/receiver-schema.js';
import { formatMoney } from '../model/format.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import {
  digestLayout,
  signedMoney,
  signedPercent,
  type DigestBlock,
  type DigestFact,
  type DigestItem,
  type DigestList,
  type DigestOpenAlerts,
  type DigestSection,
  type DigestTable,
  type RenderOptions,
} from './render-text.js';
import type { DigestReport } from './types.js';

/**
 * The digest as an HTML email, in the look of the alert emails: a white card of nested tables
 * with inline styles only (no <style>, no script, no web font), EMAIL_WIDTH wide and narrowing
 * on phones. Headline figures at the top, the two charts, then the same sections as the text.
 * Everything that comes from the report is escaped. Pure and deterministic.
 */

/** Image URLs of the charts (`cid:` for an email, `data:` for a web page); null: no images. */
export interface DigestHtmlOptions extends RenderOptions {
  images: { equity: string; alerts: string } | null;
  /** Where the digest (or Klaxon) can be opened; shown as a button when it is an http(s) URL. */
  link?: string;
}

/** Size of a chart image as laid out in the email (CSS pixels; the PNGs are drawn at twice that). */
export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 220;

const PANEL = '#f6f8fa';
const GAIN = EMAIL_COLORS.resolved;
const LOSS = EMAIL_COLORS.critical;
const TEXT_ON: Record<Severity, string> = {
  critical: '#ffffff',
  high: '#ffffff',
  warning: TEXT,
  info: '#ffffff',
};

/** The complete HTML document of a digest. */
export function renderDigestHtml(report: DigestReport, opts: DigestHtmlOptions): string {
  const currency = opts.currency ?? 'USD';
  const layout = digestLayout(report, { currency, sources: opts.sources });
  const band = bandColor(report);
  const rows: string[] = [
    `<tr><td style="background-color:${band};height:8px;line-height:8px;font-size:0;mso-line-height-rule:exactly;">&nbsp;</td></tr>`,
    row(
      '24px 28px 0 28px',
      chip(report.lateFrom === undefined ? 'DAILY DIGEST' : 'DAILY DIGEST · LATE', TEXT, '#ffffff') +
        `<h1 style="margin:12px 0 0 0;font-size:22px;line-height:1.3;font-weight:700;color:${TEXT};">${escapeHtml(layout.heading)}</h1>` +
        `<p style="margin:6px 0 0 0;font-size:13px;line-height:1.5;color:${MUTED};">${escapeHtml(layout.window)}<br>${escapeHtml(layout.generated)}</p>`,
    ),
  ];
  if (layout.late !== null)
    rows.push(
      row(
        '16px 28px 0 28px',
        `<div style="font-size:14px;line-height:1.5;color:${TEXT};background-color:${PANEL};border-left:4px solid ${EMAIL_COLORS.warning};padding:10px 14px;">${escapeHtml(layout.late)}</div>`,
      ),
    );
  rows.push(row('20px 22px 0 22px', headline(report, currency)));
  if (opts.images !== null)
    rows.push(
      row('20px 20px 0 20px', image(opts.images.equity, 'Equity curve')),
      row('12px 20px 0 20px', image(opts.images.alerts, 'Alerts fired per hour')),
    );
  for (const part of layout.parts) {
    if (part.title !== null)
      rows.push(
        row(
          '28px 28px 0 28px',
          `<h2 style="margin:0;padding:0 0 6px 0;border-bottom:2px solid ${TEXT};font-size:17px;line-height:1.3;font-weight:700;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(part.title)}</h2>`,
        ),
      );
    if (part.summary !== null)
      rows.push(
        row(
          '14px 28px 0 28px',
          `<p style="margin:0;font-size:15px;line-height:1.5;color:${MUTED};">${escapeHtml(part.summary)}</p>`,
        ),
      );
    for (const s of part.sections) rows.push(row('20px 28px 0 28px', section(s)));
  }
  for (const s of layout.closing) rows.push(row('24px 28px 0 28px', section(s)));
  if (opts.link !== undefined && isHttpUrl(opts.link))
    rows.push(
      row(
        '24px 28px 0 28px',
        `<a href="${escapeHtml(opts.link)}" target="_blank" rel="noopener noreferrer" style="display:inline-block;padding:10px 16px;border-radius:6px;font-size:14px;font-weight:600;line-height:18px;text-decoration:none;background-color:${TEXT};color:#ffffff;border:1px solid ${TEXT};">Open in Klaxon</a>`,
      ),
    );
  rows.push(
    `<tr><td style="padding:24px 28px 0 28px;"><div style="border-top:1px solid ${RULE};font-size:0;line-height:0;">&nbsp;</div></td></tr>`,
    row(
      '12px 28px 24px 28px',
      `<p style="margin:0;font-size:12px;line-height:1.5;color:${MUTED};">Klaxon daily digest · ${escapeHtml(report.date)} · ${escapeHtml(report.timeZone)}</p>`,
    ),
  );

  return emailDocument(layout.heading, preheader(report, currency), rows);
}

/** The band's colour: the highest severity still open, green when nothing is. */
function bandColor(report: DigestReport): string {
  const open = report.overall.alerts.open;
  const worst = SEVERITIES.find((s) => open.some((o) => o.severity === s));
  return EMAIL_COLORS[worst ?? 'resolved'];
}

/** The inbox preview: equity, PnL and alerts in one line. */
function preheader(report: DigestReport, currency: string): string {
  const o = report.overall;
  if (o.quiet) return 'A quiet day: no trading activity recorded.';
  const parts: string[] = [];
  if (o.account.equity !== null) parts.push(`Equity ${formatMoney(o.account.equity, currency)}`);
  if (o.account.total !== null) parts.push(`PnL ${signedMoney(o.account.total, currency)}`);
  parts.push(`${o.alerts.fired} alerts fired, ${o.alerts.open.length} still open`);
  return parts.join(' · ');
}

function row(padding: string, inner: string): string {
  return `<tr><td style="padding:${padding};font-family:${FONT};">${inner}</td></tr>`;
}

function chip(text: string, bg: string, fg: string): string {
  return `<span style="display:inline-block;background-color:${bg};color:${fg};font-size:12px;font-weight:700;letter-spacing:0.06em;line-height:16px;padding:4px 10px;border-radius:4px;white-space:nowrap;">${escapeHtml(text)}</span>`;
}

/** The headline figures as tiles that wrap on narrow screens: equity, PnL, win rate, alerts. */
function headline(report: DigestReport, currency: string): string {
  const o = report.overall;
  const a = o.account;
  const tiles: string[] = [];
  const change =
    a.equityChange === null
      ? null
      : signedMoney(a.equityChange, currency) +
        (a.equityChangePct === null ? '' : ` (${signedPercent(a.equityChangePct)})`);
  tiles.push(
    tile(
      'Equity',
      a.equity === null ? 'n/a' : formatMoney(a.equity, currency),
      TEXT,
      change,
      trendColor(a.equityChange),
    ),
    tile(
      'Total PnL',
      a.total === null ? 'n/a' : signedMoney(a.total, currency),
      trendColor(a.total),
      `${o.trades.count} trades`,
      MUTED,
    ),
    tile(
      'Win rate',
      o.trades.winRate === null ? 'n/a' : `${(o.trades.winRate * 100).toFixed(1)}%`,
      TEXT,
      `${o.trades.won} won, ${o.trades.lost} lost`,
      MUTED,
    ),
    tile('Alerts fired', String(o.alerts.fired), TEXT, severityCounts(o.alerts.bySeverity), MUTED),
    tile(
      'Still open',
      String(o.alerts.open.length),
      o.alerts.open.length > 0 ? LOSS : GAIN,
      `${o.alerts.open.filter((x) => x.acknowledged).length} acknowledged`,
      MUTED,
    ),
  );
  return `<div style="font-size:0;line-height:0;">${tiles.join('')}</div>`;
}

function tile(label: string, value: string, color: string, sub: string | null, subColor: string): string {
  return (
    `<div style="display:inline-block;vertical-align:top;box-sizing:border-box;width:172px;max-width:100%;margin:0 6px 10px 6px;padding:12px 14px;background-color:${PANEL};border-radius:6px;">` +
    `<div style="font-size:11px;line-height:16px;font-weight:700;letter-spacing:0.06em;text-transform:uppercase;color:${MUTED};">${escapeHtml(label)}</div>` +
    `<div style="font-size:24px;line-height:32px;font-weight:700;color:${color};white-space:nowrap;">${escapeHtml(value)}</div>` +
    `<div style="font-size:12px;line-height:18px;color:${subColor};">${sub === null ? '&nbsp;' : escapeHtml(sub)}</div>` +
    `</div>`
  );
}

function trendColor(v: number | null): string {
  if (v === null || Math.round(v * 100) === 0) return TEXT;
  return v > 0 ? GAIN : LOSS;
}

function severityCounts(by: Record<Severity, number>): string {
  const parts = SEVERITIES.filter((s) => by[s] > 0).map((s) => `${by[s]} ${s}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function image(src: string, alt: string): string {
  return `<img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" style="display:block;width:100%;max-width:${CHART_WIDTH}px;height:auto;border:0;outline:none;text-decoration:none;">`;
}

function section(s: DigestSection): string {
  const out: string[] = [heading(s.title)];
  let facts: DigestFact[] = [];
  const flush = (): void => {
    if (facts.length > 0) out.push(factsTable(facts));
    facts = [];
  };
  for (const b of s.blocks) {
    if (b.kind === 'fact') {
      facts.push(b);
      continue;
    }
    flush();
    out.push(block(b));
  }
  flush();
  return out.join('');
}

function block(b: Exclude<DigestBlock, DigestFact>): string {
  switch (b.kind) {
    case 'line':
      return `<p style="margin:0 0 8px 0;font-size:14px;line-height:1.5;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(b.text)}</p>`;
    case 'list':
      return list(b);
    case 'table':
      return table(b);
    case 'open':
      return openAlerts(b);
  }
}

function heading(text: string): string {
  return `<p style="margin:0 0 8px 0;font-size:12px;font-weight:700;letter-spacing:0.06em;text-transform:uppercase;color:${MUTED};">${escapeHtml(text)}</p>`;
}

function factsTable(facts: DigestFact[]): string {
  const cells = facts.map(
    (f, i) =>
      `<tr>` +
      `<th scope="row" align="left" valign="top" style="padding:6px 16px 6px 0;width:40%;font-size:14px;line-height:1.4;font-weight:600;color:${MUTED};text-align:left;${i > 0 ? `border-top:1px solid ${RULE};` : ''}">${escapeHtml(f.label)}</th>` +
      `<td valign="top" style="padding:6px 0;font-size:14px;line-height:1.4;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;${i > 0 ? `border-top:1px solid ${RULE};` : ''}">${escapeHtml(f.value)}</td>` +
      `</tr>`,
  );
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 8px 0;">${cells.join('')}</table>`;
}

function list(b: DigestList): string {
  return (
    `<p style="margin:4px 0 6px 0;font-size:14px;line-height:1.4;font-weight:600;color:${MUTED};">${escapeHtml(b.label)}</p>` +
    `<ul style="list-style:none;margin:0 0 10px 0;padding:0;">${b.items.map(item).join('')}</ul>`
  );
}

function item(i: DigestItem): string {
  const color = i.severity === undefined ? RULE : EMAIL_COLORS[i.severity];
  return `<li style="margin:0 0 4px 0;padding:4px 10px;border-left:3px solid ${color};font-size:14px;line-height:1.4;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(i.text)}</li>`;
}

const CELL = `padding:6px 8px;font-size:13px;line-height:1.4;border-bottom:1px solid ${RULE};`;

function table(t: DigestTable): string {
  const head = t.columns
    .map(
      (c) =>
        `<th align="${c.align}" style="${CELL}font-weight:700;color:${MUTED};text-align:${c.align};white-space:nowrap;">${escapeHtml(c.title)}</th>`,
    )
    .join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${t.columns
          .map(
            (c, i) =>
              `<td align="${c.align}" style="${CELL}color:${TEXT};text-align:${c.align};${i === 0 ? 'word-break:break-word;overflow-wrap:anywhere;' : 'white-space:nowrap;'}${c.align === 'right' ? `font-family:${MONO};` : ''}">${escapeHtml(r[i] ?? '')}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 10px 0;"><tr>${head}</tr>${body}</table>`;
}

function openAlerts(b: DigestOpenAlerts): string {
  const label = `<p style="margin:4px 0 6px 0;font-size:14px;line-height:1.4;font-weight:600;color:${MUTED};">${escapeHtml(b.label)}: ${b.alerts.length}</p>`;
  if (b.alerts.length === 0) return label;
  const th = (t: string): string =>
    `<th align="left" style="${CELL}font-weight:700;color:${MUTED};text-align:left;white-space:nowrap;">${escapeHtml(t)}</th>`;
  const head = `<tr>${th('Severity')}${th('Alert')}${b.showSource ? th('Source') : ''}${th('Since')}${th('Ack')}</tr>`;
  const rows = b.alerts
    .map(
      (a) =>
        `<tr>` +
        `<td valign="top" style="${CELL}">${chip(a.severity.toUpperCase(), EMAIL_COLORS[a.severity], TEXT_ON[a.severity])}</td>` +
        `<td valign="top" style="${CELL}color:${TEXT};word-break:break-word;overflow-wrap:anywhere;"><strong>${escapeHtml(a.name)}</strong>${a.title === null ? '' : `<br><span style="color:${MUTED};">${escapeHtml(a.title)}</span>`}</td>` +
        (b.showSource
          ? `<td valign="top" style="${CELL}color:${TEXT};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(a.source)}</td>`
          : '') +
        `<td valign="top" style="${CELL}color:${TEXT};">${escapeHtml(a.since)}<br><span style="color:${MUTED};">open ${escapeHtml(a.age)}</span></td>` +
        `<td valign="top" style="${CELL}color:${TEXT};">${a.acknowledged ? 'yes' : 'no'}</td>` +
        `</tr>`,
    )
    .join('');
  return `${label}<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 10px 0;">${head}${rows}</table>`;
}
