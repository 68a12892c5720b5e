import { describeDigest } from '../digest/describe.js';
import { heading } from './heading.js';
import { ACK_LINK_TTL, ackLink } from '../ingest/ack-links.js';
import type { AlertView } from '../model/alert.js';
import { formatDuration } from '../model/time-text.js';
import { formatIn } from '../model/format.js';
import { leadAlert, type Notification } from '../model/notification.js';
import { maxSeverity, type Severity } from '../model/severity.js';

/**
 * What a notification says, decided here and only here. Channels lay this out for their
 * service (plain text, HTML, an embed, an event) and never decide wording of their own. Pure:
 * every time it shows comes from the notification, never from the clock.
 */
export interface MessageContent {
  kind: Notification['kind'];
  /** The highest severity among the alerts. */
  severity: Severity;
  /** Every alert it speaks of has resolved (channels show it green / struck). */
  resolved: boolean;
  /** `CRITICAL`, `RESOLVED`, `ACKNOWLEDGED`, `TEST`: the status word that leads the title. */
  tag: string;
  /** What happened, one line, without the tag: `daily loss 104% of limit on grid-1: -$520.00 of -$500.00`. */
  title: string;
  /** `CRITICAL daily loss …`: tag and title (a chat message's first line, a PagerDuty summary). */
  headline: string;
  /** `[CRITICAL] daily loss …`: an email subject. */
  subject: string;
  /** Short sentences on what this notification is: `Resolved after 12m.`, `Severity rose from WARNING.` */
  notes: string[];
  /** The alert's own text (annotations description or message), line breaks kept. */
  description?: string;
  /** Labelled facts, in the order to show them: Value, Threshold, Source, Symbol, Firing for, … */
  facts: Fact[];
  /** Labels not already shown as a fact, sorted by key. */
  labels: [string, string][];
  links: Link[];
  /** A group: one entry per alert listed, and how many more there are. Empty for one alert. */
  items: Item[];
  more: number;
  /** Identifies the alert for whoever must find it again: `fingerprint 3f2a… · notification …`. */
  footer: string;
  /** The time the notification speaks of (ms): started, resolved, or when it was decided. */
  at: number;
}

export interface Fact {
  label: string;
  value: string;
}

export interface Link {
  text: string;
  href: string;
  /** The signed "Acknowledge" link: a channel with a button of its own (Telegram) leaves it out. */
  ack?: true;
}

export interface Item {
  severity: Severity;
  resolved: boolean;
  /** `CRITICAL api latency 1.2 s on grid-1` */
  headline: string;
  /** `source=grid-1, symbol=ETHUSDT · since 2026-12-02T10:00:00.000Z` */
  detail: string;
}

export interface ContentOptions {
  /** Klaxon's own URL as people reach it (`server.public_url`): adds a link to the alert. */
  publicUrl?: string;
  /**
   * `server.link_secret`: with `publicUrl`, a firing alert's message gets a signed "Acknowledge"
   * link (for receivers that cannot post back), valid for ACK_LINK_TTL from the notification.
   */
  linkSecret?: string;
  /** The web console is served (`server.ui.enabled`): the link to the alert opens its page there. */
  ui?: boolean;
}

/** Longest title (in code points); channels with tighter limits cut further. */
export const TITLE_MAX = 250;
/** How many alerts a group lists before "… and N more". */
export const GROUP_LIST_MAX = 10;

/** Annotations shown in their own place, so not repeated among the facts. */
const SHOWN_ANNOTATIONS = new Set(['title', 'summary', 'description', 'message', 'runbook_url']);
/** Labels shown as facts of their own. */
const FACT_LABELS: [string, string][] = [
  ['source', 'Source'],
  ['symbol', 'Symbol'],
];

export function describe(n: Notification, opts: ContentOptions = {}): MessageContent {
  if (n.digest) return describeDigest(n, n.digest, opts);
  return n.alerts.length > 1 || n.kind === 'summary' ? describeGroup(n) : describeAlert(n, opts);
}

function describeAlert(n: Notification, opts: ContentOptions): MessageContent {
  const a = leadAlert(n);
  const resolved = isResolved(n, a);
  const tag = tagOf(n, a.severity, resolved);
  const title = truncate(alertTitle(a), TITLE_MAX);
  const facts: Fact[] = [];
  if (a.value !== undefined)
    facts.push({ label: resolved ? 'Value at resolve' : 'Value', value: valueOf(a) });
  if (a.threshold !== undefined) {
    const op = a.op ? `${a.op} ` : '';
    facts.push({ label: 'Threshold', value: `${op}${formatIn(a.unit, a.threshold)} (${a.severity} band)` });
  }
  facts.push({ label: 'Severity', value: a.severity });
  for (const [key, label] of FACT_LABELS) {
    const v = a.labels[key];
    if (v !== undefined && v !== '') facts.push({ label, value: oneLine(v) });
  }
  const since = a.firingAt ?? a.startsAt;
  if (resolved && a.endsAt !== undefined) {
    facts.push({ label: 'Lasted', value: formatDuration(Math.max(0, a.endsAt - since)) });
    facts.push({ label: 'Resolved at', value: isoTime(a.endsAt) });
  } else {
    facts.push({ label: 'Firing for', value: formatDuration(Math.max(0, n.createdAt - since)) });
    facts.push({ label: 'Since', value: isoTime(since) });
  }
  if (a.occurrences > 1) facts.push({ label: 'Occurrences', value: String(a.occurrences) });
  if (a.acknowledged)
    facts.push({
      label: 'Acknowledged by',
      value:
        oneLine(a.acknowledged.by) + (a.acknowledged.comment ? `: ${oneLine(a.acknowledged.comment)}` : ''),
    });
  for (const k of Object.keys(a.annotations).sort()) {
    const v = nonEmpty(a.annotations[k]);
    if (v !== undefined && !SHOWN_ANNOTATIONS.has(k)) facts.push({ label: oneLine(k), value: oneLine(v) });
  }
  return {
    kind: n.kind,
    severity: a.severity,
    resolved,
    ...heading(tag, title),
    notes: notesOf(n, a, resolved),
    description: descriptionOf(a),
    facts,
    labels: otherLabels(a.labels),
    links: linksOf(n, a, resolved, opts),
    items: [],
    more: 0,
    footer: `alert ${oneLine(a.name)} · fingerprint ${oneLine(a.fingerprint)} · notification ${n.id}`,
    at: resolved ? (a.endsAt ?? n.createdAt) : n.kind === 'firing' ? since : n.createdAt,
  };
}

function describeGroup(n: Notification): MessageContent {
  if (n.kind === 'summary') return describeSummary(n);
  const severity = n.alerts.reduce<Severity>((s, a) => maxSeverity(s, a.severity), 'info');
  const resolved = n.alerts.every((a) => a.status === 'resolved');
  const tag = tagOf(n, severity, resolved);
  const firing = n.alerts.filter((a) => a.status !== 'resolved');
  const ended = n.alerts.length - firing.length;
  const common = commonLabels(n.alerts);
  const name = n.alerts.every((a) => a.name === n.alerts[0]?.name) ? n.alerts[0]?.name : undefined;
  const counts =
    firing.length > 0
      ? `${alertsWord(firing.length)} firing${ended > 0 ? `, ${ended} resolved` : ''}`
      : `${alertsWord(ended)} resolved`;
  const about =
    (name !== undefined ? `: ${oneLine(name)}` : '') +
    (common.source !== undefined ? ` on ${oneLine(common.source)}` : '');
  const title = truncate(counts + about, TITLE_MAX);
  const notes: string[] = [];
  if (n.fallbackFor) notes.push(`Sent here because receiver ${n.fallbackFor} could not be reached.`);
  if (n.kind === 'repeat') notes.push('Reminder: these alerts are still firing.');
  const facts: Fact[] = [];
  if (firing.length > 0) facts.push({ label: 'Firing', value: String(firing.length) });
  if (ended > 0) facts.push({ label: 'Resolved', value: String(ended) });
  for (const [key, label] of FACT_LABELS) {
    const v = common[key];
    if (v !== undefined && v !== '') facts.push({ label, value: oneLine(v) });
  }
  if (firing.length > 0)
    facts.push({ label: 'Since', value: isoTime(Math.min(...firing.map((a) => a.firingAt ?? a.startsAt))) });
  return {
    kind: n.kind,
    severity,
    resolved,
    ...heading(tag, title),
    notes,
    facts,
    labels: otherLabels(common),
    links: [],
    // Every alert of a group is named: the group is the one message its alerts get.
    items: n.alerts.map((a) => listItem(a, common)),
    more: 0,
    footer: `group of ${n.alerts.length} alerts · notification ${n.id}`,
    at: n.createdAt,
  };
}

/** The alerts a rate limit held back: the first GROUP_LIST_MAX listed, the rest counted. */
function describeSummary(n: Notification): MessageContent {
  const total = Math.max(n.total ?? n.alerts.length, n.alerts.length);
  const severity = n.alerts.reduce<Severity>((s, a) => maxSeverity(s, a.severity), 'info');
  const resolved = n.alerts.every((a) => a.status === 'resolved');
  const tag = tagOf(n, severity, resolved);
  const listed = n.alerts.slice(0, GROUP_LIST_MAX);
  const title = `${total} more ${total === 1 ? 'alert' : 'alerts'} held back by the rate limit`;
  return {
    kind: n.kind,
    severity,
    resolved,
    ...heading(tag, title),
    notes: ['These alerts were held back by the rate limit; each is listed with its state when it was held.'],
    facts: [{ label: 'Alerts', value: String(total) }],
    labels: [],
    links: [],
    items: listed.map((a) => listItem(a)),
    more: total - listed.length,
    footer: `notification ${n.id}`,
    at: n.createdAt,
  };
}

/**
 * One alert of a list: its headline, then what tells it apart. In a group (`common`: the labels
 * all its alerts share, shown once for the group) the labels not shared, its value and when it
 * started or resolved; in a summary every label and when it started.
 */
function listItem(a: AlertView, common?: Record<string, string>): Item {
  const done = a.status === 'resolved';
  const labels = Object.keys(a.labels)
    .filter((k) => common?.[k] === undefined)
    .sort()
    .map((k) => `${oneLine(k)}=${oneLine(a.labels[k] ?? '')}`)
    .join(', ');
  const detail = [labels];
  if (common && a.value !== undefined) detail.push(`value ${valueOf(a)}`);
  if (common && a.flapping) detail.push('flapping');
  detail.push(
    common && done && a.endsAt !== undefined
      ? `resolved ${isoTime(a.endsAt)}`
      : `since ${isoTime(a.firingAt ?? a.startsAt)}`,
  );
  return {
    severity: a.severity,
    resolved: done,
    headline: `${done ? 'RESOLVED' : a.severity.toUpperCase()} ${truncate(alertTitle(a), TITLE_MAX)}`,
    detail: detail.filter(Boolean).join(' · '),
  };
}

/** The labels every alert has, with the same value. */
function commonLabels(alerts: readonly AlertView[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.labels)) if (rest.every((a) => a.labels[k] === v)) out[k] = v;
  return out;
}

function alertsWord(count: number): string {
  return `${count} ${count === 1 ? 'alert' : 'alerts'}`;
}

function tagOf(n: Notification, severity: Severity, resolved: boolean): string {
  if (n.kind === 'test') return 'TEST';
  if (n.kind === 'acknowledged') return 'ACKNOWLEDGED';
  if (resolved) return 'RESOLVED';
  return severity.toUpperCase();
}

function notesOf(n: Notification, a: AlertView, resolved: boolean): string[] {
  const notes: string[] = [];
  if (n.fallbackFor) notes.push(`Sent here because receiver ${n.fallbackFor} could not be reached.`);
  switch (n.kind) {
    case 'firing':
      if (n.raisedFrom)
        notes.push(`Severity rose from ${n.raisedFrom.toUpperCase()} to ${a.severity.toUpperCase()}.`);
      break;
    case 'repeat':
      notes.push('Reminder: this alert is still firing.');
      break;
    case 'escalated':
      notes.push('Escalated: nobody acknowledged this alert in time.');
      break;
    case 'acknowledged':
      notes.push(
        a.acknowledged ? `Acknowledged by ${oneLine(a.acknowledged.by)}.` : 'Acknowledged: someone is on it.',
      );
      break;
    case 'flapping':
      notes.push('Flapping: this alert changes state too often; it is told again once it settles.');
      break;
    case 'test':
      notes.push('A test notification from Klaxon: this receiver works.');
      break;
    default:
      break;
  }
  if (resolved && n.kind !== 'test') {
    const lasted =
      a.endsAt !== undefined
        ? ` after ${formatDuration(Math.max(0, a.endsAt - (a.firingAt ?? a.startsAt)))}`
        : '';
    notes.push(`Resolved${lasted} (was ${a.severity.toUpperCase()}).`);
  }
  return notes;
}

/** The alert's own title: annotations.title, else annotations.summary, else its name. */
export function alertTitle(a: AlertView): string {
  return oneLine(nonEmpty(a.annotations.title) ?? nonEmpty(a.annotations.summary) ?? a.name);
}

function descriptionOf(a: AlertView): string | undefined {
  const parts: string[] = [];
  const summary = nonEmpty(a.annotations.summary);
  const d = nonEmpty(a.annotations.description) ?? nonEmpty(a.annotations.message);
  // When the title came from annotations.title, the summary is not shown yet: show it here.
  if (summary !== undefined && nonEmpty(a.annotations.title) !== undefined && summary !== d)
    parts.push(normalizeNewlines(summary).trim());
  if (d !== undefined) parts.push(normalizeNewlines(d).trim());
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

function valueOf(a: AlertView): string {
  return formatIn(a.unit, a.value as number);
}

/** Kinds that speak of one firing alert somebody may still take: they offer "Acknowledge". */
const ACKABLE_KINDS: ReadonlySet<Notification['kind']> = new Set([
  'firing',
  'repeat',
  'escalated',
  'flapping',
]);

function linksOf(n: Notification, a: AlertView, resolved: boolean, opts: ContentOptions): Link[] {
  const links: Link[] = (a.links ?? []).map((l) => ({
    href: oneLine(l.href),
    text: oneLine(l.text || l.href),
  }));
  const runbook = nonEmpty(a.annotations.runbook_url);
  if (runbook !== undefined && !links.some((l) => l.href === runbook.trim()))
    links.push({ href: oneLine(runbook), text: 'Runbook' });
  if (opts.publicUrl) {
    const base = opts.publicUrl.replace(/\/+$/, '');
    const fp = encodeURIComponent(a.fingerprint);
    links.push({
      href: opts.ui ? `${base}/ui/#/alerts/${fp}` : `${base}/v1/alerts/${fp}`,
      text: 'Alert in Klaxon',
    });
  }
  const taken = a.acknowledged && (a.acknowledged.until === undefined || a.acknowledged.until > n.createdAt);
  if (opts.publicUrl && opts.linkSecret && ACKABLE_KINDS.has(n.kind) && !resolved && !taken) {
    const href = ackLink(
      { publicUrl: opts.publicUrl, secret: opts.linkSecret },
      a.fingerprint,
      n.createdAt + ACK_LINK_TTL,
    );
    if (href) links.push({ href, text: 'Acknowledge', ack: true });
  }
  return links.filter((l) => /^https?:\/\//i.test(l.href));
}

function otherLabels(labels: Record<string, string>): [string, string][] {
  const shown = new Set(FACT_LABELS.map(([k]) => k));
  return Object.keys(labels)
    .filter((k) => !shown.has(k))
    .sort()
    .map((k) => [oneLine(k), oneLine(labels[k] ?? '')]);
}

function isResolved(n: Notification, a: AlertView): boolean {
  return n.kind === 'resolved' || (a.status === 'resolved' && n.kind !== 'acknowledged');
}

/** ISO 8601 in UTC; `unknown` instead of throwing on an invalid time. */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'unknown' : d.toISOString();
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
