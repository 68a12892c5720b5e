import { createHash } from 'node:crypto';
import type { AlertView } from '../../model/alert.js';
import type { Notification, NotificationKind } from '../../model/notification.js';
import { pagerDutySeverity } from '../../model/severity.js';
import { describe, isoTime, type MessageContent } from '../content.js';

/**
 * Lays a notification out as PagerDuty Events API v2 events. Pure: no I/O, no clock. PagerDuty
 * shows text as text (no markup is interpreted), so alert text goes in unchanged; JSON encoding
 * is the only escaping it needs.
 */

export type EventAction = 'trigger' | 'acknowledge' | 'resolve';
export type PagerDutySeverity = ReturnType<typeof pagerDutySeverity>;

/** PagerDuty's limits (Events API v2 docs): summary length, dedup_key length, whole event size. */
export const SUMMARY_MAX = 1024;
export const DEDUP_KEY_MAX = 255;
export const EVENT_MAX_BYTES = 512 * 1024;
/**
 * Our own cap for the short identifying fields (source, component, group, class): PagerDuty does
 * not document one, and they are names, not text; this keeps a runaway label from eating the size.
 */
export const FIELD_MAX = 255;

export interface CustomDetails {
  /** The whole headline, only when `summary` had to be cut. */
  headline?: string;
  notes?: string[];
  description?: string;
  /** Content's facts, label -> value, in content's order. */
  facts: Record<string, string>;
  /** The alert's other labels (source and symbol are facts). */
  labels?: Record<string, string>;
  notification: { id: string; kind: NotificationKind };
  /** Set when parts of these details were cut to keep the event under PagerDuty's size limit. */
  trimmed?: true;
}

export interface EventPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class: string;
  custom_details: CustomDetails;
}

export interface EventLink {
  href: string;
  text: string;
}

/** One Events API v2 event as it goes over the wire (pdjs's own type lacks `client`/`client_url`). */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: EventAction;
  dedup_key: string;
  payload: EventPayload;
  links?: EventLink[];
  client: string;
  client_url?: string;
}

export interface EventSettings {
  routingKey: string;
  client: string;
  clientUrl?: string;
}

/**
 * The events one delivery sends, in order:
 * - one alert: one event, its action from the kind (trigger / acknowledge / resolve), dedup_key =
 *   the thread (the alert's fingerprint) so trigger, acknowledge and resolve pair up;
 * - a group (several alerts, or kind `summary`): one event per alert, each keyed by its own
 *   fingerprint with the action its status calls for, each with that alert's own content;
 * - kind `test`: a trigger under a key of its own, then its resolve, so nothing stays open.
 */
export function renderEvents(n: Notification, c: MessageContent, s: EventSettings): PagerDutyEvent[] {
  const lead = n.alerts[0];
  if (!lead) throw new Error('a notification carries at least one alert');
  if (n.kind === 'test') {
    const trigger = renderEvent(n, c, lead, 'trigger', testDedupKey(n), s);
    return [trigger, fitSize({ ...trigger, event_action: 'resolve' })];
  }
  if (n.alerts.length > 1 || n.kind === 'summary') {
    return n.alerts.map((a) => {
      const action = actionFor(n.kind, a.status);
      const own = describe({
        ...n,
        kind: alertKind(n.kind, action),
        alerts: [a],
        total: undefined,
        thread: a.fingerprint,
        raisedFrom: undefined,
      });
      // The group's own notes (e.g. "held back by the rate limit") belong to each of its alerts.
      const notes = [...new Set([...c.notes, ...own.notes])];
      return renderEvent(n, { ...own, notes }, a, action, dedupKeyOf(a.fingerprint), s);
    });
  }
  return [renderEvent(n, c, lead, actionFor(n.kind, lead.status), dedupKeyOf(n.thread), s)];
}

/** What PagerDuty must do for an alert told with this kind in this status. */
export function actionFor(kind: NotificationKind, status: AlertView['status']): EventAction {
  if (kind === 'acknowledged') return 'acknowledge';
  if (kind === 'resolved' || status === 'resolved') return 'resolve';
  return 'trigger';
}

/** The kind of a one-alert notification that tells what a group's event tells about one alert. */
function alertKind(kind: NotificationKind, action: EventAction): NotificationKind {
  if (action === 'resolve') return 'resolved';
  if (action === 'acknowledge') return 'acknowledged';
  return kind === 'summary' || kind === 'test' ? 'firing' : kind;
}

/**
 * The thread (the alert's fingerprint, 24 hex characters) as a dedup_key. A longer thread is
 * replaced by its hash: still the same key for every event of the thread, within PagerDuty's 255.
 */
export function dedupKeyOf(thread: string): string {
  if (thread.length > 0 && thread.length <= DEDUP_KEY_MAX) return thread;
  return `sha256-${createHash('sha256').update(thread).digest('hex')}`;
}

/**
 * A test's key: never an alert's (fingerprints are hex), and the same when the worker retries the
 * same test notification, so a retry after a lost resolve closes the alert it opened.
 */
export function testDedupKey(n: Notification): string {
  return dedupKeyOf(`klaxon-test-${n.id}`);
}

function renderEvent(
  n: Notification,
  c: MessageContent,
  a: AlertView,
  action: EventAction,
  dedupKey: string,
  s: EventSettings,
): PagerDutyEvent {
  const summary = cut(c.headline, SUMMARY_MAX);
  const source = nonEmpty(a.labels.source);
  const symbol = nonEmpty(a.labels.symbol);
  const timestamp = isoTime(c.at);

  const details: CustomDetails = {
    ...(summary !== c.headline ? { headline: c.headline } : {}),
    ...(c.notes.length > 0 ? { notes: c.notes } : {}),
    ...(c.description !== undefined ? { description: c.description } : {}),
    facts: record(c.facts.map((f) => [f.label, f.value])),
    ...(c.labels.length > 0 ? { labels: record(c.labels) } : {}),
    notification: { id: n.id, kind: n.kind },
  };
  const payload: EventPayload = {
    summary,
    source: source !== undefined ? cut(source, FIELD_MAX) : 'klaxon',
    severity: pagerDutySeverity(a.severity),
    ...(timestamp !== 'unknown' ? { timestamp } : {}),
    ...(symbol !== undefined ? { component: cut(symbol, FIELD_MAX) } : {}),
    ...(source !== undefined ? { group: cut(source, FIELD_MAX) } : {}),
    class: cut(a.name, FIELD_MAX),
    custom_details: details,
  };
  const links = c.links
    .filter((l) => /^https?:\/\//i.test(l.href))
    .map((l) => ({ href: l.href, text: l.text }));
  return fitSize({
    routing_key: s.routingKey,
    event_action: action,
    dedup_key: dedupKey,
    payload,
    ...(links.length > 0 ? { links } : {}),
    client: s.client,
    ...(s.clientUrl !== undefined ? { client_url: s.clientUrl } : {}),
  });
}

/** Size of the event as sent (UTF-8 JSON). */
export function eventBytes(e: PagerDutyEvent): number {
  return Buffer.byteLength(JSON.stringify(e), 'utf8');
}

/**
 * Keeps an event under PagerDuty's 512 KB: halves the longest text among the custom details until
 * it fits, then drops the details (keeping which notification it was), then the links. The
 * summary, severity and keys are never touched.
 */
export function fitSize(e: PagerDutyEvent): PagerDutyEvent {
  if (eventBytes(e) < EVENT_MAX_BYTES) return e;
  const details = structuredClone(e.payload.custom_details);
  const out: PagerDutyEvent = { ...e, payload: { ...e.payload, custom_details: details } };
  details.trimmed = true;
  for (let i = 0; i < 64 && eventBytes(out) >= EVENT_MAX_BYTES; i++) {
    if (!halveLongest(details)) break;
  }
  if (eventBytes(out) >= EVENT_MAX_BYTES) {
    out.payload.custom_details = { facts: {}, notification: details.notification, trimmed: true };
  }
  if (eventBytes(out) >= EVENT_MAX_BYTES) delete out.links;
  return out;
}

/** Cuts the longest string held in `obj` (at any depth) to half; false when none is worth cutting. */
function halveLongest(obj: object): boolean {
  let best: { holder: Record<string, unknown> | unknown[]; key: string | number; len: number } | undefined;
  const visit = (holder: Record<string, unknown> | unknown[]): void => {
    for (const [k, v] of Object.entries(holder)) {
      const key = Array.isArray(holder) ? Number(k) : k;
      if (typeof v === 'string') {
        if (!best || v.length > best.len) best = { holder, key, len: v.length };
      } else if (v && typeof v === 'object') visit(v as Record<string, unknown>);
    }
  };
  visit(obj as Record<string, unknown>);
  if (!best || best.len <= 32) return false;
  const h = best.holder as Record<string | number, unknown>;
  h[best.key] = cut(h[best.key] as string, Math.floor(best.len / 2));
  return true;
}

/**
 * Cuts to at most `max` UTF-16 code units (what JavaScript and most services count), never inside
 * a surrogate pair, ending with `…` when cut.
 */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  for (const cp of s) {
    if (out.length + cp.length > max - 1) break;
    out += cp;
  }
  return out + '…';
}

/** Pairs as an object, in order; a repeated key gets ` (2)`, ` (3)`… so no value is lost. */
function record(pairs: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    let key = k;
    for (let i = 2; Object.prototype.hasOwnProperty.call(out, key); i++) key = `${k} (${i})`;
    // defineProperty, not assignment: a label called `__proto__` stays a plain key.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== '' ? s.trim() : undefined;
}
