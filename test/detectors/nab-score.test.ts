import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crossValidate, evaluate, loadData } from '../../bench/nab/evaluate.js';
import { createDefault } from '../../src/detectors/anomaly/default.js';
import { createZScore } from '../../src/detectors/anomaly/zscore.js';
import {
  PROFILES,
  pool,
  probationaryLength,
  readWindows,
  scaledSigmoid,
  scoreAtThreshold,
  scoreResultsDir,
  scoreRows,
  sweep,
} from '../../bench/nab/score.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nab = path.resolve(repoRoot, '..', 'shared', 'nab');

describe('NAB scorer', () => {
  it('has the NAB sigmoid and probationary period', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.01)).toBe(-1);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(22695)).toBe(750);
  });

  it('scores a small hand-made file', () => {
    // 100 rows, probation 15; one window rows 40..59 (width 20).
    const scores = new Array<number>(100).fill(0);
    scores[10] = 0.9; // probation: ignored
    scores[45] = 0.8; // TP: y = -(59 - 45 + 1) / 20 = -0.75
    scores[50] = 0.95; // later TP in the same window
    scores[70] = 0.7; // FP after the window: y = (70 - 59) / 19
    scores[20] = 0.6; // FP before any window: -1
    const c = pool([scoreRows(scores, [[40, 59]])]);
    const std = PROFILES[0]!;
    const r = sweep(c, std);
    const tp = scaledSigmoid(-0.75) / scaledSigmoid(-1);
    // Candidates: 0.95 -> sig(-0.5)/max; 0.8 -> tp; 0.7 -> tp + 0.11 sig(11/19); 0.6 -> ... - 0.11.
    expect(r.threshold).toBe(0.8);
    expect(scoreAtThreshold(c, std, 0.8)).toBeCloseTo(r.score, 12);
    expect(scoreAtThreshold(c, std, 0.6)).toBeCloseTo(
      (100 * (tp + 0.11 * scaledSigmoid(11 / 19) - 0.11 + 1)) / 2,
      10,
    );
    expect(scoreAtThreshold(c, std, 1)).toBe(0);
    expect(r.raw).toBeCloseTo(tp, 12);
    expect(r.score).toBeCloseTo((100 * (tp + 1)) / 2, 10);
    const fn2 = sweep(c, PROFILES[2]!);
    expect(fn2.score).toBeCloseTo((100 * (tp + 2)) / 3, 10);
  });

  it('cross-validates the threshold leaving one category out, summing held-out raw scores', () => {
    // Category a: one window rows 40..59, a detection at its first row scores 0.8, an FP 0.9.
    // Category b: one window, detected only at 0.6 (first row); no FP.
    // Category c: no window, an FP at 0.7.
    const a = new Array<number>(100).fill(0);
    a[40] = 0.8;
    a[20] = 0.9; // before the window: a full FP
    const b = new Array<number>(100).fill(0);
    b[40] = 0.6;
    const cc = new Array<number>(100).fill(0);
    cc[50] = 0.7;
    const files = [scoreRows(a, [[40, 59]], 0), scoreRows(b, [[40, 59]], 1), scoreRows(cc, [], 2)];
    const std = PROFILES[0]!;
    const [cv] = crossValidate(files, ['a', 'b', 'c']);
    // Held out a: on b + c the best is 0.6 (TP 1, FP -0.11 at 0.7): raw on a = 1 - 0.11 (FP 0.9).
    // Held out b: on a + c the best is 0.8 (TP 1, FP at 0.9 -0.11): on b nothing fires: -1.
    // Held out c: on a + b the best is 0.6 (2 TP - 0.11): on c the FP at 0.7 fires: -0.11.
    const folds = cv!.folds.map((f) => [f.category, f.threshold]);
    expect(folds).toEqual([
      ['a', 0.6],
      ['b', 0.8],
      ['c', 0.6],
    ]);
    const raw = 1 - 0.11 - 1 - 0.11;
    expect(cv!.raw).toBeCloseTo(raw, 12);
    // Normalised over all files (2 windows): null -2, perfect 2.
    expect(cv!.score).toBeCloseTo((100 * (raw + 2)) / 4, 10);
    expect(cv!.profile).toBe(std.name);
  });

  it('reproduces the published windowedGaussian numbers on the DEV files', () => {
    const r = scoreResultsDir(
      path.join(nab, 'reference-results', 'windowedGaussian'),
      readWindows(path.join(nab, 'windows.json')),
    );
    expect(r.map((x) => x.profile)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
    expect(r.map((x) => Number(x.score.toFixed(2)))).toEqual([21.97, 4.87, 29.8]);
    expect(r.map((x) => x.threshold)).toEqual([0.999999999999, 1.0, 0.999999999999]);
  });

  it('scores the default detector on the DEV files (and its split-half check)', () => {
    const ev = evaluate(
      () => createDefault(),
      loadData(path.join(nab, 'data')),
      readWindows(path.join(nab, 'windows.json')),
    );
    expect(ev.samples).toBe(181653);
    expect(ev.results.map((x) => Number(x.score.toFixed(2)))).toEqual([68.36, 64.86, 71.64]);
    expect(ev.results.map((x) => x.threshold)).toEqual([
      0.5023403419405064, 0.5023403419405064, 0.5023403419405064,
    ]);
    expect(ev.results[0]).toMatchObject({ tp: 43, fp: 37, fn: 12 });
    const std = ev.split[0]!;
    expect([std.aOnB, std.bBest, std.bOnA, std.aBest].map((x) => Number(x.toFixed(2)))).toEqual([
      65.62, 68.19, 68.49, 69.15,
    ]);
    // The default alert cut sits just below the chosen threshold (breakout 0.009 vs 0.0094).
    expect(createDefault().alertScore()).toBeLessThan(ev.results[0]!.threshold);
    expect(ev.results[0]!.threshold - createDefault().alertScore()).toBeLessThan(0.0003);
  });

  it('scores zscore with its trading defaults above windowedGaussian, cross-validated', () => {
    // The usual-spread floor (before it: CV 7.47 / 1.04 / 8.93, swept 15.66 / 5.36 / 25.05).
    const ev = evaluate(
      () => createZScore(),
      loadData(path.join(nab, 'data')),
      readWindows(path.join(nab, 'windows.json')),
    );
    expect(ev.cv.map((x) => Number(x.score.toFixed(2)))).toEqual([24.11, 11.13, 32.24]);
    expect(ev.results.map((x) => Number(x.score.toFixed(2)))).toEqual([31.36, 17.94, 39.33]);
    // NAB's own windowedGaussian scores 21.97 swept on the same files.
    expect(ev.cv[0]!.score).toBeGreaterThan(21.97);
  });
});
