/**
 * When to try a push again, and how long to wait: pure functions (the randomness is a parameter),
 * so the schedule is tested without sleeping.
 */

export interface RetryOptions {
  /** Tries per batch, the first one included (default 8). */
  attempts: number;
  /** The wait before the first retry, before jitter (default 500 ms); it doubles at each retry. */
  baseDelayMs: number;
  /** The longest wait between two tries, before jitter (default 30 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * A `Retry-After` longer than this is taken as this (a misconfigured proxy must not stall a bot
 * for hours); the Python client's `MAX_RETRY_AFTER` is the same 600 s.
 */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * The wait before retry number `retry` (1 is the first retry): `baseDelayMs * 2^(retry-1)`, at most
 * `maxDelayMs`, then a random point in its upper half ("equal jitter": bots that lost Klaxon at the
 * same moment do not come back at the same moment, and no wait is shorter than half the step).
 */
export function backoffDelay(retry: number, opts: RetryOptions, random: () => number = Math.random): number {
  // The exponent is capped so that a base of 0 gives 0, not 0 * Infinity.
  const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(64, Math.max(0, retry - 1)));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(step / 2 + (r * step) / 2);
}

/**
 * The wait before retry number `retry`: the backoff, but never less than what the server asked
 * for with `Retry-After` (`retryAfterMs`, from `parseRetryAfter`).
 */
export function retryDelay(
  retry: number,
  opts: RetryOptions,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  return Math.max(backoffDelay(retry, opts, random), retryAfterMs ?? 0);
}

/** The waits between the tries of one batch that never gets through: `attempts - 1` of them. */
export function backoffSchedule(opts: RetryOptions, random: () => number = Math.random): number[] {
  return Array.from({ length: Math.max(0, opts.attempts - 1) }, (_, i) => backoffDelay(i + 1, opts, random));
}

/**
 * A `Retry-After` header in ms: delay-seconds (`5`, also `1.5`) or an HTTP-date, relative to
 * `now`. Undefined when absent or unreadable; never negative, at most `maxMs`. The one reader of
 * the header: the server's channels use it too (src/channels/http-classify.ts, with their own
 * cap), as this folder, which `klaxon/client` ships to bots, imports no server code.
 */
export function readRetryAfter(
  value: string | null | undefined,
  now: number,
  maxMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(v)) return Math.min(Math.round(Number(v) * 1000), maxMs);
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads); a
  // value without a letter is not one ("-5" would be read as a year).
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), maxMs);
}

/**
 * The wait a `Retry-After` asks of a bot: at most `MAX_RETRY_AFTER_MS`. Honoured on every answer
 * `classifyStatus` retries (408, 425, 429, 5xx), as by the Python client
 * (clients/python/klaxon_client/_client.py, `_retry_after`, capped at 600 s too).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  return readRetryAfter(value, now, MAX_RETRY_AFTER_MS);
}

/**
 * What to do with an answer: `ok` (accepted); `retry` (408, 425, 429, 5xx: Klaxon or the way to
 * it is busy, away or not ready, the same request may succeed later; the server's channels and
 * the Python client retry the same); `split` (413: the batch is too large, send it in halves);
 * `reject` (any other status: the request itself is wrong, sending it again would get the same
 * answer).
 */
export function classifyStatus(status: number): 'ok' | 'retry' | 'split' | 'reject' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  if (status === 413) return 'split';
  return 'reject';
}
