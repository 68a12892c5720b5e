/**
 * Rolling z-score: the trading bots' default detector.
 *
 * Each sample is scored against the mean and sample standard deviation (n - 1) of the strictly
 * earlier samples in the window (the sample itself is not included), then joins the window.
 * Score = |z| / (1 + |z|) (see `deviationToScore`), so `alertScore(3)` = 0.75.
 *
 * The sd the z divides by has two floors:
 *
 * - the rounding sd of the series' resolution (`flooredSpread`): on a flat or quantised window a
 *   one-quantum change scores z = sqrt(12) ~ 3.46, not infinity;
 * - half the series' usual spread: the root of the window's variance averaged over the last
 *   three windows' worth of samples (a running mean while fewer samples have been scored). A
 *   window that happens to be much quieter than the series usually is (the calm between the
 *   bursts of a bursty series, a flat stretch of a noisy one, a window whose only movement is
 *   floating-point noise) would otherwise turn an ordinary move into a z of hundreds. A window at
 *   least half as spread as usual is used as it is, so a quiet regime still shows its own
 *   spikes.
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
  scoreToDeviation,
  signedZ,
  type RollingState,
  type TransformState,
} from './common.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface ZScoreOptions extends CommonDetectorOptions {
  /** Number of earlier samples the mean and sd are computed over. Default 100. */
  window?: number;
  /** Alert threshold in z units. Default 3. */
  threshold?: number;
}

export interface ZScoreState {
  tf: TransformState;
  roll: RollingState;
  /** Resolution: smallest non-zero change between consecutive samples (0 = none yet). */
  q: number;
  /**
   * Usual spread: running mean of the window's variance over the last `sn` scored samples (`sn`
   * stops growing at `USUAL_SPREAD.windows` x window, making it an exponential average). States
   * stored before it existed have neither field and start it afresh.
   */
  sv?: number;
  sn?: number;
}

export const ZSCORE_DEFAULTS = { window: 100, threshold: 3 } as const;

/** The usual-spread floor: `fraction` x the root of the window variance averaged over `windows` windows. */
export const USUAL_SPREAD = { fraction: 0.5, windows: 3 } as const;

/** Default warm-up: min(30, window) earlier samples before the first score. */
export function createZScore(opts: ZScoreOptions = {}): Detector<ZScoreState> {
  const window = checkNumber('window', opts.window ?? ZSCORE_DEFAULTS.window, 2, 1e7, true);
  const threshold = checkNumber('threshold', opts.threshold ?? ZSCORE_DEFAULTS.threshold, 0);
  const c = resolveCommon(opts, Math.min(30, window));
  // A z needs at least two earlier samples for a standard deviation.
  const warmup = Math.max(2, Math.min(c.warmup, window));
  const memory = USUAL_SPREAD.windows * window;
  const fraction = USUAL_SPREAD.fraction;
  /** The sd to divide by: the window's, floored by the resolution and by the usual spread. */
  const spreadOf = (sd: number, q: number, sv: number) => {
    const s = flooredSpread(sd, q);
    const usual = fraction * Math.sqrt(sv);
    return usual > s ? usual : s;
  };
  return {
    type: 'zscore',
    init: () => ({ tf: initTransform(), roll: initRolling(), q: 0, sv: 0, sn: 0 }),
    step(state, x) {
      if (!Number.isFinite(x)) return 0;
      const v = applyTransform(c, state.tf, x);
      if (Number.isNaN(v)) return 0;
      const r = state.roll;
      // States stored before the resolution or the usual spread existed lack `q`, `sv`, `sn`.
      const q = state.q || 0;
      let score = 0;
      if (r.buf.length >= warmup) {
        const sd = rollingSd(r);
        const sn = Math.min((state.sn || 0) + 1, memory);
        const prev = state.sv || 0;
        const sv = prev + (sd * sd - prev) / sn;
        state.sn = sn;
        state.sv = sv;
        score = deviationToScore(directed(signedZ(v, r.mean, spreadOf(sd, q, sv)), c.direction));
      }
      const last = rollingLast(r);
      // Under `diff`, rounding residue is relative to the undifferenced values, not to `v`.
      if (last !== undefined) state.q = foldResolution(q, last, v, c.diff ? state.tf.prev : 0);
      rollingPush(r, v, window);
      return score;
    },
    alertScore: (t = threshold) => deviationToScore(t),
    expect(state, t = threshold) {
      const r = state.roll;
      if (r.buf.length === 0) return undefined;
      const sd = spreadOf(rollingSd(r), state.q || 0, state.sv || 0);
      return { expected: [r.mean, r.mean], band: [r.mean - t * sd, r.mean + t * sd], n: r.buf.length };
    },
  };
}

/** The z a score stands for (inverse of the score map). */
export const zFromScore = scoreToDeviation;
