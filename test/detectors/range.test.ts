import { describe, expect, it } from 'vitest';
import { breakoutStep, createRange, initBreakout } from '../../src/detectors/anomaly/range.js';

function run(d: ReturnType<typeof createRange>, xs: number[]): number[] {
  const s = d.init();
  return xs.map((x, i) => d.step(s, x, i));
}

describe('range', () => {
  it('scores breakouts in units of the window range', () => {
    const d = createRange({ window: 3 });
    // [1,5,3] then 7: e = (7 - 5) / 4 = 0.5 -> 0.5 + 0.5 * (0.5 / 1.5)
    // [5,3,7] then 6: inside -> 0; [3,7,6] then 2: e = 1 / 4 -> 0.5 + 0.5 * 0.2
    const s = run(d, [1, 5, 3, 7, 6, 2]);
    expect(s.slice(0, 3)).toEqual([0, 0, 0]);
    expect(s[3]).toBeCloseTo(0.5 + 0.5 / 3, 12);
    expect(s[4]).toBe(0);
    expect(s[5]).toBeCloseTo(0.6, 12);
    expect(d.alertScore()).toBe(0.5);
    expect(d.alertScore(1)).toBe(0.75);
  });

  it('forgets extremes that left the window', () => {
    const d = createRange({ window: 3 });
    // window [1,2,3] (10 dropped out): 4 is a breakout by 1/2 range.
    expect(run(d, [10, 1, 2, 3, 4])[4]).toBeCloseTo(0.5 + 0.5 / 3, 12);
  });

  it('matches a brute-force max and min over long monotone runs, and continues a state saved without heads and ends', () => {
    // Long rising and falling runs make the deques long, so their heads move and they compact.
    const xs = Array.from({ length: 3000 }, (_, i) => Math.round(100 * Math.sin(i / 150)) + (i % 7));
    const window = 200;
    const brute = (i: number): number => {
      if (i === 0) return -1;
      const w = xs.slice(Math.max(0, i - window), i);
      const hi = Math.max(...w);
      const lo = Math.min(...w);
      const v = xs[i] as number;
      const span = hi - lo;
      if (v > hi) return span > 0 ? (v - hi) / span : 1e9;
      if (v < lo) return span > 0 ? (lo - v) / span : 1e9;
      return -1;
    };
    let s = initBreakout();
    xs.forEach((v, i) => {
      if (i === 1500) {
        // As stored before heads and ends existed: the deques alone, nothing before or after.
        const { maxH = 0, minH = 0, maxE, minE, ...old } = JSON.parse(JSON.stringify(s)) as typeof s;
        s = {
          ...old,
          maxI: old.maxI.slice(maxH, maxE),
          maxV: old.maxV.slice(maxH, maxE),
          minI: old.minI.slice(minH, minE),
          minV: old.minV.slice(minH, minE),
        };
      }
      expect(breakoutStep(s, v, window, 0, true, true)).toBeCloseTo(brute(i), 12);
      expect(s.maxI.length).toBeLessThanOrEqual(2 * window + 64);
    });
  });

  it('handles flat windows, zero, and direction', () => {
    const d = createRange({ window: 4 });
    expect(run(d, [0, 0, 0, 0, 0])[4]).toBe(0);
    const spike = run(d, [5, 5, 5, 5, 0])[4] as number;
    expect(spike).toBeGreaterThan(0.99);
    expect(spike).toBeLessThan(1);
    expect(run(createRange({ window: 4, direction: 'up' }), [1, 2, 3, 4, 0])[4]).toBe(0);
    expect(run(createRange({ window: 4, direction: 'down' }), [1, 2, 3, 4, 9])[4]).toBe(0);
    expect(run(createRange({ window: 4, direction: 'down' }), [1, 2, 3, 4, 0])[4]).toBeCloseTo(
      0.5 + 0.5 * 0.25,
      12,
    );
  });

  it('warms up over a full window by default', () => {
    const s = run(
      createRange({ window: 10 }),
      Array.from({ length: 11 }, (_, i) => i),
    );
    expect(s.slice(0, 10).every((x) => x === 0)).toBe(true);
    expect(s[10]).toBeGreaterThan(0.5);
  });
});
