import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR_TYPES, createDetector } from '../../src/detectors/anomaly/index.js';

const PREFIX = `klaxon-test-detectors-${process.pid}:`;

/** A reproducible series with noise, a level shift, spikes, zeros and a flat stretch. */
function series(n: number): number[] {
  let seed = 42;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = 50 + 10 * Math.sin(i / 20) + 5 * rnd();
    if (i > n / 2) v += 30;
    if (i % 97 === 0) v *= 3;
    if (i > 200 && i < 230) v = 0;
    out.push(v);
  }
  return out;
}

describe('detector state survives a Redis round trip', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: false });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  for (const type of DETECTOR_TYPES) {
    for (const opts of [{}, { diff: true, log: true, direction: 'up' as const }]) {
      it(`${type} ${JSON.stringify(opts)}`, async () => {
        const d = createDetector({ type, ...opts });
        const xs = series(1500);
        const straight = d.init();
        const expected = xs.map((x, i) => d.step(straight, x, i * 60_000));
        expect(expected.some((s) => s > 0)).toBe(true);

        const got: number[] = [];
        let state = d.init();
        const key = `${PREFIX}${type}:${opts.diff ? 'tf' : 'plain'}`;
        for (let b = 0; b < xs.length; b += 250) {
          for (let i = b; i < Math.min(xs.length, b + 250); i++) {
            got.push(d.step(state, xs[i] as number, i * 60_000));
          }
          await redis.set(key, JSON.stringify(state));
          const back = await redis.get(key);
          expect(back).not.toBeNull();
          state = JSON.parse(back as string);
        }
        expect(got).toEqual(expected);
        for (const s of got) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
        }
      });
    }
  }
});
