import type { Severity } from '../../model/severity.js';
import { truncate, type MessageContent } from '../content.js';
import { isHttpUrl } from '../receiver-schema.js';

/**
 * The HTML part of an alert email: the content laid out for a person reading it in a mail client.
 * Email-safe on purpose: nested tables and inline styles (many clients drop <style> and ignore
 * flexbox), no script, no image, no web font, no external stylesheet, so nothing is fetched when
 * the mail is opened and nothing tracks the reader. Every piece of alert text goes through
 * `escapeHtml`; the only URLs are the alert's http(s) links. Pure and deterministic.
 */

/** Band and tag colours: red, orange, amber, blue; green once resolved. */
export const EMAIL_COLORS: Record<Severity | 'resolved', string> = {
  critical: '#c62828',
  high: '#e8590c',
  warning: '#f2b705',
  info: '#1c6dd0',
  resolved: '#2e7d32',
};

/** Text on a band colour: dark on amber (white on it is unreadable), white on the others. */
const ON_COLOR: Record<Severity | 'resolved', string> = {
  critical: '#ffffff',
  high: '#ffffff',
  warning: '#1f2328',
  info: '#ffffff',
  resolved: '#ffffff',
};

/** The palette and fonts of Klaxon's emails (alerts and the digest). */
export const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
export const MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace";
export const PAGE_BG = '#f3f4f6';
export const TEXT = '#1f2328';
export const MUTED = '#59636e';
export const RULE = '#e5e7eb';
/** Width of the card: what most clients show without scrolling. */
export const EMAIL_WIDTH = 600;

export function renderHtml(c: MessageContent): string {
  const tone = c.resolved ? 'resolved' : c.severity;
  const color = EMAIL_COLORS[tone];
  const rows: string[] = [
    // The severity band: a coloured strip across the top of the card.
    `<tr><td style="background-color:${color};height:8px;line-height:8px;font-size:0;mso-line-height-rule:exactly;">&nbsp;</td></tr>`,
    row(
      '24px 28px 0 28px',
      `<span style="display:inline-block;background-color:${color};color:${ON_COLOR[tone]};font-size:12px;font-weight:700;letter-spacing:0.06em;line-height:16px;padding:4px 10px;border-radius:4px;">${escapeHtml(c.tag)}</span>` +
        `<h1 style="margin:12px 0 0 0;font-size:22px;line-height:1.3;font-weight:700;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(c.title)}</h1>`,
    ),
  ];
  if (c.notes.length > 0)
    rows.push(
      row(
        '12px 28px 0 28px',
        c.notes
          .map(
            (n) =>
              `<p style="margin:0 0 4px 0;font-size:15px;line-height:1.5;color:${TEXT};">${escapeHtml(n)}</p>`,
          )
          .join(''),
      ),
    );
  if (c.description !== undefined)
    rows.push(
      row(
        '16px 28px 0 28px',
        `<div style="font-size:15px;line-height:1.55;color:${TEXT};background-color:#f6f8fa;border-left:4px solid ${color};padding:12px 16px;word-break:break-word;overflow-wrap:anywhere;">${multiline(c.description)}</div>`,
      ),
    );
  if (c.facts.length > 0) rows.push(row('20px 28px 0 28px', factsTable(c)));
  if (c.labels.length > 0) rows.push(row('20px 28px 0 28px', heading('Labels') + labelChips(c.labels)));
  if (c.items.length > 0) rows.push(row('20px 28px 0 28px', itemList(c)));
  const links = c.links.filter((l) => isHttpUrl(l.href));
  if (links.length > 0) rows.push(row('20px 28px 0 28px', linkButtons(links)));
  rows.push(
    `<tr><td style="padding:24px 28px 0 28px;"><div style="border-top:1px solid ${RULE};font-size:0;line-height:0;">&nbsp;</div></td></tr>`,
    row(
      '12px 28px 24px 28px',
      `<p style="margin:0;font-size:12px;line-height:1.5;color:${MUTED};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(c.footer)}</p>`,
    ),
  );

  return emailDocument(c.subject, preheader(c), rows);
}

/**
 * The document around an email's card: the head, the hidden preheader (what the inbox list shows
 * after the subject) and the centred white card of `rows` (table rows), EMAIL_WIDTH wide.
 */
export function emailDocument(title: string, preheaderText: string, rows: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    '<meta name="supported-color-schemes" content="light">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background-color:${PAGE_BG};">`,
    `<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;color:${PAGE_BG};">${escapeHtml(preheaderText)}</div>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:${PAGE_BG};">`,
    '<tr><td align="center" style="padding:24px 12px;">',
    `<table role="presentation" width="${EMAIL_WIDTH}" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:${EMAIL_WIDTH}px;background-color:#ffffff;border:1px solid ${RULE};border-radius:8px;border-collapse:separate;overflow:hidden;font-family:${FONT};">`,
    ...rows,
    '</table>',
    '</td></tr>',
    '</table>',
    '</body>',
    '</html>',
  ].join('\n');
}

function row(padding: string, inner: string): string {
  return `<tr><td style="padding:${padding};font-family:${FONT};">${inner}</td></tr>`;
}

function heading(text: string): string {
  return `<p style="margin:0 0 8px 0;font-size:12px;font-weight:700;letter-spacing:0.06em;text-transform:uppercase;color:${MUTED};">${escapeHtml(text)}</p>`;
}

function factsTable(c: MessageContent): string {
  const cells = c.facts.map(
    (f, i) =>
      `<tr>` +
      `<th scope="row" align="left" valign="top" style="padding:8px 16px 8px 0;width:34%;font-size:14px;line-height:1.4;font-weight:600;color:${MUTED};text-align:left;${i > 0 ? `border-top:1px solid ${RULE};` : ''}">${escapeHtml(f.label)}</th>` +
      `<td valign="top" style="padding:8px 0;font-size:14px;line-height:1.4;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;${i > 0 ? `border-top:1px solid ${RULE};` : ''}">${escapeHtml(f.value)}</td>` +
      `</tr>`,
  );
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">${cells.join('')}</table>`;
}

function labelChips(labels: [string, string][]): string {
  return labels
    .map(
      ([k, v]) =>
        `<span style="display:inline-block;margin:0 6px 6px 0;padding:3px 8px;background-color:#eef1f5;border-radius:4px;font-family:${MONO};font-size:12px;line-height:18px;color:${TEXT};word-break:break-all;">${escapeHtml(k)}=${escapeHtml(v)}</span>`,
    )
    .join('');
}

function itemList(c: MessageContent): string {
  const items = c.items.map((i) => {
    const color = EMAIL_COLORS[i.resolved ? 'resolved' : i.severity];
    return (
      `<li style="margin:0 0 8px 0;padding:8px 12px;border-left:4px solid ${color};background-color:#f6f8fa;">` +
      `<div style="font-size:14px;line-height:1.4;font-weight:600;color:${TEXT};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(i.headline)}</div>` +
      `<div style="font-size:12px;line-height:1.5;color:${MUTED};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(i.detail)}</div>` +
      `</li>`
    );
  });
  const more =
    c.more > 0 ? `<p style="margin:4px 0 0 0;font-size:14px;color:${MUTED};">… and ${c.more} more</p>` : '';
  return `<ul style="list-style:none;margin:0;padding:0;">${items.join('')}</ul>${more}`;
}

function linkButtons(links: { text: string; href: string }[]): string {
  return links
    .map(
      (l, i) =>
        `<a href="${escapeHtml(l.href)}" target="_blank" rel="noopener noreferrer" style="display:inline-block;margin:0 8px 8px 0;padding:10px 16px;border-radius:6px;font-size:14px;font-weight:600;line-height:18px;text-decoration:none;` +
        (i === 0
          ? `background-color:#1f2328;color:#ffffff;border:1px solid #1f2328;`
          : `background-color:#ffffff;color:#1f2328;border:1px solid #d0d7de;`) +
        `">${escapeHtml(l.text)}</a>`,
    )
    .join('');
}

/** The inbox preview: the first note, else the start of the description, else the first fact. */
function preheader(c: MessageContent): string {
  const first =
    c.notes[0] ??
    c.description?.split('\n').find((l) => l.trim() !== '') ??
    (c.facts[0] ? `${c.facts[0].label}: ${c.facts[0].value}` : '');
  return truncate(first, 140);
}

/** Escaped text with its line breaks kept as <br> and its indentation as no-break spaces. */
function multiline(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => {
      const indent = /^[ \t]*/.exec(l)?.[0] ?? '';
      return '&nbsp;'.repeat(indent.replace(/\t/g, '    ').length) + escapeHtml(l.slice(indent.length));
    })
    .join('<br>');
}

/**
 * Text for HTML content and (double-quoted) attribute values: the five markup characters become
 * entities, and control characters that are not allowed in HTML at all are dropped.
 */
export function escapeHtml(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
  );
}
