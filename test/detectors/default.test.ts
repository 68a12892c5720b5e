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

  it('scales breakouts by how much of the memory is filled', () => {
    // Same series, same spike: after 500 of 1000 samples the breakout counts half.
    const run = (n: number) => {
      const d = createDefault({ window: 1000, shortWindow: 5, warmup: 10, cooldown: 0 });
      const s = d.init();
      const bv = initBreakout();
      for (let i = 0; i < n; i++) {
        d.step(s, pattern(i), i);
        breakoutStep(bv, pattern(i), 1000, 10, true, true);
      }
      const raw = breakoutStep(bv, 40, 1000, 10, true, true); // value view; 40 is far above 15.4
      return { score: d.step(s, 40, n), raw };
    };
    const half = run(500);
    const full = run(1200);
    // 40 vs a max of 15.4 in a range of ~10: e ~ 2.4 (the value view dominates the 5-sample mean).
    expect(half.raw).toBeGreaterThan(2);
    expect(half.score).toBeCloseTo(deviationToScore(1 + half.raw * 0.5), 12);
    expect(full.score).toBeCloseTo(deviationToScore(1 + full.raw), 12);
    // A breakout of 3 % of the range alerts once the memory is full but not after 10 % of it.
    const small = (n: number) => {
      const d = createDefault({ window: 1000, shortWindow: 5, warmup: 10, cooldown: 0 });
      const s = d.init();
      let hi = -Infinity;
      let lo = Infinity;
      for (let i = 0; i < n; i++) {
        const x = pattern(i);
        hi = Math.max(hi, x);
        lo = Math.min(lo, x);
        d.step(s, x, i);
      }
      return d.step(s, hi + 0.03 * (hi - lo), n) >= d.alertScore();
    };
    expect(small(100)).toBe(false);
    expect(small(1500)).toBe(true);
  });

  it('fires on a day that departs from the day before (by timestamps) within the usual range', () => {
    // Five-minute samples of a daily cycle; on day 12 the afternoon peak stays at the morning
    // level: no new high or low, no unusual level over 20 samples for long, but far from the
    // same time the day before.
    const FIVE_MIN = 300_000;
    const day = (i: number) => {
      const h = (i % 288) / 288;
      const cycle = 10 + 8 * Math.sin(2 * Math.PI * h);
      return cycle + ((i * 7919) % 13) / 26;
    };
    const missing = (i: number) => (i >= 288 * 12 + 40 && i < 288 * 12 + 110 ? 10 : day(i));
    const run = (withTime: boolean) => {
      const d = createDefault({ window: 2000, warmup: 100 });
      const s = d.init();
      let first = -1;
      for (let i = 0; i < 288 * 13; i++) {
        const score = d.step(s, missing(i), withTime ? i * FIVE_MIN : i);
        if (score >= d.alertScore() && i >= 288 * 3 && first < 0) first = i;
      }
      return first;
    };
    const fired = run(true);
    expect(fired).toBeGreaterThanOrEqual(288 * 12 + 40);
    expect(fired).toBeLessThan(288 * 12 + 60);
    // Without timestamps a day cannot be told: views 1-3 alone do not fire (the level view only
    // later, if at all).
    const blind = run(false);
    expect(blind < 0 || blind > fired).toBe(true);
  });

  it('ignores the day-before view on a series without a daily cycle', () => {
    // White noise: the difference to the day before spans more than the values do, so view 4
    // never counts; scores equal a run without timestamps.
    let seed = 7;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const xs = Array.from({ length: 288 * 6 }, () => 50 + 10 * rnd());
    const a = createDefault({ window: 1000, warmup: 100 });
    const sa = a.init();
    const b = createDefault({ window: 1000, warmup: 100 });
    const sb = b.init();
    const withTime = xs.map((x, i) => a.step(sa, x, i * 300_000));
    const without = xs.map((x) => b.step(sb, x, Number.NaN));
    expect(sa.hasRef).toBe(1);
    expect(withTime).toEqual(without);
  });

  it('lets a repeat through once the falling cool-down bar is below it', () => {
    const setup = () => {
      const d = createDefault({ window: 1000, shortWindow: 5, warmup: 100, cooldown: 100 });
      const s = d.init();
      for (let i = 0; i < 300; i++) d.step(s, pattern(i), i);
      expect(d.step(s, 25, 300)).toBeGreaterThan(d.alertScore()); // e ~ 0.96 (range ~ 10)
      return { d, s };
    };
    // A repeat with half the first breakout (28 vs max 25, range ~ 15: e ~ 0.2): damped 20
    // samples later (bar 0.96 x 80 / 101), through 90 samples later (bar 0.96 x 11 / 101).
    const early = setup();
    for (let i = 301; i < 320; i++) early.d.step(early.s, pattern(i), i);
    expect(early.d.step(early.s, 28, 320)).toBeLessThan(0.5);
    const late = setup();
    for (let i = 301; i < 390; i++) late.d.step(late.s, pattern(i), i);
    expect(late.d.step(late.s, 28, 390)).toBeGreaterThan(late.d.alertScore());
  });

  it('keeps a small state for a series with more than window samples a day', () => {
    const d = createDefault({ window: 500 });
    const s = d.init();
    for (let i = 0; i < 2000; i++) d.step(s, pattern(i), 1_700_000_000_000 + i * 1000);
    expect(s.dayOff).toBe(1);
    expect(s.dayT).toEqual([]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('keeps no day of samples for a series faster than one a minute, and keeps one for a slower one', () => {
    const d = createDefault();
    const fast = d.init();
    for (let i = 0; i < 3000; i++) d.step(fast, pattern(i), 1_700_000_000_000 + i * 10_000);
    expect(fast.dayOff).toBe(1);
    expect(JSON.stringify(fast).length).toBeLessThan(20_000);
    const minutely = d.init();
    for (let i = 0; i < 3000; i++) d.step(minutely, pattern(i), 1_700_000_000_000 + i * 60_000);
    expect(minutely.dayOff).toBe(0);
    expect(minutely.dayLen).toBe(1440);
  });

  it('continues a state saved before the day-before view existed', () => {
    const d = createDefault({ window: 1000, warmup: 10 });
    const s = d.init();
    for (let i = 0; i < 50; i++) d.step(s, pattern(i), i * 300_000);
    const old = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
    for (const k of ['dayOff', 'dayT', 'dayV', 'dayHead', 'dayLen', 'hasRef', 'refT', 'refV', 'daily']) {
      delete old[k];
    }
    const restored = old as unknown as typeof s;
    for (let i = 50; i < 400; i++)
      expect(Number.isFinite(d.step(restored, pattern(i), i * 300_000))).toBe(true);
    expect(restored.hasRef).toBe(1);
  });

  it('has the documented defaults', () => {
    const d = createDefault();
    expect(d.alertScore()).toBeCloseTo(1.009 / 2.009, 15);
    expect(d.alertScore(0)).toBe(0.5);
    const s = d.init();
    for (let i = 0; i < 150; i++) expect(d.step(s, i % 2 ? 1e6 : 0, i)).toBe(0);
    // The 20-sample mean of 0, 1e6, 0, ... is flat at 5e5, so 2e6 breaks out of a flat window
    // (1e9 window ranges), scaled by the fill 150 / 8064.
    expect(d.step(s, 2e6, 150)).toBeCloseTo(deviationToScore(1 + (1e9 * 150) / 8064), 15);
  });
});
