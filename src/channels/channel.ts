import type { Notification } from '../model/notification.js';

/**
 * A channel delivers notifications to one service. `render` is pure (same notification, same
 * output); `send` does the I/O. Channels are built from a receiver's config and keep their
 * secrets to themselves: nothing they throw or return may contain a token, URL or key.
 */
export interface Channel<R = unknown> {
  readonly type: string;
  /** The receiver's name, for logs and metrics. */
  readonly name: string;
  render(n: Notification): R;
  send(rendered: R, opts: { signal: AbortSignal }): Promise<SendResult>;
  /** Checks the credentials and reachability without sending an alert (`klaxon test-channel`). */
  verify?(): Promise<void>;
  close?(): Promise<void>;
}

export interface SendResult {
  /** The service's id for what was sent, when it gives one. */
  remoteId?: string;
}

/**
 * A failed send. `retryable` says whether trying again can help; `retryAfterMs` is the wait the
 * service asked for (429 retry-after), when it asked. The message must be safe to log.
 */
export class SendError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | string | undefined;

  constructor(
    message: string,
    opts: { retryable: boolean; retryAfterMs?: number; status?: number | string },
  ) {
    super(message);
    this.name = 'SendError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
    this.status = opts.status;
  }
}
