/**
 * The contract every anomaly detector keeps.
 *
 * A detector is a pair of pure functions over a plain, JSON-serialisable state object (numbers,
 * arrays of numbers, nested plain objects: it is stored in Redis between batches). `step` scores
 * one sample against the state built from strictly earlier samples, then folds the sample in,
 * mutating `state` in place (for speed), and returns a score in [0, 1]: higher is more
 * anomalous, never NaN. While warming up it returns 0.
 */
export interface Detector<S = unknown> {
  /** Registry name, e.g. `zscore`. */
  readonly type: string;
  /** A fresh state. */
  init(): S;
  /** Scores `x` (observed at `t`, ms since epoch) and folds it into `state`. */
  step(state: S, x: number, t: number): number;
  /**
   * The score at which a value of the user's threshold, in the detector's own unit (z for the
   * z-scores, for example), is reached. `alertScore()` is the detector's default alert cut.
   */
  alertScore(threshold?: number): number;
  /**
   * What the detector expects of the next sample, from the state (strictly earlier samples), in
   * the scored unit (after `log` / `diff`): see {@link Expectation}. Undefined while there is no
   * history to speak of. Pure: does not touch `state`.
   */
  expect?(state: S, threshold?: number): Expectation | undefined;
}

/** What a detector expects of the next sample (see `Detector.expect`). */
export interface Expectation {
  /**
   * The expected value, as an interval: `[mean, mean]` for the z-scores, the window's
   * `[min, max]` for the breakout detectors. The deviation of a value is its distance to it.
   */
  expected: [number, number];
  /** Values scoring below `alertScore(threshold)`, when that is an interval of values (mean ± t·sd). */
  band?: [number, number];
  /** Samples the statistics are built from (the history length). */
  n: number;
}

export type Direction = 'up' | 'down' | 'both';

/** Options every detector understands (each detector adds its own). */
export interface CommonDetectorOptions {
  /** Which deviations count: above normal, below normal or both. Default `both`. */
  direction?: Direction;
  /** Samples to see before scoring anything. */
  warmup?: number;
  /** Score the difference to the previous sample instead of the sample. */
  diff?: boolean;
  /** Score log(x) (log1p for x >= 0) instead of x. */
  log?: boolean;
}
