import { describe, expect, it } from 'vitest';
import type { BotEvent, Snapshot } from '../../src/model/batch.js';
import type { AlertSignal } from '../../src/model/signal.js';
import { RuleEngine, type Evaluable } from '../../src/detectors/rules/engine.js';
import { ruleSchema } from '../../src/detectors/rules/schema.js';
import { Harness, MIN, SEC, T0 } from './helpers.js';

const RULES = [
  {
    name: 'api_latency',
    kind: 'threshold',
    metric: 'api_latency_ms',
    bands: { warning: 500, critical: 1000 },
    for: '20s',
  },
  {
    name: 'daily_loss',
    kind: 'ratio',
    metric: 'daily_pnl',
    over: 'daily_loss_limit',
    scale: -1,
    bands: { warning: 0.8, critical: 1 },
  },
  {
    name: 'reconnects',
    kind: 'count',
    event: 'websocket_reconnect',
    window: '1m',
    bands: { critical: 3, warning: { value: 5, window: '10m' } },
  },
  { name: 'errors', kind: 'count', metric: 'errors_total', window: '2m', bands: { warning: 4 } },
  {
    name: 'equity_drop',
    kind: 'change',
    metric: 'equity',
    window: '10m',
    bands: { warning: 0.02, critical: 0.05 },
  },
  {
    name: 'bot_down',
    kind: 'absence',
    event: 'heartbeat',
    bands: { warning: '40s', critical: '1m' },
    expect: ['bot-c'],
  },
  { name: 'stop_loss', kind: 'event', event: 'position_stop_loss_hit', by: ['symbol'] },
  {
    name: 'latency_anomaly',
    kind: 'anomaly',
    metric: 'api_latency_ms',
    detector: { type: 'zscore', window: 20 },
  },
];

/** A deterministic day in the life of two bots: a pseudo-random walk with bursts and a crash. */
function inputs(): { t: number; input: Evaluable }[] {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const out: { t: number; input: Evaluable }[] = [];
  let equity = 10_000;
  let errors = 0;
  for (let i = 0; i < 240; i++) {
    const t = T0 + i * 5 * SEC;
    const snapshots: Snapshot[] = [];
    const events: BotEvent[] = [];
    for (const source of ['bot-a', 'bot-b']) {
      if (source === 'bot-b' && i > 100 && i < 150) continue; // bot-b is down for a while
      equity *= 1 + (rnd() - 0.52) * 0.01;
      errors = rnd() < 0.05 ? 0 : errors + Math.floor(rnd() * 2);
      snapshots.push({
        source,
        ts: t,
        labels: {},
        metrics: {
          api_latency_ms: i % 50 > 40 ? 1200 : 200 + rnd() * 400,
          daily_pnl: -Math.round(rnd() * 1_100),
          daily_loss_limit: 1_000,
          equity,
          errors_total: errors,
        },
      });
      events.push({ source, ts: t, type: 'heartbeat', data: {} });
      if (rnd() < 0.15) events.push({ source, ts: t, type: 'websocket_reconnect', data: {} });
      if (rnd() < 0.03)
        events.push({
          source,
          ts: t,
          type: 'position_stop_loss_hit',
          symbol: rnd() < 0.5 ? 'BTC' : 'ETH',
          data: {},
        });
    }
    out.push({ t, input: { snapshots, events, alerts: [] } });
  }
  return out;
}

function runAll(roundTrip: boolean): AlertSignal[] {
  const h = new Harness(RULES, roundTrip);
  const signals: AlertSignal[] = [];
  for (const { t, input } of inputs()) {
    signals.push(...h.tick(t));
    signals.push(...h.run(input, t));
  }
  signals.push(...h.tick(T0 + 60 * MIN));
  return signals;
}

describe('RuleEngine', () => {
  it('indexes rules by metric and event, and skips disabled rules', () => {
    const engine = new RuleEngine(
      [...RULES, { ...RULES[0], name: 'off', enabled: false }].map((r) => ruleSchema.parse(r)),
    );
    expect(engine.rules.map((r) => r.name)).toEqual(RULES.map((r) => r.name));
  });

  it('keysFor names every state key evaluate reads or writes', () => {
    const engine = new RuleEngine(RULES.map((r) => ruleSchema.parse(r)));
    for (const { t, input } of inputs().slice(0, 60)) {
      const keys = engine.keysFor(input);
      const read = new Set<string>();
      const states = new Map<string, unknown>();
      const spy = new Proxy(states, {
        get(target, prop, receiver) {
          if (prop === 'get' || prop === 'has')
            return (k: string) => {
              read.add(k);
              return prop === 'get' ? target.get(k) : target.has(k);
            };
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const r = engine.evaluate(input, spy, t);
      for (const k of read) expect(keys).toContain(k);
      for (const k of r.writes.keys()) expect(keys).toContain(k);
      for (const k of r.timers.keys()) expect(keys).toContain(k);
    }
  });

  it('keysFor for a snapshot and an event', () => {
    const engine = new RuleEngine(RULES.map((r) => ruleSchema.parse(r)));
    const keys = engine.keysFor({
      snapshots: [
        { source: 'bot-a', ts: T0, metrics: { api_latency_ms: 1, daily_pnl: 1 }, labels: { symbol: 'X' } },
      ],
      events: [{ source: 'bot-a', ts: T0, type: 'heartbeat', data: {} }],
      alerts: [],
    });
    expect([...keys].sort()).toEqual([
      'api_latency|bot-a|api_latency_ms|symbol=X',
      'bot_down|bot-a',
      'daily_loss|bot-a|symbol=X',
      'latency_anomaly|bot-a|api_latency_ms|symbol=X',
    ]);
  });

  it('the scenario raises the alerts a user expects', () => {
    const names = new Set(runAll(false).map((s) => `${s.name}:${s.status}`));
    for (const n of [
      'api_latency:firing',
      'api_latency:resolved',
      'daily_loss:firing',
      'reconnects:firing',
      'bot_down:firing',
      'bot_down:resolved',
      'stop_loss:firing',
    ])
      expect(names).toContain(n);
  });

  it('states through JSON between batches give exactly the signals of one uninterrupted run', () => {
    const live = runAll(false);
    const stored = runAll(true);
    expect(live.length).toBeGreaterThan(20);
    expect(stored).toEqual(live);
  });

  it('one batch with many inputs equals the same inputs one by one', () => {
    const all = inputs().slice(0, 40);
    const one = new Harness(RULES);
    const merged: Evaluable = {
      snapshots: all.flatMap((x) => x.input.snapshots),
      events: [],
      alerts: [],
    };
    const together = one.run(merged, T0);
    const each = new Harness(RULES, true);
    const apart = all.flatMap((x) => each.run({ ...x.input, events: [] }, T0));
    expect(apart).toEqual(together);
  });

  it('a tick for a rule that no longer exists cancels its timer', () => {
    const engine = new RuleEngine([]);
    const r = engine.tick(['gone|bot-a'], new Map(), T0);
    expect(r.timers).toEqual(new Map([['gone|bot-a', null]]));
    expect(r.signals).toEqual([]);
  });

  it('an alert pushed by a bot counts as a sign of life for absence rules without an event', () => {
    const h = new Harness([{ name: 'silent', kind: 'absence', bands: { critical: '5m' } }]);
    const alert: AlertSignal = {
      name: 'x',
      kind: 'occurrence',
      status: 'firing',
      severity: 'info',
      labels: { source: 'bot-z' },
      annotations: {},
      ts: T0,
      origin: 'direct',
    };
    h.run({ snapshots: [], events: [], alerts: [alert] }, T0);
    expect(h.nextTimer()).toBe(T0 + 5 * MIN);
  });
});
