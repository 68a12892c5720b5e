/**
 * HTTP answer classification shared by the channels that speak HTTP (and the scraper's error
 * codes). A failure is retryable when
 * waiting can help (the server is busy, down, or asked us to slow down) and permanent when the
 * request itself is wrong or not allowed (fix the config or the payload first).
 */

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
 * Reads a `Retry-After` value: delay-seconds (`"120"`, also `"1.5"`) or an HTTP-date, relative to
 * `now` (ms). Returns milliseconds (never negative, at most MAX_RETRY_AFTER_MS), or undefined
 * when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(v)) {
    return Math.min(Math.round(Number(v) * 1000), MAX_RETRY_AFTER_MS);
  }
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads).
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
