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
// Tests only: the client itself never imports server code (package.test.ts).
import * as server from '../../src/channels/http-classify.js';

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
  it('caps at 10 minutes, in seconds or as a date, as the Python client does (600 s)', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(600_000);
    expect(parseRetryAfter('600', now)).toBe(600_000);
    expect(parseRetryAfter('599.5', now)).toBe(599_500);
    expect(parseRetryAfter('601', now)).toBe(600_000);
    expect(parseRetryAfter('1' + '0'.repeat(400), now)).toBe(600_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:10:00 GMT', now)).toBe(600_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:00 GMT', now)).toBe(600_000);
  });

  // The client keeps a copy of the server's parser (it may not import server code): the copy must
  // read every value as the server's does, only capped at 10 minutes instead of 24 hours.
  const serverCapped = (v: string | null | undefined, at: number) => {
    const ms = server.parseRetryAfter(v, at);
    return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
  };
  it('reads every value as the server’s parseRetryAfter does, up to the cap', () => {
    const values = [
      null,
      undefined,
      '',
      '  ',
      '0',
      '5',
      ' 5 ',
      '1.5',
      '5.',
      '.5',
      '-5',
      '+5',
      '1e3',
      '0x10',
      '5s',
      'soon',
      'Infinity',
      '599',
      '86400',
      '100000',
      'Sat, 21 Nov 2026 10:00:30 GMT',
      'Sat, 21 Nov 2026 10:20:00 GMT',
      'Sat, 21 Nov 2026 09:00:00 GMT',
      'Sat, 21 Nov 2026 11:00:30 +0100',
      'Saturday, 21-Nov-26 10:00:30 GMT',
      'Sat Nov 21 10:00:30 2026',
      '2026-11-21T10:00:30Z',
    ];
    for (const v of values) expect(parseRetryAfter(v, now), String(v)).toBe(serverCapped(v, now));
  });
  it('agrees with the server’s parser on any string and any clock', () => {
    // HTTP dates, and other dates Date.parse reads (ISO 8601, the local string form).
    const dates = fc
      .tuple(
        fc.integer({ min: now - 86_400_000 * 3, max: now + 86_400_000 * 3 }),
        fc.constantFrom(
          (d: Date) => d.toUTCString(),
          (d: Date) => d.toISOString(),
          (d: Date) => d.toString(),
        ),
      )
      .map(([t, form]) => form(new Date(t)));
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^\s*\d{1,7}(\.\d{1,3})?\s*$/), dates),
        fc.integer({ min: now - 86_400_000, max: now + 86_400_000 }),
        (v, at) => {
          expect(parseRetryAfter(v, at)).toBe(serverCapped(v, at));
        },
      ),
    );
  });
});

describe('which answers are retried', () => {
  it('retries 5xx, 408, 425 and 429, splits on 413, never retries other 4xx', () => {
    const table = Object.fromEntries(
      [200, 202, 301, 400, 401, 403, 404, 408, 409, 413, 415, 425, 429, 500, 502, 503, 504].map((s) => [
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
      425: 'retry',
      429: 'retry',
      500: 'retry',
      502: 'retry',
      503: 'retry',
      504: 'retry',
    });
  });

  it('retries exactly what the server’s isRetryableStatus retries, from 100 to 599', () => {
    for (let s = 100; s <= 599; s++)
      expect(classifyStatus(s) === 'retry', String(s)).toBe(server.isRetryableStatus(s));
  });
});
