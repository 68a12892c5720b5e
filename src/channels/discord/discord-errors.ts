import { DiscordAPIError, HTTPError, RateLimitError, RESTJSONErrorCodes } from 'discord.js';
import { scrub, SendError } from '../channel.js';
import { errorCode, isRetryableStatus } from '../http-classify.js';

/**
 * Turning what discord.js throws into Klaxon's failure contract. Every error object of
 * `@discordjs/rest` carries the request URL (`url`, and `majorParameter` on a RateLimitError),
 * which holds the webhook token: nothing here copies an error object, its `cause` or its stack,
 * only status, code and Discord's own words, scrubbed.
 */

export interface ErrorContext {
  /** `discord receiver "ops"`: how messages start. */
  where: string;
  /** Everything that must never be shown: token, webhook URL. */
  secrets: readonly string[];
  /** The REST timeout, to say how long we waited. */
  timeoutMs: number;
  /** The caller's signal: when it aborted, the failure is ours, not Discord's. */
  signal: AbortSignal;
}

/** A Node or undici error code: discord.js's own errors carry codes of their own in `code`. */
const NETWORK_CODE = /^(?:E[A-Z0-9_]+|UND_ERR[A-Z0-9_]*)$/;

/** Hints for the codes that need a person to act (discord-api-types RESTJSONErrorCodes). */
const HINTS: Partial<Record<number, string>> = {
  [RESTJSONErrorCodes.UnknownWebhook]:
    'the webhook was deleted: create a new one and update webhook_url (do not keep using this one)',
  [RESTJSONErrorCodes.InvalidWebhookToken]: 'the token in webhook_url is wrong: copy the URL again',
  [RESTJSONErrorCodes.MissingPermissions]: 'the webhook may not post there (thread_id in another channel?)',
  [RESTJSONErrorCodes.InvalidFormBodyOrContentType]: 'Discord refused the message as sent',
};

export function toSendError(err: unknown, ctx: ErrorContext): SendError {
  const { where } = ctx;
  if (ctx.signal.aborted)
    return new SendError(`${where}: send aborted`, { retryable: true, status: 'aborted' });

  if (err instanceof RateLimitError) {
    // `retryAfter` is the Retry-After Discord sent (ms; our REST `offset` is 0); when a 429 came
    // without one, or the client held the request back itself, `timeToReset` says when the bucket refills.
    const wait = err.retryAfter > 0 ? err.retryAfter : err.timeToReset;
    const retryAfterMs = Number.isFinite(wait) && wait > 0 ? Math.ceil(wait) : undefined;
    // Discord's limit, whether Discord answered 429 or discord.js held the request back to keep
    // to it (50 requests a second in all; each webhook's bucket as Discord last reported it).
    const scope = err.global ? 'global' : err.scope;
    return new SendError(
      `${where}: rate limited (Discord's ${scope} limit)` +
        (retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : ''),
      { retryable: true, retryAfterMs, status: 429 },
    );
  }

  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : undefined;
    // The message is Discord's `message`, then one line per entry of its `errors` tree
    // (`embeds[0].description[BASE_TYPE_MAX_LENGTH]: Must be 4096 or fewer in length.`).
    const text = scrub(err.message, ctx.secrets).split('\n').join('; ');
    const hint = code !== undefined ? HINTS[code] : undefined;
    const what = code !== undefined && code !== 0 ? `Discord error ${code}: ${text}` : `Discord: ${text}`;
    return new SendError(`${where}: HTTP ${err.status} ${what}${hint ? ` (${hint})` : ''}`, {
      retryable: isRetryableStatus(err.status),
      status: err.status,
    });
  }

  if (err instanceof HTTPError) {
    return new SendError(`${where}: HTTP ${err.status} ${scrub(err.message, ctx.secrets)}`.trimEnd(), {
      retryable: isRetryableStatus(err.status),
      status: err.status,
    });
  }

  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') {
    // Not our signal: the REST layer's own timeout fired.
    return new SendError(`${where}: no answer from Discord within ${ctx.timeoutMs} ms`, {
      retryable: true,
      status: 'timeout',
    });
  }

  const code = errorCode(err, NETWORK_CODE);
  if (code !== undefined) {
    // Only the code: undici's messages quote the address and sometimes the path.
    return new SendError(`${where}: network error (${code})`, { retryable: true, status: code });
  }

  // Anything else (a library error we did not foresee): its name and scrubbed message.
  const message = err instanceof Error ? scrub(err.message, ctx.secrets) : 'unknown error';
  return new SendError(`${where}: ${typeof name === 'string' ? name : 'Error'}: ${message}`, {
    retryable: true,
    status: 'error',
  });
}
