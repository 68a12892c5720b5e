import type { MessageRef, Notification } from '../model/notification.js';
import type { MessageContent } from './content.js';

/**
 * A channel delivers notifications to one service. What a notification says is decided once, in
 * `content.ts`; a channel only lays that content out for its service (pure functions in its own
 * folder) and sends it. Channels are built from a receiver's config and keep their secrets to
 * themselves: nothing they throw or return may contain a token, URL, password or key.
 */
export interface Channel {
  readonly type: string;
  /** The receiver's name, for logs and metrics. */
  readonly name: string;
  /**
   * Sends one notification. Resolves when the service took it; rejects with a SendError that
   * says whether trying again can help. Must stop when `delivery.signal` aborts (the worker also
   * stops waiting for it then, so a send that ignores the signal cannot hold a job).
   */
  send(delivery: Delivery): Promise<SendOutcome>;
  /**
   * Checks credentials and reachability without sending an alert (`klaxon test-channel`), and
   * returns what the service said (e.g. `SMTP 250 ready`, `bot @klaxon_bot`).
   */
  verify?(signal: AbortSignal): Promise<string>;
  close?(): Promise<void>;
}

export interface Delivery {
  notification: Notification;
  /** What the notification says: title, facts, links… */
  content: MessageContent;
  /**
   * The message that started the notification's thread at this receiver and target, when one
   * was sent: a resolve or an acknowledgement edits it, a reminder answers it, an email threads.
   */
  previous?: MessageRef;
  signal: AbortSignal;
  /** The clock (ms), e.g. to tell whether a Telegram message is still young enough to edit. */
  now: number;
}

export interface SendOutcome {
  /** What later notifications of the same thread edit or answer; omit to keep the previous one. */
  ref?: MessageRef;
  /** What the service answered, for `klaxon test-channel` and debug logs (no secrets). */
  detail?: string;
  /**
   * Parts of the message that were refused for good while the rest went out (an email recipient
   * the server rejected): each becomes a dead letter of its own, the notification counts as sent.
   */
  rejected?: { target: string; reason: string }[];
}

/**
 * A failed send: the whole failure contract in one value. `retryable` says whether trying again
 * can help; `retryAfterMs` is the wait the service asked for (429 retry-after), which costs no
 * attempt. The message is safe to log and to show in /health and dead letters.
 */
export class SendError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | string | undefined;

  constructor(
    message: string,
    opts: { retryable: boolean; retryAfterMs?: number; status?: number | string; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SendError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
    this.status = opts.status;
  }
}

/**
 * Removes every secret (and its URL-encoded form) from a text that came from a library or a
 * service, so that it can be logged and shown. Short strings are left alone: they would match
 * ordinary words.
 */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 6) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('[secret]');
  }
  return out;
}

/**
 * Settles as `work` does, or rejects with `abortError()` as soon as `signal` aborts, whichever
 * comes first. Libraries do not all stop when their signal aborts (or take none): this keeps the
 * caller prompt whatever the library does. A late rejection of `work` is swallowed.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, abortError: () => Error): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Waits `ms`, or less when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
