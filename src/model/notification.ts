import type { DigestReport } from '../digest/types.js';
import type { AlertView } from './alert.js';
import type { Severity } from './severity.js';

/**
 * What a notification tells:
 * - `firing`: an alert started firing (or fires again at a higher severity: `raisedFrom`);
 * - `resolved`: it stopped;
 * - `repeat`: a reminder that it still fires;
 * - `escalated`: passed on to further receivers because nobody acknowledged it;
 * - `acknowledged`: somebody took it;
 * - `flapping`: it changes state too often to be told each time;
 * - `summary`: the alerts a rate limit held back, in one message;
 * - `test`: `klaxon test-channel`;
 * - `digest`: the daily digest (`digest` holds the report; it speaks of no single alert).
 */
export const NOTIFICATION_KINDS = [
  'firing',
  'resolved',
  'repeat',
  'escalated',
  'acknowledged',
  'flapping',
  'summary',
  'test',
  'digest',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** One message to one receiver (and, for receivers that send to several places one by one, one target). */
export interface Notification {
  /** Deterministic: the same decision always yields the same id (safe to enqueue twice). */
  id: string;
  receiver: string;
  /** Where within the receiver, when it sends to several places separately (a Telegram chat id). */
  target?: string;
  kind: NotificationKind;
  /** The alerts it speaks of: one, or a group. Never empty, except in a `digest`. */
  alerts: AlertView[];
  /** `digest`: the report it carries (src/digest). */
  digest?: DigestReport;
  /** How many alerts the group holds in all, when `alerts` lists only the first ones. */
  total?: number;
  /**
   * The conversation it belongs to: the fingerprint of its alert (or a group's key). Later
   * notifications of the same thread edit or answer the message that started it.
   */
  thread: string;
  /**
   * The notification of the same thread to the same receiver (and target) that must be delivered
   * first, so that a resolve never overtakes the firing it answers. Absent: the first of its thread.
   */
  after?: string;
  /** A `firing` at a higher severity than the one told before: that earlier severity. */
  raisedFrom?: Severity;
  /** Receivers that take over when this one fails for good or stays down (the route's `fallback`). */
  fallback?: { receivers: string[]; afterMs: number };
  /**
   * Set by routing when the receiver is reached through a grouping route: the notification is not
   * delivered on its own but joins its group, which is told as one message (see src/grouping).
   */
  group?: GroupRef;
  /** `escalated`: the escalation step (0 for the first) that passed it on. */
  step?: number;
  /** Sent to a fallback receiver because this receiver failed. */
  fallbackFor?: string;
  createdAt: number;
  /** Follows an input from the HTTP request to the delivery, for logs. */
  correlationId?: string;
}

/** The group a notification joins: the route's grouping and the group's label values. */
export interface GroupRef {
  /** `<route path>|<label>=<value>,...`: one group per route and label values, per receiver. */
  key: string;
  /** The values of the route's `group_by` labels (shown in the group message). */
  labels: Record<string, string>;
  waitMs: number;
  intervalMs: number;
  repeatMs?: number;
  /** The alert leaves the group untold: an occurrence alert that stopped recurring. */
  quiet?: boolean;
}

/**
 * What a service gave back for a message, kept per (thread, receiver, target) so that a later
 * notification of the same thread can edit or answer it.
 */
export interface MessageRef {
  /** The service's id of the message to edit or answer: Telegram `message_id`, Discord message id, email `Message-ID`, PagerDuty `dedup_key`. */
  id: string;
  /** When that message was sent (ms); Telegram edits only messages younger than 48 h. */
  sentAt: number;
  /** The chat it is in, when that differs from the target (a Telegram group that became a supergroup). */
  chat?: string;
  /** Email: the Message-IDs of the thread so far, oldest first (`References`). */
  thread?: string[];
}

/** The first alert of a notification: the alert itself, or the first of its group. */
export function leadAlert(n: Pick<Notification, 'alerts'>): AlertView {
  const a = n.alerts[0];
  if (!a) throw new Error('a notification carries at least one alert');
  return a;
}

/** The id of a notification's copy for one target of its receiver (a Telegram chat). */
export function targetId(id: string, target: string | undefined): string {
  return target === undefined ? id : `${id}.${target.replace(/:/g, '_')}`;
}

/** One dead letter as stored (newest first) and shown in /health, /metrics and the digest. */
export interface DeadLetter {
  at: number;
  receiver: string;
  /** The part that was refused, when only a part was (an email address). */
  target?: string;
  reason: string;
  attempts: number;
  notification: Notification;
}
