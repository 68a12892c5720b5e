/**
 * EWMA detector: exponentially weighted mean and variance, O(1) state.
 *
 * `z = (x - m) / sqrt(v)` with `m`, `v` from strictly earlier samples, then
 * `diff = x - m; incr = alpha * diff; m += incr; v = (1 - alpha) * (v + diff * incr)`.
 * Reacts faster than a rolling window to a changed level and forgets old data smoothly.
 * While fewer than 1/alpha samples are in, `max(alpha, 1/n)` is used instead of alpha (a plain
 * running mean and variance), so the variance does not start out biased towards 0.
 */
import {
  applyTransform,
  checkNumber,
  deviationToScore,
  directed,
  initTransform,
  resolveCommon,
  signedZ,
  weightedPush,
  type TransformState,
  type WeightedState,
} from './common.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface EwmaOptions extends CommonDetectorOptions {
  /** Smoothing factor in (0, 1]. Default `2 / (window + 1)`. */
  alpha?: number;
  /** Equivalent window used when `alpha` is not given. Default 100 (alpha ~ 0.0198). */
  window?: number;
  /** Alert threshold in z units. Default 3. */
  threshold?: number;
}

export interface EwmaState extends WeightedState {
  tf: TransformState;
}

export const EWMA_DEFAULTS = { window: 100, threshold: 3, warmup: 30 } as const;

export function createEwma(opts: EwmaOptions = {}): Detector<EwmaState> {
  const window = checkNumber('window', opts.window ?? EWMA_DEFAULTS.window, 1, 1e9);
  const alpha = checkNumber('alpha', opts.alpha ?? 2 / (window + 1), Number.MIN_VALUE, 1);
  const threshold = checkNumber('threshold', opts.threshold ?? EWMA_DEFAULTS.threshold, 0);
  const c = resolveCommon(opts, EWMA_DEFAULTS.warmup);
  const warmup = Math.max(2, c.warmup);
  return {
    type: 'ewma',
    init: () => ({ tf: initTransform(), n: 0, m: 0, v: 0 }),
    step(s, x) {
      if (!Number.isFinite(x)) return 0;
      const val = applyTransform(c, s.tf, x);
      if (Number.isNaN(val)) return 0;
      if (s.n === 0) {
        s.n = 1;
        s.m = val;
        s.v = 0;
        return 0;
      }
      const score =
        s.n >= warmup ? deviationToScore(directed(signedZ(val, s.m, Math.sqrt(s.v)), c.direction)) : 0;
      weightedPush(s, val, alpha);
      return score;
    },
    alertScore: (t = threshold) => deviationToScore(t),
    expect(s, t = threshold) {
      if (s.n === 0) return undefined;
      const sd = Math.sqrt(s.v);
      return { expected: [s.m, s.m], band: [s.m - t * sd, s.m + t * sd], n: s.n };
    },
  };
}
