/**
 * NAB benchmark CLI:
 *   npm run bench:nab -- [--data DIR] [--windows FILE] [--out DIR] [--detector NAME]
 * Writes OUT/<detector>/<category>/<file>.csv (timestamp,value,anomaly_score), scores them with
 * the NAB rules and prints scores, thresholds and throughput. Defaults: --data ../shared/nab/data
 * (relative to the repo root), --windows <data>/../windows.json, --out $TMPDIR/klaxon-nab.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DETECTOR_TYPES,
  createDetector,
  type DetectorSpecInput,
  type DetectorType,
} from '../../src/detectors/anomaly/index.js';
import { evaluate, loadData, type Evaluation } from './evaluate.js';
import { PROFILES, readWindows, scoreResultsDir } from './score.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const dataDir = path.resolve(repoRoot, arg('data') ?? path.join('..', 'shared', 'nab', 'data'));
const windowsFile = path.resolve(arg('windows') ?? path.join(dataDir, '..', 'windows.json'));
const outDir = path.resolve(arg('out') ?? path.join(os.tmpdir(), 'klaxon-nab'));
const only = arg('detector');
if (only !== undefined && !(DETECTOR_TYPES as readonly string[]).includes(only)) {
  console.error(`unknown detector ${only}; one of ${DETECTOR_TYPES.join(', ')}`);
  process.exit(2);
}
/**
 * Every detector with its trading defaults, plus documented NAB settings: NAB's data are mostly
 * 5-minute samples with daily cycles, so the z-scores are also run with a window of one day
 * (288 samples) instead of their trading default of 100 samples.
 */
const ONE_DAY = 288;
type Config = { name: string; spec: DetectorSpecInput };
const configs: Config[] = (
  [
    ...DETECTOR_TYPES.map((type) => ({ name: type, spec: { type } })),
    { name: 'zscore@1d', spec: { type: 'zscore', window: ONE_DAY } },
    { name: 'robust_z@1d', spec: { type: 'robust_z', window: ONE_DAY } },
  ] as Config[]
).filter((c) => only === undefined || c.spec.type === (only as DetectorType));

const windows = readWindows(windowsFile);
const data = loadData(dataDir);
console.log(`NAB: ${data.length} files, ${data.reduce((a, f) => a + f.x.length, 0)} rows from ${dataDir}`);
console.log(`results: ${outDir}/<detector>/...  (${os.cpus().length} cores, node ${process.version})\n`);

const summary: Record<string, Evaluation> = {};
const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (x: number) => x.toFixed(2).padStart(7);
console.log(
  'per profile: leave-one-category-out cross-validated score (the headline), then the swept score\n' +
    '(one best threshold on all files) and that threshold\n',
);
console.log(
  `${pad('detector', 12)}${PROFILES.map((p) => pad(`${p.name}: CV | swept (threshold)`, 48)).join('')}samples/s`,
);
for (const { name: type, spec } of configs) {
  const dir = path.join(outDir, type);
  const ev = evaluate(() => createDetector(spec), data, windows, { outDir: dir, timingRuns: 3 });
  // Re-score from the written CSV files: what NAB itself would see.
  const fromFiles = scoreResultsDir(dir, windows);
  fromFiles.forEach((r, i) => {
    if (Math.abs(r.score - (ev.results[i]?.score ?? NaN)) > 1e-9) {
      throw new Error(`${type}: score from files differs from in-process score`);
    }
  });
  summary[type] = ev;
  console.log(
    `${pad(type, 12)}${ev.results
      .map((r, i) =>
        pad(`${fmt(ev.cv[i]?.score ?? NaN)} | ${fmt(r.score)} (${r.threshold.toPrecision(6)})`, 48),
      )
      .join('')}${Math.round(ev.samplesPerSecond).toLocaleString('en-US')}`,
  );
}
console.log('\nCV thresholds per held-out category (chosen on the other categories), standard profile:');
for (const [type, ev] of Object.entries(summary)) {
  const folds = ev.cv[0]?.folds ?? [];
  console.log(
    `${pad(type, 12)}${folds.map((f) => `${f.category} ${f.threshold.toPrecision(6)} (raw ${f.raw.toFixed(2)})`).join('  ')}`,
  );
}
console.log(
  '\nsplit-half (files dealt alternately into A and B; best threshold of one half applied to the other;\n' +
    ' per profile: standard | reward_low_FP_rate | reward_low_FN_rate):',
);
for (const [type, ev] of Object.entries(summary)) {
  console.log(
    `${pad(type, 12)}${ev.split
      .map((s) => `A->B ${fmt(s.aOnB)} (best ${fmt(s.bBest)})  B->A ${fmt(s.bOnA)} (best ${fmt(s.aBest)})`)
      .join('  |  ')}`,
  );
}
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
