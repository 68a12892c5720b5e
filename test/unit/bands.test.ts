import { describe, expect, it } from 'vitest';
import {
  compare,
  newBandState,
  orderedBands,
  updateBands,
  type BandOptions,
} from '../../src/detectors/rules/bands.js';

const latency: BandOptions = { op: '>', bands: { warning: 500, critical: 1000 }, forMs: 0 };

/** Feeds `[t, value]` pairs and returns each reported change as `status:severity` (or `-`). */
function feed(opts: BandOptions, points: [number, number][]): string[] {
  const state = newBandState();
  return points.map(([t, v]) => {
    const verdict = updateBands(state, v, t, opts);
    return verdict ? `${verdict.status}:${verdict.severity}` : '-';
  });
}

describe('compare', () => {
  it.each([
    ['>', 5, 4, true],
    ['>', 4, 4, false],
    ['>=', 4, 4, true],
    ['>=', 3, 4, false],
    ['<', 3, 4, true],
    ['<', 4, 4, false],
    ['<=', 4, 4, true],
    ['<=', 5, 4, false],
    ['==', 0, 0, true],
    ['==', 1, 0, false],
    ['!=', 1, 0, true],
    ['!=', 0, 0, false],
  ] as const)('%s: %d vs %d is %s', (op, value, threshold, want) => {
    expect(compare(value, op, threshold)).toBe(want);
  });
});

describe('orderedBands', () => {
  it('lists configured bands from the most severe down', () => {
    expect(orderedBands({ info: 1, critical: 3, warning: 2 })).toEqual([
      { severity: 'critical', threshold: 3 },
      { severity: 'warning', threshold: 2 },
      { severity: 'info', threshold: 1 },
    ]);
  });
});

describe('updateBands', () => {
  it('reports changes only: firing once, escalation, de-escalation, resolved once', () => {
    expect(
      feed(latency, [
        [0, 100],
        [1, 600],
        [2, 700],
        [3, 1500],
        [4, 2000],
        [5, 800],
        [6, 100],
        [7, 50],
      ]),
    ).toEqual([
      '-',
      'firing:warning',
      '-',
      'firing:critical',
      '-',
      'firing:warning',
      'resolved:warning',
      '-',
    ]);
  });

  it('with `for`: pending first, firing only once the band has held for the duration', () => {
    const opts = { ...latency, forMs: 60_000 };
    expect(
      feed(opts, [
        [0, 600],
        [30_000, 600],
        [59_999, 600],
        [60_000, 600],
        [90_000, 600],
      ]),
    ).toEqual(['pending:warning', '-', '-', 'firing:warning', '-']);
  });

  it('with `for`: a dip below the threshold restarts the clock', () => {
    const opts = { ...latency, forMs: 60_000 };
    expect(
      feed(opts, [
        [0, 600],
        [30_000, 100],
        [40_000, 600],
        [60_000, 600],
        [100_000, 600],
      ]),
    ).toEqual(['pending:warning', 'resolved:warning', 'pending:warning', '-', 'firing:warning']);
  });

  it('with `for`: a firing alert stays at its severity while a higher band is still pending', () => {
    const opts = { ...latency, forMs: 60_000 };
    expect(
      feed(opts, [
        [0, 600],
        [60_000, 600],
        [70_000, 1500],
        [100_000, 1500],
        [130_000, 1500],
      ]),
    ).toEqual(['pending:warning', 'firing:warning', '-', '-', 'firing:critical']);
  });

  it('recovery: once firing, resolves only when the value no longer passes the recovery level', () => {
    const opts = { ...latency, recovery: 400 };
    expect(
      feed(opts, [
        [0, 450],
        [1, 600],
        [2, 450],
        [3, 401],
        [4, 400],
        [5, 450],
      ]),
    ).toEqual(['-', 'firing:warning', '-', '-', 'resolved:warning', '-']);
  });

  it('recovery also works for `<` rules (win rate below 40 %, recovers above 45 %)', () => {
    const opts: BandOptions = { op: '<', bands: { warning: 0.4 }, forMs: 0, recovery: 0.45 };
    expect(
      feed(opts, [
        [0, 0.35],
        [1, 0.42],
        [2, 0.44],
        [3, 0.45],
      ]),
    ).toEqual(['firing:warning', '-', '-', 'resolved:warning']);
  });

  it('a resolve carries the severity it last fired at', () => {
    const state = newBandState();
    updateBands(state, 1500, 0, latency);
    expect(updateBands(state, 10, 1, latency)).toEqual({
      status: 'resolved',
      severity: 'critical',
      threshold: 500,
    });
    expect(state.status).toBeUndefined();
  });

  it('a pending alert that stops holding reports resolved (so the pending state is dropped)', () => {
    expect(
      feed({ ...latency, forMs: 10 }, [
        [0, 600],
        [5, 100],
      ]),
    ).toEqual(['pending:warning', 'resolved:warning']);
  });
});
