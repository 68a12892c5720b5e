import { describe, expect, it } from 'vitest';
import { brief, Harness, MIN, SEC, T0 } from './helpers.js';

const latency = {
  name: 'api_latency',
  kind: 'threshold',
  metric: 'api_latency_ms',
  bands: { warning: 500, critical: 1000 },
};

describe('threshold rule', () => {
  it('fires at the highest band passed, escalates, de-escalates and resolves once', () => {
    const h = new Harness([latency]);
    const values = [100, 600, 700, 1200, 900, 300, 200];
    const out = values.map((v, i) => brief(h.snap('bot-a', T0 + i * SEC, { api_latency_ms: v })));
    expect(out).toEqual([
      [],
      ['firing:warning'],
      [],
      ['firing:critical'],
      ['firing:warning'],
      ['resolved:warning'],
      [],
    ]);
  });

  it('a signal names the alert, carries the series labels, the value and a readable title', () => {
    const h = new Harness([{ ...latency, alert: 'latency', labels: { team: 'ops' } }]);
    const [sig] = h.snap('bot-a', T0, { api_latency_ms: 1234 }, { symbol: 'BTC' });
    expect(sig).toMatchObject({
      name: 'latency',
      kind: 'state',
      status: 'firing',
      severity: 'critical',
      value: 1234,
      ts: T0,
      rule: 'api_latency',
      origin: 'rule',
      labels: { source: 'bot-a', metric: 'api_latency_ms', symbol: 'BTC', team: 'ops' },
      annotations: { title: 'api_latency_ms is 1234 (> 1000) on bot-a' },
    });
    expect(sig?.force).toBeUndefined();
  });

  it('annotation templates are filled with the value, threshold and labels', () => {
    const h = new Harness([
      {
        ...latency,
        annotations: {
          title: '{{source}} slow: {{value}}ms',
          message: '{{labels.symbol}} over {{threshold}}',
        },
      },
    ]);
    const [sig] = h.snap('bot-a', T0, { api_latency_ms: 612.345 }, { symbol: 'ETH' });
    expect(sig?.annotations).toEqual({ title: 'bot-a slow: 612.3ms', message: 'ETH over 500' });
  });

  it('`for`: pending until the condition has held for the duration, then firing', () => {
    const h = new Harness([
      {
        name: 'ws_down',
        kind: 'threshold',
        metric: 'ws_connected',
        op: '==',
        bands: { critical: 0 },
        for: '2m',
      },
    ]);
    expect(brief(h.snap('bot', T0, { ws_connected: 0 }))).toEqual(['pending:critical']);
    expect(brief(h.snap('bot', T0 + MIN, { ws_connected: 0 }))).toEqual([]);
    expect(brief(h.snap('bot', T0 + 2 * MIN - 1, { ws_connected: 0 }))).toEqual([]);
    expect(brief(h.snap('bot', T0 + 2 * MIN, { ws_connected: 0 }))).toEqual(['firing:critical']);
    expect(brief(h.snap('bot', T0 + 3 * MIN, { ws_connected: 1 }))).toEqual(['resolved:critical']);
  });

  it('`for` counts from the sample timestamps, not processing time', () => {
    const h = new Harness([{ ...latency, for: '1m' }]);
    expect(brief(h.snap('bot', T0, { api_latency_ms: 600 }, {}, T0 + 5 * MIN))).toEqual(['pending:warning']);
    expect(brief(h.snap('bot', T0 + 30 * SEC, { api_latency_ms: 600 }, {}, T0 + 5 * MIN))).toEqual([]);
  });

  it('recovery level: stays firing until the value no longer passes it', () => {
    const h = new Harness([{ ...latency, bands: { warning: 90 }, metric: 'cpu_percent', recovery: 80 }]);
    const out = [95, 85, 81, 80, 85].map((v, i) => brief(h.snap('host', T0 + i * SEC, { cpu_percent: v })));
    expect(out).toEqual([['firing:warning'], [], [], ['resolved:warning'], []]);
  });

  it.each([
    ['>', [10, 11], [false, true]],
    ['>=', [9, 10], [false, true]],
    ['<', [10, 9], [false, true]],
    ['<=', [11, 10], [false, true]],
    ['==', [11, 10], [false, true]],
    ['!=', [10, 11], [false, true]],
  ] as const)('op %s against 10', (op, values, fires) => {
    for (let i = 0; i < values.length; i++) {
      const h = new Harness([{ name: 'r', kind: 'threshold', metric: 'm', op, bands: { warning: 10 } }]);
      expect(h.snap('s', T0, { m: values[i] as number }).length > 0).toBe(fires[i]);
    }
  });

  it('each series (source and labels) is its own alert', () => {
    const h = new Harness([latency]);
    expect(brief(h.snap('a', T0, { api_latency_ms: 600 }))).toEqual(['firing:warning']);
    expect(brief(h.snap('b', T0, { api_latency_ms: 600 }))).toEqual(['firing:warning']);
    expect(brief(h.snap('a', T0, { api_latency_ms: 600 }, { symbol: 'X' }))).toEqual(['firing:warning']);
    expect(brief(h.snap('a', T0 + 1, { api_latency_ms: 100 }))).toEqual(['resolved:warning']);
    expect(brief(h.snap('b', T0 + 1, { api_latency_ms: 600 }))).toEqual([]);
  });

  it('`match` restricts sources (glob) and labels', () => {
    const h = new Harness([{ ...latency, match: { source: 'grid-*', labels: { env: 'prod' } } }]);
    expect(h.snap('grid-1', T0, { api_latency_ms: 600 }, { env: 'prod' })).toHaveLength(1);
    expect(h.snap('grid-2', T0, { api_latency_ms: 600 }, { env: 'dev' })).toHaveLength(0);
    expect(h.snap('scalper', T0, { api_latency_ms: 600 }, { env: 'prod' })).toHaveLength(0);
  });

  it('a disabled rule does nothing', () => {
    const h = new Harness([{ ...latency, enabled: false }]);
    expect(h.snap('a', T0, { api_latency_ms: 5000 })).toEqual([]);
  });

  it('`dedup: none` marks its signals as forced', () => {
    const h = new Harness([{ ...latency, dedup: 'none' }]);
    expect(h.snap('a', T0, { api_latency_ms: 5000 })[0]?.force).toBe(true);
  });
});
