import { describe, expect, it } from 'vitest';
import {
  createLikelihood,
  initLikelihoodStage,
  likelihoodStep,
} from '../../src/detectors/anomaly/likelihood.js';

describe('likelihood', () => {
  it('compares the short average of raw scores with their long-run distribution', () => {
    const cfg = { shortWindow: 2, longWindow: 3, warmup: 2, minSd: 0.1, rawCap: 50 };
    const s = initLikelihoodStage();
    expect(likelihoodStep(cfg, s, 1)).toBe(0);
    expect(likelihoodStep(cfg, s, 1)).toBe(0);
    expect(likelihoodStep(cfg, s, 1)).toBe(0); // avg 1 = mean 1
    // short avg (1 + 3) / 2 = 2 against mean 1, sd floored at 0.1 -> z = 10
    expect(likelihoodStep(cfg, s, 3)).toBeCloseTo(10, 12);
    expect(likelihoodStep(cfg, s, 0)).toBe(0); // low raw scores are never anomalous
    // raw scores are capped
    const t = initLikelihoodStage();
    for (let i = 0; i < 3; i++) likelihoodStep(cfg, t, 0);
    expect(likelihoodStep(cfg, t, 1e9)).toBeCloseTo(25 / 0.1, 9);
  });

  it('scores a quiet series turning erratic higher than a series that is always noisy', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
    const d = createLikelihood();
    const quiet = d.init();
    const noisy = d.init();
    let maxNoisy = 0;
    let maxQuietAfter = 0;
    for (let i = 0; i < 3000; i++) {
      const big = (rnd() > 0.45 ? 20 : 1) * rnd();
      maxNoisy = Math.max(maxNoisy, i > 1500 ? d.step(noisy, big, i) : (d.step(noisy, big, i), 0));
      const q = i < 2000 ? rnd() : big;
      const sq = d.step(quiet, q, i);
      if (i >= 2000 && i < 2050) maxQuietAfter = Math.max(maxQuietAfter, sq);
    }
    expect(maxQuietAfter).toBeGreaterThan(d.alertScore());
    expect(maxQuietAfter).toBeGreaterThan(maxNoisy);
  });
});
