/**
 * The default detector (`type: default`, used when a rule asks for `anomaly` without naming one):
 * multi-scale novelty with a cool-down.
 *
 * Four normalised views of the series are each checked for a *breakout*: a value strictly beyond
 * everything the same view showed over the last `window` samples (default 8064: four weeks of
 * 5-minute data), sized in units of that view's range over the window (see `range`):
 *
 * 1. the value itself (a new high or low),
 * 2. its moving average over the last `shortWindow` samples (default 20): a level that drifts out
 *    of its usual band without a single extreme point,
 * 3. its activity, the moving average of |x - previous x| over `shortWindow`, breaking out
 *    *downwards*: the series has gone quieter than ever (stuck sensor, stalled feed, flat line).
 *    Bursts of activity are left to views 1 and 2.
 * 4. the value minus the value one day earlier (by the samples' timestamps: the latest sample at
 *    or before t - 24 h, if it is at most an hour older than that): a day that departs from the
 *    day before more than any day did (a missing daily peak, a daily cycle shifted up or down)
 *    while staying inside the range of values. It counts only while it explains the series,
 *    i.e. while this view's range over the window is smaller than the value's range (a series
 *    with a daily cycle); on a series without one the difference is just noise and is ignored.
 *    A series with more than about one sample a minute (1500 within a day, or `window` if smaller)
 *    switches it off for good (its queue is dropped, so the state stays small); samples without a finite
 *    timestamp skip it.
 *
 * The largest breakout `e` is then scaled by how much of the memory is filled, `e x n / window`
 * after n < `window` earlier samples: early on the range has had few samples to form and new
 * extremes are common, so they need a proportionally larger breakout (no constant added: once
 * `window` samples are in, `e` is used as it is).
 *
 * The combined deviation is `1 + e` for the largest breakout `e` (0 without a breakout), and the
 * score `(1 + e) / (2 + e)`: every breakout scores above 0.5, bigger breakouts higher, never
 * exactly 1. After a sample scores, later samples within `cooldown` samples (default 800) are
 * damped (deviation x 0.2, below 0.5) unless their breakout beats a bar that starts at that
 * sample's breakout and falls linearly to 0 over the cool-down: one incident fires once rather
 * than at every new extreme while it unfolds, a bigger breakout still fires at once, and a
 * smaller one fires again the longer ago the last alert was.
 *
 * `threshold` is the (scaled) breakout size, in window ranges, that alerts (default 0.009, i.e.
 * 0.9 % of the window's range beyond its previous extreme): `alertScore(t) = (1 + t) / (2 + t)`.
 * `direction` limits views 1, 2 and 4 to upward or downward breakouts (view 3 always applies).
 * All memory is O(1) per sample amortised (monotone deques, running sums and a queue of the last
 * day's samples).
 */
import { applyTransform, checkNumber, deviationToScore, initTransform, resolveCommon } from './common.js';
import type { TransformState } from './common.js';
import {
  breakoutMax,
  breakoutMin,
  breakoutRange,
  breakoutStep,
  initBreakout,
  type BreakoutState,
} from './range.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface DefaultOptions extends CommonDetectorOptions {
  /** Memory: samples the breakouts are measured against. Default 8064. */
  window?: number;
  /** Samples of the moving average and moving activity. Default 20. */
  shortWindow?: number;
  /** Alert threshold: breakout size in window ranges. Default 0.009. */
  threshold?: number;
  /** Samples over which the bar for repeat detections falls to 0. Default 800 (0 disables). */
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
  /** 1 once the series proved to have more than `window` samples a day (view 4 off). */
  dayOff: number;
  /** Timestamps and values of the samples of the last day: a ring, `dayLen` of them from `dayHead`. */
  dayT: number[];
  dayV: number[];
  dayHead: number;
  dayLen: number;
  /** The latest sample at least a day old (valid when `hasRef` is 1). */
  hasRef: number;
  refT: number;
  refV: number;
  /** Breakouts of the value minus the value a day earlier. */
  daily: BreakoutState;
  /** Deviation of the last undamped detection and samples since. */
  peak: number;
  age: number;
}

/** One day in ms (timestamps are ms since the epoch). */
export const DAY_MS = 86_400_000;
/** Samples within a day beyond which view 4 is switched off: one a minute, with room for jitter. */
export const MAX_DAY_SAMPLES = 1500;

export const DEFAULT_DEFAULTS = {
  window: 8064,
  shortWindow: 20,
  threshold: 0.009,
  cooldown: 800,
  warmup: 150,
  damping: 0.2,
} as const;

function initDaily() {
  return {
    dayOff: 0,
    dayT: [] as number[],
    dayV: [] as number[],
    dayHead: 0,
    dayLen: 0,
    hasRef: 0,
    refT: 0,
    refV: 0,
    daily: initBreakout(),
  };
}

/** Range of a breakout state's deques (the window and the sample just added). */
function span(b: BreakoutState): number {
  return (breakoutMax(b) as number) - (breakoutMin(b) as number);
}

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
  // A reference more than an hour older than a day is a gap in the data, not "a day ago".
  const maxRefAge = DAY_MS + DAY_MS / 24;
  // View 4 keeps a day of samples: at most one a minute (and at most `window`).
  const maxDayLen = Math.min(window, MAX_DAY_SAMPLES);
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
      ...initDaily(),
      peak: 0,
      age: 0,
    }),
    step(s, x, t) {
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
      if (Number.isFinite(t)) {
        const e4 = dailyStep(s, v, t);
        if (e4 > e) e = e4;
      }
      // Breakouts count in proportion to how much of the memory is filled: a new extreme after
      // n < window samples is measured against a range that has had only n samples to form
      // (e x n / window), so the first weeks of a series need a proportionally larger breakout.
      if (e > 0 && s.n < window) e *= s.n / window;
      s.prev = v;
      s.n++;
      let dev = e >= 0 ? 1 + e : 0;
      if (s.age <= cooldown) s.age++;
      // The bar a repeat must beat: the last detection's breakout, falling linearly to 0 over the
      // cool-down (the deviation of a breakout e is 1 + e).
      const bar = s.peak > 0 ? 1 + (s.peak - 1) * (1 - s.age / (cooldown + 1)) : 0;
      if (dev > bar || s.age > cooldown) {
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
    // Four views and a fill scaling: the value view's range is what it expects; no band.
    expect(s) {
      const r = breakoutRange(s.value, window);
      return r ? { expected: r, n: s.n } : undefined;
    },
  };

  /**
   * View 4: the breakout of `v` minus the value a day before `t` (-1 when there is none, or when
   * the view's range is not smaller than the value's). Folds the sample into the day queue.
   */
  function dailyStep(s: DefaultState, v: number, t: number): number {
    // A state saved before view 4 existed lacks its fields: start them empty.
    if ((s as Partial<DefaultState>).daily === undefined) Object.assign(s, initDaily());
    if (s.dayOff === 1) return -1;
    let qt = s.dayT;
    let qv = s.dayV;
    let cap = qt.length;
    let h = s.dayHead;
    let len = s.dayLen;
    while (len > 0 && (qt[h] as number) <= t - DAY_MS) {
      s.hasRef = 1;
      s.refT = qt[h] as number;
      s.refV = qv[h] as number;
      if (++h === cap) h = 0;
      len--;
    }
    // More than about a sample a minute (or than `window` samples) within a day: too many to keep, so
    // the view is switched off for good and its queue dropped (the state stays small).
    if (len >= maxDayLen) {
      s.dayOff = 1;
      s.dayT = [];
      s.dayV = [];
      s.dayHead = 0;
      s.dayLen = 0;
      s.hasRef = 0;
      return -1;
    }
    if (len === cap) {
      // Full ring: double it (amortised O(1); it settles once it holds a day of samples).
      const nt: number[] = [];
      const nv: number[] = [];
      for (let k = 0; k < len; k++) {
        const j = (h + k) % cap;
        nt.push(qt[j] as number);
        nv.push(qv[j] as number);
      }
      cap = Math.max(16, cap * 2);
      for (let k = len; k < cap; k++) {
        nt.push(0);
        nv.push(0);
      }
      s.dayT = qt = nt;
      s.dayV = qv = nv;
      h = 0;
    }
    let w = h + len;
    if (w >= cap) w -= cap;
    qt[w] = t;
    qv[w] = v;
    s.dayHead = h;
    s.dayLen = len + 1;
    if (s.hasRef === 0 || !(s.refT > t - maxRefAge)) return -1;
    const e = breakoutStep(s.daily, v - s.refV, window, warmup, up, down);
    return e >= 0 && span(s.daily) < span(s.value) ? e : -1;
  }
}
