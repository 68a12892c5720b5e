/**
 * The common options that act on any detector's score: `min_delta` (a minimum absolute deviation
 * from the expected value) and `persist` (k of the last n samples at or above the threshold).
 * Pure; the little state they need lives in the detector's own JSON state object.
 */
import { signedLog1p, type TransformState } from './common.js';
import type { Detector, Expectation } from './types.js';

export interface PersistSpec {
  /** Samples among the last `n` that must score at or above the threshold. */
  k: number;
  n: number;
}

export interface GateOptions {
  log?: boolean;
  diff?: boolean;
  /** Deviations from the expected value below this (in the scored unit) score 0. */
  min_delta?: number;
  persist?: PersistSpec;
}

/** Fields `persist` adds to a detector's state: the last n scores (ring) and its next slot. */
interface PersistFields {
  pz?: number[];
  pp?: number;
}

/**
 * The value `x` will be scored as (after `log` and `diff`), without touching the state; NaN when
 * there is nothing to score yet (the first sample under `diff`).
 */
export function previewTransform(opts: GateOptions, tf: TransformState, x: number): number {
  const v = opts.log ? signedLog1p(x) : x;
  if (!opts.diff) return v;
  return tf.has ? v - tf.prev : NaN;
}

/** Inverse of the transforms: a scored-unit value back in the metric's unit. */
export function toMetricUnit(opts: GateOptions, tf: TransformState, u: number): number {
  let v = opts.diff ? u + (tf.has ? tf.prev : 0) : u;
  if (opts.log) v = v >= 0 ? Math.expm1(v) : -Math.expm1(-v);
  return v;
}

/** Distance from `v` to the interval `[lo, hi]` (0 inside). */
export function distanceTo(v: number, [lo, hi]: readonly [number, number]): number {
  return v < lo ? lo - v : v > hi ? v - hi : 0;
}

/**
 * `min(cap, the k-th largest (1-based) of a)`, k <= a.length, without copying or sorting `a` (it
 * runs on every sample): when k values reach `cap` that is the answer; otherwise the missing ranks
 * are found among the smaller values, one distinct value at a time from the top.
 */
export function cappedKthLargest(a: readonly number[], k: number, cap: number): number {
  let need = k;
  for (const x of a) if (x >= cap) need--;
  if (need <= 0) return cap;
  let below = cap;
  for (;;) {
    let top = -Infinity;
    let count = 0;
    for (const x of a) {
      if (x >= below) continue;
      if (x > top) {
        top = x;
        count = 1;
      } else if (x === top) count++;
    }
    if (top === -Infinity || count >= need) return top === -Infinity ? 0 : top;
    need -= count;
    below = top;
  }
}

/**
 * Wraps a detector with `min_delta` and `persist` (a no-op wrapper is not built: returns `d`
 * when neither is set, `persist` k = n = 1 counting as not set).
 *
 * - `min_delta`: before the sample is folded in, its distance to the detector's expected value
 *   (`Detector.expect`, an interval for the breakout detectors) is measured; below `min_delta`
 *   the score is 0. The state is updated as usual.
 * - `persist: {k, n}`: the score returned is the smaller of the current (gated) score and the
 *   k-th largest of the last n, the current one included (missing ones count 0). So "score >=
 *   alertScore(T)" holds exactly when the sample and at least k of the last n samples scored at
 *   or above alertScore(T), for every T: the warning and the critical threshold, and a NAB sweep,
 *   all see the same rule; a normal sample right after an anomalous run does not alert.
 */
export function withGates<S extends { tf: TransformState }>(d: Detector<S>, opts: GateOptions): Detector<S> {
  const minDelta = opts.min_delta ?? 0;
  const k = opts.persist?.k ?? 1;
  const n = opts.persist?.n ?? 1;
  const persist = n > 1;
  if (!(minDelta > 0) && !persist) return d;
  const expect = d.expect?.bind(d);
  return {
    ...d,
    step(state, x, t) {
      if (!Number.isFinite(x)) return 0;
      let gated = false;
      if (minDelta > 0 && expect) {
        const v = previewTransform(opts, state.tf, x);
        const e = Number.isNaN(v) ? undefined : expect(state);
        gated = e !== undefined && distanceTo(v, e.expected) < minDelta;
      }
      let score = d.step(state, x, t);
      if (gated) score = 0;
      if (!persist) return score;
      const p = state as S & PersistFields;
      const ring = (p.pz ??= []);
      if (ring.length < n) ring.push(score);
      else {
        const pos = p.pp ?? 0;
        ring[pos] = score;
        p.pp = pos + 1 === n ? 0 : pos + 1;
      }
      // The sample itself must be anomalous too: a normal one right after a run is not an alert.
      return ring.length < k ? 0 : cappedKthLargest(ring, k, score);
    },
  };
}

/** `Detector.expect` in the metric's unit (undoing `log` and `diff`). */
export function expectInMetricUnit<S extends { tf: TransformState }>(
  d: Detector<S>,
  opts: GateOptions,
  state: S,
  threshold?: number,
): Expectation | undefined {
  const e = d.expect?.(state, threshold);
  if (!e) return undefined;
  const conv = ([a, b]: [number, number]): [number, number] => [
    toMetricUnit(opts, state.tf, a),
    toMetricUnit(opts, state.tf, b),
  ];
  return { ...e, expected: conv(e.expected), ...(e.band ? { band: conv(e.band) } : {}) };
}
