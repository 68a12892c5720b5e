import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY,
  MAX_RETRY_AFTER_MS,
  backoffDelay,
  backoffSchedule,
  classifyStatus,
  parseRetryAfter,
  retryDelay,
} from '../../src/client/retry.js';

const half = () => 0.5;

describe('backoff schedule', () => {
  it('doubles from baseDelayMs up to maxDelayMs, jittered into the upper half of each step', () => {
    expect(backoffSchedule(DEFAULT_RETRY, () => 0)).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000]);
    expect(backoffSchedule(DEFAULT_RETRY, half)).toEqual([375, 750, 1500, 3000, 6000, 12_000, 22_500]);
    expect(backoffSchedule(DEFAULT_RETRY, () => 0.999_999)).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000,
    ]);
    expect(backoffSchedule({ attempts: 1, baseDelayMs: 100, maxDelayMs: 1000 })).toEqual([]);
  });

  it('stays within [step/2, step] and never above maxDelayMs, for any retry number and randomness', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        (retry, r, base, max) => {
          const opts = { attempts: 10, baseDelayMs: base, maxDelayMs: max };
          const step = base === 0 ? 0 : Math.min(max, base * 2 ** (retry - 1));
          const d = backoffDelay(retry, opts, () => r);
          expect(Number.isFinite(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(Math.floor(step / 2));
          expect(d).toBeLessThanOrEqual(Math.ceil(step));
          expect(d).toBeLessThanOrEqual(Math.max(max, 0));
        },
      ),
    );
  });

  it('spreads bots that failed together: different randomness, different waits', () => {
    const waits = [0, 0.25, 0.5, 0.75].map((r) => backoffDelay(4, DEFAULT_RETRY, () => r));
    expect(new Set(waits).size).toBe(4);
  });

  it('waits at least what Retry-After asked for', () => {
    expect(retryDelay(1, DEFAULT_RETRY, 5000, half)).toBe(5000);
    expect(retryDelay(7, DEFAULT_RETRY, 5000, half)).toBe(22_500);
    expect(retryDelay(1, DEFAULT_RETRY, undefined, half)).toBe(375);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read and caps what is absurd', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('which answers are retried', () => {
  it('retries 5xx, 408 and 429, splits on 413, never retries other 4xx', () => {
    const table = Object.fromEntries(
      [200, 202, 301, 400, 401, 403, 404, 408, 409, 413, 415, 429, 500, 502, 503, 504].map((s) => [
        s,
        classifyStatus(s),
      ]),
    );
    expect(table).toEqual({
      200: 'ok',
      202: 'ok',
      301: 'reject',
      400: 'reject',
      401: 'reject',
      403: 'reject',
      404: 'reject',
      408: 'retry',
      409: 'reject',
      413: 'split',
      415: 'reject',
      429: 'retry',
      500: 'retry',
      502: 'retry',
      503: 'retry',
      504: 'retry',
    });
  });
});
