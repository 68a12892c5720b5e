import { drawAlertsChart, drawEquityChart } from './charts.js';
import { renderDigestHtml } from './render-html.js';
import { digestSummary } from './describe.js';
import { renderDigestText } from './render-text.js';
import type { DigestReport } from './types.js';

/**
 * The digest as an email: subject, text and HTML parts, and the two chart images as inline
 * attachments (nodemailer's shape) that the HTML shows through `cid:` URLs.
 */

/** Content ids of the chart images, as the HTML refers to them (`cid:equity@klaxon`). */
export const EQUITY_CID = 'equity@klaxon';
export const ALERTS_CID = 'alerts@klaxon';

/** An inline image of the email (nodemailer attachment: `cid` without angle brackets). */
export interface DigestAttachment {
  cid: string;
  filename: string;
  content: Buffer;
  contentType: 'image/png';
}

/** Everything the email channel needs to send a digest. */
export interface DigestEmail {
  subject: string;
  text: string;
  html: string;
  attachments: DigestAttachment[];
}

/** Options of the digest email: a link to the digest, the account currency (default USD). */
export interface DigestEmailOptions {
  link?: string;
  currency?: string;
}

/** The digest email of a report: subject, text, HTML and the two chart PNGs. */
export function buildDigestEmail(report: DigestReport, opts: DigestEmailOptions = {}): DigestEmail {
  const currency = opts.currency ?? 'USD';
  const text = renderDigestText(report, { currency });
  return {
    subject: digestSubject(report, currency),
    text: opts.link === undefined ? text : `${text}\nOpen in Klaxon: ${opts.link}\n`,
    html: digestHtml(report, opts.link, currency),
    attachments: [
      {
        cid: EQUITY_CID,
        filename: 'equity.png',
        content: drawEquityChart(report, { currency }),
        contentType: 'image/png',
      },
      { cid: ALERTS_CID, filename: 'alerts.png', content: drawAlertsChart(report), contentType: 'image/png' },
    ],
  };
}

/**
 * Gmail shows only the first 102 KB of an HTML part ("[Message clipped]"); a digest of many busy
 * sources would pass that, so above this size each source becomes one row of a table (the
 * plain-text part and the linked digest keep every source's sections).
 */
export const EMAIL_HTML_BUDGET = 100_000;

function digestHtml(report: DigestReport, link: string | undefined, currency: string): string {
  const images = { equity: `cid:${EQUITY_CID}`, alerts: `cid:${ALERTS_CID}` };
  const full = renderDigestHtml(report, { images, link, currency });
  if (Buffer.byteLength(full) <= EMAIL_HTML_BUDGET || report.sources.length < 2) return full;
  return renderDigestHtml(report, { images, link, currency, sources: 'table' });
}

/**
 * `Klaxon daily digest 2026-12-02: equity $50,234.56 (+2.52%), 3 alerts, 1 open`;
 * `… : quiet day, no trading activity`; `[LATE] …` when sent after its time.
 */
export function digestSubject(report: DigestReport, currency = 'USD'): string {
  const late = report.lateFrom === undefined ? '' : '[LATE] ';
  return `${late}Klaxon daily digest ${report.date}: ${digestSummary(report, currency)}`;
}
