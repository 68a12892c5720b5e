import type { Severity } from '../../model/severity.js';
import { truncate, type MessageContent } from '../content.js';
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
}

/** The whole message as one HTML string; it may be longer than a message (see `renderParts`). */
export function renderHtml(c: MessageContent, opts: RenderOptions = {}): string {
  const blocks: string[][] = [];
  blocks.push([
    `${marker(c)} <b>${escapeHtml(c.headline)}</b>`,
    ...c.notes.map((note) => `<i>${escapeHtml(note)}</i>`),
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
export function renderParts(c: MessageContent, max = MESSAGE_MAX): string[] {
  return splitHtml(renderHtml(c), max);
}

/**
 * One message for an edit (an edit cannot add parts): the description cut short, and if that is
 * still too long, the first part's worth of the message followed by `…`.
 */
export function renderEdit(c: MessageContent, max = MESSAGE_MAX): string {
  const full = renderHtml(c);
  if (visibleLength(full) <= max) return full;
  const short = renderHtml(c, { descriptionMax: EDIT_DESCRIPTION_MAX });
  if (visibleLength(short) <= max) return short;
  return `${splitHtml(short, max - 2)[0] ?? ''}\n…`;
}

function marker(c: MessageContent): string {
  if (c.kind === 'test') return TEST_MARKER;
  if (c.kind === 'acknowledged') return ACKNOWLEDGED_MARKER;
  if (c.resolved) return RESOLVED_MARKER;
  return SEVERITY_MARKERS[c.severity];
}
