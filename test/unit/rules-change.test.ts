import { describe, expect, it } from 'vitest';
import { brief, Harness, MIN, T0 } from './helpers.js';

const equityDrop = {
  name: 'equity_drop',
  kind: 'change',
  metric: 'equity',
  window: '1h',
  bands: { critical: 0.05 },
};

function equity(h: Harness, t: number, v: number) {
  return brief(h.snap('bot', t, { equity: v }));
}

describe('change rule', () => {
  it('down: fires when the value falls 5 % below the high of the last hour, resolves when it recovers', () => {
    const h = new Harness([equityDrop]);
    expect(equity(h, T0, 10_000)).toEqual([]);
    expect(equity(h, T0 + 10 * MIN, 9_600)).toEqual([]);
    expect(equity(h, T0 + 20 * MIN, 9_500)).toEqual(['firing:critical']);
    expect(equity(h, T0 + 21 * MIN, 9_400)).toEqual([]);
    expect(equity(h, T0 + 30 * MIN, 9_600)).toEqual(['resolved:critical']);
  });

  it('down: the signal value is the signed change and the title names the reference', () => {
    const h = new Harness([equityDrop]);
    equity(h, T0, 10_000);
    const [sig] = h.snap('bot', T0 + 5 * MIN, { equity: 9_400 });
    expect(sig?.value).toBeCloseTo(-0.06);
    expect(sig?.annotations.title).toBe('equity changed -6% within 60m (from 10000 to 9400) on bot');
  });

  it('the window slides: a high older than the window no longer counts', () => {
    const inside = new Harness([equityDrop]);
    equity(inside, T0, 10_000);
    equity(inside, T0 + 30 * MIN, 9_800);
    expect(equity(inside, T0 + 59 * MIN, 9_400)).toEqual(['firing:critical']);

    const outside = new Harness([equityDrop]);
    equity(outside, T0, 10_000);
    equity(outside, T0 + 30 * MIN, 9_800);
    // 61 minutes later the 10 000 high is out of the window; 9 400 is 4.1 % below 9 800.
    expect(equity(outside, T0 + 61 * MIN, 9_400)).toEqual([]);
  });

  it('a slow decline that never loses 5 % within any hour does not fire', () => {
    const h = new Harness([equityDrop]);
    const out: string[][] = [];
    // -1 % every 15 minutes: -4 % per hour at most.
    for (let i = 0; i <= 12; i++) out.push(equity(h, T0 + i * 15 * MIN, 10_000 * (1 - 0.01 * i)));
    expect(out.flat()).toEqual([]);
  });

  it('the first sample only sets the reference', () => {
    const h = new Harness([equityDrop]);
    expect(equity(h, T0, 1)).toEqual([]);
  });

  it('up: a rise from the low of the window', () => {
    const h = new Harness([
      { ...equityDrop, name: 'spike', direction: 'up', bands: { warning: 0.1, critical: 0.5 } },
    ]);
    expect(equity(h, T0, 100)).toEqual([]);
    expect(equity(h, T0 + MIN, 90)).toEqual([]);
    expect(equity(h, T0 + 2 * MIN, 99)).toEqual(['firing:warning']);
    expect(equity(h, T0 + 3 * MIN, 140)).toEqual(['firing:critical']);
    const [sig] = h.snap('bot', T0 + 4 * MIN, { equity: 95 });
    expect(sig).toMatchObject({ status: 'resolved', severity: 'critical' });
  });

  it('up ignores falls and down ignores rises', () => {
    const up = new Harness([{ ...equityDrop, direction: 'up' }]);
    equity(up, T0, 100);
    expect(equity(up, T0 + MIN, 50)).toEqual([]);
    const down = new Harness([equityDrop]);
    equity(down, T0, 100);
    expect(equity(down, T0 + MIN, 200)).toEqual([]);
  });

  it('both: either direction fires, and the value carries the sign of the larger move', () => {
    const h = new Harness([{ ...equityDrop, direction: 'both' }]);
    equity(h, T0, 100);
    const [rise] = h.snap('bot', T0 + MIN, { equity: 110 });
    expect(rise).toMatchObject({ status: 'firing', severity: 'critical' });
    expect(rise?.value).toBeCloseTo(0.1);

    const h2 = new Harness([{ ...equityDrop, direction: 'both' }]);
    equity(h2, T0, 100);
    const [fall] = h2.snap('bot', T0 + MIN, { equity: 90 });
    expect(fall?.value).toBeCloseTo(-0.1);
  });

  it('`for`: the fall must last', () => {
    const h = new Harness([{ ...equityDrop, for: '5m' }]);
    equity(h, T0, 10_000);
    expect(equity(h, T0 + MIN, 9_000)).toEqual(['pending:critical']);
    expect(equity(h, T0 + 3 * MIN, 9_000)).toEqual([]);
    expect(equity(h, T0 + 6 * MIN, 9_000)).toEqual(['firing:critical']);
  });

  it('keeps at most about 60 buckets per series', () => {
    const h = new Harness([equityDrop]);
    for (let i = 0; i < 600; i++) equity(h, T0 + i * 10_000, 100 + (i % 7));
    const state = [...h.states.values()][0] as { buckets: unknown[] };
    expect(state.buckets.length).toBeLessThanOrEqual(62);
  });
});
