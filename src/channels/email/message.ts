import type { DigestAttachment } from '../../digest/digest-email.js';
import type { Delivery } from '../channel.js';
import { truncate, type MessageContent } from '../content.js';
import { renderBody } from '../render-text.js';
import { domainOf, type Mailbox } from './address.js';
import { renderHtml } from './render-html.js';
import { messageIdFor, threadHeaders, type ThreadHeaders } from './threading.js';

/** Longest description an email carries (code points); a runaway annotation must not make a 10 MB mail. */
export const EMAIL_DESCRIPTION_MAX = 20_000;

/** Everything an alert email is made of, before the SMTP client encodes it. Pure data. */
export interface EmailMessage extends ThreadHeaders {
  from: Mailbox;
  to: string[];
  subject: string;
  /** Deterministic: see `messageIdFor`. In angle brackets. */
  messageId: string;
  date: Date;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Inline images (the digest's charts), shown by the HTML through `cid:` URLs. */
  attachments?: DigestAttachment[];
}

/**
 * Lays out one delivery as an email: subject, a plain-text part, an HTML part, the Klaxon headers
 * and the threading headers. No I/O; the same delivery always gives the same message.
 */
export function buildEmail(d: Delivery, from: Mailbox, to: string[]): EmailMessage {
  const c: MessageContent =
    d.content.description === undefined
      ? d.content
      : { ...d.content, description: truncate(d.content.description, EMAIL_DESCRIPTION_MAX) };
  const messageId = messageIdFor(d.notification.id, domainOf(from.address));
  return {
    from,
    to,
    subject: c.subject,
    messageId,
    // The delivery's clock, not the wall clock: a retried send is the same message.
    date: new Date(d.now),
    text: `${c.headline}\n\n${renderBody(c)}\n`,
    html: renderHtml(c),
    headers: {
      'X-Klaxon-Notification-Id': oneLineHeader(d.notification.id),
      'X-Klaxon-Severity': c.severity,
      // RFC 3834: machine-made; tells vacation responders and ticket systems not to answer.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    },
    ...threadHeaders(d.notification.kind, d.previous, messageId, d.now),
  };
}

function oneLineHeader(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/**
 * The email of a delivery: `buildEmail`, or for a digest the whole report with its two charts as
 * inline images (the chart renderer is loaded on the first digest, not with every channel).
 */
export async function layoutEmail(d: Delivery, from: Mailbox, to: string[]): Promise<EmailMessage> {
  const mail = buildEmail(d, from, to);
  const report = d.notification.digest;
  if (!report) return mail;
  const { buildDigestEmail } = await import('../../digest/digest-email.js');
  const link = d.content.links[0]?.href;
  const digest = buildDigestEmail(report, {
    currency: report.currency ?? 'USD',
    ...(link !== undefined ? { link } : {}),
  });
  return {
    ...mail,
    subject: digest.subject,
    text: digest.text,
    html: digest.html,
    attachments: digest.attachments,
  };
}
