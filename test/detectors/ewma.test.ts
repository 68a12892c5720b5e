import { describe, expect, it } from 'vitest';
import { createEwma } from '../../src/detectors/anomaly/ewma.js';

const sc = (z: number) => z / (1 + z);
function run(d: ReturnType<typeof createEwma>, xs: number[]): number[] {
  const s = d.init();
  return xs.map((x, i) => d.step(s, x, i));
}

describe('ewma', () => {
  it('follows the EWMA recurrences, scoring before updating', () => {
    const d = createEwma({ alpha: 0.5, warmup: 2 });
    // 0: m = 0. 2: (warm-up) d = 2, m = 1, v = 0.5 * (0 + 2 * 1) = 1.
    // 4: z = 3 -> 0.75; then d = 3, m = 2.5, v = 0.5 * (1 + 3 * 1.5) = 2.75.
    // 0: z = -2.5 / sqrt(2.75).
    const s = run(d, [0, 2, 4, 0]);
    expect(s[0]).toBe(0);
    expect(s[1]).toBe(0);
    expect(s[2]).toBeCloseTo(0.75, 12);
    expect(s[3]).toBeCloseTo(sc(2.5 / Math.sqrt(2.75)), 12);
  });

  it('derives alpha from window and honours direction and zero', () => {
    const st = createEwma({ window: 3, warmup: 2 }).init();
    expect(st).toEqual({ tf: { has: 0, prev: 0 }, n: 0, m: 0, v: 0 });
    const up = createEwma({ window: 3, warmup: 2, direction: 'up' });
    expect(run(up, [0, 2, -10])[2]).toBe(0);
    const zeros = createEwma({ warmup: 5 });
    expect(run(zeros, Array<number>(40).fill(0)).every((x) => x === 0)).toBe(true);
    expect(run(zeros, [...Array<number>(40).fill(5), 0])[40]).toBe(1);
  });

  it('returns 0 during warm-up (default 30)', () => {
    const d = createEwma();
    const s = run(
      d,
      Array.from({ length: 40 }, (_, i) => (i === 20 ? 1000 : i % 3)),
    );
    expect(s.slice(0, 30).every((x) => x === 0)).toBe(true);
  });
});
