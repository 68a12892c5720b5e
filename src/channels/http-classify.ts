/**
 * HTTP answer classification shared by the channels that speak HTTP (and the scraper's error
 * codes). A failure is retryable when waiting can help (the server is busy, down, or asked us to
 * slow down) and permanent when the request itself is wrong or not allowed (fix the config or the
 * payload first).
 */
import { readRetryAfter } from '../client/retry.js';

/** Statuses worth another try: timeout, too early, too many requests, and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * The code of a network error (`ECONNREFUSED`, `ETIMEDOUT`, `UND_ERR_SOCKET`…), looked for along
 * its cause chain (client libraries wrap the system's error) as `code` or `errno`. Only the code,
 * never the message: a client's message may quote the URL and the credentials in it. `pattern`:
 * which codes count, where a library's own errors use the same field.
 */
export function errorCode(err: unknown, pattern = /^[A-Z0-9_]+$/): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    for (const k of ['code', 'errno'] as const) {
      const v = (e as Record<string, unknown>)[k];
      if (typeof v === 'string' && pattern.test(v)) return v;
    }
  }
  return undefined;
}

/** Longest wait we accept from a server, so a bogus header cannot park a job for a year. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Reads a `Retry-After` value (delay-seconds or an HTTP-date, relative to `now`, in ms) with the
 * channels' cap, MAX_RETRY_AFTER_MS: the bot client's reader (src/client/retry.ts), one for both.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  return readRetryAfter(value, now, MAX_RETRY_AFTER_MS);
}
