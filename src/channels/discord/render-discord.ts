import type { APIEmbed, APIEmbedField } from 'discord.js';
import { isoTime, type MessageContent } from '../content.js';
import type { Severity } from '../../model/severity.js';
import { counted, cut, EMBED_LIMITS, fitEmbed } from './embed-limits.js';
import { escapeMarkdown, linkTarget, neutraliseMentions } from './markdown.js';

/**
 * The Discord layout of a notification: one embed, coloured by severity. Pure: the same content
 * always gives the same embed. All wording comes from `MessageContent`; the only words of ours
 * are the field headings `Labels` and `Links`.
 */

/** Embed colours (0xRRGGBB): red, orange, yellow, blue by severity; green once resolved; grey-blue once acknowledged. */
export const DISCORD_COLORS: Record<Severity | 'resolved' | 'acknowledged', number> = {
  critical: 0xd00000,
  high: 0xf46d00,
  warning: 0xf2c744,
  info: 0x439fe0,
  resolved: 0x2eb886,
  acknowledged: 0x607d8b,
};

/** A fact whose value is at most this long sits inline (up to three side by side). */
export const INLINE_VALUE_MAX = 40;

export function embedColor(c: MessageContent): number {
  if (c.kind === 'acknowledged') return DISCORD_COLORS.acknowledged;
  return c.resolved ? DISCORD_COLORS.resolved : DISCORD_COLORS[c.severity];
}

/**
 * The embed: title = headline, description = notes, description and a group's items, fields =
 * facts (inline when short), then labels and links, footer, timestamp = the time the content
 * speaks of. Alert text is escaped (inert markdown, no mass mentions) and everything is fitted
 * within Discord's limits.
 */
export function renderEmbed(c: MessageContent): APIEmbed {
  return layout(c).embed;
}

/**
 * The messages a content takes: its embed, then, for a group too large for one embed, one more
 * message per ~4,000 characters of the alerts it could not list (`… continued`), so that every
 * alert is named. Each message carries one embed within Discord's limits.
 */
export function renderMessages(c: MessageContent): APIEmbed[] {
  const { embed, shown } = layout(c, true);
  const rest = c.items
    .slice(shown)
    .map((i) => `- ${escapeMarkdown(i.headline)} (${escapeMarkdown(i.detail)})`);
  const out = [embed];
  const title = cut(`${escapeMarkdown(c.headline)} (continued)`, EMBED_LIMITS.title);
  let chunk: string[] = [];
  let used = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    out.push(fitEmbed({ title, description: chunk.join('\n'), color: embedColor(c) }));
    chunk = [];
    used = 0;
  };
  for (const line of rest) {
    const add = (chunk.length > 0 ? 1 : 0) + line.length;
    if (used + add > CONTINUATION_ROOM) flush();
    chunk.push(cut(line, CONTINUATION_ROOM));
    used += (chunk.length > 1 ? 1 : 0) + line.length;
  }
  flush();
  return out;
}

/** What a continuation message's description holds (Discord: 4,096, with the title within 6,000). */
const CONTINUATION_ROOM = 4000;

function layout(c: MessageContent, continued = false): { embed: APIEmbed; shown: number } {
  const fields: APIEmbedField[] = c.facts.map((f) => {
    const value = escapeMarkdown(f.value);
    return { name: escapeMarkdown(f.label), value, inline: value.length <= INLINE_VALUE_MAX };
  });
  const labels = lines(c.labels.map(([k, v]) => escapeMarkdown(`${k}=${v}`)));
  const links = lines(
    c.links.flatMap((l) => {
      const href = linkTarget(l.href);
      return href === undefined ? [] : [`[${escapeMarkdown(l.text || l.href)}](${href})`];
    }),
  );
  // Facts give way to the two list fields when a content has more than 25 of them.
  const room = EMBED_LIMITS.fields - (labels ? 1 : 0) - (links ? 1 : 0);
  const all = fields.slice(0, Math.max(0, room));
  if (labels) all.push({ name: 'Labels', value: labels, inline: false });
  if (links) all.push({ name: 'Links', value: links, inline: false });

  const title = escapeMarkdown(c.headline);
  // Footers show plain text (no markdown): only mass mentions need neutralising.
  const footer = neutraliseMentions(c.footer);
  // What the description may hold with everything else kept (a group's list gives way first).
  const others =
    counted(cut(title, EMBED_LIMITS.title)) +
    counted(cut(footer, EMBED_LIMITS.footer)) +
    all.reduce(
      (n, f) =>
        n + counted(cut(f.name, EMBED_LIMITS.fieldName)) + counted(cut(f.value, EMBED_LIMITS.fieldValue)),
      0,
    );
  const { text, shown } = descriptionOf(
    c,
    Math.min(EMBED_LIMITS.description, EMBED_LIMITS.total - others),
    continued,
  );
  const embed: APIEmbed = {
    title,
    description: text,
    color: embedColor(c),
    fields: all,
    footer: { text: footer },
  };
  const at = isoTime(c.at);
  if (at !== 'unknown') embed.timestamp = at;
  return { embed: fitEmbed(embed), shown };
}

function descriptionOf(c: MessageContent, room: number, continued: boolean): { text: string; shown: number } {
  const parts: string[] = [];
  let shown = 0;
  if (c.notes.length > 0) parts.push(c.notes.map(escapeMarkdown).join('\n'));
  if (c.description !== undefined && c.description.trim() !== '') parts.push(escapeMarkdown(c.description));
  if (c.items.length > 0) {
    const before = parts.reduce((n, p) => n + p.length + 2, 0);
    const items = itemLines(c, room - before, continued);
    parts.push(items.text);
    shown = items.shown;
  }
  return { text: parts.join('\n\n'), shown };
}

/**
 * A group's alerts, one line each, as many whole lines as `room` holds; the rest are counted
 * (`… and N more`), never cut in the middle of a line. A large group (hundreds of alerts) cannot
 * be named in full in one embed: the count says how many are not shown.
 */
function itemLines(c: MessageContent, room: number, continued: boolean): { text: string; shown: number } {
  const all = c.items.map((i) => `- ${escapeMarkdown(i.headline)} (${escapeMarkdown(i.detail)})`);
  const more = (shown: number) => all.length - shown + c.more;
  const out: string[] = [];
  let used = 0;
  for (const line of all) {
    const left = more(out.length + 1);
    const tail = left > 0 ? `\n${andMore(left, continued)}`.length : 0;
    const add = (out.length > 0 ? 1 : 0) + line.length;
    if (used + add + tail > room) break;
    out.push(line);
    used += add;
  }
  const shown = out.length;
  if (more(shown) > 0) out.push(andMore(more(shown), continued && c.more === 0));
  return { text: out.join('\n'), shown };
}

function andMore(n: number, continued: boolean): string {
  return continued ? `… and ${n} more in the next messages` : `… and ${n} more`;
}

/**
 * One entry per line, as many as fit a field value; `…` says some were left out. Whole lines
 * only, so a masked link is never cut in half.
 */
function lines(entries: string[]): string {
  const max = EMBED_LIMITS.fieldValue;
  let out = '';
  for (const [i, e] of entries.entries()) {
    const next = out === '' ? e : `${out}\n${e}`;
    const restAfter = i < entries.length - 1 ? 2 : 0; // room for "\n…" if more follow
    if (next.length + restAfter > max) {
      if (out === '') return cut(e, max);
      return `${out}\n…`;
    }
    out = next;
  }
  return out;
}
