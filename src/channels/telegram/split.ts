import { tokenize, type Atom } from './html.js';

type OpenTag = Extract<Atom, { kind: 'open' }>;

/**
 * Telegram's limit for one message: 4096 characters of visible text after entity parsing,
 * counted in UTF-16 code units (JS `length`); tags do not count.
 */
export const MESSAGE_MAX = 4096;

/**
 * Cuts an HTML message into parts Telegram accepts, each at most `max` visible characters.
 * Cuts between lines where it can; a line longer than a whole message is cut after its last
 * space that fits (or, with no space, between two characters), never inside a tag, an entity
 * or a surrogate pair. Tags open at a cut are closed at the end of the part and opened again,
 * with the same attributes, at the start of the next one, so every part is well-formed.
 */
export function splitHtml(html: string, max = MESSAGE_MAX): string[] {
  if (max < 2) throw new RangeError('max must be at least 2');
  const parts: string[] = [];
  /** Tags open at the current point, outermost first. */
  let open: OpenTag[] = [];
  /** Tags open where the current part starts (re-opened at its start). */
  let openAtStart: OpenTag[] = [];
  let cur: Atom[] = [];
  let curLen = 0;
  let hasLine = false;

  const push = (a: Atom): void => {
    cur.push(a);
    curLen += a.len;
    if (a.kind === 'open') open = [...open, a];
    else if (a.kind === 'close') {
      const i = open.map((o) => o.name).lastIndexOf(a.name);
      if (i >= 0) open = open.slice(0, i);
    }
  };
  const flush = (): void => {
    // Line breaks and spaces at the end of a part show nothing (Telegram trims them).
    while (cur.length > 0) {
      const last = cur[cur.length - 1];
      if (last?.kind !== 'text' || !/^\s$/u.test(last.text)) break;
      cur.pop();
      curLen -= last.len;
    }
    if (curLen > 0) {
      parts.push(
        openAtStart.map((a) => a.raw).join('') +
          cur.map((a) => a.raw).join('') +
          [...open]
            .reverse()
            .map((a) => `</${a.name}>`)
            .join(''),
      );
    }
    cur = [];
    curLen = 0;
    hasLine = false;
    openAtStart = open;
  };

  for (const line of lines(tokenize(html))) {
    const len = line.reduce((n, a) => n + a.len, 0);
    if (!hasLine && line.length === 0) continue; // no blank line at the start of a part
    const sep = hasLine ? 1 : 0;
    if (curLen + sep + len <= max) {
      if (hasLine) push(NEWLINE);
      line.forEach(push);
      hasLine = true;
      continue;
    }
    if (hasLine) flush();
    if (len <= max) {
      line.forEach(push);
      hasLine = true;
      continue;
    }
    // One line longer than a message: cut it.
    let i = 0;
    while (i < line.length) {
      // A part never starts with the spaces at a cut.
      while (curLen === 0 && i < line.length && isSpace(line[i])) i++;
      const end = cutPoint(line, i, max - curLen);
      for (let k = i; k < end; k++) push(line[k] as Atom);
      i = end;
      if (i < line.length) flush();
    }
    hasLine = curLen > 0 || cur.length > 0;
  }
  flush();
  return parts;
}

const NEWLINE: Atom = { kind: 'text', raw: '\n', len: 1, text: '\n' };

function lines(atoms: Atom[]): Atom[][] {
  const out: Atom[][] = [[]];
  for (const a of atoms) {
    if (a.kind === 'text' && a.raw === '\n') out.push([]);
    else out[out.length - 1]?.push(a);
  }
  return out;
}

function isSpace(a: Atom | undefined): boolean {
  return a?.kind === 'text' && /^\s$/u.test(a.text);
}

/**
 * Where to cut `line` (from `start`) so that at most `room` visible characters go before the cut:
 * after the last space if that keeps at least half the room, else as late as possible. Closing
 * tags right after the cut stay before it and opening tags right before it move after it, so no
 * part ends with an empty `<b></b>`.
 */
function cutPoint(line: Atom[], start: number, room: number): number {
  let used = 0;
  let end = start;
  let lastSpace = -1;
  while (end < line.length) {
    const a = line[end] as Atom;
    if (used + a.len > room) break;
    used += a.len;
    end++;
    if (isSpace(a) && used >= room / 2) lastSpace = end;
  }
  if (end >= line.length) return end;
  let cut = lastSpace > start ? lastSpace : end;
  while (cut < line.length && line[cut]?.kind === 'close') cut++;
  while (cut - 1 > start && line[cut - 1]?.kind === 'open') cut--;
  // Always make progress (a part holds at least one character).
  return cut > start ? cut : Math.min(line.length, start + 1);
}
