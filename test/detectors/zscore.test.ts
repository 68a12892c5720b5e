import { describe, expect, it } from 'vitest';
import { createZScore } from '../../src/detectors/anomaly/zscore.js';

function run(d: ReturnType<typeof createZScore>, xs: number[]): number[] {
  const s = d.init();
  return xs.map((x, i) => d.step(s, x, i * 1000));
}

describe('zscore', () => {
  it('scores against the mean and sample sd of the earlier samples only', () => {
    const d = createZScore({ window: 5, warmup: 3 });
    const scores = run(d, [1, 2, 3, 4, 0]);
    expect(scores.slice(0, 3)).toEqual([0, 0, 0]);
    // [1,2,3]: mean 2, sd 1 -> z = 2 -> 2/3
    expect(scores[3]).toBeCloseTo(2 / 3, 12);
    // [1,2,3,4]: mean 2.5, sd sqrt(5/3) -> z = -2.5 / 1.290994 = -1.936492
    const z = 2.5 / Math.sqrt(5 / 3);
    expect(scores[4]).toBeCloseTo(z / (1 + z), 12);
    expect(z).toBeCloseTo(1.936492, 6);
  });

  it('slides the window: old samples drop out', () => {
    const d = createZScore({ window: 3, warmup: 3 });
    // At the last step the window is [10, 11, 12] (the first 12 has dropped out): mean 11, sd 1,
    // z = 3 (with it, [12, 10, 11, 12] would give z = 2.75 / 0.957 = 2.87).
    const scores = run(d, [12, 10, 11, 12, 14]);
    expect(scores[4]).toBeCloseTo(0.75, 12);
  });

  it('does not include the sample in its own statistics', () => {
    const d = createZScore({ window: 10, warmup: 5 });
    const base = [5, 6, 5, 6, 5, 6];
    const a = run(d, [...base, 100, 5]);
    const b = run(d, [...base, 7, 5]);
    // Changing the 7th sample changes its own score but nothing before it.
    expect(a.slice(0, 6)).toEqual(b.slice(0, 6));
    // Its own score: earlier mean 5.5, sd sqrt(0.3) -> z = 94.5 / 0.5477
    const z = 94.5 / Math.sqrt(0.3);
    expect(a[6]).toBeCloseTo(z / (1 + z), 12);
    expect(a[6]).toBeLessThan(1);
  });

  it('constant series then a spike scores high (flat history policy)', () => {
    const d = createZScore({ window: 50 });
    const s = d.init();
    for (let i = 0; i < 40; i++) expect(d.step(s, 7, i)).toBe(0);
    expect(d.step(s, 8, 40)).toBe(1);
  });

  it('treats zero as an ordinary value', () => {
    const d = createZScore({ window: 50, warmup: 10 });
    const zeros = run(d, [...Array<number>(20).fill(0), 0]);
    expect(zeros.every((x) => x === 0)).toBe(true);
    const fives = run(d, [...Array<number>(20).fill(5), 0]);
    expect(fives[20]).toBe(1);
    const noisy = run(d, [...Array.from({ length: 20 }, (_, i) => (i % 2 ? 1 : -1)), 0]);
    expect(noisy[20]).toBeCloseTo(0, 12); // mean of +-1 is 0 (up to rounding)
  });

  it('returns 0 during warm-up (default min(30, window))', () => {
    const d = createZScore();
    const s = d.init();
    const xs = Array.from({ length: 31 }, (_, i) => (i % 2 ? 1 : 2));
    const scores = xs.map((x, i) => d.step(s, x, i));
    expect(scores.slice(0, 30).every((x) => x === 0)).toBe(true);
    expect(d.step(s, 1000, 31)).toBeGreaterThan(0.9);
    const small = createZScore({ window: 10 });
    const t = small.init();
    const out = [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 50].map((x, i) => small.step(t, x, i));
    expect(out.slice(0, 10).every((x) => x === 0)).toBe(true);
    expect(out[10]).toBeGreaterThan(0.9);
  });

  it('honours direction', () => {
    const base = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11];
    const up = createZScore({ window: 10, warmup: 5, direction: 'up' });
    const down = createZScore({ window: 10, warmup: 5, direction: 'down' });
    const both = createZScore({ window: 10, warmup: 5 });
    expect(run(up, [...base, 20])[10]).toBeGreaterThan(0.9);
    expect(run(up, [...base, 0])[10]).toBe(0);
    expect(run(down, [...base, 0])[10]).toBeGreaterThan(0.9);
    expect(run(down, [...base, 20])[10]).toBe(0);
    expect(run(both, [...base, 0])[10]).toBe(run(both, [...base, 21])[10]);
  });

  it('alertScore(3) is the score of |z| = 3, monotone and not saturating', () => {
    const d = createZScore();
    expect(d.alertScore()).toBe(0.75);
    expect(d.alertScore(3)).toBe(0.75);
    expect(d.alertScore(4)).toBe(0.8);
    const base = [0, 2, 0, 2, 0, 2, 0, 2, 0, 2]; // mean 1, sd sqrt(10/9)
    const sd = Math.sqrt(10 / 9);
    const dd = createZScore({ window: 10, warmup: 10 });
    const at3 = run(dd, [...base, 1 + 3 * sd])[10] as number;
    expect(at3).toBeCloseTo(d.alertScore(3), 12);
    const s10 = run(dd, [...base, 1 + 10 * sd])[10] as number;
    const s20 = run(dd, [...base, 1 + 20 * sd])[10] as number;
    const s1e6 = run(dd, [...base, 1 + 1e6 * sd])[10] as number;
    expect(s10).toBeLessThan(s20);
    expect(s20).toBeLessThan(s1e6);
    expect(s1e6).toBeLessThan(1);
  });

  it('applies log and diff transforms', () => {
    // diff: the first sample only primes the difference; the series 0,1,2,...,n has diffs all 1.
    const d = createZScore({ window: 10, warmup: 5, diff: true });
    const ramp = run(d, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ramp.every((x) => x === 0)).toBe(true);
    // log: values 9, 99 -> log1p 2.302585, 4.60517; negatives use -log1p(-x).
    const l = createZScore({ window: 10, warmup: 2, log: true });
    const s = run(l, [Math.E - 1, Math.E ** 3 - 1, Math.E ** 2 - 1]);
    // log1p values 1, 3: mean 2, sd sqrt(2); x -> 2: z = 0
    expect(s[2]).toBe(0);
    const neg = run(l, [Math.E - 1, Math.E ** 3 - 1, -(Math.E - 1)]);
    const z = 3 / Math.sqrt(2); // (-1 - 2) / sqrt 2
    expect(neg[2]).toBeCloseTo(z / (1 + z), 12);
  });

  it('ignores non-finite input without touching the state', () => {
    const d = createZScore({ window: 10, warmup: 2 });
    const s = d.init();
    d.step(s, 1, 0);
    d.step(s, 3, 1);
    const before = JSON.stringify(s);
    expect(d.step(s, NaN, 2)).toBe(0);
    expect(d.step(s, Infinity, 3)).toBe(0);
    expect(JSON.stringify(s)).toBe(before);
  });

  it('keeps the rolling statistics exact over long runs', () => {
    const d = createZScore({ window: 100 });
    const s = d.init();
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 1e6 + 1e9;
    for (let i = 0; i < 10_000; i++) d.step(s, rnd(), i);
    const buf = s.roll.buf;
    const mean = buf.reduce((a, b) => a + b, 0) / buf.length;
    const m2 = buf.reduce((a, b) => a + (b - mean) ** 2, 0);
    expect(s.roll.mean).toBeCloseTo(mean, 6);
    expect(s.roll.m2 / m2).toBeCloseTo(1, 9);
  });

  it('floors the sd at half the usual spread: a lull in a noisy series does not make a move extreme', () => {
    // A noisy series (+-10, sd 10) that goes quiet (+-1) for one full window, then moves by 20.
    const w = 20;
    const noisy = Array.from({ length: 60 }, (_, i) => (i % 2 ? 10 : -10));
    const calm = Array.from({ length: w }, (_, i) => (i % 2 ? 1 : -1));
    const s = run(createZScore({ window: w }), [...noisy, ...calm, 20]);
    const z = (s[80] as number) / (1 - (s[80] as number));
    // Against the calm window alone (sd ~1.03) it would be z ~ 19.5; the usual spread (the window
    // variance averaged over the last 60 scored samples, mostly ~100, with the calm window's
    // decline in it) keeps it at 20 / (0.5 x usual sd), well below that and still an alert.
    expect(z).toBeLessThan(6);
    expect(z).toBeGreaterThan(3);
    // A series that has always been that calm still scores the move against its own sd.
    const calmOnly = run(createZScore({ window: w }), [...calm, ...calm, ...calm, ...calm, 20]);
    expect(calmOnly[80]).toBeGreaterThan(0.95);
  });

  it("keeps a quiet regime's own spikes: a window at least half as spread as usual is used as it is", () => {
    const w = 20;
    // Spread 10, then a regime with spread 6 (above half the usual): scored against its own sd.
    const a = Array.from({ length: 60 }, (_, i) => (i % 2 ? 10 : -10));
    const b = Array.from({ length: w }, (_, i) => (i % 2 ? 6 : -6));
    const s = run(createZScore({ window: w }), [...a, ...b, 30]);
    const sd = Math.sqrt((36 * w) / (w - 1));
    expect(s[80]).toBeCloseTo(30 / sd / (1 + 30 / sd), 12);
  });

  it('ignores floating-point noise in a flat window once the series has shown its spread', () => {
    // A difference series (a P&L fed with diff: true) that moved, then froze after a halt: its
    // differences are 0 with rounding residues of ~1e-15, which also set the resolution. A residue
    // after a flat window must not score as an outlier (it used to score z = sqrt(12)).
    const w = 20;
    const d = createZScore({ window: w, direction: 'down' });
    const st = d.init();
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 10;
    for (let i = 0; i < 100; i++) d.step(st, rnd(), i);
    const eps = 1.7763568394002505e-15;
    const tail = [eps, 0, eps, ...Array<number>(w + 5).fill(0), -eps];
    const scores = tail.map((x, i) => d.step(st, x, 100 + i));
    expect(st.q).toBe(eps);
    expect(Math.max(...scores)).toBeLessThan(d.alertScore(3));
    expect(scores.at(-1)).toBeLessThan(0.01);
  });

  it('continues a state stored before the usual spread existed', () => {
    const d = createZScore({ window: 10, warmup: 5 });
    const st = d.init();
    for (const x of [1, 2, 1, 2, 1, 2, 1]) d.step(st, x, 0);
    const old = JSON.parse(JSON.stringify(st)) as Partial<typeof st>;
    delete old.sv;
    delete old.sn;
    const s = d.step(old as typeof st, 9, 1);
    expect(s).toBeGreaterThan(0.9);
    expect(s).toBeLessThan(1);
    expect(old.sn).toBe(1);
    expect(JSON.parse(JSON.stringify(old))).toEqual(old);
  });

  it('rejects bad options', () => {
    expect(() => createZScore({ window: 1 })).toThrow(/window/);
    expect(() => createZScore({ threshold: -1 })).toThrow(/threshold/);
  });
});
