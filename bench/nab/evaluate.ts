/**
 * Runs detectors over the NAB data files in process and scores them (no files written unless
 * asked). Shared by the CLI (`run.ts`) and the tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Detector } from '../../src/detectors/anomaly/types.js';
import {
  PROFILES,
  listCsv,
  normalise,
  pool,
  rawAtThreshold,
  readCsv,
  scoreAtThreshold,
  scoreRows,
  sweep,
  windowRows,
  type ScoredRows,
  type SweepResult,
  type WindowsFile,
} from './score.js';

export interface DataFile {
  /** Path relative to the data folder, e.g. `realKnownCause/nyc_taxi.csv`. */
  rel: string;
  /** Timestamps and values exactly as written in the file. */
  timestampText: string[];
  valueText: string[];
  /** Parsed timestamps (ms since epoch, UTC) and values. */
  t: Float64Array;
  x: Float64Array;
}

export function parseNabTimestamp(ts: string): number {
  return Date.parse(`${ts.trim().replace(' ', 'T')}Z`);
}

export function loadData(dataDir: string): DataFile[] {
  return listCsv(dataDir).map((rel) => {
    const { header, rows } = readCsv(path.join(dataDir, rel));
    const ti = header.indexOf('timestamp');
    const vi = header.indexOf('value');
    if (ti < 0 || vi < 0) throw new Error(`${rel}: expected timestamp,value columns`);
    const timestampText = rows.map((r) => r[ti] as string);
    const valueText = rows.map((r) => r[vi] as string);
    return {
      rel,
      timestampText,
      valueText,
      t: Float64Array.from(timestampText, parseNabTimestamp),
      x: Float64Array.from(valueText, Number),
    };
  });
}

/** Runs a fresh detector over one file; returns the scores and the time spent in `step`. */
export function runDetector(d: Detector, f: DataFile): { scores: Float64Array; ms: number } {
  const state = d.init();
  const n = f.x.length;
  const scores = new Float64Array(n);
  const x = f.x;
  const t = f.t;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) scores[i] = d.step(state, x[i] as number, t[i] as number);
  return { scores, ms: performance.now() - t0 };
}

export function resultsCsv(f: DataFile, scores: ArrayLike<number>): string {
  const lines = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < scores.length; i++) {
    lines.push(`${f.timestampText[i] as string},${f.valueText[i] as string},${String(scores[i])}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Split-half check of the threshold: the files in sorted order are dealt alternately into halves
 * A (0th, 2nd, ...) and B; the best threshold of one half is applied to the other.
 */
export interface SplitHalf {
  profile: string;
  /** Score of half B at half A's best threshold, and B's own best. */
  aOnB: number;
  bBest: number;
  /** Score of half A at half B's best threshold, and A's own best. */
  bOnA: number;
  aBest: number;
}

/**
 * Leave-one-category-out cross-validation of the threshold, per profile: for each category
 * (the data file's folder), the best single threshold on the files of all other categories is
 * applied to the held-out category's files. Every file is held out exactly once; as NAB sums raw
 * scores over all files and normalises once by the total window count (SCORING.md,
 * "Normalisation"), the held-out raw scores are summed and normalised over all files. (A mean of
 * per-category normalised scores would be undefined for a category without windows, such as
 * artificialNoAnomaly, and would weigh a category of 6 windows like one of 30.)
 */
export interface CrossValidation {
  profile: string;
  /** Normalised score of the summed held-out raw scores. */
  score: number;
  raw: number;
  /** Per held-out category: the threshold chosen on the others and the held-out raw score. */
  folds: { category: string; threshold: number; raw: number; windows: number }[];
}

export function categoryOf(rel: string): string {
  const i = rel.indexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Leave-one-category-out CV over scored files (`cats[i]` is the category of `files[i]`). */
export function crossValidate(files: readonly ScoredRows[], cats: readonly string[]): CrossValidation[] {
  const categories = [...new Set(cats)].sort();
  const split = categories.map((cat) => ({
    category: cat,
    train: pool(files.filter((_, i) => cats[i] !== cat)),
    test: pool(files.filter((_, i) => cats[i] === cat)),
  }));
  const windows = files.reduce((a, f) => a + f.windows, 0);
  return PROFILES.map((p) => {
    const folds = split.map(({ category, train, test }) => {
      const threshold = sweep(train, p).threshold;
      return { category, threshold, raw: rawAtThreshold(test, p, threshold), windows: test.windows };
    });
    const raw = folds.reduce((a, f) => a + f.raw, 0);
    return { profile: p.name, score: normalise(raw, windows, p), raw, folds };
  });
}

export interface Evaluation {
  results: SweepResult[];
  /** Leave-one-category-out cross-validated scores (the headline). */
  cv: CrossValidation[];
  split: SplitHalf[];
  samples: number;
  /** Best-of-N samples per second of `step` alone. */
  samplesPerSecond: number;
}

/**
 * Scores a detector over the files listed in `windows` (which must all be in `data`).
 * `outDir`, when given, receives one results CSV per file in NAB's layout.
 */
export function evaluate(
  make: () => Detector,
  data: readonly DataFile[],
  windows: WindowsFile,
  opts: { outDir?: string; timingRuns?: number } = {},
): Evaluation {
  const files: ScoredRows[] = [];
  const cats: string[] = [];
  const halves: [ScoredRows[], ScoredRows[]] = [[], []];
  let base = 0;
  let samples = 0;
  let bestMs = Infinity;
  const byRel = new Map(data.map((f) => [f.rel, f]));
  const rels = Object.keys(windows).sort();
  for (let run = 0; run < Math.max(1, opts.timingRuns ?? 1); run++) {
    let ms = 0;
    for (const rel of rels) {
      const f = byRel.get(rel);
      if (!f) throw new Error(`no data file for ${rel}`);
      const r = runDetector(make(), f);
      ms += r.ms;
      if (run > 0) continue;
      samples += f.x.length;
      const w = windows[rel] ?? [];
      const rows = scoreRows(Array.from(r.scores), windowRows(f.timestampText, w), base);
      files.push(rows);
      cats.push(categoryOf(rel));
      halves[(files.length - 1) % 2]?.push(rows);
      base += w.length;
      if (opts.outDir) {
        const file = path.join(opts.outDir, rel);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, resultsCsv(f, r.scores));
      }
    }
    bestMs = Math.min(bestMs, ms);
  }
  const c = pool(files);
  const [ca, cb] = halves.map(pool) as [ReturnType<typeof pool>, ReturnType<typeof pool>];
  return {
    results: PROFILES.map((p) => sweep(c, p)),
    cv: crossValidate(files, cats),
    split: PROFILES.map((p) => {
      const a = sweep(ca, p);
      const b = sweep(cb, p);
      return {
        profile: p.name,
        aOnB: scoreAtThreshold(cb, p, a.threshold),
        bBest: b.score,
        bOnA: scoreAtThreshold(ca, p, b.threshold),
        aBest: a.score,
      };
    }),
    samples,
    samplesPerSecond: samples / (bestMs / 1000),
  };
}
