import { describe, expect, it } from 'vitest';
import { deviationToScore } from '../../src/detectors/anomaly/common.js';
import { createDefault } from '../../src/detectors/anomaly/default.js';
import { breakoutStep, initBreakout } from '../../src/detectors/anomaly/range.js';

/** A repeating daily-like pattern with no breakouts once learnt. */
const pattern = (i: number) => 10 + 5 * Math.sin((2 * Math.PI * i) / 50) + ((i * 7) % 5) / 10;

describe('default detector', () => {
  it('scores the largest breakout of value, moving average and activity', () => {
    const opts = { window: 200, shortWindow: 5, warmup: 100, cooldown: 0 };
    const d = createDefault(opts);
    const s = d.init();
    const xs = Array.from({ length: 300 }, (_, i) => pattern(i));
    xs.push(30); // a spike: new high of the value and of the moving average
    const scores = xs.map((x, i) => d.step(s, x, i));
    expect(scores.slice(0, 300).filter((x) => x >= d.alertScore()).length).toBeLessThan(3);
    // Independent computation of the two breakouts.
    const bv = initBreakout();
    const bl = initBreakout();
    let ev = -1;
    let el = -1;
    for (let i = 0; i < xs.length; i++) {
      ev = breakoutStep(bv, xs[i] as number, 200, 100, true, true);
      if (i >= 5) {
        const avg = xs.slice(i - 4, i + 1).reduce((a, b) => a + b, 0) / 5;
        el = breakoutStep(bl, avg, 200, 95, true, true);
      }
    }
    expect(ev).toBeGreaterThan(0);
    expect(scores[300]).toBeCloseTo(deviationToScore(1 + Math.max(ev, el)), 12);
    expect(scores[300]).toBeGreaterThan(d.alertScore());
  });

  it('fires on a flat line (activity drops below anything seen)', () => {
    const d = createDefault({ window: 500, shortWindow: 10, warmup: 100 });
    const s = d.init();
    let fired = -1;
    for (let i = 0; i < 400; i++) {
      const x = i < 300 ? pattern(i) : 12;
      if (d.step(s, x, i) >= d.alertScore() && i >= 300 && fired < 0) fired = i;
    }
    expect(fired).toBeGreaterThanOrEqual(300);
    expect(fired).toBeLessThan(312);
  });

  it('damps weaker repeats during the cool-down but lets bigger ones through', () => {
    const d = createDefault({ window: 1000, shortWindow: 5, warmup: 100, cooldown: 50 });
    const s = d.init();
    for (let i = 0; i < 300; i++) d.step(s, pattern(i), i);
    const first = d.step(s, 100, 300);
    expect(first).toBeGreaterThan(d.alertScore());
    for (let i = 301; i < 310; i++) d.step(s, pattern(i), i);
    const weaker = d.step(s, 101, 310); // tiny new high, inside the cool-down: damped
    expect(weaker).toBeLessThan(d.alertScore(0));
    const bigger = d.step(s, 1e6, 311);
    expect(bigger).toBeGreaterThan(first);
    for (let i = 312; i < 400; i++) d.step(s, pattern(i), i);
    const later = d.step(s, 1.1e6, 400); // after the cool-down: fires again
    expect(later).toBeGreaterThan(d.alertScore());
  });

  it('has the documented defaults', () => {
    const d = createDefault();
    expect(d.alertScore()).toBeCloseTo(1.02 / 2.02, 15);
    expect(d.alertScore(0)).toBe(0.5);
    const s = d.init();
    for (let i = 0; i < 300; i++) expect(d.step(s, i % 2 ? 1e6 : 0, i)).toBe(0);
  });
});
