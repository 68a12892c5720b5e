import type { Acknowledged } from '../../model/alert.js';
import type { Notification, NotificationKind } from '../../model/notification.js';
import type { Severity } from '../../model/severity.js';
import { isoTime, oneLine, truncate, type MessageContent } from '../content.js';
import { escapeAttr, escapeHtml, visibleLength } from './html.js';
import { MESSAGE_MAX, splitHtml } from './split.js';

/**
 * Telegram layout of a notification (HTML parse mode). Pure: the same content always gives the
 * same text. Every piece of alert text goes through `escapeHtml`/`escapeAttr`, so nothing an
 * alert says can open a tag, forge a link or mention anyone.
 *
 *     🔴 <b>CRITICAL Drawdown above 5% on BTCUSDT</b>
 *     <i>Reminder: this alert is still firing.</i>
 *
 *     Equity fell 6.2% from the session high.
 *
 *     <b>Value:</b> 6.2
 *     <b>Labels:</b> <code>env=prod</code>, <code>team=risk</code>
 *
 *     <a href="https://…">Runbook</a> · <a href="https://…">Alert in Klaxon</a>
 *
 *     <i>alert DrawdownHigh · fingerprint … · notification …</i>
 */

/** The coloured dot that leads the headline, so severity shows at a glance in a chat list. */
export const SEVERITY_MARKERS: Record<Severity, string> = {
  critical: '🔴',
  high: '🟠',
  warning: '🟡',
  info: '🔵',
};
export const RESOLVED_MARKER = '✅';
export const ACKNOWLEDGED_MARKER = '👀';
export const TEST_MARKER = '🧪';

/** Description kept in an edit (which must fit in one message), in code points. */
export const EDIT_DESCRIPTION_MAX = 1000;

export interface RenderOptions {
  /** Cut the description to this many code points. */
  descriptionMax?: number;
  /**
   * The acknowledgement an `acknowledged` message shows: who, through what and when, in place of
   * the shorter note of the content.
   */
  acknowledged?: Acknowledged;
}

/** The text of the button that acknowledges an alert. */
export const ACK_BUTTON_TEXT = 'Acknowledge';
/** Telegram's limit on a button's `callback_data`, in UTF-8 bytes. */
export const CALLBACK_DATA_MAX_BYTES = 64;
const ACK_DATA_PREFIX = 'ack:';

/** Kinds whose message says the alert still fires: they carry the button. */
const ACKABLE_KINDS: ReadonlySet<NotificationKind> = new Set(['firing', 'repeat', 'escalated', 'flapping']);

/** An inline keyboard (Bot API `InlineKeyboardMarkup`); an empty one removes the buttons. */
export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

export const NO_KEYBOARD: InlineKeyboard = { inline_keyboard: [] };

/** `ack:<fingerprint>`, or undefined when it would not fit Telegram's 64 bytes. */
export function ackCallbackData(fingerprint: string): string | undefined {
  const data = `${ACK_DATA_PREFIX}${fingerprint}`;
  return Buffer.byteLength(data, 'utf8') <= CALLBACK_DATA_MAX_BYTES ? data : undefined;
}

/** The fingerprint an `ack:<fingerprint>` button names, or undefined for any other data. */
export function parseAckData(data: string | undefined): string | undefined {
  if (data === undefined || !data.startsWith(ACK_DATA_PREFIX)) return undefined;
  const fp = data.slice(ACK_DATA_PREFIX.length);
  return /^[A-Za-z0-9_.-]{1,60}$/.test(fp) ? fp : undefined;
}

/**
 * The "Acknowledge" button of a message that tells one alert still fires (firing, reminder,
 * escalation, flapping); none for a group, a resolve, an acknowledgement, a summary or a test.
 */
export function ackKeyboard(n: Notification): InlineKeyboard | undefined {
  if (!ACKABLE_KINDS.has(n.kind) || n.alerts.length !== 1) return undefined;
  const alert = n.alerts[0];
  if (!alert || alert.status === 'resolved') return undefined;
  const data = ackCallbackData(alert.fingerprint);
  return data ? { inline_keyboard: [[{ text: ACK_BUTTON_TEXT, callback_data: data }]] } : undefined;
}

/** `Acknowledged by @alice (telegram) at 2026-01-15T09:31:00.000Z, until 2026-01-15T11:31:00.000Z.` */
export function acknowledgedNote(a: Acknowledged): string {
  const via = a.via ? ` (${oneLine(a.via)})` : '';
  const until = a.until !== undefined ? `, until ${isoTime(a.until)}` : '';
  return `Acknowledged by ${oneLine(a.by)}${via} at ${isoTime(a.at)}${until}.`;
}

/** The whole message as one HTML string; it may be longer than a message (see `renderParts`). */
export function renderHtml(c: MessageContent, opts: RenderOptions = {}): string {
  const blocks: string[][] = [];
  blocks.push([
    `${marker(c)} <b>${escapeHtml(c.headline)}</b>`,
    ...notesOf(c, opts).map((note) => `<i>${escapeHtml(note)}</i>`),
  ]);
  if (c.description !== undefined) {
    const d =
      opts.descriptionMax !== undefined ? truncate(c.description, opts.descriptionMax) : c.description;
    blocks.push([escapeHtml(d)]);
  }
  const facts = c.facts.map((f) => `<b>${escapeHtml(f.label)}:</b> ${escapeHtml(f.value)}`);
  if (c.labels.length > 0)
    facts.push(
      `<b>Labels:</b> ${c.labels.map(([k, v]) => `<code>${escapeHtml(`${k}=${v}`)}</code>`).join(', ')}`,
    );
  if (facts.length > 0) blocks.push(facts);
  if (c.items.length > 0) {
    const items = c.items.map(
      (i) =>
        `${i.resolved ? RESOLVED_MARKER : SEVERITY_MARKERS[i.severity]} <b>${escapeHtml(i.headline)}</b>\n${escapeHtml(i.detail)}`,
    );
    if (c.more > 0) items.push(`… and ${c.more} more`);
    blocks.push(items);
  }
  if (c.links.length > 0)
    blocks.push([
      c.links.map((l) => `<a href="${escapeAttr(l.href)}">${escapeHtml(l.text)}</a>`).join(' · '),
    ]);
  blocks.push([`<i>${escapeHtml(c.footer)}</i>`]);
  return blocks.map((b) => b.join('\n')).join('\n\n');
}

/** The message as the parts to send, each within Telegram's limit. */
export function renderParts(c: MessageContent, max = MESSAGE_MAX, opts: RenderOptions = {}): string[] {
  return splitHtml(renderHtml(c, opts), max);
}

/**
 * One message for an edit (an edit cannot add parts): the description cut short, and if that is
 * still too long, the first part's worth of the message followed by `…`.
 */
export function renderEdit(c: MessageContent, max = MESSAGE_MAX, opts: RenderOptions = {}): string {
  const full = renderHtml(c, opts);
  if (visibleLength(full) <= max) return full;
  const short = renderHtml(c, { ...opts, descriptionMax: EDIT_DESCRIPTION_MAX });
  if (visibleLength(short) <= max) return short;
  return `${splitHtml(short, max - 2)[0] ?? ''}\n…`;
}

/** The content's notes; an acknowledgement's own note gives way to the fuller one. */
function notesOf(c: MessageContent, opts: RenderOptions): string[] {
  if (c.kind !== 'acknowledged' || opts.acknowledged === undefined) return c.notes;
  const full = acknowledgedNote(opts.acknowledged);
  const notes = c.notes.map((n) => (n.startsWith('Acknowledged') ? full : n));
  return notes.includes(full) ? notes : [...notes, full];
}

function marker(c: MessageContent): string {
  if (c.kind === 'test') return TEST_MARKER;
  if (c.kind === 'acknowledged') return ACKNOWLEDGED_MARKER;
  if (c.resolved) return RESOLVED_MARKER;
  return SEVERITY_MARKERS[c.severity];
}
