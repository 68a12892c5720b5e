/**
 * The default detector (`type: default`, used when a rule asks for `anomaly` without naming one):
 * multi-scale novelty with a cool-down.
 *
 * Three normalised views of the series are each checked for a *breakout*: a value strictly beyond
 * everything the same view showed over the last `window` samples (default 4000: two weeks of
 * 5-minute data), sized in units of that view's range over the window (see `range`):
 *
 * 1. the value itself (a new high or low),
 * 2. its moving average over the last `shortWindow` samples (default 20): a level that drifts out
 *    of its usual band without a single extreme point,
 * 3. its activity, the moving average of |x - previous x| over `shortWindow`, breaking out
 *    *downwards*: the series has gone quieter than ever (stuck sensor, stalled feed, flat line).
 *    Bursts of activity are left to views 1 and 2.
 *
 * The largest breakout `e` is then scaled by how much of the memory is filled, `e x n / window`
 * after n < `window` earlier samples: early on the range has had few samples to form and new
 * extremes are common, so they need a proportionally larger breakout (no constant added: once
 * `window` samples are in, `e` is used as it is).
 *
 * The combined deviation is `1 + e` for the largest breakout `e` (0 without a breakout), and the
 * score `(1 + e) / (2 + e)`: every breakout scores above 0.5, bigger breakouts higher, never
 * exactly 1. After a sample scores, later samples within `cooldown` samples (default 400) that do
 * not beat that deviation are damped (deviation x 0.2, below 0.5), so one incident fires once
 * rather than at every new extreme while it unfolds; a bigger breakout still fires at once.
 *
 * `threshold` is the (scaled) breakout size, in window ranges, that alerts (default 0.018, i.e.
 * 1.8 % of the window's range beyond its previous extreme): `alertScore(t) = (1 + t) / (2 + t)`.
 * `direction` limits views 1 and 2 to upward or downward breakouts (view 3 always applies).
 * All memory is O(1) per sample amortised (monotone deques and running sums).
 */
import { applyTransform, checkNumber, deviationToScore, initTransform, resolveCommon } from './common.js';
import type { TransformState } from './common.js';
import { breakoutRange, breakoutStep, initBreakout, type BreakoutState } from './range.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface DefaultOptions extends CommonDetectorOptions {
  /** Memory: samples the breakouts are measured against. Default 4000. */
  window?: number;
  /** Samples of the moving average and moving activity. Default 20. */
  shortWindow?: number;
  /** Alert threshold: breakout size in window ranges. Default 0.018. */
  threshold?: number;
  /** Samples during which weaker repeat detections are damped. Default 400 (0 disables). */
  cooldown?: number;
}

export interface DefaultState {
  tf: TransformState;
  /** Samples folded in. */
  n: number;
  /** Previous value (valid when n > 0). */
  prev: number;
  /** Last `shortWindow` values and |differences|, as rings with running sums. */
  vals: number[];
  diffs: number[];
  pos: number;
  sumV: number;
  sumD: number;
  value: BreakoutState;
  level: BreakoutState;
  activity: BreakoutState;
  /** Deviation of the last undamped detection and samples since. */
  peak: number;
  age: number;
}

export const DEFAULT_DEFAULTS = {
  window: 4000,
  shortWindow: 20,
  threshold: 0.018,
  cooldown: 400,
  warmup: 150,
  damping: 0.2,
} as const;

export function createDefault(opts: DefaultOptions = {}): Detector<DefaultState> {
  const window = checkNumber('window', opts.window ?? DEFAULT_DEFAULTS.window, 2, 1e7, true);
  const L = checkNumber('shortWindow', opts.shortWindow ?? DEFAULT_DEFAULTS.shortWindow, 1, 1e5, true);
  const threshold = checkNumber('threshold', opts.threshold ?? DEFAULT_DEFAULTS.threshold, 0);
  const cooldown = checkNumber('cooldown', opts.cooldown ?? DEFAULT_DEFAULTS.cooldown, 0, 1e9, true);
  const c = resolveCommon(opts, DEFAULT_DEFAULTS.warmup);
  const warmup = Math.min(c.warmup, window);
  const up = c.direction !== 'down';
  const down = c.direction !== 'up';
  const damping = DEFAULT_DEFAULTS.damping;
  return {
    type: 'default',
    init: () => ({
      tf: initTransform(),
      n: 0,
      prev: 0,
      vals: [],
      diffs: [],
      pos: 0,
      sumV: 0,
      sumD: 0,
      value: initBreakout(),
      level: initBreakout(),
      activity: initBreakout(),
      peak: 0,
      age: 0,
    }),
    step(s, x) {
      if (!Number.isFinite(x)) return 0;
      const v = applyTransform(c, s.tf, x);
      if (Number.isNaN(v)) return 0;
      let e = breakoutStep(s.value, v, window, warmup, up, down);
      if (s.n > 0) {
        const ad = Math.abs(v - s.prev);
        // Rings of the last L values and |diffs| (the first value has no diff: ring of L values
        // fills one sample before the ring of diffs, which is fine for a moving average).
        if (s.vals.length < L) {
          s.vals.push(v);
          s.diffs.push(ad);
          s.sumV += v;
          s.sumD += ad;
        } else {
          s.sumV += v - (s.vals[s.pos] as number);
          s.sumD += ad - (s.diffs[s.pos] as number);
          s.vals[s.pos] = v;
          s.diffs[s.pos] = ad;
          if (++s.pos === L) {
            s.pos = 0;
            let a = 0;
            let b = 0;
            for (let i = 0; i < L; i++) {
              a += s.vals[i] as number;
              b += s.diffs[i] as number;
            }
            s.sumV = a;
            s.sumD = b;
          }
        }
        if (s.vals.length === L) {
          const lw = Math.max(0, warmup - L);
          const e2 = breakoutStep(s.level, s.sumV / L, window, lw, up, down);
          const e3 = breakoutStep(s.activity, s.sumD / L, window, lw, false, true);
          if (e2 > e) e = e2;
          if (e3 > e) e = e3;
        }
      }
      // Breakouts count in proportion to how much of the memory is filled: a new extreme after
      // n < window samples is measured against a range that has had only n samples to form
      // (e x n / window), so the first weeks of a series need a proportionally larger breakout.
      if (e > 0 && s.n < window) e *= s.n / window;
      s.prev = v;
      s.n++;
      let dev = e >= 0 ? 1 + e : 0;
      if (s.age <= cooldown) s.age++;
      if (dev > s.peak || s.age > cooldown) {
        if (dev > 0) {
          s.peak = dev;
          s.age = 0;
        } else {
          s.peak = 0;
        }
      } else {
        dev *= damping;
      }
      return deviationToScore(dev);
    },
    alertScore: (t = threshold) => deviationToScore(1 + t),
    // Three views and a fill scaling: the value view's range is what it expects; no band.
    expect(s) {
      const r = breakoutRange(s.value, window);
      return r ? { expected: r, n: s.n } : undefined;
    },
  };
}
