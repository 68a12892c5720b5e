import { describe, expect, it } from 'vitest';
import { brief, Harness, SEC, T0 } from './helpers.js';

const dailyLoss = {
  name: 'daily_loss_limit',
  kind: 'ratio',
  metric: 'daily_pnl',
  over: 'daily_loss_limit',
  scale: -1,
  bands: { warning: 0.8, critical: 1.0 },
};

describe('ratio rule', () => {
  it('daily loss against its limit: -1 scale turns PnL into a loss; warning at 80 %, critical at 100 %', () => {
    const h = new Harness([dailyLoss]);
    const pnl = [-100, -799, -800, -950, -1000, -500, 200];
    const out = pnl.map((v, i) =>
      brief(h.snap('bot', T0 + i * SEC, { daily_pnl: v, daily_loss_limit: 1000 })),
    );
    expect(out).toEqual([[], [], ['firing:warning'], [], ['firing:critical'], ['resolved:critical'], []]);
  });

  it('reports the ratio as the value and as a percent in the title', () => {
    const h = new Harness([dailyLoss]);
    const [sig] = h.snap('bot', T0, { daily_pnl: -850, daily_loss_limit: 1000 });
    expect(sig?.value).toBeCloseTo(0.85);
    expect(sig?.labels).toEqual({ source: 'bot', metric: 'daily_pnl' });
    expect(sig?.annotations.title).toBe('daily_pnl / daily_loss_limit at 85% on bot');
  });

  it('uses the latest denominator of the same series, even when it came in an earlier snapshot', () => {
    const h = new Harness([dailyLoss]);
    expect(h.snap('bot', T0, { daily_loss_limit: 500 })).toEqual([]);
    expect(brief(h.snap('bot', T0 + SEC, { daily_pnl: -450 }))).toEqual(['firing:warning']);
    // The limit is raised: the same loss is now 45 %.
    expect(brief(h.snap('bot', T0 + 2 * SEC, { daily_loss_limit: 1000 }))).toEqual(['resolved:warning']);
  });

  it('does nothing until both numerator and denominator are known', () => {
    const h = new Harness([dailyLoss]);
    expect(h.snap('bot', T0, { daily_pnl: -5000 })).toEqual([]);
    // Another source's limit does not count.
    expect(h.snap('other', T0, { daily_loss_limit: 100 })).toEqual([]);
    expect(h.snap('bot', T0 + 1, { daily_pnl: -5000 })).toEqual([]);
  });

  it('a denominator of 0 is skipped rather than dividing', () => {
    const h = new Harness([dailyLoss]);
    expect(h.snap('bot', T0, { daily_pnl: -10, daily_loss_limit: 0 })).toEqual([]);
  });

  it('a negative limit is taken as its size', () => {
    const h = new Harness([dailyLoss]);
    expect(brief(h.snap('bot', T0, { daily_pnl: -900, daily_loss_limit: -1000 }))).toEqual([
      'firing:warning',
    ]);
  });

  it('constant denominator', () => {
    const h = new Harness([
      {
        name: 'exposure',
        kind: 'ratio',
        metric: 'exposure_usd',
        over: 50_000,
        bands: { warning: 0.5, critical: 0.9 },
      },
    ]);
    expect(brief(h.snap('bot', T0, { exposure_usd: 20_000 }))).toEqual([]);
    expect(brief(h.snap('bot', T0 + 1, { exposure_usd: 25_000 }))).toEqual(['firing:warning']);
    expect(brief(h.snap('bot', T0 + 2, { exposure_usd: 45_000 }))).toEqual(['firing:critical']);
    expect(h.snap('bot', T0 + 2, { exposure_usd: 45_000 })[0]).toBeUndefined();
  });

  it('schema: a 0 constant is refused; the default op is >=', () => {
    expect(() => new Harness([{ ...dailyLoss, over: 0 }])).toThrow(/cannot divide by 0/);
    const h = new Harness([{ name: 'r', kind: 'ratio', metric: 'a', over: 2, bands: { warning: 1 } }]);
    expect(brief(h.snap('s', T0, { a: 2 }))).toEqual(['firing:warning']);
  });

  it('recovery level applies to the ratio', () => {
    const h = new Harness([{ ...dailyLoss, recovery: 0.7 }]);
    const out = [-850, -750, -700, -100].map((v, i) =>
      brief(h.snap('bot', T0 + i, { daily_pnl: v, daily_loss_limit: 1000 })),
    );
    expect(out).toEqual([['firing:warning'], [], [], ['resolved:warning']]);
  });
});
