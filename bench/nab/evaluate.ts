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
  pool,
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

export interface Evaluation {
  results: SweepResult[];
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
