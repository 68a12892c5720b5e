import { isoTime, oneLine, truncate, type MessageContent } from './content.js';

/**
 * Plain-text layout of a notification's content, shared by the channels that send text (console,
 * file, webhook, and the text part of an email). Pure and deterministic.
 */
export interface RenderedText {
  /** One line, e.g. `[CRITICAL] daily loss 104% of limit on grid-1`. */
  title: string;
  /** Several lines: notes, description, facts, labels, links; or the list of a group. */
  text: string;
}

/** Longest description shown in a one-line rendering (console). */
export const LINE_DESCRIPTION_MAX = 300;

export function renderText(c: MessageContent): RenderedText {
  return { title: c.subject, text: renderBody(c) };
}

export function renderBody(c: MessageContent): string {
  const lines: string[] = [];
  if (c.notes.length > 0) lines.push(...c.notes, '');
  if (c.description !== undefined) lines.push(c.description, '');
  for (const f of c.facts) lines.push(`${f.label}: ${f.value}`);
  if (c.labels.length > 0) lines.push(`Labels: ${c.labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (c.items.length > 0) {
    lines.push('');
    for (const i of c.items) lines.push(`- ${i.headline} (${i.detail})`);
    if (c.more > 0) lines.push(`… and ${c.more} more`);
  }
  if (c.links.length > 0) {
    lines.push('Links:');
    for (const l of c.links) lines.push(`  ${l.text}: ${l.href}`);
  }
  lines.push('', c.footer);
  return lines.join('\n');
}

/**
 * A single line (no line breaks of any kind) for logs and terminals:
 * `<time> [CRITICAL] title | notes | description, cut | Value: … | … | fingerprint …`.
 */
export function renderLine(c: MessageContent, createdAt: number): string {
  const parts = [`${isoTime(createdAt)} ${c.subject}`];
  if (c.items.length > 0) {
    const names = c.items.map((i) => i.headline);
    if (c.more > 0) names.push(`${c.more} more`);
    parts.push(names.join('; '));
  } else {
    if (c.notes.length > 0) parts.push(c.notes.join(' '));
    if (c.description !== undefined) parts.push(truncate(oneLine(c.description), LINE_DESCRIPTION_MAX));
    for (const f of c.facts) parts.push(`${f.label}: ${f.value}`);
    if (c.labels.length > 0) parts.push(`labels: ${c.labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  parts.push(c.footer);
  return parts.join(' | ');
}
