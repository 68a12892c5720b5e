/**
 * Robust z-score: median and MAD of the strictly earlier samples in a window.
 *
 * `z = (x - median) / (1.4826 * MAD)`; 1.4826 makes the MAD estimate the standard deviation of
 * normal data, so thresholds read like ordinary z (default 3.5, the Iglewicz-Hoaglin cut).
 * Outliers in the window barely move the median and MAD, so a burst of spikes does not mask the
 * next one. When the MAD is 0 (more than half the window is one value, e.g. a counter stuck at 0)
 * the window's standard deviation is used instead, and if that is 0 too the flat-history policy
 * applies (0 at the median, maximal elsewhere).
 *
 * Cost: a sorted copy of the window is kept; median and MAD are O(log window) lookups on it
 * (MAD via a binary search for the k values closest to the median), insert/remove are a binary
 * search plus an array splice (a memmove of at most `window` numbers).
 */
import {
  applyTransform,
  checkNumber,
  deviationToScore,
  directed,
  flooredSpread,
  foldResolution,
  initRolling,
  initTransform,
  resolveCommon,
  rollingLast,
  rollingPush,
  rollingSd,
  signedZ,
  type RollingState,
  type TransformState,
} from './common.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface RobustZOptions extends CommonDetectorOptions {
  /** Number of earlier samples. Default 100. */
  window?: number;
  /** Alert threshold in robust z units. Default 3.5. */
  threshold?: number;
}

export interface RobustZState {
  tf: TransformState;
  /** Ring buffer (and running mean/sd for the MAD = 0 fallback). */
  roll: RollingState;
  /** The same values, sorted ascending. */
  sorted: number[];
  /** Resolution: smallest non-zero change between consecutive samples (0 = none yet). */
  q: number;
}

export const ROBUST_Z_DEFAULTS = { window: 100, threshold: 3.5 } as const;
export const MAD_TO_SD = 1.4826;

/** First index whose value is >= v. */
function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Median of a sorted array (non-empty). */
export function sortedMedian(a: number[]): number {
  const n = a.length;
  const h = n >>> 1;
  return n % 2 === 1 ? (a[h] as number) : ((a[h - 1] as number) + (a[h] as number)) / 2;
}

/** The k-th smallest (1-based) of |a[i] - m| over a sorted array, in O(log n). */
function kthDistance(a: number[], m: number, k: number): number {
  // The k values closest to m are a contiguous block a[lo .. lo+k-1].
  let lo = 0;
  let hi = a.length - k;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m - (a[mid] as number) > (a[mid + k] as number) - m) lo = mid + 1;
    else hi = mid;
  }
  const left = m - (a[lo] as number);
  const right = (a[lo + k - 1] as number) - m;
  return left > right ? left : right;
}

/** Raw (unscaled) median absolute deviation of a sorted array around its median `m`. */
export function sortedMad(a: number[], m: number): number {
  const n = a.length;
  if (n % 2 === 1) return kthDistance(a, m, (n + 1) >>> 1);
  return (kthDistance(a, m, n >>> 1) + kthDistance(a, m, (n >>> 1) + 1)) / 2;
}

export function createRobustZ(opts: RobustZOptions = {}): Detector<RobustZState> {
  const window = checkNumber('window', opts.window ?? ROBUST_Z_DEFAULTS.window, 3, 1e6, true);
  const threshold = checkNumber('threshold', opts.threshold ?? ROBUST_Z_DEFAULTS.threshold, 0);
  const c = resolveCommon(opts, Math.min(30, window));
  const warmup = Math.max(3, Math.min(c.warmup, window));
  return {
    type: 'robust_z',
    init: () => ({ tf: initTransform(), roll: initRolling(), sorted: [], q: 0 }),
    step(s, x) {
      if (!Number.isFinite(x)) return 0;
      const v = applyTransform(c, s.tf, x);
      if (Number.isNaN(v)) return 0;
      const a = s.sorted;
      const r = s.roll;
      const q = s.q || 0;
      let score = 0;
      if (a.length >= warmup) {
        const med = sortedMedian(a);
        let spread = MAD_TO_SD * sortedMad(a, med);
        if (!(spread > 0)) spread = rollingSd(r);
        score = deviationToScore(directed(signedZ(v, med, flooredSpread(spread, q)), c.direction));
      }
      const last = rollingLast(r);
      // Under `diff`, rounding residue is relative to the undifferenced values, not to `v`.
      if (last !== undefined) s.q = foldResolution(q, last, v, c.diff ? s.tf.prev : 0);
      if (r.buf.length === window) {
        const old = r.buf[r.pos] as number;
        a.splice(lowerBound(a, old), 1);
      }
      a.splice(lowerBound(a, v), 0, v);
      rollingPush(r, v, window);
      return score;
    },
    alertScore: (t = threshold) => deviationToScore(t),
    expect(s, t = threshold) {
      const a = s.sorted;
      if (a.length === 0) return undefined;
      const med = sortedMedian(a);
      let spread = MAD_TO_SD * sortedMad(a, med);
      if (!(spread > 0)) spread = rollingSd(s.roll);
      spread = flooredSpread(spread, s.q || 0);
      return { expected: [med, med], band: [med - t * spread, med + t * spread], n: a.length };
    },
  };
}
