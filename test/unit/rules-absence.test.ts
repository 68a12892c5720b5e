import { describe, expect, it } from 'vitest';
import { brief, Harness, MIN, SEC, T0 } from './helpers.js';

const botDown = {
  name: 'bot_down',
  kind: 'absence',
  event: 'heartbeat',
  bands: { warning: '4m', critical: '5m' },
};

const heartbeat = (h: Harness, now: number, source = 'bot') =>
  brief(h.event({ source, ts: now, type: 'heartbeat' }, now));

describe('absence rule', () => {
  it('warns at 4 minutes and goes critical at 5 from timers alone, then resolves on a heartbeat', () => {
    const h = new Harness([botDown]);
    expect(heartbeat(h, T0)).toEqual([]);
    expect(h.nextTimer()).toBe(T0 + 4 * MIN);
    expect(brief(h.tick(T0 + 4 * MIN - 1))).toEqual([]);
    expect(brief(h.tick(T0 + 4 * MIN))).toEqual(['firing:warning']);
    expect(h.nextTimer()).toBe(T0 + 5 * MIN);
    expect(brief(h.tick(T0 + 5 * MIN))).toEqual(['firing:critical']);
    // No further band: no further timer, and no repeated signal.
    expect(h.nextTimer()).toBeUndefined();
    expect(brief(h.tick(T0 + 60 * MIN))).toEqual([]);
    expect(heartbeat(h, T0 + 61 * MIN)).toEqual(['resolved:critical']);
    expect(h.nextTimer()).toBe(T0 + 65 * MIN);
  });

  it('a late sweep goes straight to the band reached', () => {
    const h = new Harness([botDown]);
    heartbeat(h, T0);
    expect(brief(h.tick(T0 + 7 * MIN))).toEqual(['firing:critical']);
  });

  it('the signal says how long the source has been silent', () => {
    const h = new Harness([botDown]);
    heartbeat(h, T0);
    const [sig] = h.tick(T0 + 4 * MIN + 30 * SEC);
    expect(sig).toMatchObject({
      name: 'bot_down',
      kind: 'state',
      labels: { source: 'bot' },
      value: 270,
      annotations: { title: 'no heartbeat from bot for 4.5 min' },
    });
  });

  it('heartbeats keep it quiet and push the timer back', () => {
    const h = new Harness([botDown]);
    for (let i = 0; i < 10; i++) expect(heartbeat(h, T0 + i * 3 * MIN)).toEqual([]);
    expect(h.nextTimer()).toBe(T0 + 27 * MIN + 4 * MIN);
    expect(h.tick(T0 + 30 * MIN)).toEqual([]);
  });

  it('with `event`, other inputs are no sign of life', () => {
    const h = new Harness([botDown]);
    heartbeat(h, T0);
    h.snap('bot', T0 + 3 * MIN, { equity: 1 });
    h.event({ source: 'bot', ts: T0 + 3 * MIN, type: 'trade_closed' });
    expect(brief(h.tick(T0 + 4 * MIN))).toEqual(['firing:warning']);
  });

  it('without `event`, any input of the source is a sign of life', () => {
    const h = new Harness([{ name: 'silent', kind: 'absence', bands: { critical: '5m' } }]);
    h.snap('bot', T0, { equity: 1 });
    h.event({ source: 'bot', ts: T0 + 4 * MIN, type: 'trade_closed' });
    expect(h.tick(T0 + 5 * MIN)).toEqual([]);
    expect(brief(h.tick(T0 + 9 * MIN))).toEqual(['firing:critical']);
    expect(brief(h.snap('bot', T0 + 10 * MIN, { equity: 1 }))).toEqual(['resolved:critical']);
  });

  it('signs of life count at processing time, not at the bot clock', () => {
    const h = new Harness([botDown]);
    // The bot's clock is an hour behind.
    h.event({ source: 'bot', ts: T0 - 60 * MIN, type: 'heartbeat' }, T0);
    expect(h.tick(T0 + 3 * MIN)).toEqual([]);
    expect(brief(h.tick(T0 + 4 * MIN))).toEqual(['firing:warning']);
  });

  it('each source has its own alert; `match.source` limits the sources', () => {
    const h = new Harness([{ ...botDown, match: { source: 'grid-*' } }]);
    heartbeat(h, T0, 'grid-1');
    heartbeat(h, T0 + 2 * MIN, 'grid-2');
    heartbeat(h, T0, 'scalper');
    const sigs = h.tick(T0 + 4 * MIN);
    expect(sigs.map((s) => s.labels.source)).toEqual(['grid-1']);
    expect(h.tick(T0 + 6 * MIN).map((s) => `${s.labels.source}:${s.severity}`)).toEqual([
      'grid-1:critical',
      'grid-2:warning',
    ]);
  });

  it('`expect`-ed sources are watched from the first tick even if they never report', () => {
    const h = new Harness([{ ...botDown, expect: ['bot-a', 'bot-b'] }]);
    expect(h.engine.expected()).toEqual([
      { rule: 'bot_down', key: 'bot_down|bot-a', source: 'bot-a' },
      { rule: 'bot_down', key: 'bot_down|bot-b', source: 'bot-b' },
    ]);
    // First tick seeds them (silence counts from now), without a signal.
    expect(h.tick(T0)).toEqual([]);
    expect(h.nextTimer()).toBe(T0 + 4 * MIN);
    heartbeat(h, T0 + 2 * MIN, 'bot-a');
    expect(h.tick(T0 + 4 * MIN).map((s) => `${s.labels.source}:${s.status}:${s.severity}`)).toEqual([
      'bot-b:firing:warning',
    ]);
  });

  it('seed is a no-op for signals and only writes state and a timer', () => {
    const h = new Harness([{ ...botDown, expect: ['bot-a'] }]);
    const r = h.engine.seed(h.engine.expected(), new Map(), T0);
    expect(r.signals).toEqual([]);
    expect(r.timers).toEqual(new Map([['bot_down|bot-a', T0 + 4 * MIN]]));
    expect(r.writes.get('bot_down|bot-a')).toMatchObject({ last: T0, source: 'bot-a' });
  });
});
