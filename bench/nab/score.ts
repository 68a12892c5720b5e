/**
 * NAB scorer (v1.1 rules, as described in /work/shared/nab/SCORING.md): per-row weights from the
 * label windows, then a sweep over every distinct score value for the best corpus-wide threshold
 * per profile, normalised so that the null detector scores 0 and a perfect one 100.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Profile {
  name: string;
  tp: number;
  fp: number;
  fn: number;
}

export const PROFILES: readonly Profile[] = [
  { name: 'standard', tp: 1.0, fp: 0.11, fn: 1.0 },
  { name: 'reward_low_FP_rate', tp: 1.0, fp: 0.22, fn: 1.0 },
  { name: 'reward_low_FN_rate', tp: 1.0, fp: 0.11, fn: 2.0 },
];

/** NAB's scaled sigmoid: 2 / (1 + e^(5y)) - 1 for y <= 3, else -1. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** Probationary rows: min(floor(0.15 n), 0.15 * 5000). */
export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

/** `2014-04-10 07:15:00.000000` and `2014-04-10 07:15:00` name the same instant. */
export function normaliseTimestamp(ts: string): string {
  return ts.trim().replace(/\.0*$/, '');
}

/** Window label timestamps -> inclusive row ranges (first row carrying each timestamp). */
export function windowRows(timestamps: readonly string[], windows: readonly (readonly [string, string])[]) {
  const first = new Map<string, number>();
  timestamps.forEach((t, i) => {
    const k = normaliseTimestamp(t);
    if (!first.has(k)) first.set(k, i);
  });
  return windows.map(([a, b]) => {
    const s = first.get(normaliseTimestamp(a));
    const e = first.get(normaliseTimestamp(b));
    if (s === undefined || e === undefined) throw new Error(`window ${a} .. ${b} not found in data`);
    return [s, e] as [number, number];
  });
}

/**
 * The scored rows of one file: for each row after the probationary period, its score, the
 * window it belongs to (-1 outside) and its unweighted value (true-positive share in [0, 1]
 * inside a window, the false-positive sigmoid in [-1, 0] outside).
 */
export interface ScoredRows {
  scores: number[];
  window: number[];
  unit: number[];
  windows: number;
}

export function scoreRows(
  scores: readonly number[],
  windows: readonly (readonly [number, number])[],
  windowIdBase = 0,
) {
  const n = scores.length;
  const prob = probationaryLength(n);
  const out: ScoredRows = { scores: [], window: [], unit: [], windows: windows.length };
  let wi = 0;
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const w = windows[wi];
    const inWindow = w !== undefined && i >= w[0] && i <= w[1];
    let unit: number;
    if (inWindow) {
      const width = w[1] - w[0] + 1;
      unit = scaledSigmoid(-(w[1] - i + 1) / width) / MAX_TP;
    } else if (prevEnd < 0) {
      unit = -1;
    } else {
      unit = scaledSigmoid(Math.abs(prevEnd - i) / (prevWidth - 1));
    }
    if (i >= prob) {
      out.scores.push(scores[i] as number);
      out.window.push(inWindow ? windowIdBase + wi : -1);
      out.unit.push(unit);
    }
    if (inWindow && i === w[1]) {
      prevEnd = w[1];
      prevWidth = w[1] - w[0] + 1;
      wi++;
    }
  }
  return out;
}

export interface SweepResult {
  profile: string;
  /** Normalised score: 0 = never fires, 100 = perfect. */
  score: number;
  threshold: number;
  raw: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Pooled rows of several files (window ids unique across files). */
export interface Corpus {
  scores: Float64Array;
  window: Int32Array;
  unit: Float64Array;
  windows: number;
}

export function pool(files: readonly ScoredRows[]): Corpus {
  const total = files.reduce((a, f) => a + f.scores.length, 0);
  const c: Corpus = {
    scores: new Float64Array(total),
    window: new Int32Array(total),
    unit: new Float64Array(total),
    windows: 0,
  };
  let k = 0;
  for (const f of files) {
    for (let i = 0; i < f.scores.length; i++, k++) {
      c.scores[k] = f.scores[i] as number;
      c.window[k] = f.window[i] as number;
      c.unit[k] = f.unit[i] as number;
    }
    c.windows += f.windows;
  }
  return c;
}

/** Sweeps every distinct score as threshold (highest first); ties go to the higher threshold. */
export function sweep(c: Corpus, profile: Profile): SweepResult {
  const n = c.scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (c.scores[b] as number) - (c.scores[a] as number));
  const best = new Map<number, number>();
  let tpScore = 0;
  let fpScore = 0;
  let tp = 0;
  let fp = 0;
  const nullRaw = -profile.fn * c.windows;
  const perfect = profile.tp * c.windows;
  let bestRaw = nullRaw;
  let bestThreshold = 1.1;
  let bestCounts = { tp: 0, fp: 0 };
  let i = 0;
  while (i < n) {
    const t = c.scores[order[i] as number] as number;
    while (i < n && c.scores[order[i] as number] === t) {
      const k = order[i] as number;
      const w = c.window[k] as number;
      const u = c.unit[k] as number;
      if (w < 0) {
        fpScore += profile.fp * u;
        fp++;
      } else {
        const v = profile.tp * u;
        const prev = best.get(w);
        if (prev === undefined) {
          best.set(w, v);
          tpScore += v;
          tp++;
        } else if (v > prev) {
          best.set(w, v);
          tpScore += v - prev;
        }
      }
      i++;
    }
    const raw = tpScore + fpScore - profile.fn * (c.windows - tp);
    if (raw > bestRaw) {
      bestRaw = raw;
      bestThreshold = t;
      bestCounts = { tp, fp };
    }
  }
  return {
    profile: profile.name,
    score: (100 * (bestRaw - nullRaw)) / (perfect - nullRaw),
    threshold: bestThreshold,
    raw: bestRaw,
    tp: bestCounts.tp,
    fp: bestCounts.fp,
    fn: c.windows - bestCounts.tp,
  };
}

/** NAB's normalisation: 100 * (raw - null) / (perfect - null) over `windows` windows. */
export function normalise(raw: number, windows: number, profile: Profile): number {
  const nullRaw = -profile.fn * windows;
  return (100 * (raw - nullRaw)) / (profile.tp * windows - nullRaw);
}

/** Raw (unnormalised) NAB score of a corpus at a fixed threshold (detections: score >= threshold). */
export function rawAtThreshold(c: Corpus, profile: Profile, threshold: number): number {
  const best = new Map<number, number>();
  let fpScore = 0;
  for (let k = 0; k < c.scores.length; k++) {
    if (!((c.scores[k] as number) >= threshold)) continue;
    const w = c.window[k] as number;
    const u = c.unit[k] as number;
    if (w < 0) {
      fpScore += profile.fp * u;
    } else {
      const v = profile.tp * u;
      const prev = best.get(w);
      if (prev === undefined || v > prev) best.set(w, v);
    }
  }
  let tpScore = 0;
  for (const v of best.values()) tpScore += v;
  return tpScore + fpScore - profile.fn * (c.windows - best.size);
}

/** Normalised score of a corpus at a fixed threshold (detections: score >= threshold). */
export function scoreAtThreshold(c: Corpus, profile: Profile, threshold: number): number {
  return normalise(rawAtThreshold(c, profile, threshold), c.windows, profile);
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/** Minimal CSV reader for NAB files (no quoting in NAB data): header + rows of strings. */
export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  return { header, rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Relative paths (with `/`) of the CSV files under a folder, sorted. */
export function listCsv(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(root, r)).isDirectory()) out.push(...listCsv(root, r));
    else if (name.endsWith('.csv')) out.push(r);
  }
  return out;
}

export type WindowsFile = Record<string, [string, string][]>;

export function readWindows(file: string): WindowsFile {
  return JSON.parse(readFileSync(file, 'utf8')) as WindowsFile;
}

/**
 * Scores a results folder (NAB layout, `anomaly_score` column) against the label windows for
 * every file listed in `windows`, under every profile.
 */
export function scoreResultsDir(resultsDir: string, windows: WindowsFile): SweepResult[] {
  const files: ScoredRows[] = [];
  let base = 0;
  for (const rel of Object.keys(windows).sort()) {
    const { header, rows } = readCsv(path.join(resultsDir, rel));
    const ti = header.indexOf('timestamp');
    const si = header.indexOf('anomaly_score');
    if (ti < 0 || si < 0) throw new Error(`${rel}: needs timestamp and anomaly_score columns`);
    const ts = rows.map((r) => r[ti] as string);
    const scores = rows.map((r) => Number(r[si]));
    files.push(scoreRows(scores, windowRows(ts, windows[rel] ?? []), base));
    base += (windows[rel] ?? []).length;
  }
  const c = pool(files);
  return PROFILES.map((p) => sweep(c, p));
}
