/**
 * Anomaly likelihood, after Numenta's (Ahmad et al., 2017): a second stage over *raw* anomaly
 * scores that asks "is the recent average of the raw score unusually high for this series?".
 *
 * The raw score (here a non-negative deviation such as |z|) is averaged over a short window
 * (default 10 samples); that average is compared, as a z, with the distribution of earlier
 * averages (an EWMA mean and variance with a long equivalent window, default 1000 samples).
 * A series that is always noisy has high raw scores all the time and so a low likelihood; a
 * quiet series that turns erratic gets a high one. The stage only looks up (a low raw score is
 * never anomalous).
 *
 * `createLikelihood` is a standalone detector: raw score = |rolling z| of the (transformed)
 * value against the `window` earlier samples (direction applied), then the stage.
 * `alertScore(t)` is the score of a likelihood z of `t` (default 3).
 */
import {
  applyTransform,
  checkNumber,
  deviationToScore,
  directed,
  initRolling,
  initTransform,
  resolveCommon,
  rollingPush,
  rollingSd,
  signedZ,
  type RollingState,
  type TransformState,
} from './common.js';
import type { CommonDetectorOptions, Detector } from './types.js';

/** Settings of the likelihood stage. */
export interface LikelihoodStageConfig {
  /** Samples averaged for the recent level of the raw score. */
  shortWindow: number;
  /** Equivalent window (EWMA) of the long-run distribution of those averages. */
  longWindow: number;
  /** Averages seen before the stage scores anything. */
  warmup: number;
  /** Floor on the long-run standard deviation, in raw-score units. */
  minSd: number;
  /** Cap applied to each raw score before averaging (keeps one infinite z from poisoning it). */
  rawCap: number;
}

export interface LikelihoodStageState {
  /** Ring of the last `shortWindow` raw scores. */
  short: number[];
  pos: number;
  sum: number;
  /** Averages folded into the long-run distribution. */
  n: number;
  m: number;
  v: number;
}

export function initLikelihoodStage(): LikelihoodStageState {
  return { short: [], pos: 0, sum: 0, n: 0, m: 0, v: 0 };
}

/**
 * Folds one raw score in and returns the likelihood z (>= 0) of the current short-window average
 * against the distribution of earlier averages (0 while warming up).
 */
export function likelihoodStep(cfg: LikelihoodStageConfig, s: LikelihoodStageState, raw: number): number {
  const r = raw > cfg.rawCap ? cfg.rawCap : raw > 0 ? raw : 0;
  const buf = s.short;
  if (buf.length < cfg.shortWindow) {
    buf.push(r);
    s.sum += r;
  } else {
    s.sum += r - (buf[s.pos] as number);
    buf[s.pos] = r;
    s.pos++;
    if (s.pos === cfg.shortWindow) {
      s.pos = 0;
      // Recompute the running sum once per lap to bound rounding drift.
      let t = 0;
      for (let i = 0; i < buf.length; i++) t += buf[i] as number;
      s.sum = t;
    }
  }
  const avg = s.sum / buf.length;
  let z = 0;
  if (s.n >= cfg.warmup) {
    const sd = Math.sqrt(s.v);
    z = (avg - s.m) / (sd > cfg.minSd ? sd : cfg.minSd);
    if (!(z > 0)) z = 0;
  }
  if (s.n === 0) {
    s.m = avg;
  } else {
    const alpha = 2 / (Math.min(s.n, cfg.longWindow) + 1);
    const d = avg - s.m;
    const incr = alpha * d;
    s.m += incr;
    s.v = (1 - alpha) * (s.v + d * incr);
  }
  s.n++;
  return z;
}

export interface LikelihoodOptions extends CommonDetectorOptions {
  /** Window of the rolling z that produces the raw score. Default 100. */
  window?: number;
  /** Short averaging window. Default 10. */
  shortWindow?: number;
  /** Long-run equivalent window. Default 1000. */
  longWindow?: number;
  /** Alert threshold in likelihood z units. Default 3. */
  threshold?: number;
}

export interface LikelihoodState {
  tf: TransformState;
  roll: RollingState;
  lk: LikelihoodStageState;
}

export const LIKELIHOOD_DEFAULTS = { window: 100, shortWindow: 10, longWindow: 1000, threshold: 3 } as const;

export function createLikelihood(opts: LikelihoodOptions = {}): Detector<LikelihoodState> {
  const window = checkNumber('window', opts.window ?? LIKELIHOOD_DEFAULTS.window, 2, 1e7, true);
  const shortWindow = checkNumber(
    'shortWindow',
    opts.shortWindow ?? LIKELIHOOD_DEFAULTS.shortWindow,
    1,
    1e6,
    true,
  );
  const longWindow = checkNumber('longWindow', opts.longWindow ?? LIKELIHOOD_DEFAULTS.longWindow, 1, 1e9);
  const threshold = checkNumber('threshold', opts.threshold ?? LIKELIHOOD_DEFAULTS.threshold, 0);
  const c = resolveCommon(opts, Math.min(30, window));
  const warmup = Math.max(2, Math.min(c.warmup, window));
  const cfg: LikelihoodStageConfig = {
    shortWindow,
    longWindow,
    warmup: Math.min(100, longWindow),
    minSd: 0.05,
    rawCap: 50,
  };
  return {
    type: 'likelihood',
    init: () => ({ tf: initTransform(), roll: initRolling(), lk: initLikelihoodStage() }),
    step(s, x) {
      if (!Number.isFinite(x)) return 0;
      const v = applyTransform(c, s.tf, x);
      if (Number.isNaN(v)) return 0;
      const r = s.roll;
      let score = 0;
      if (r.buf.length >= warmup) {
        const raw = directed(signedZ(v, r.mean, rollingSd(r)), c.direction);
        score = deviationToScore(likelihoodStep(cfg, s.lk, raw));
      }
      rollingPush(r, v, window);
      return score;
    },
    alertScore: (t = threshold) => deviationToScore(t),
    // The threshold is on the likelihood of recent raw scores, not on one value: no band.
    expect: (s) =>
      s.roll.buf.length === 0 ? undefined : { expected: [s.roll.mean, s.roll.mean], n: s.roll.buf.length },
  };
}
