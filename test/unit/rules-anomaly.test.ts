import { describe, expect, it } from 'vitest';
import { brief, Harness, SEC, T0 } from './helpers.js';

const rule = {
  name: 'trades_anomaly',
  kind: 'anomaly',
  metric: 'trades_per_minute',
  detector: { type: 'zscore', window: 20, threshold: 3 },
};

function warm(h: Harness, n = 30) {
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(...brief(h.snap('bot', T0 + i * SEC, { trades_per_minute: 10 + (i % 2) })));
  return out;
}

describe('anomaly rule', () => {
  it('a spike after a steady history is one warning occurrence', () => {
    const h = new Harness([rule]);
    expect(warm(h)).toEqual([]);
    const [sig] = h.snap('bot', T0 + 100 * SEC, { trades_per_minute: 30 });
    expect(sig).toMatchObject({
      name: 'trades_anomaly',
      kind: 'occurrence',
      status: 'firing',
      severity: 'warning',
      value: 30,
      labels: { source: 'bot', metric: 'trades_per_minute' },
    });
    expect(sig?.annotations.title).toMatch(/^unusual trades_per_minute on bot: 30 \(score 0\.\d+, zscore\)$/);
  });

  it('zero is a value like any other: trades falling to 0 fire', () => {
    const h = new Harness([rule]);
    warm(h);
    expect(brief(h.snap('bot', T0 + 100 * SEC, { trades_per_minute: 0 }))).toEqual(['firing:warning']);
  });

  it('past critical_threshold the anomaly is critical', () => {
    const h = new Harness([{ ...rule, critical_threshold: 10 }]);
    warm(h);
    // z is about 2 per unit here (sd about 0.5): 12 is z 3 to 4, 100 is far past 10.
    expect(brief(h.snap('bot', T0 + 100 * SEC, { trades_per_minute: 12.5 }))).toEqual(['firing:warning']);
    expect(brief(h.snap('bot', T0 + 101 * SEC, { trades_per_minute: 100 }))).toEqual(['firing:critical']);
  });

  it('direction down ignores spikes up', () => {
    const h = new Harness([{ ...rule, detector: { ...rule.detector, direction: 'down' } }]);
    warm(h);
    expect(h.snap('bot', T0 + 100 * SEC, { trades_per_minute: 100 })).toEqual([]);
    const h2 = new Harness([{ ...rule, detector: { ...rule.detector, direction: 'down' } }]);
    warm(h2);
    expect(brief(h2.snap('bot', T0 + 101 * SEC, { trades_per_minute: 0 }))).toEqual(['firing:warning']);
  });

  it('nothing fires during warm-up', () => {
    const h = new Harness([rule]);
    h.snap('bot', T0, { trades_per_minute: 10 });
    h.snap('bot', T0 + 1, { trades_per_minute: 11 });
    expect(h.snap('bot', T0 + 2, { trades_per_minute: 1000 })).toEqual([]);
  });
});
