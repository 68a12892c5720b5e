import type { ContentOptions, Fact, Link, MessageContent } from '../channels/content.js';
import { heading } from '../channels/heading.js';
import { signedLink } from '../ingest/ack-links.js';
import type { Notification } from '../model/notification.js';
import { formatMoney } from '../model/format.js';
import { SEVERITIES } from '../model/severity.js';
import { signedMoney, signedPercent } from './render-text.js';
import { formatInZone } from './zoned-time.js';
import type { DigestReport } from './types.js';

/** How long the link to the full digest stays valid. */
export const DIGEST_LINK_TTL = 30 * 86_400_000;

/**
 * The short version of a digest, for every receiver that shows a `MessageContent` (Telegram,
 * Discord, webhook, console, file): the headline figures of all sources together and, with
 * `server.public_url` and `server.link_secret`, a signed link to the whole report. Email lays
 * out the full report instead (digest-email.ts).
 */
export function describeDigest(n: Notification, report: DigestReport, opts: ContentOptions): MessageContent {
  const o = report.overall;
  const currency = report.currency ?? 'USD';
  const a = o.alerts;
  const title = `Daily digest ${report.date}: ${digestSummary(report, currency)}`;
  const tag = report.lateFrom !== undefined ? 'DIGEST (LATE)' : 'DIGEST';
  const facts: Fact[] = [];
  if (o.account.equity !== null) {
    const change =
      o.account.equityChange === null
        ? ''
        : ` (${signedMoney(o.account.equityChange, currency)}${o.account.equityChangePct === null ? '' : `, ${signedPercent(o.account.equityChangePct)}`})`;
    facts.push({
      label: 'Equity',
      value: `${formatMoney(o.account.equity, currency)}${change}`,
    });
  }
  if (o.account.total !== null)
    facts.push({ label: 'Total PnL', value: signedMoney(o.account.total, currency) });
  if (o.trades.count > 0) {
    const rate = o.trades.winRate === null ? '' : `, ${(o.trades.winRate * 100).toFixed(1)}% won`;
    facts.push({ label: 'Trades', value: `${o.trades.count}${rate}` });
  }
  if (o.account.maxDrawdown !== null && o.account.maxDrawdown > 0) {
    const pct = o.account.maxDrawdownPct === null ? '' : ` (${o.account.maxDrawdownPct.toFixed(2)}%)`;
    facts.push({ label: 'Max drawdown', value: `${signedMoney(-o.account.maxDrawdown, currency)}${pct}` });
  }
  const bySeverity = SEVERITIES.filter((s) => a.bySeverity[s] > 0).map((s) => `${a.bySeverity[s]} ${s}`);
  facts.push({
    label: 'Alerts fired',
    value: bySeverity.length > 0 ? `${a.fired} (${bySeverity.join(', ')})` : '0',
  });
  facts.push({ label: 'Still open', value: String(a.open.length) });
  const failed = report.deliveries.perReceiver.reduce((sum, r) => sum + r.failed, 0);
  if (failed > 0) facts.push({ label: 'Failed deliveries', value: String(failed) });
  if (report.deliveries.deadWaiting > 0)
    facts.push({ label: 'Dead letters', value: String(report.deliveries.deadWaiting) });
  if (report.sources.length > 1) facts.push({ label: 'Sources', value: String(report.sources.length) });

  const notes: string[] = [];
  if (report.lateFrom !== undefined)
    notes.push(`Late: scheduled for ${formatInZone(report.lateFrom, report.timeZone)} ${report.timeZone}.`);
  const links: Link[] = [];
  if (opts.publicUrl && opts.linkSecret) {
    const href = signedLink(
      { publicUrl: opts.publicUrl, secret: opts.linkSecret },
      'digest',
      String(report.window.end),
      n.createdAt + DIGEST_LINK_TTL,
    );
    if (href) links.push({ href, text: 'Full digest' });
  }
  return {
    kind: 'digest',
    severity: 'info',
    resolved: false,
    ...heading(tag, title),
    notes,
    facts,
    labels: [],
    links,
    items: [],
    more: 0,
    footer: `${formatInZone(report.window.start, report.timeZone)} to ${formatInZone(report.window.end, report.timeZone)} ${report.timeZone} · notification ${n.id}`,
    at: report.window.end,
  };
}

/**
 * The digest in a few words, for subjects and chat titles: `equity $50,234.56 (+2.52%), 3 alerts,
 * 1 open`, or `quiet day, no trading activity`.
 */
export function digestSummary(report: DigestReport, currency = report.currency ?? 'USD'): string {
  const o = report.overall;
  if (o.quiet) return 'quiet day, no trading activity';
  const parts: string[] = [];
  const a = o.account;
  if (a.equity !== null)
    parts.push(
      `equity ${formatMoney(a.equity, currency)}` +
        (a.equityChangePct === null ? '' : ` (${signedPercent(a.equityChangePct)})`),
    );
  parts.push(`${o.alerts.fired} alert${o.alerts.fired === 1 ? '' : 's'}`);
  if (o.alerts.open.length > 0) parts.push(`${o.alerts.open.length} open`);
  return parts.join(', ');
}
