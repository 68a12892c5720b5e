import { describe, expect, it } from 'vitest';
import {
  DETECTOR_TYPES,
  createDetector,
  detectorSpecSchema,
  parseDetectorSpec,
} from '../../src/detectors/anomaly/index.js';

describe('detector registry', () => {
  it('lists the detector types', () => {
    expect(DETECTOR_TYPES).toEqual(['zscore', 'robust_z', 'ewma', 'cusum', 'range', 'likelihood', 'default']);
  });

  it('defaults to the default detector', () => {
    expect(createDetector().type).toBe('default');
    expect(createDetector({}).type).toBe('default');
    expect(createDetector({ threshold: 4 }).type).toBe('default');
    for (const type of DETECTOR_TYPES) expect(createDetector({ type }).type).toBe(type);
  });

  it('builds a zscore with the documented defaults', () => {
    const d = createDetector({ type: 'zscore' });
    expect(d.alertScore()).toBe(0.75);
    expect(d.alertScore(3)).toBe(0.75);
    expect(createDetector({ type: 'zscore', threshold: 4 }).alertScore()).toBe(0.8);
    const s = d.init();
    for (let i = 0; i < 30; i++) expect(d.step(s, i % 2, i)).toBe(0);
    expect(d.step(s, 100, 30)).toBeGreaterThan(0.99);
  });

  it('accepts a full spec and rejects unknown or misplaced keys clearly', () => {
    expect(
      detectorSpecSchema.parse({
        type: 'ewma',
        window: 50,
        threshold: 4,
        direction: 'up',
        warmup: 10,
        diff: true,
        log: false,
        alpha: 0.1,
      }),
    ).toMatchObject({ type: 'ewma', alpha: 0.1 });
    expect(detectorSpecSchema.safeParse({ type: 'zscore', windw: 10 }).success).toBe(false);
    expect(() => parseDetectorSpec({ type: 'zscore', windw: 10 })).toThrow(/unknown detector option.*windw/);
    expect(() => parseDetectorSpec({ type: 'zscore', alpha: 0.1 })).toThrow(
      /alpha does not apply to detector zscore/,
    );
    expect(() => parseDetectorSpec({ type: 'nope' })).toThrow(/type/);
    expect(() => parseDetectorSpec({ window: 0 })).toThrow(/window/);
    expect(() => parseDetectorSpec({ direction: 'sideways' })).toThrow(/direction/);
    expect(() => createDetector({ type: 'zscore', threshold: -1 })).toThrow(/threshold/);
  });

  it('every detector starts at 0, stays in [0, 1] and is deterministic', () => {
    for (const type of DETECTOR_TYPES) {
      const d = createDetector({ type });
      const s = d.init();
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      expect(d.step(s, 5, 0)).toBe(0);
      for (let i = 1; i < 2000; i++) {
        const v = d.step(s, i % 300 === 0 ? 1000 : Math.sin(i / 10), i);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(d.alertScore()).toBeGreaterThan(0);
      expect(d.alertScore()).toBeLessThan(1);
      expect(d.alertScore(10)).toBeGreaterThan(d.alertScore(3));
    }
  });
});
