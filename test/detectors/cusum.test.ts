import { describe, expect, it } from 'vitest';
import { createCusum } from '../../src/detectors/anomaly/cusum.js';

describe('cusum', () => {
  it('accumulates standardised excess over the drift and resets at h', () => {
    // window 3 -> alpha 0.5; after [0, 2]: m = 1, v = 1 (as for ewma).
    const d = createCusum({ window: 3, warmup: 2, drift: 0.5, threshold: 5 });
    const s = d.init();
    expect(d.step(s, 0, 0)).toBe(0);
    expect(d.step(s, 2, 1)).toBe(0);
    // 4: u = 3 -> S+ = 2.5 -> 2.5 / 3.5
    expect(d.step(s, 4, 2)).toBeCloseTo(2.5 / 3.5, 12);
    expect(s.pos).toBeCloseTo(2.5, 12);
    // m = 2.5, v = 2.75: u = 4 -> S+ = 6 >= 5 -> 6 / 7, then reset.
    expect(d.step(s, 2.5 + 4 * Math.sqrt(2.75), 3)).toBeCloseTo(6 / 7, 12);
    expect(s.pos).toBe(0);
    expect(d.alertScore()).toBeCloseTo(5 / 6, 12);
  });

  it('detects a small persistent shift a z-score misses', () => {
    const d = createCusum({ direction: 'up', threshold: 10 });
    const s = d.init();
    let seed = 3;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
    let maxBefore = 0;
    for (let i = 0; i < 500; i++) maxBefore = Math.max(maxBefore, d.step(s, noise(), i));
    let fired = -1;
    for (let i = 0; i < 100 && fired < 0; i++)
      if (d.step(s, 1 + noise(), 500 + i) >= d.alertScore()) fired = i;
    expect(maxBefore).toBeLessThan(d.alertScore());
    expect(fired).toBeGreaterThanOrEqual(0);
    expect(fired).toBeLessThan(20);
  });
});
