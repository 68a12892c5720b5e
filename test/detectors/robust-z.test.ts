import { medianAbsoluteDeviation, median } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { createRobustZ, sortedMad, sortedMedian } from '../../src/detectors/anomaly/robust-z.js';

const sc = (z: number) => z / (1 + z);

function run(d: ReturnType<typeof createRobustZ>, xs: number[]): number[] {
  const s = d.init();
  return xs.map((x, i) => d.step(s, x, i));
}

describe('robust_z', () => {
  it('uses the median and 1.4826 x MAD of the earlier samples', () => {
    const d = createRobustZ({ window: 5, warmup: 5 });
    // [1,2,3,4,100]: median 3, |dev| [2,1,0,1,97] -> MAD 1 -> z = 7 / 1.4826
    const s = run(d, [1, 2, 3, 4, 100, 10]);
    expect(s.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(s[5]).toBeCloseTo(sc(7 / 1.4826), 12);
    // Even window [1,2,3,4]: median 2.5, MAD (0.5 + 1.5) / 2 = 1 -> z = 3.5 / 1.4826
    const e = createRobustZ({ window: 4, warmup: 4 });
    expect(run(e, [1, 2, 3, 4, 6])[4]).toBeCloseTo(sc(3.5 / 1.4826), 12);
  });

  it('matches simple-statistics on random windows', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let n = 3; n < 60; n++) {
      const a = Array.from({ length: n }, () => Math.round(rnd() * 20));
      const sorted = [...a].sort((x, y) => x - y);
      const m = sortedMedian(sorted);
      expect(m).toBe(median(a));
      expect(sortedMad(sorted, m)).toBeCloseTo(medianAbsoluteDeviation(a), 12);
    }
  });

  it('falls back to the sd when MAD is 0, then to the flat policy', () => {
    const d = createRobustZ({ window: 5, warmup: 5 });
    // [5,5,5,5,9]: MAD 0, sd = sqrt(3.2) -> z = 4 / 1.788854
    expect(run(d, [5, 5, 5, 5, 9, 9])[5]).toBeCloseTo(sc(4 / Math.sqrt(3.2)), 12);
    expect(run(d, [0, 0, 0, 0, 0, 0])[5]).toBe(0);
    expect(run(d, [5, 5, 5, 5, 5, 0])[5]).toBe(1);
  });

  it('is not moved by the sample itself, nor much by earlier outliers', () => {
    const d = createRobustZ({ window: 10, warmup: 6 });
    const base = [10, 11, 10, 11, 10, 11, 10, 11];
    const a = run(d, [...base, 1000, 12]);
    const b = run(d, [...base, 10, 12]);
    expect(a.slice(0, 8)).toEqual(b.slice(0, 8));
    expect(a[8]).toBeGreaterThan(0.99);
    // With the outlier in the window: [10,11,10,11,10,11,10,11,1000] -> median 11, MAD 1, so the
    // spread is not inflated by the outlier: z(12) = 1 / 1.4826.
    expect(a[9]).toBeCloseTo(sc(1 / 1.4826), 12);
  });

  it('honours direction and window eviction', () => {
    const base = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(run(createRobustZ({ window: 8, warmup: 8, direction: 'up' }), [...base, -50])[8]).toBe(0);
    expect(
      run(createRobustZ({ window: 8, warmup: 8, direction: 'down' }), [...base, -50])[8],
    ).toBeGreaterThan(0.9);
    // window 3 after [100, 1, 2, 3]: [1,2,3] median 2, MAD 1 -> x = 5: z = 3 / 1.4826
    expect(run(createRobustZ({ window: 3, warmup: 3 }), [100, 1, 2, 3, 5])[4]).toBeCloseTo(
      sc(3 / 1.4826),
      12,
    );
  });
});
