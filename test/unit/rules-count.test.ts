import { describe, expect, it } from 'vitest';
import { brief, Harness, HOUR, MIN, SEC, T0 } from './helpers.js';

const reconnectLoop = {
  name: 'websocket_reconnect_loop',
  kind: 'count',
  event: 'websocket_reconnect',
  window: '1m',
  bands: { critical: 5, warning: { value: 10, window: '1h' } },
};

function reconnect(h: Harness, ts: number) {
  return brief(h.event({ source: 'bot', ts, type: 'websocket_reconnect' }));
}

describe('count rule (events)', () => {
  it('>= 5 in 1 minute is critical', () => {
    const h = new Harness([reconnectLoop]);
    const out = [0, 1, 2, 3, 4].map((i) => reconnect(h, T0 + i * 10 * SEC));
    expect(out).toEqual([[], [], [], [], ['firing:critical']]);
  });

  it('5 spread over more than a minute is not critical; >= 10 within 1 hour is a warning', () => {
    const h = new Harness([reconnectLoop]);
    const out: string[][] = [];
    for (let i = 0; i < 10; i++) out.push(reconnect(h, T0 + i * 5 * MIN));
    expect(out.slice(0, 9)).toEqual(Array.from({ length: 9 }, () => []));
    expect(out[9]).toEqual(['firing:warning']);
  });

  it('a warning escalates to critical when the short band also holds', () => {
    const h = new Harness([reconnectLoop]);
    for (let i = 0; i < 9; i++) reconnect(h, T0 + i * 5 * MIN);
    expect(reconnect(h, T0 + 45 * MIN)).toEqual(['firing:warning']);
    const burst = [1, 2, 3, 4].map((i) => reconnect(h, T0 + 45 * MIN + i * SEC));
    expect(burst).toEqual([[], [], [], ['firing:critical']]);
  });

  it('the count expires by timer: once events leave the window the alert resolves without new input', () => {
    const h = new Harness([
      {
        name: 'stale_marks',
        kind: 'count',
        event: 'stale_mark_detected',
        window: '5m',
        op: '>',
        bands: { warning: 3 },
      },
    ]);
    for (let i = 0; i < 4; i++) h.event({ source: 'bot', ts: T0 + i * SEC, type: 'stale_mark_detected' });
    // The oldest event leaves the window 5 minutes after it happened.
    expect(h.nextTimer()).toBe(T0 + 5 * MIN);
    expect(brief(h.tick(T0 + 5 * MIN - 1))).toEqual([]);
    expect(brief(h.tick(T0 + 5 * MIN))).toEqual(['resolved:warning']);
  });

  it('a short band expires on its own window, not the longest one', () => {
    const h = new Harness([reconnectLoop]);
    for (let i = 0; i < 5; i++) reconnect(h, T0 + i * SEC);
    // The burst is over a minute later: the 1-minute band no longer holds.
    const due = h.nextTimer();
    expect(due).toBe(T0 + MIN);
    expect(brief(h.tick(T0 + MIN))).toEqual(['resolved:critical']);
    // Nothing left to say until the events leave the hour.
    expect(h.tick(T0 + 30 * MIN)).toEqual([]);
  });

  it('critical de-escalates to warning when only the long band still holds', () => {
    const h = new Harness([reconnectLoop]);
    for (let i = 0; i < 5; i++) reconnect(h, T0 + i * 5 * MIN);
    const out = [0, 1, 2, 3, 4].map((i) => reconnect(h, T0 + 30 * MIN + i * SEC));
    expect(out).toEqual([[], [], [], [], ['firing:critical']]);
    expect(h.nextTimer()).toBe(T0 + 31 * MIN);
    expect(brief(h.tick(T0 + 31 * MIN))).toEqual(['firing:warning']);
    // The warning lasts until the first event of the hour leaves it.
    expect(brief(h.tick(T0 + HOUR - 1))).toEqual([]);
    expect(brief(h.tick(T0 + HOUR))).toEqual(['resolved:warning']);
  });

  it('the signal tells the count, the band window and the event type', () => {
    const h = new Harness([reconnectLoop]);
    let sig;
    for (let i = 0; i < 5; i++) [sig] = h.event({ source: 'bot', ts: T0 + i, type: 'websocket_reconnect' });
    expect(sig).toMatchObject({
      value: 5,
      labels: { source: 'bot' },
      annotations: { title: '5 websocket_reconnect within 1m on bot' },
    });
  });

  it('`data` filters events and `by` splits the count per label', () => {
    const h = new Harness([
      {
        name: 'slippage',
        kind: 'count',
        event: 'guard_triggered',
        data: { guard: 'slippage_guard' },
        by: ['symbol'],
        window: '5m',
        op: '>',
        bands: { warning: 1 },
      },
    ]);
    const ev = (symbol: string, guard: string, ts: number) =>
      h.event({ source: 'bot', ts, type: 'guard_triggered', symbol, data: { guard } });
    expect(ev('BTC', 'slippage_guard', T0)).toEqual([]);
    expect(ev('BTC', 'exposure_guard', T0 + 1)).toEqual([]);
    expect(ev('ETH', 'slippage_guard', T0 + 2)).toEqual([]);
    const [sig] = ev('BTC', 'slippage_guard', T0 + 3);
    expect(sig).toMatchObject({ status: 'firing', labels: { source: 'bot', symbol: 'BTC' } });
  });

  it('op `>` needs strictly more than the value', () => {
    const h = new Harness([
      {
        name: 'unfilled',
        kind: 'count',
        event: 'unfilled_order_alert',
        window: '10m',
        op: '>',
        bands: { warning: 5 },
      },
    ]);
    const out = [0, 1, 2, 3, 4, 5].map((i) =>
      brief(h.event({ source: 'b', ts: T0 + i * MIN, type: 'unfilled_order_alert' })),
    );
    expect(out).toEqual([[], [], [], [], [], ['firing:warning']]);
  });

  it('keeps only as many times as the largest band needs', () => {
    const h = new Harness([reconnectLoop]);
    for (let i = 0; i < 100; i++) reconnect(h, T0 + i * SEC);
    const state = [...h.states.values()][0] as { times: number[] };
    expect(state.times).toHaveLength(11);
  });

  it('state is dropped once the window is empty and nothing fires', () => {
    const h = new Harness([reconnectLoop]);
    reconnect(h, T0);
    expect(h.states.size).toBe(1);
    h.tick(T0 + HOUR);
    expect(h.states.size).toBe(0);
    expect(h.timers.size).toBe(0);
  });
});

describe('count rule (counter increase)', () => {
  const errors = {
    name: 'order_errors',
    kind: 'count',
    metric: 'order_errors_total',
    window: '10m',
    bands: { warning: 5 },
  };

  it('counts the increase of a counter within the window; the first value is the baseline', () => {
    const h = new Harness([errors]);
    expect(h.snap('bot', T0, { order_errors_total: 100 })).toEqual([]);
    expect(h.snap('bot', T0 + MIN, { order_errors_total: 103 })).toEqual([]);
    expect(brief(h.snap('bot', T0 + 2 * MIN, { order_errors_total: 105 }))).toEqual(['firing:warning']);
    expect(brief(h.tick(T0 + 11 * MIN))).toEqual(['resolved:warning']);
  });

  it('a counter reset (the bot restarted) counts the new value as the increase', () => {
    const h = new Harness([errors]);
    h.snap('bot', T0, { order_errors_total: 100 });
    h.snap('bot', T0 + MIN, { order_errors_total: 102 });
    // Restart: the counter starts over at 3, i.e. 3 more errors, not -99.
    expect(brief(h.snap('bot', T0 + 2 * MIN, { order_errors_total: 3 }))).toEqual(['firing:warning']);
    // An unchanged counter adds nothing.
    expect(h.snap('bot', T0 + 3 * MIN, { order_errors_total: 3 })).toEqual([]);
  });

  it('a reset to 0 adds nothing', () => {
    const h = new Harness([errors]);
    h.snap('bot', T0, { order_errors_total: 100 });
    h.snap('bot', T0 + MIN, { order_errors_total: 104 });
    expect(h.snap('bot', T0 + 2 * MIN, { order_errors_total: 0 })).toEqual([]);
    expect(brief(h.snap('bot', T0 + 3 * MIN, { order_errors_total: 1 }))).toEqual(['firing:warning']);
  });

  it('schema: event and metric are exclusive', () => {
    expect(() => new Harness([{ ...errors, event: 'x' }])).toThrow(/either an `event`/);
  });
});
