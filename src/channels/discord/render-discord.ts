import type { APIEmbed, APIEmbedField } from 'discord.js';
import { isoTime, type MessageContent } from '../content.js';
import type { Severity } from '../../model/severity.js';
import { cut, EMBED_LIMITS, fitEmbed } from './embed-limits.js';
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

  const embed: APIEmbed = {
    title: escapeMarkdown(c.headline),
    description: descriptionOf(c),
    color: embedColor(c),
    fields: all,
    // Footers show plain text (no markdown): only mass mentions need neutralising.
    footer: { text: neutraliseMentions(c.footer) },
  };
  const at = isoTime(c.at);
  if (at !== 'unknown') embed.timestamp = at;
  return fitEmbed(embed);
}

function descriptionOf(c: MessageContent): string {
  const parts: string[] = [];
  if (c.notes.length > 0) parts.push(c.notes.map(escapeMarkdown).join('\n'));
  if (c.description !== undefined && c.description.trim() !== '') parts.push(escapeMarkdown(c.description));
  if (c.items.length > 0) {
    const items = c.items.map((i) => `- ${escapeMarkdown(i.headline)} (${escapeMarkdown(i.detail)})`);
    if (c.more > 0) items.push(`… and ${c.more} more`);
    parts.push(items.join('\n'));
  }
  return parts.join('\n\n');
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
