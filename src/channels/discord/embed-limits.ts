import type { APIEmbed, APIEmbedField } from 'discord.js';

/**
 * Discord's embed limits (Message Resource → Embed Limits). Any excess is a 400 `50035 Invalid
 * Form Body` and the whole message is lost, so every embed we send is fitted first.
 */
export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  /** Title + description + field names and values + footer text + author name, all embeds. */
  total: 6000,
} as const;

const ELLIPSIS = '…';

/**
 * How long Discord counts a string: leading/trailing whitespace is trimmed and not counted.
 * Discord counts characters (code points); we count UTF-16 units, which is never fewer, so an
 * embed we measured as fitting also fits by Discord's count.
 */
export function counted(s: string | undefined): number {
  return s === undefined ? 0 : s.trim().length;
}

/**
 * Trims `s` and cuts it to at most `max` (as `counted` measures), ending with `…` when cut. Never
 * splits a surrogate pair, and never leaves a lone escaping backslash before the `…`.
 */
export function cut(s: string, max: number): string {
  const t = s.trim();
  if (t.length <= max) return t;
  if (max <= 0) return '';
  let head = t.slice(0, max - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const trailingBackslashes = /\\*$/.exec(head)?.[0].length ?? 0;
  if (trailingBackslashes % 2 === 1) head = head.slice(0, -1);
  return head.trimEnd() + ELLIPSIS;
}

/** The characters Discord counts against the 6000 total in one embed. */
export function embedLength(e: APIEmbed): number {
  let n = counted(e.title) + counted(e.description) + counted(e.footer?.text) + counted(e.author?.name);
  for (const f of e.fields ?? []) n += counted(f.name) + counted(f.value);
  return n;
}

/** Keep at least this much description before dropping fields to make room for it. */
export const DESCRIPTION_FLOOR = 1024;

/**
 * Fits an embed within every limit: each text is cut to its own limit, fields beyond 25 are
 * dropped, and when the total would pass 6000 the last fields are dropped first (keeping at
 * least DESCRIPTION_FLOOR of the description), then the description is cut to what is left.
 * Title and footer always fit: 256 + 2048 leaves room.
 */
export function fitEmbed(e: APIEmbed): APIEmbed {
  const title = e.title === undefined ? undefined : cut(e.title, EMBED_LIMITS.title);
  const footer = e.footer === undefined ? undefined : cut(e.footer.text, EMBED_LIMITS.footer);
  const author = e.author === undefined ? undefined : cut(e.author.name, EMBED_LIMITS.author);
  const fields: APIEmbedField[] = (e.fields ?? []).slice(0, EMBED_LIMITS.fields).map((f) => ({
    ...f,
    name: nonBlank(cut(f.name, EMBED_LIMITS.fieldName)),
    value: nonBlank(cut(f.value, EMBED_LIMITS.fieldValue)),
  }));
  let description = e.description === undefined ? '' : cut(e.description, EMBED_LIMITS.description);

  const fixed = counted(title) + counted(footer) + counted(author);
  const fieldsLength = () => fields.reduce((n, f) => n + counted(f.name) + counted(f.value), 0);
  const wanted = Math.min(counted(description), DESCRIPTION_FLOOR);
  while (fields.length > 0 && fixed + fieldsLength() + wanted > EMBED_LIMITS.total) fields.pop();
  description = cut(description, EMBED_LIMITS.total - fixed - fieldsLength());

  // Built key by key in the order Discord shows them, so payloads read (and compare) naturally.
  const out: APIEmbed = {};
  if (title !== undefined && title !== '') out.title = title;
  if (description !== '') out.description = description;
  if (e.url !== undefined) out.url = e.url;
  if (e.color !== undefined) out.color = e.color;
  if (author !== undefined && author !== '') out.author = { ...e.author, name: author };
  if (fields.length > 0) out.fields = fields;
  if (footer !== undefined && footer !== '') out.footer = { ...e.footer, text: footer };
  if (e.timestamp !== undefined) out.timestamp = e.timestamp;
  return out;
}

/** Discord refuses blank field names and values; a zero-width space is its usual stand-in. */
function nonBlank(s: string): string {
  return s === '' ? '\u200b' : s;
}
