import { describe, expect, it } from 'vitest';
import { createDetector, parseDetectorSpec } from '../../src/detectors/anomaly/index.js';
import { createRobustZ } from '../../src/detectors/anomaly/robust-z.js';
import { createZScore } from '../../src/detectors/anomaly/zscore.js';
import { foldResolution, flooredSpread, QUANTUM_SD } from '../../src/detectors/anomaly/common.js';
import { cappedKthLargest, toMetricUnit } from '../../src/detectors/anomaly/gate.js';
import { whyAnnotations } from '../../src/detectors/rules/anomaly.js';
import { brief, Harness, SEC, T0 } from '../unit/helpers.js';

const sc = (z: number) => z / (1 + z);

function run(d: { init(): unknown; step(s: unknown, x: number, t: number): number }, xs: number[]) {
  const s = d.init();
  return xs.map((x, i) => d.step(s, x, i));
}

describe('resolution floor (flat and quantised history)', () => {
  it('tracks the smallest non-zero step and floors the spread at its rounding sd', () => {
    expect(foldResolution(0, 5, 5)).toBe(0);
    expect(foldResolution(0, 5, 7)).toBe(2);
    expect(foldResolution(2, 7, 6)).toBe(1);
    expect(foldResolution(1, 6, 9)).toBe(1);
    expect(flooredSpread(0, 1)).toBeCloseTo(QUANTUM_SD, 15);
    expect(flooredSpread(5, 1)).toBe(5);
    expect(flooredSpread(0, 0)).toBe(0);
  });

  it('zscore: a one-quantum change after a flat stretch of a quantised series scores z = sqrt(12)', () => {
    const d = createZScore({ window: 20, warmup: 5 });
    // An integer series that once moved by 1, then stayed flat for a full window.
    const xs = [3, 4, ...Array<number>(20).fill(4), 5, 9];
    const s = run(d, xs);
    expect(s[22]).toBeCloseTo(sc(Math.sqrt(12)), 12);
    // The next value is scored against a window that is no longer flat: finite and ordered.
    expect(s[23]).toBeLessThan(1);
    expect(s[23]).toBeGreaterThan(s[22] as number);
  });

  it('zscore: a series that never changed keeps the flat-history rule', () => {
    const d = createZScore({ window: 20, warmup: 5 });
    const s = run(d, [...Array<number>(10).fill(4), 5]);
    expect(s[10]).toBe(1);
  });

  it('robust_z: ties at the median of a quantised window no longer give an infinite z', () => {
    const d = createRobustZ({ window: 10, warmup: 5 });
    // 0.5 steps; the window [1.5, 1, 1, 1, ...] has MAD 0 and a tiny sd after eviction.
    const s = run(d, [1.5, 1, ...Array<number>(10).fill(1), 1.5]);
    expect(s[12]).toBeCloseTo(sc(Math.sqrt(12)), 12);
    const st = d.init();
    for (const x of [2, 1, 1, 1, 1, 1]) d.step(st, x, 0);
    expect(JSON.parse(JSON.stringify(st))).toEqual(st);
    expect(st.q).toBe(1);
  });
});

describe('resolution floor: floating-point residue is not a step', () => {
  // A P&L total in cents, worked out as realized + unrealized: it sits at 0.30 while its split
  // changes, so it is 0.3 or 0.30000000000000004 (0.1 + 0.2), never anything in between.
  const splits: [number, number][] = [
    [0.1, 0.2],
    [0.15, 0.15],
    [0.07, 0.23],
    [0.12, 0.18],
  ];
  const flat = (n: number) =>
    Array.from({ length: n }, (_, i) => splits[i % splits.length]!.reduce((a, b) => a + b));
  // One cent up once, then a long quiet stretch at 0.30, then one cent up again.
  const cents = (last: number) => [0.29, ...flat(200), last];

  it('foldResolution ignores a change that is only rounding residue of the values', () => {
    expect(0.1 + 0.2 - 0.3).toBeGreaterThan(0);
    expect(foldResolution(0, 0.3, 0.1 + 0.2)).toBe(0);
    expect(foldResolution(0.01, 0.3, 0.1 + 0.2)).toBe(0.01);
    expect(foldResolution(0, 0.1, 1.1 - 1.0)).toBe(0);
    expect(foldResolution(0, -0.3, -(0.1 + 0.2))).toBe(0);
    // A real one-cent step on those values is still one.
    expect(foldResolution(0, 0.29, 0.1 + 0.2)).toBeCloseTo(0.01, 15);
  });

  it('foldResolution still finds a genuine tiny quantum', () => {
    // 1e-8 steps on values around 1 (1e-8 relative), 1e-3 ticks on values around 1e6 (1e-9).
    expect(foldResolution(0, 1, 1 + 1e-8) / 1e-8).toBeCloseTo(1, 6);
    expect(foldResolution(1e-6, 1 + 3e-8, 1 + 2e-8) / 1e-8).toBeCloseTo(1, 6);
    expect(foldResolution(0, 1e6, 1e6 + 1e-3) / 1e-3).toBeCloseTo(1, 6);
    expect(foldResolution(0, 1e-9, 2e-9)).toBe(1e-9);
    // ... and under diff, against the magnitude of the undifferenced values it passes as scale.
    expect(foldResolution(0, 0.01, 0.02, 10000)).toBeCloseTo(0.01, 12);
  });

  it('foldResolution: under diff, residue is measured against the undifferenced values', () => {
    // Diffs of a P&L around 10,000 quoted in cents: both are one cent, they differ by 1.8e-12.
    const a = Number('10000.05') - Number('10000.04');
    const b = Number('10000.06') - Number('10000.05');
    expect(Math.abs(a - b)).toBeGreaterThan(1e-12);
    expect(foldResolution(0, a, b, 10000.06)).toBe(0);
    expect(foldResolution(0.01, a, b, -10000.06)).toBe(0.01);
  });

  it('zscore: a one-cent step after a quiet stretch computed in floating point scores z = sqrt(12)', () => {
    const d = createZScore({ window: 20, warmup: 5 });
    const s = d.init();
    const xs = cents(0.31);
    const scores = xs.map((x, i) => d.step(s, x, i));
    expect(scores[xs.length - 1]).toBeCloseTo(sc(Math.sqrt(12)), 6);
    // The split changing while the total stays at 0.30 is not a move at all (once 0.29 has left
    // the window).
    expect(Math.max(...scores.slice(25, -1))).toBeLessThan(1e-9);
    // At a threshold of 4 sd, a one-cent move after the quiet stretch does not alert; two cents do.
    const t4 = createDetector({ type: 'zscore', window: 20, warmup: 5, threshold: 4 });
    expect(run(t4, cents(0.31)).at(-1)).toBeLessThan(t4.alertScore());
    expect(run(t4, cents(0.32)).at(-1)).toBeGreaterThanOrEqual(t4.alertScore());
    // The quantum is the cent, not the 5.6e-17 between 0.3 and 0.1 + 0.2.
    expect(s.q).toBeCloseTo(0.01, 12);
  });

  it('robust_z: a one-cent step after a quiet stretch computed in floating point does not alert', () => {
    // Default threshold 3.5 > sqrt(12): one quantum is not an anomaly, two are.
    const d = createDetector({ type: 'robust_z', window: 20, warmup: 5 });
    const one = run(d, cents(0.31));
    expect(one.at(-1)).toBeCloseTo(sc(Math.sqrt(12)), 6);
    expect(one.at(-1)).toBeLessThan(d.alertScore());
    expect(Math.max(...one.slice(25, -1))).toBeLessThan(1e-9);
    expect(run(d, cents(0.32)).at(-1)).toBeGreaterThanOrEqual(d.alertScore());
  });

  it('diff: a P&L around 10,000 quoted in cents keeps the cent as its quantum', () => {
    // Ticks of 1 or 2 cents at first, then a steady cent per sample, then one tick of 2 cents:
    // the diffs step by one cent, but consecutive one-cent diffs differ by ~1.8e-12.
    const steps = [1, 2, 1, 1, 2, 1, ...Array<number>(200).fill(1), 2];
    let k = 0;
    const pnl = [10000, ...steps.map((c) => Number((10000 + (k += c) / 100).toFixed(2)))];
    const z = createDetector({ type: 'zscore', window: 20, warmup: 5, diff: true });
    const zs = z.init();
    const scores = pnl.map((x, i) => z.step(zs, x, i));
    expect(scores.at(-1)).toBeCloseTo(sc(Math.sqrt(12)), 4);
    expect(Math.max(...scores.slice(30, -1))).toBeLessThan(1e-6);
    const r = createDetector({ type: 'robust_z', window: 20, warmup: 5, diff: true });
    const rs = run(r, pnl);
    expect(rs.at(-1)).toBeCloseTo(sc(Math.sqrt(12)), 4);
    expect(rs.at(-1)).toBeLessThan(r.alertScore());
    expect((zs as { q: number }).q).toBeCloseTo(0.01, 9);
  });

  it('a genuine tiny quantum still floors the spread: one 1e-8 step after a flat stretch scores z = sqrt(12)', () => {
    const xs = [1 + 1e-8, 1, ...Array<number>(40).fill(1), 1 + 1e-8];
    for (const type of ['zscore', 'robust_z'] as const) {
      const d = createDetector({ type, window: 20, warmup: 5 });
      const s = d.init();
      const scores = xs.map((x, i) => d.step(s, x, i));
      expect((s as { q: number }).q / 1e-8, type).toBeCloseTo(1, 6);
      expect(scores.at(-1), type).toBeCloseTo(sc(Math.sqrt(12)), 6);
    }
    // 1e-3 ticks on values around 1e6 too.
    const d = createDetector({ type: 'robust_z', window: 20, warmup: 5 });
    const big = run(d, [1e6 + 1e-3, 1e6, ...Array<number>(40).fill(1e6), 1e6 + 1e-3]);
    expect(big.at(-1)).toBeCloseTo(sc(Math.sqrt(12)), 6);
  });
});

describe('common options: persist and min_delta', () => {
  it('validates them in detectorSpecSchema', () => {
    expect(parseDetectorSpec({ type: 'zscore', persist: { k: 2, n: 3 }, min_delta: 0.5 })).toMatchObject({
      persist: { k: 2, n: 3 },
      min_delta: 0.5,
    });
    expect(() => parseDetectorSpec({ persist: { k: 3, n: 2 } })).toThrow(/at most persist.n/);
    expect(() => parseDetectorSpec({ persist: { k: 0, n: 2 } })).toThrow(/invalid anomaly detector spec/);
    expect(() => parseDetectorSpec({ persist: { k: 1, n: 2, m: 1 } })).toThrow(/invalid/);
    expect(() => parseDetectorSpec({ min_delta: -1 })).toThrow(/min_delta/);
    expect(() => parseDetectorSpec({ type: 'range', min_delta: 1 })).not.toThrow();
  });

  it('cappedKthLargest is min(cap, k-th largest), ties and all', () => {
    expect(cappedKthLargest([0.1, 0.9, 0.5], 1, 1)).toBe(0.9);
    expect(cappedKthLargest([0.1, 0.9, 0.5], 2, 1)).toBe(0.5);
    expect(cappedKthLargest([0.1, 0.9, 0.5], 3, 1)).toBe(0.1);
    expect(cappedKthLargest([0.1, 0.9, 0.5], 2, 0.3)).toBe(0.3);
    expect(cappedKthLargest([0.7, 0.7, 0.2, 0.9], 3, 0.8)).toBe(0.7);
    expect(cappedKthLargest([0.7, 0.7, 0.2, 0.9], 4, 0.8)).toBe(0.2);
    // Against sorting, on random rings with repeated values.
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) {
      const n = 1 + Math.floor(rnd() * 8);
      const a = Array.from({ length: n }, () => Math.floor(rnd() * 5) / 4);
      const k = 1 + Math.floor(rnd() * n);
      const cap = Math.floor(rnd() * 5) / 4;
      const sorted = [...a].sort((x, y) => y - x);
      expect(cappedKthLargest(a, k, cap)).toBe(Math.min(cap, sorted[k - 1] as number));
    }
  });

  it('persist {k: 2, n: 3}: fires only once 2 of the last 3 samples reach the threshold', () => {
    const base = Array.from({ length: 20 }, (_, i) => 10 + (i % 5));
    // robust_z: the spikes do not inflate the spread, so each one scores high on its own.
    const plain = createDetector({ type: 'robust_z', window: 20, warmup: 10 });
    const d = createDetector({ type: 'robust_z', window: 20, warmup: 10, persist: { k: 2, n: 3 } });
    const at = d.alertScore();
    const xs = [...base, 30, 12, 12, 12, 30, 12, 30];
    const raw = run(plain, xs);
    const s = run(d, xs);
    // A lone spike does not fire; the score is the 2nd largest of the last 3.
    expect(raw[20]).toBeGreaterThanOrEqual(at);
    expect(s[20]).toBeLessThan(at);
    expect(s.slice(20, 24).every((x) => x < at)).toBe(true);
    // Spikes at 24 and 26: 2 of the last 3 at 26.
    expect(s[25]).toBeLessThan(at);
    expect(s[26]).toBeGreaterThanOrEqual(at);
    expect(s[26]).toBe(Math.min(raw[24] as number, raw[26] as number));
  });

  it('persist keeps its state in JSON and k = n = 1 changes nothing', () => {
    const d = createDetector({ type: 'ewma', persist: { k: 1, n: 1 } });
    const e = createDetector({ type: 'ewma' });
    const xs = Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3 + (i === 50 ? 40 : 0));
    expect(run(d, xs)).toEqual(run(e, xs));
    const p = createDetector({ type: 'ewma', persist: { k: 2, n: 4 } });
    const st = p.init();
    for (const x of xs) p.step(st, x, 0);
    expect(JSON.parse(JSON.stringify(st))).toEqual(st);
    expect((st as { pz: number[] }).pz).toHaveLength(4);
  });

  it('min_delta: a deviation smaller than it scores 0, a larger one as before', () => {
    const base = Array.from({ length: 20 }, (_, i) => 100 + (i % 2) * 0.01);
    const plain = createDetector({ type: 'zscore', window: 20, warmup: 10 });
    const d = createDetector({ type: 'zscore', window: 20, warmup: 10, min_delta: 1 });
    // 100.5 is many sd away (sd ~ 0.005) but only 0.495 from the mean.
    expect(run(plain, [...base, 100.5])[20]).toBeGreaterThan(0.9);
    expect(run(d, [...base, 100.5])[20]).toBe(0);
    expect(run(d, [...base, 102])[20]).toBe(run(plain, [...base, 102])[20]);
    // range: the distance beyond the window's [min, max].
    const r = createDetector({ type: 'range', window: 20, min_delta: 1 });
    expect(run(r, [...base, 100.5])[20]).toBe(0);
    expect(run(r, [...base, 101.5])[20]).toBeGreaterThan(0.5);
  });

  it('min_delta is in the scored unit (after diff)', () => {
    const d = createDetector({ type: 'zscore', window: 20, warmup: 5, diff: true, min_delta: 2 });
    const ramp = Array.from({ length: 21 }, (_, i) => i + (i % 2) * 0.01);
    // Last step +2.5 on diffs of ~1: distance 1.5 < 2 from the mean diff -> 0.
    expect(run(d, [...ramp, 22.5])[21]).toBe(0);
    expect(run(d, [...ramp, 24])[21]).toBeGreaterThan(0.9);
  });
});

describe('expectations ("say why")', () => {
  it('zscore expects mean ± t·sd over its window', () => {
    const d = createZScore({ window: 10, warmup: 5 });
    const s = d.init();
    for (const x of [0, 2, 0, 2, 0, 2, 0, 2, 0, 2]) d.step(s, x, 0);
    const e = d.expect?.(s, 3);
    const sd = Math.sqrt(10 / 9);
    expect(e?.n).toBe(10);
    expect(e?.expected).toEqual([1, 1]);
    expect(e?.band?.[0]).toBeCloseTo(1 - 3 * sd, 12);
    expect(e?.band?.[1]).toBeCloseTo(1 + 3 * sd, 12);
  });

  it('every detector has an expectation once it has history', () => {
    for (const type of ['zscore', 'robust_z', 'ewma', 'cusum', 'range', 'likelihood', 'default'] as const) {
      const d = createDetector({ type });
      const s = d.init();
      expect(d.expect?.(s)).toBeUndefined();
      for (let i = 0; i < 50; i++) d.step(s, 5 + (i % 3), i);
      const e = d.expect?.(s);
      expect(e?.n, type).toBeGreaterThan(0);
      expect(e?.expected[0], type).toBeLessThanOrEqual(e?.expected[1] as number);
    }
  });

  it('converts back to the metric unit through log and diff', () => {
    expect(toMetricUnit({ log: true }, { has: 0, prev: 0 }, Math.log1p(99))).toBeCloseTo(99, 10);
    expect(toMetricUnit({ log: true }, { has: 0, prev: 0 }, -Math.log1p(9))).toBeCloseTo(-9, 10);
    expect(toMetricUnit({ diff: true }, { has: 1, prev: 10 }, 2)).toBe(12);
  });

  it('whyAnnotations: expected range, score, history', () => {
    const a = whyAnnotations(undefined, { expected: [10, 10], band: [7, 13], n: 100 }, 0.8, 0.75);
    expect(a).toEqual({
      Expected: '7 to 13 (centre 10)',
      Score: '0.8000 (alerts at 0.7500)',
      History: '100 samples',
    });
    expect(whyAnnotations(undefined, undefined, 0.9, 0.75)).toEqual({ Score: '0.9000 (alerts at 0.7500)' });
  });

  it('an anomaly occurrence carries why by default (annotations content.describe() lists as facts)', () => {
    const rule = {
      name: 'trades_anomaly',
      kind: 'anomaly',
      metric: 'trades_per_minute',
      detector: { type: 'zscore', window: 20, threshold: 3 },
    };
    const h = new Harness([rule]);
    for (let i = 0; i < 30; i++) h.snap('bot', T0 + i * SEC, { trades_per_minute: 10 + (i % 2) });
    const signals = h.snap('bot', T0 + 100 * SEC, { trades_per_minute: 30 });
    expect(brief(signals)).toEqual(['firing:warning']);
    const ann = signals[0]?.annotations ?? {};
    // Window: ten 10s and ten 11s: mean 10.5, sd sqrt(5/19) = 0.513 -> 3 sd = 1.539.
    expect(ann.Expected).toMatch(/^8\.9\d* to 12\.\d+ \(centre 10\.5\)$/);
    expect(ann.History).toBe('20 samples');
    expect(ann.Score).toMatch(/^0\.9\d{3} \(alerts at 0\.7500\)$/);
    expect(signals[0]?.value).toBe(30);
  });

  it('with explain: false, an occurrence carries no such facts, and a rule can still write them itself', () => {
    const rule = {
      name: 'trades_anomaly',
      kind: 'anomaly',
      metric: 'trades_per_minute',
      detector: { type: 'zscore', window: 20, threshold: 3 },
      explain: false,
      annotations: { normal: '{{expected_low}} to {{expected_high}} over {{history}} samples' },
    };
    const h = new Harness([rule]);
    for (let i = 0; i < 30; i++) h.snap('bot', T0 + i * SEC, { trades_per_minute: 10 + (i % 2) });
    const signals = h.snap('bot', T0 + 100 * SEC, { trades_per_minute: 30 });
    const ann = signals[0]?.annotations ?? {};
    expect(ann.Expected).toBeUndefined();
    expect(ann.normal).toMatch(/^8\.9\d* to 12\.\d+ over 20 samples$/);
  });
});
