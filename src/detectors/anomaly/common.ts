/**
 * Shared pieces of the anomaly detectors: input transforms, the score map, and O(1) rolling
 * statistics over a ring buffer. Everything here is pure and works on plain JSON-serialisable
 * state objects (numbers and arrays of numbers only, no NaN/Infinity stored).
 */
import type { CommonDetectorOptions, Direction } from './types.js';

// ---------------------------------------------------------------------------------------------
// Score map
// ---------------------------------------------------------------------------------------------

/**
 * Maps a non-negative deviation `d` (in the detector's unit, e.g. |z|) to a score in [0, 1):
 * `d / (1 + d)`. Strictly increasing, 0 at 0, 0.5 at 1, 0.75 at 3, 0.9 at 9, and it only
 * reaches exactly 1.0 for `d = Infinity` (or d above ~1e16), so large deviations keep distinct
 * scores (ties at 1.0 hurt threshold sweeps such as NAB's). Negative or NaN inputs give 0.
 */
export function deviationToScore(d: number): number {
  if (!(d > 0)) return 0;
  if (d === Infinity) return 1;
  return d / (1 + d);
}

/** Inverse of {@link deviationToScore}: the deviation a score stands for. */
export function scoreToDeviation(s: number): number {
  if (!(s > 0)) return 0;
  if (s >= 1) return Infinity;
  return s / (1 - s);
}

/** Keeps the signed deviation `z` that `direction` cares about, as a magnitude (0 otherwise). */
export function directed(z: number, direction: Direction): number {
  if (direction === 'up') return z > 0 ? z : 0;
  if (direction === 'down') return z < 0 ? -z : 0;
  return z < 0 ? -z : z;
}

/**
 * The signed z of `x` against a centre and spread, with the flat-history policy every detector
 * shares: when `spread` is 0 (or not positive) the deviation is 0 if `x` equals the centre and
 * infinite (signed) otherwise.
 */
export function signedZ(x: number, centre: number, spread: number): number {
  const d = x - centre;
  if (spread > 0) return d / spread;
  if (d === 0) return 0;
  return d > 0 ? Infinity : -Infinity;
}

// ---------------------------------------------------------------------------------------------
// Resolution: the smallest change the series has shown
// ---------------------------------------------------------------------------------------------

/**
 * Standard deviation of the rounding error of a reading quantised to steps of `q`: the true value
 * behind a reading `v` lies anywhere in [v - q/2, v + q/2], uniformly, so its sd is q / sqrt(12).
 */
export const QUANTUM_SD = 1 / Math.sqrt(12);

/**
 * Relative size below which a change is taken as floating-point rounding residue, not as a step
 * of the series (see {@link foldResolution}): 1e-12, i.e. 4,500 to 9,000 units in the last place
 * (an ulp is 2^-53 to 2^-52 of a value). A value worked out in floating point is off by up to
 * half an ulp per operation, more after a subtraction of close operands, whose error is relative
 * to the operands, not to the result (1.1 - 1.0 is 0.1 + 8.3e-17, 6 ulps of 0.1). 1e-12 leaves
 * room for a few operations that lose three decimal digits to cancellation (the difference of two
 * prices 1,000 times its size). Genuine data keeps clear of it: a quantum that small relative to
 * the values means 12 or more significant digits (1e-8 steps on values around 1 are 1e-8
 * relative, a tick of 1e-3 on 1e6 is 1e-9); a rarer one below it is simply not taken as the
 * resolution, and a floor of q / sqrt(12) that deep in the last digits would not move a score.
 */
export const RESIDUE_REL = 1e-12;

/**
 * Folds one step `prev -> v` into the resolution `q` (0 = none seen yet): the smallest non-zero
 * |v - prev| between consecutive samples. For a quantised series (integer counts, prices in
 * ticks, a percentage with two decimals) every change is a multiple of the quantum, so `q`
 * converges to the quantum; for a continuous series it shrinks towards 0 and the floor it gives
 * never binds.
 *
 * A change no larger than {@link RESIDUE_REL} x the magnitude of the values is rounding residue
 * (0.1 + 0.2 and 0.3 differ by 5.6e-17), not a step: taken as `q`, it would put the floor at
 * ~1e-17 and a one-quantum move would score a z in the tens (zscore, held by its usual-spread
 * floor) or ~1e14 (robust_z) instead of sqrt(12). The magnitude is max(|prev|, |v|, |scale|).
 * `scale` is for values that are themselves differences (the `diff` transform): their residue is
 * relative to what was subtracted, not to the result (a P&L around 10,000 in cents gives one-cent
 * diffs that differ from one another by 1.8e-12), so the caller passes the magnitude of the
 * operands, e.g. the last undifferenced value. The tolerance is only worked out when `d` would
 * become the new `q`, so the usual sample still costs one subtraction and a comparison or two.
 */
export function foldResolution(q: number, prev: number, v: number, scale = 0): number {
  const d = v > prev ? v - prev : prev - v;
  if (!(d > 0) || (q !== 0 && d >= q)) return q;
  let m = prev < 0 ? -prev : prev;
  const a = v < 0 ? -v : v;
  if (a > m) m = a;
  const s = scale < 0 ? -scale : scale;
  if (s > m) m = s;
  return d > m * RESIDUE_REL ? d : q;
}

/**
 * The spread to score against: the measured `spread`, but never below the rounding sd of the
 * series' resolution (`q * QUANTUM_SD`). A flat or quantised window says the spread is below what
 * the series can show, not that it is 0, so a one-quantum change scores z = sqrt(12) ~ 3.46
 * instead of infinity. With `q` = 0 (the series has never changed) the flat-history rule stays.
 */
export function flooredSpread(spread: number, q: number): number {
  const floor = q * QUANTUM_SD;
  return spread > floor ? spread : floor;
}

/** The last value pushed into a rolling window (undefined when empty). */
export function rollingLast(r: RollingState): number | undefined {
  const n = r.buf.length;
  if (n === 0) return undefined;
  return r.buf[r.pos === 0 ? n - 1 : r.pos - 1];
}

// ---------------------------------------------------------------------------------------------
// Input transforms (`log`, `diff`)
// ---------------------------------------------------------------------------------------------

/** State of the input transform: the previous transformed value, for `diff`. */
export interface TransformState {
  /** 1 once a previous value is known. */
  has: number;
  prev: number;
}

export function initTransform(): TransformState {
  return { has: 0, prev: 0 };
}

/**
 * Signed log: `log1p(x)` for x >= 0 and `-log1p(-x)` for x < 0. Continuous, strictly increasing
 * and odd, so negative values (a P&L, a difference) are compressed symmetrically rather than
 * rejected or turned into NaN.
 */
export function signedLog1p(x: number): number {
  return x >= 0 ? Math.log1p(x) : -Math.log1p(-x);
}

/**
 * Applies the common transforms in a fixed order: first `log` (signed log1p), then `diff`
 * (difference to the previous *transformed* sample, so `log` + `diff` is a relative change).
 * Returns NaN when there is nothing to score yet (the first sample under `diff`); the caller
 * then returns 0 without updating its statistics. Non-finite inputs must be filtered before.
 */
export function applyTransform(opts: CommonDetectorOptions, st: TransformState, x: number): number {
  let v = opts.log ? signedLog1p(x) : x;
  if (opts.diff) {
    const prev = st.prev;
    const had = st.has;
    st.prev = v;
    st.has = 1;
    if (!had) return NaN;
    v -= prev;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Rolling mean / standard deviation over a window (sliding Welford, O(1) amortised)
// ---------------------------------------------------------------------------------------------

/** Ring buffer with a running mean and sum of squared deviations of its contents. */
export interface RollingState {
  /** Values, used as a ring once full (length <= window). */
  buf: number[];
  /** Next slot to overwrite once full. */
  pos: number;
  mean: number;
  /** Sum of squared deviations from `mean`. */
  m2: number;
  /** Removals since the last exact recomputation (bounds floating-point drift). */
  since: number;
}

export function initRolling(): RollingState {
  return { buf: [], pos: 0, mean: 0, m2: 0, since: 0 };
}

/** Sample standard deviation (n - 1) of the window; 0 with fewer than 2 values. */
export function rollingSd(r: RollingState): number {
  const n = r.buf.length;
  if (n < 2) return 0;
  const v = r.m2 / (n - 1);
  return v > 0 ? Math.sqrt(v) : 0;
}

function recompute(r: RollingState): void {
  const buf = r.buf;
  const n = buf.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += buf[i] as number;
  const mean = s / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = (buf[i] as number) - mean;
    m2 += d * d;
  }
  r.mean = mean;
  r.m2 = m2;
  r.since = 0;
}

/** Adds `x` to the window of size `window`, evicting the oldest value once full. */
export function rollingPush(r: RollingState, x: number, window: number): void {
  const buf = r.buf;
  if (buf.length < window) {
    buf.push(x);
    const n = buf.length;
    const d = x - r.mean;
    r.mean += d / n;
    r.m2 += d * (x - r.mean);
    return;
  }
  const old = buf[r.pos] as number;
  buf[r.pos] = x;
  r.pos = r.pos + 1 === window ? 0 : r.pos + 1;
  // Replace `old` by `x` with the count unchanged.
  const n = window;
  const oldMean = r.mean;
  const newMean = oldMean + (x - old) / n;
  r.m2 += (x - old) * (x - newMean + old - oldMean);
  r.mean = newMean;
  if (r.m2 < 0) r.m2 = 0;
  if (++r.since >= window) recompute(r);
}

// ---------------------------------------------------------------------------------------------
// Exponentially weighted mean and variance (EWMA, CUSUM)
// ---------------------------------------------------------------------------------------------

/** An exponentially weighted mean `m` and variance `v`, after `n` samples. */
export interface WeightedState {
  n: number;
  m: number;
  v: number;
}

/**
 * Folds `x` into an exponentially weighted mean and variance of weight `alpha`. Until 1/alpha
 * samples are in, they weigh equally (running mean and variance), so that the variance does not
 * start biased towards 0.
 */
export function weightedPush(s: WeightedState, x: number, alpha: number): void {
  const a = alpha > 1 / (s.n + 1) ? alpha : 1 / (s.n + 1);
  const d = x - s.m;
  const incr = a * d;
  s.m += incr;
  s.v = (1 - a) * (s.v + d * incr);
  s.n++;
}

// ---------------------------------------------------------------------------------------------
// Option helpers
// ---------------------------------------------------------------------------------------------

/** Checks that a numeric option is finite and within bounds, with a readable error. */
export function checkNumber(name: string, v: number, min: number, max = Infinity, integer = false): number {
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new RangeError(
      `${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(v)}`,
    );
  }
  return v;
}

/** Normalised common options with their defaults filled in. */
export interface ResolvedCommon {
  direction: Direction;
  warmup: number;
  diff: boolean;
  log: boolean;
}

export function resolveCommon(opts: CommonDetectorOptions, defaultWarmup: number): ResolvedCommon {
  const direction = opts.direction ?? 'both';
  if (direction !== 'up' && direction !== 'down' && direction !== 'both') {
    throw new RangeError(`direction must be up, down or both, got ${String(direction)}`);
  }
  return {
    direction,
    warmup: checkNumber('warmup', opts.warmup ?? defaultWarmup, 0, Infinity, true),
    diff: opts.diff ?? false,
    log: opts.log ?? false,
  };
}
