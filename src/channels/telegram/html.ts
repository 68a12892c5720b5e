/**
 * The small part of HTML that Telegram's `parse_mode: HTML` understands, as pure functions:
 * escaping (so alert text can never open a tag or forge a link), measuring what Telegram counts
 * (the visible text after entity parsing, in UTF-16 code units) and turning a message back into
 * plain text for the no-parse-mode fallback.
 */

/** Text between tags: only `&`, `<` and `>` have a meaning there. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value in double quotes (`href`): `"` too. */
export function escapeAttr(s: string): string {
  return escapeHtml(s).replace(/"/g, '&quot;');
}

/** One piece of an HTML message: a tag (opening or closing), or one visible character. */
export type Atom =
  | { kind: 'open'; name: string; raw: string; len: 0 }
  | { kind: 'close'; name: string; raw: string; len: 0 }
  /** One code point or one entity; `len` is what Telegram counts (UTF-16 code units once decoded). */
  | { kind: 'text'; raw: string; len: number; text: string };

const ATOM = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^>]*)?>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|[\s\S]/gu;

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Splits Telegram HTML into atoms. Expects well-formed input (what `render.ts` builds). */
export function tokenize(html: string): Atom[] {
  const atoms: Atom[] = [];
  for (const m of html.matchAll(ATOM)) {
    const raw = m[0];
    if (m[2] !== undefined) {
      const name = m[2].toLowerCase();
      atoms.push(m[1] === '/' ? { kind: 'close', name, raw, len: 0 } : { kind: 'open', name, raw, len: 0 });
    } else {
      const text = raw.length > 1 && raw.startsWith('&') ? decodeEntity(raw) : raw;
      atoms.push({ kind: 'text', raw, len: text.length, text });
    }
  }
  return atoms;
}

function decodeEntity(entity: string): string {
  const body = entity.slice(1, -1);
  if (body.startsWith('#')) {
    const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return Number.isFinite(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : entity;
  }
  return NAMED[body] ?? entity;
}

/** What Telegram counts against its 4096 limit: the text once tags are parsed, in UTF-16 units. */
export function visibleLength(html: string): number {
  let n = 0;
  for (const a of tokenize(html)) n += a.len;
  return n;
}

/** The text a reader sees (tags dropped, entities decoded). */
export function visibleText(html: string): string {
  let out = '';
  for (const a of tokenize(html)) if (a.kind === 'text') out += a.text;
  return out;
}

/**
 * The same message as plain text, for when Telegram refuses the HTML: tags dropped, entities
 * decoded, and a link's address written after its text (` (https://…)`) so it is not lost,
 * unless that would make the text longer than `max`.
 */
export function plainText(html: string, max: number): string {
  let out = '';
  let href: string | undefined;
  let linkText = '';
  for (const a of tokenize(html)) {
    if (a.kind === 'text') {
      out += a.text;
      if (href !== undefined) linkText += a.text;
    } else if (a.kind === 'open' && a.name === 'a') {
      const m = /\shref="([^"]*)"/.exec(a.raw);
      href = m?.[1] !== undefined ? visibleText(m[1]) : undefined;
      linkText = '';
    } else if (a.kind === 'close' && a.name === 'a') {
      if (href !== undefined && href !== linkText) out += ` (${href})`;
      href = undefined;
    }
  }
  return out.length <= max ? out : visibleText(html);
}
