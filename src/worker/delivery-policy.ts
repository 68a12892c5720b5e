import type { SendError } from '../channels/channel.js';
import type { AlertView } from '../model/alert.js';
import { leadAlert, type Notification } from '../model/notification.js';

/**
 * What the delivery worker does after a failed send, decided from the failure alone (pure):
 * - `dead`: no retry can help, or the retries ran out: dead-letter it;
 * - `wait`: the service said how long to wait: wait that long, spending no attempt;
 * - `retry`: try again after the exponential backoff.
 * `fallback`: also hand it to the route's fallback receivers, because the receiver failed for
 * good or has been failing for longer than the route's `fallback_after`.
 */
export type FailureAction =
  | { kind: 'dead'; fallback: boolean }
  | { kind: 'wait'; ms: number; fallback: boolean }
  | { kind: 'retry'; fallback: boolean };

export interface AttemptInfo {
  /** Attempts made before this one. */
  attemptsMade: number;
  /** Attempts allowed in all. */
  attempts: number;
  /** When the notification was queued (ms). */
  queuedAt: number;
  now: number;
}

export function failureAction(
  err: Pick<SendError, 'retryable' | 'retryAfterMs'>,
  attempt: AttemptInfo,
  fallback: Notification['fallback'],
): FailureAction {
  const canFallBack = fallback !== undefined && fallback.receivers.length > 0;
  if (!err.retryable) return { kind: 'dead', fallback: canFallBack };
  const downTooLong = canFallBack && attempt.now - attempt.queuedAt >= fallback.afterMs;
  if (err.retryAfterMs !== undefined) return { kind: 'wait', ms: err.retryAfterMs, fallback: downTooLong };
  if (attempt.attemptsMade + 1 >= attempt.attempts) return { kind: 'dead', fallback: canFallBack };
  return { kind: 'retry', fallback: downTooLong };
}

const NEVER_FOLDED = new Set<Notification['kind']>(['resolved', 'acknowledged', 'test', 'summary', 'digest']);

/**
 * A rate limit folds what exceeds it into a summary, but never a resolve or an acknowledgement
 * (they answer a message already sent and must not wait longer than it did), nor a test or a
 * digest (a report of its own, not an alert).
 */
export function mayFold(n: Notification): boolean {
  return !NEVER_FOLDED.has(n.kind);
}

/** The copy of `n` that goes to a fallback receiver (deterministic id: handing over twice is a no-op). */
export function fallbackCopy(n: Notification, receiver: string): Notification {
  const copy: Notification = {
    ...n,
    id: `${n.id}.fallback.${receiver}`,
    receiver,
    fallbackFor: n.receiver,
  };
  delete copy.fallback;
  delete copy.target;
  if (n.after !== undefined) copy.after = `${n.after}.fallback.${receiver}`;
  return copy;
}

/**
 * What a rate limit held back, one entry per alert in the order they were first held, each as
 * last told: an alert that rose to critical while held is listed once, as critical.
 */
export function latestPerAlert(held: readonly Notification[]): AlertView[] {
  const latest = new Map<string, AlertView>();
  for (const n of held) {
    const a = leadAlert(n);
    latest.set(a.fingerprint, a);
  }
  return [...latest.values()];
}
