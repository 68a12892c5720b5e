/**
 * Making alert text inert in Discord. Embed titles, descriptions and field values render Discord
 * markdown; alert text comes from monitored systems and must show exactly as written: no bold,
 * no spoilers, no masked links, no headings, no mention pills, no `@everyone`.
 *
 * Discord's parser drops a backslash before any ASCII punctuation, so escaping a character that
 * was harmless costs nothing visible; we still escape only what can start markup, so that values
 * such as `-$520.00` or `bot-eu-1` stay readable in the raw payload.
 */

/** Characters that start inline markup anywhere: `\` escapes, `*` `_` `~` emphasis/strike,
 * `` ` `` code, `|` spoilers, `[` `]` masked links, `<` mentions, channels, timestamps, emoji. */
const INLINE = /[\\*_~`|[\]<]/g;

/**
 * Markers that only count at the start of a line, followed by a space (or ending the line):
 * headings `#`..`###`, subtext `-#`, quotes `>` / `>>>`, bullets `-` `+`. `*` bullets are covered
 * by the inline pass. Escaping the first character is enough to make the rest literal.
 */
const LINE_MARKER = /^([ \t]*)([-+>#][-+>#]*)(?=[ \t]|$)/gm;
/** Ordered lists: `1. item`. The dot is escaped (a backslash before a digit would show). */
const ORDERED_LIST = /^([ \t]*\d+)\.(?=[ \t]|$)/gm;

/** Mentions that notify a whole server/channel; Discord matches them case-sensitively, we do not. */
const MASS_MENTION = /@(everyone|here)/gi;
const ZERO_WIDTH_SPACE = '\u200b';

/** `@everyone` and `@here` get a zero-width space after the `@`: shown the same, never a mention. */
export function neutraliseMentions(s: string): string {
  return s.replace(MASS_MENTION, `@${ZERO_WIDTH_SPACE}$1`);
}

/** Escapes alert text for a place that renders markdown; the result shows as the text was written. */
export function escapeMarkdown(s: string): string {
  const inline = s.replace(INLINE, (ch) => `\\${ch}`);
  const lines = inline
    .replace(LINE_MARKER, (_m, ws: string, marker: string) => `${ws}\\${marker}`)
    .replace(ORDERED_LIST, (_m, lead: string) => `${lead}\\.`);
  return neutraliseMentions(lines);
}

/**
 * A link target safe inside `[text](href)`: characters that would end the target or break the
 * markup are percent-encoded. Only http(s) URLs are linked; others return undefined.
 */
export function linkTarget(href: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.href.replace(
    /[()<>[\]\s"'`]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
