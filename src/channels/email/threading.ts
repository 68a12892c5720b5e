import { createHash } from 'node:crypto';
import type { MessageRef, Notification } from '../../model/notification.js';

/**
 * Email threading: one Message-ID chain per alert (per `notification.thread`) at a receiver. The
 * first message starts it; every later one answers the last (`In-Reply-To`) and lists the chain
 * (`References`), so mail clients show the firing, its reminders and its resolve as one
 * conversation. Email cannot edit a sent message, so a resolve or an acknowledgement is a reply too.
 */

/** How many of the latest Message-IDs `References` carries after the root (RFC 5322 §3.6.4 lets us trim the middle). */
export const REFERENCES_MAX = 20;

/** Kinds that stand alone: a rate-limit summary and `klaxon test-channel` start no thread and answer none. */
const UNTHREADED: ReadonlySet<Notification['kind']> = new Set(['summary', 'test']);

/**
 * `<klaxon.n-42@example.com>`: the same notification always gets the same Message-ID, so a send
 * retried after a lost answer (the server took the message, we never heard) carries the Message-ID
 * of the first and mail clients fold the two into one. An id with characters a msg-id cannot hold
 * (RFC 5322 dot-atom) is replaced by its hash, still deterministic.
 */
export function messageIdFor(notificationId: string, fromDomain: string): string {
  const plain = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
  const local =
    notificationId.length <= 120 && plain.test(notificationId)
      ? notificationId
      : `h.${createHash('sha256').update(notificationId).digest('hex').slice(0, 40)}`;
  return `<klaxon.${local}@${fromDomain}>`;
}

export interface ThreadHeaders {
  /** The Message-ID this message answers: the last of the chain so far. */
  inReplyTo?: string;
  /** The chain so far: its root, then at most REFERENCES_MAX of the latest. */
  references?: string[];
  /** What the next message of the thread answers; absent: keep the previous ref. */
  ref?: MessageRef;
}

/**
 * The threading headers of a message with Message-ID `messageId`, and the ref to keep after it.
 * `previous` is the ref of the thread so far at this receiver (absent for the first message).
 */
export function threadHeaders(
  kind: Notification['kind'],
  previous: MessageRef | undefined,
  messageId: string,
  sentAt: number,
): ThreadHeaders {
  if (UNTHREADED.has(kind)) return {};
  const chain = chainOf(previous);
  // A retry of a message whose first attempt was recorded after all: answer what it answered.
  const at = chain.indexOf(messageId);
  const before = at >= 0 ? chain.slice(0, at) : chain;
  const root = before[0];
  if (root === undefined) return { ref: { id: messageId, sentAt, thread: [messageId] } };
  return {
    inReplyTo: before[before.length - 1],
    references: capChain(before),
    ref: { id: root, sentAt: previous?.sentAt ?? sentAt, thread: capChain([...before, messageId]) },
  };
}

/**
 * The root plus the latest REFERENCES_MAX ids. The stored thread is capped the same way: what is
 * dropped from the middle would never be sent again, and a flapping alert must not grow its ref
 * without end.
 */
export function capChain(ids: readonly string[]): string[] {
  if (ids.length <= REFERENCES_MAX + 1) return [...ids];
  return [ids[0] as string, ...ids.slice(-REFERENCES_MAX)];
}

/** The Message-IDs of the thread so far, oldest first, each in angle brackets. */
function chainOf(previous: MessageRef | undefined): string[] {
  if (!previous) return [];
  const ids = previous.thread && previous.thread.length > 0 ? previous.thread : [previous.id];
  return ids.map(bracketed).filter((id) => id !== '<>');
}

function bracketed(id: string): string {
  const bare = id.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}
