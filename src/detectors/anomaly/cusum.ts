/**
 * Two-sided CUSUM for level shifts.
 *
 * Each sample is standardised against an EWMA mean and standard deviation of the strictly
 * earlier samples, `u = (x - m) / sd`, and accumulated:
 * `S+ = max(0, S+ + u - k)`, `S- = max(0, S- - u - k)`. The score is `S / (1 + S)` for the side(s)
 * that `direction` selects, `S` in standard deviations; `alertScore(h)` is the score of `S = h`.
 * When a side reaches `h` it is reset to 0 after scoring (one alarm per shift, then re-arm).
 * A single huge outlier also trips it; use `zscore` for spikes and this for small persistent shifts.
 */
import {
  applyTransform,
  checkNumber,
  deviationToScore,
  initTransform,
  resolveCommon,
  signedZ,
  weightedPush,
  type TransformState,
  type WeightedState,
} from './common.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface CusumOptions extends CommonDetectorOptions {
  /** Equivalent window of the EWMA reference (mean and sd). Default 100. */
  window?: number;
  /** Alarm level `h` in standard deviations. Default 5. */
  threshold?: number;
  /** Allowance `k` in standard deviations (half the shift to detect). Default 0.5. */
  drift?: number;
}

export interface CusumState extends WeightedState {
  tf: TransformState;
  pos: number;
  neg: number;
}

export const CUSUM_DEFAULTS = { window: 100, threshold: 5, drift: 0.5, warmup: 30 } as const;

/** Caps a standardised step so that one value cannot store Infinity in the state. */
const U_CAP = 1e12;

export function createCusum(opts: CusumOptions = {}): Detector<CusumState> {
  const window = checkNumber('window', opts.window ?? CUSUM_DEFAULTS.window, 1, 1e9);
  const alpha = 2 / (window + 1);
  const h = checkNumber('threshold', opts.threshold ?? CUSUM_DEFAULTS.threshold, 0);
  const k = checkNumber('drift', opts.drift ?? CUSUM_DEFAULTS.drift, 0);
  const c = resolveCommon(opts, CUSUM_DEFAULTS.warmup);
  const warmup = Math.max(2, c.warmup);
  const up = c.direction !== 'down';
  const down = c.direction !== 'up';
  return {
    type: 'cusum',
    init: () => ({ tf: initTransform(), n: 0, m: 0, v: 0, pos: 0, neg: 0 }),
    step(s, x) {
      if (!Number.isFinite(x)) return 0;
      const val = applyTransform(c, s.tf, x);
      if (Number.isNaN(val)) return 0;
      if (s.n === 0) {
        s.n = 1;
        s.m = val;
        return 0;
      }
      let score = 0;
      if (s.n >= warmup) {
        let u = signedZ(val, s.m, Math.sqrt(s.v));
        u = u > U_CAP ? U_CAP : u < -U_CAP ? -U_CAP : u;
        const p = up ? Math.max(0, s.pos + u - k) : 0;
        const q = down ? Math.max(0, s.neg - u - k) : 0;
        score = deviationToScore(p > q ? p : q);
        s.pos = p >= h && h > 0 ? 0 : p;
        s.neg = q >= h && h > 0 ? 0 : q;
      }
      weightedPush(s, val, alpha);
      return score;
    },
    alertScore: (t = h) => deviationToScore(t),
    // The CUSUM threshold is on an accumulated sum, not on one value: no band.
    expect: (s) => (s.n === 0 ? undefined : { expected: [s.m, s.m], n: s.n }),
  };
}
