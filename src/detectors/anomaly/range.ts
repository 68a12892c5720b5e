/**
 * New high / new low over a window.
 *
 * A sample strictly above the maximum (or below the minimum) of the previous `window` samples is
 * a breakout. Its size is measured in units of that window's range: `e = (x - max) / (max - min)`
 * (`FLAT_BREAKOUT` = 1e9 on a flat window). Score = `0.5 + 0.5 * e / (1 + e)` for a breakout and 0 otherwise,
 * so every breakout scores above 0.5 and `alertScore(t)` is the score of a breakout by `t` ranges
 * (`alertScore(0)` = 0.5: any new high/low alerts). Sliding max/min with monotone deques: O(1)
 * amortised per sample.
 */
import {
  applyTransform,
  checkNumber,
  deviationToScore,
  initTransform,
  resolveCommon,
  type TransformState,
} from './common.js';
import type { CommonDetectorOptions, Detector } from './types.js';

export interface RangeOptions extends CommonDetectorOptions {
  /** Number of earlier samples the high and low are taken over. Default 100. */
  window?: number;
  /** Breakout size, in window ranges, that alerts. Default 0 (any new high/low). */
  threshold?: number;
}

/** Sliding max/min of the last `window` values (monotone deques, O(1) amortised). */
export interface BreakoutState {
  /** Index of the next sample. */
  i: number;
  /** Decreasing deque of (index, value) for the max, from position `maxH`. */
  maxI: number[];
  maxV: number[];
  /** Increasing deque for the min, from position `minH`. */
  minI: number[];
  minV: number[];
  /**
   * Heads and ends of the deques: the entries in [head, end) are the deque; those before the
   * head have left the window, those from the end on are stale slots kept for reuse (no pop or
   * push on the hot path). Absent in states saved before they existed: 0 and the arrays' length.
   * The arrays are compacted once half of them is behind the head.
   */
  maxH?: number;
  minH?: number;
  maxE?: number;
  minE?: number;
}

export function initBreakout(): BreakoutState {
  return { i: 0, maxI: [], maxV: [], minI: [], minV: [], maxH: 0, minH: 0, maxE: 0, minE: 0 };
}

/**
 * Appends (i, v) at `end` of a deque whose entries must stay monotone: drops from the back the
 * entries `v` makes irrelevant (`keep(back, v)` false), writes in place and returns the new end.
 */
function pushBack(
  idx: number[],
  val: number[],
  head: number,
  end: number,
  i: number,
  v: number,
  max: boolean,
): number {
  let e = end;
  if (max) while (e > head && (val[e - 1] as number) <= v) e--;
  else while (e > head && (val[e - 1] as number) >= v) e--;
  if (e === idx.length) {
    idx.push(i);
    val.push(v);
  } else {
    idx[e] = i;
    val[e] = v;
  }
  return e + 1;
}

/** Moves a deque to the front of its arrays once its head is at least half of them (and 32). */
function compact(idx: number[], val: number[], head: number, end: number): number {
  if (head < 32 || head * 2 < end) return head;
  idx.copyWithin(0, head, end);
  val.copyWithin(0, head, end);
  idx.length = end - head;
  val.length = end - head;
  return 0;
}

/** The window's largest value (the sample just added included); undefined when empty. */
export function breakoutMax(s: BreakoutState): number | undefined {
  return s.maxV[s.maxH ?? 0];
}

/** The window's smallest value; undefined when empty. */
export function breakoutMin(s: BreakoutState): number | undefined {
  return s.minV[s.minH ?? 0];
}

/** Breakout size reported for a breakout from a flat window (finite, so states stay JSON). */
export const FLAT_BREAKOUT = 1e9;

/**
 * Scores `v` against the max/min of the previous `window` values, then adds it. Returns the
 * breakout size in window ranges (>= 0, `FLAT_BREAKOUT` from a flat window) when `v` is strictly
 * above the max (`up`) or below the min (`down`) and at least `warmup` values were seen; -1
 * otherwise.
 */
export function breakoutStep(
  s: BreakoutState,
  v: number,
  window: number,
  warmup: number,
  up: boolean,
  down: boolean,
): number {
  const i = s.i;
  const { maxI, maxV, minI, minV } = s;
  const maxEnd = s.maxE ?? maxI.length;
  const minEnd = s.minE ?? minI.length;
  // Keep indices i-window .. i-1: advance the heads past older entries.
  let mh = s.maxH ?? 0;
  while (mh < maxEnd && (maxI[mh] as number) < i - window) mh++;
  let nh = s.minH ?? 0;
  while (nh < minEnd && (minI[nh] as number) < i - window) nh++;
  let e = -1;
  if (i >= warmup && i > 0) {
    const hi = maxV[mh] as number;
    const lo = minV[nh] as number;
    const span = hi - lo;
    if (up && v > hi) e = span > 0 ? Math.min(FLAT_BREAKOUT, (v - hi) / span) : FLAT_BREAKOUT;
    else if (down && v < lo) e = span > 0 ? Math.min(FLAT_BREAKOUT, (lo - v) / span) : FLAT_BREAKOUT;
  }
  const me = pushBack(maxI, maxV, mh, maxEnd, i, v, true);
  const ne = pushBack(minI, minV, nh, minEnd, i, v, false);
  s.maxH = compact(maxI, maxV, mh, me);
  s.maxE = me - (mh - s.maxH);
  s.minH = compact(minI, minV, nh, ne);
  s.minE = ne - (nh - s.minH);
  s.i = i + 1;
  return e;
}

export interface RangeState {
  tf: TransformState;
  br: BreakoutState;
}

/** The [min, max] of the last `window` values of a breakout state (undefined when empty). */
export function breakoutRange(s: BreakoutState, window: number): [number, number] | undefined {
  const oldest = s.i - window;
  const maxEnd = s.maxE ?? s.maxI.length;
  const minEnd = s.minE ?? s.minI.length;
  let a = s.maxH ?? 0;
  while (a < maxEnd && (s.maxI[a] as number) < oldest) a++;
  let b = s.minH ?? 0;
  while (b < minEnd && (s.minI[b] as number) < oldest) b++;
  if (a >= maxEnd || b >= minEnd) return undefined;
  return [s.minV[b] as number, s.maxV[a] as number];
}

export const RANGE_DEFAULTS = { window: 100, threshold: 0 } as const;

export function breakoutScore(e: number): number {
  return 0.5 + 0.5 * deviationToScore(e);
}

export function createRange(opts: RangeOptions = {}): Detector<RangeState> {
  const window = checkNumber('window', opts.window ?? RANGE_DEFAULTS.window, 1, 1e7, true);
  const threshold = checkNumber('threshold', opts.threshold ?? RANGE_DEFAULTS.threshold, 0);
  // Default warm-up: a full window, so that "new high" means "highest of the last `window`".
  const c = resolveCommon(opts, window);
  const warmup = Math.max(1, Math.min(c.warmup, window));
  const up = c.direction !== 'down';
  const down = c.direction !== 'up';
  return {
    type: 'range',
    init: () => ({ tf: initTransform(), br: initBreakout() }),
    step(s, x) {
      if (!Number.isFinite(x)) return 0;
      const v = applyTransform(c, s.tf, x);
      if (Number.isNaN(v)) return 0;
      const e = breakoutStep(s.br, v, window, warmup, up, down);
      return e >= 0 ? breakoutScore(e) : 0;
    },
    alertScore: (t = threshold) => breakoutScore(t),
    expect(s, t = threshold) {
      const r = breakoutRange(s.br, window);
      if (!r) return undefined;
      const span = r[1] - r[0];
      return { expected: r, band: [r[0] - t * span, r[1] + t * span], n: Math.min(s.br.i, window) };
    },
  };
}
