import type { AlertView } from '../model/alert.js';
import type { Notification } from '../model/notification.js';
import { maxSeverity, type Severity } from '../model/severity.js';

/**
 * Plain-text rendering of a notification, shared by the channels that send text (console, file,
 * webhook, and later email). Pure and deterministic: every time shown comes from the
 * notification, never from the clock.
 */
export interface RenderedText {
  /** One line, e.g. `[CRITICAL] (escalated) Drawdown above 5%`. */
  title: string;
  /** Several lines: message, facts, labels, links; or the list of a summary. */
  text: string;
}

/** Longest title we produce (in code points); channels with tighter limits cut further. */
export const TITLE_MAX = 250;
/** How many alerts a summary lists before "… and N more". */
export const SUMMARY_LIST_MAX = 10;
/** Longest description shown in a one-line rendering (console). */
export const LINE_DESCRIPTION_MAX = 300;

/** Annotations shown in their own place, so not repeated in the "Annotations" list. */
const SHOWN_ANNOTATIONS = new Set(['title', 'summary', 'description', 'message', 'runbook_url']);

export function renderText(n: Notification): RenderedText {
  return { title: renderTitle(n), text: renderBody(n) };
}

/** `[SEVERITY] title`, `[RESOLVED] title`, with markers for repeat, escalation, flapping, ack. */
export function renderTitle(n: Notification): string {
  if (n.kind === 'summary') {
    const { total, severity } = summaryFacts(n);
    return truncate(
      `[${severity.toUpperCase()}] ${total} more ${total === 1 ? 'alert' : 'alerts'}`,
      TITLE_MAX,
    );
  }
  const a = n.alert;
  const tag = n.kind === 'resolved' || a.status === 'resolved' ? 'RESOLVED' : a.severity.toUpperCase();
  const markers = titleMarkers(n).map((m) => `(${m})`);
  return truncate(oneLine([`[${tag}]`, ...markers, alertTitle(a)].join(' ')), TITLE_MAX);
}

/** The alert's own title: annotations.title, else annotations.summary, else its name. */
export function alertTitle(a: AlertView): string {
  const t = nonEmpty(a.annotations.title) ?? nonEmpty(a.annotations.summary) ?? a.name;
  return oneLine(t);
}

/** The free text of an alert: annotations.description, else annotations.message. */
export function alertDescription(a: AlertView): string | undefined {
  const d = nonEmpty(a.annotations.description) ?? nonEmpty(a.annotations.message);
  return d === undefined ? undefined : normalizeNewlines(d).trim();
}

export function renderBody(n: Notification): string {
  return n.kind === 'summary' ? renderSummaryBody(n) : renderAlertBody(n);
}

/**
 * A single line (no line breaks of any kind) for logs and terminals:
 * `<createdAt ISO> <title> | <description, cut> | value=… | labels: … | started … | fp=…`.
 */
export function renderLine(n: Notification): string {
  const parts = [`${isoTime(n.createdAt)} ${renderTitle(n)}`];
  if (n.kind === 'summary') {
    const { listed, rest } = summaryFacts(n);
    const names = listed.map((a) => `${a.severity.toUpperCase()} ${alertTitle(a)}`);
    if (rest > 0) names.push(`${rest} more`);
    parts.push(names.join('; '));
  } else {
    const a = n.alert;
    const d = alertDescription(a);
    if (d !== undefined) parts.push(truncate(oneLine(d), LINE_DESCRIPTION_MAX));
    if (a.value !== undefined) parts.push(`value=${formatValue(a.value)}`);
    const labels = formatLabels(a.labels);
    if (labels) parts.push(`labels: ${oneLine(labels)}`);
    parts.push(`started ${isoTime(a.startsAt)}`);
    if (isResolved(n) && a.endsAt !== undefined) parts.push(`ended ${isoTime(a.endsAt)}`);
    if (a.occurrences > 1) parts.push(`occurrences=${a.occurrences}`);
    parts.push(`fp=${oneLine(a.fingerprint)}`);
  }
  return parts.join(' | ');
}

function renderAlertBody(n: Notification): string {
  const a = n.alert;
  const lines: string[] = [];
  const notes = kindNotes(n);
  if (notes.length > 0) lines.push(...notes, '');

  const d = alertDescription(a);
  const summary = nonEmpty(a.annotations.summary);
  // When the title came from annotations.title, the summary is not shown yet: show it here.
  if (summary !== undefined && nonEmpty(a.annotations.title) !== undefined && summary !== d) {
    lines.push(normalizeNewlines(summary).trim(), '');
  }
  if (d !== undefined) lines.push(d, '');

  lines.push(`Alert: ${oneLine(a.name)}`);
  lines.push(`Severity: ${a.severity}`);
  lines.push(`Status: ${isResolved(n) ? 'resolved' : 'firing'}`);
  if (a.value !== undefined) lines.push(`Value: ${formatValue(a.value)}`);
  lines.push(`Started: ${isoTime(a.startsAt)}`);
  if (isResolved(n) && a.endsAt !== undefined) {
    lines.push(`Ended: ${isoTime(a.endsAt)}`);
    if (a.endsAt >= a.startsAt) lines.push(`Duration: ${formatDuration(a.endsAt - a.startsAt)}`);
  }
  lines.push(`Occurrences: ${a.occurrences}`);
  const labels = formatLabels(a.labels);
  if (labels) lines.push(`Labels: ${labels}`);

  const extra = Object.keys(a.annotations)
    .filter((k) => !SHOWN_ANNOTATIONS.has(k) && nonEmpty(a.annotations[k]) !== undefined)
    .sort();
  if (extra.length > 0) {
    lines.push('Annotations:');
    for (const k of extra) lines.push(`  ${k}: ${oneLine(a.annotations[k] ?? '')}`);
  }

  const links = alertLinks(a);
  if (links.length > 0) {
    lines.push('Links:');
    for (const l of links) lines.push(`  ${l.text}: ${l.href}`);
  }
  lines.push(`Fingerprint: ${oneLine(a.fingerprint)}`);
  return lines.join('\n');
}

function renderSummaryBody(n: Notification): string {
  const { total, listed, rest } = summaryFacts(n);
  const lines = [
    `${total} more ${total === 1 ? 'alert was' : 'alerts were'} held back by the rate limit:`,
    '',
  ];
  for (const a of listed) {
    const state = a.status === 'resolved' ? 'RESOLVED' : a.severity.toUpperCase();
    const labels = formatLabels(a.labels);
    lines.push(
      `- [${state}] ${alertTitle(a)} (${oneLine(a.name)}${labels ? `; ${oneLine(labels)}` : ''}) since ${isoTime(a.startsAt)}`,
    );
  }
  if (rest > 0) lines.push(`… and ${rest} more`);
  return lines.join('\n');
}

function summaryFacts(n: Notification): {
  total: number;
  listed: AlertView[];
  rest: number;
  severity: Severity;
} {
  const all = n.summary?.alerts ?? [n.alert];
  const total = Math.max(n.summary?.total ?? all.length, all.length);
  const listed = all.slice(0, SUMMARY_LIST_MAX);
  const severity = all.reduce<Severity>((s, a) => maxSeverity(s, a.severity), n.alert.severity);
  return { total, listed, rest: total - listed.length, severity };
}

function isResolved(n: Notification): boolean {
  return n.kind === 'resolved' || n.alert.status === 'resolved';
}

function titleMarkers(n: Notification): string[] {
  const m: string[] = [];
  if (n.kind === 'repeat') m.push('repeat');
  if (n.kind === 'escalation') m.push('escalated');
  if (n.kind === 'flapping' || n.alert.flapping) m.push('flapping');
  if (n.alert.acknowledged) m.push('acknowledged');
  return m;
}

function kindNotes(n: Notification): string[] {
  const a = n.alert;
  const notes: string[] = [];
  if (n.kind === 'repeat') notes.push('Repeat notification: this alert is still firing.');
  if (n.kind === 'escalation') notes.push(`Escalated: severity is now ${a.severity.toUpperCase()}.`);
  if (n.kind === 'flapping' || a.flapping) notes.push('Flapping: this alert changes state often.');
  if (n.kind === 'resolved' || a.status === 'resolved')
    notes.push(`Resolved (was ${a.severity.toUpperCase()}).`);
  if (a.acknowledged) notes.push('Acknowledged: someone is on it.');
  return notes;
}

function alertLinks(a: AlertView): { href: string; text: string }[] {
  const links = (a.links ?? []).map((l) => ({ href: oneLine(l.href), text: oneLine(l.text || l.href) }));
  const runbook = nonEmpty(a.annotations.runbook_url);
  if (runbook !== undefined && !links.some((l) => l.href === runbook.trim())) {
    links.push({ href: oneLine(runbook), text: 'Runbook' });
  }
  return links;
}

/** `key=value, key=value`, keys sorted so the output does not depend on insertion order. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join(', ');
}

export function formatValue(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  // Up to 6 significant digits, without trailing zeros: 0.12345678 -> 0.123457.
  return String(Number(v.toPrecision(6)));
}

/** ISO 8601 in UTC; `unknown` instead of throwing on an invalid time. */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'unknown' : d.toISOString();
}

/** `1d 2h 3m 4s`; `0s` for less than a second. */
export function formatDuration(ms: number): string {
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/** Cuts to `max` code points (never inside a surrogate pair), ending with `…` when cut. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  return cps.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/** Line breaks of every kind (and other control characters) become single spaces. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').trim();
}

function normalizeNewlines(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== '' ? s : undefined;
}
