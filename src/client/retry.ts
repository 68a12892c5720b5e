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

/** A `Retry-After` longer than this is taken as this (a misconfigured proxy must not stall a bot for hours). */
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
 * A `Retry-After` header in ms: delay-seconds (`5`) or an HTTP date, relative to `now`. Undefined
 * when absent or unreadable; at most `MAX_RETRY_AFTER_MS`.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    // An HTTP date names its day and month ("Sat, 21 Nov 2026 10:00:30 GMT"); Date.parse would
    // read "-5" as a year.
    if (!/[A-Za-z]{3}/.test(v)) return undefined;
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}

/**
 * What to do with an answer: `ok` (accepted); `retry` (408, 429, 5xx: Klaxon or the way to it is
 * busy or away, the same request may succeed later); `split` (413: the batch is too large, send it
 * in halves); `reject` (any other status: the request itself is wrong, sending it again would get
 * the same answer).
 */
export function classifyStatus(status: number): 'ok' | 'retry' | 'split' | 'reject' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 413) return 'split';
  return 'reject';
}
