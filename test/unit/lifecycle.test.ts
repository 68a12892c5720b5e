import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import type { AlertSignal } from '../../src/model/signal.js';
import { applySignal, nextDue, tickAlert, type Step } from '../../src/routing/lifecycle.js';
import { route } from '../../src/routing/notify.js';
import type { AlertPolicy } from '../../src/routing/policy.js';
import { RouteTree } from '../../src/routing/routes.js';
import { HOUR, MIN, SEC, T0 } from './helpers.js';

const FP = 'fp0123456789abcdef012345';
const RETAIN = 24 * HOUR;

const POLICY: AlertPolicy = {
  dedup: { windowMs: 5 * MIN, max: 3 },
  repeatMs: HOUR,
  resolveAfterMs: HOUR,
  flap: { windowMs: 10 * MIN, max: 6 },
};

function sig(over: Partial<AlertSignal> = {}): AlertSignal {
  return {
    name: 'api_latency',
    kind: 'state',
    status: 'firing',
    severity: 'warning',
    labels: { source: 'bot' },
    annotations: { title: 't' },
    ts: T0,
    origin: 'rule',
    ...over,
  };
}

const ctx = (now: number) => ({
  routes: new RouteTree({ receivers: ['tg'] }),
  receivers: new Map([['tg', { sendResolved: true }]]),
  now,
});

/** One alert's life: applies signals and ticks as the pipeline does (routing fills `notified`). */
class Life {
  alert: Alert | undefined;
  readonly told: string[] = [];
  constructor(readonly policy: AlertPolicy = POLICY) {}

  private settle(step: Step, now: number): string[] {
    const a = step.alert ?? undefined;
    if (a)
      for (const n of route(a, step.intents, this.policy, ctx(now))) this.told.push(`${now - T0}:${n.kind}`);
    this.alert = a;
    return step.intents.map((i) => i.kind);
  }

  signal(over: Partial<AlertSignal>, now: number): string[] {
    return this.settle(applySignal(this.alert, sig({ ts: now, ...over }), FP, this.policy, now), now);
  }

  fire(now: number, over: Partial<AlertSignal> = {}) {
    return this.signal({ status: 'firing', ...over }, now);
  }

  resolve(now: number, over: Partial<AlertSignal> = {}) {
    return this.signal({ status: 'resolved', ...over }, now);
  }

  tick(now: number): string[] {
    if (!this.alert) return [];
    return this.settle(tickAlert(this.alert, this.policy, now, RETAIN), now);
  }

  due(): number | undefined {
    return this.alert ? nextDue(this.alert, this.policy, RETAIN) : undefined;
  }
}

describe('applySignal: state alerts', () => {
  it('pending -> firing -> resolved, told on firing and on resolve only', () => {
    const l = new Life();
    const p = applySignal(undefined, sig({ status: 'pending' }), FP, POLICY, T0);
    expect(p).toMatchObject({
      intents: [],
      transition: 'pending',
      alert: { status: 'pending', startsAt: T0 },
    });
    l.alert = p.alert ?? undefined;
    expect(l.fire(T0 + MIN)).toEqual(['firing']);
    expect(l.alert).toMatchObject({ status: 'firing', startsAt: T0, firingAt: T0 + MIN });
    expect(l.alert?.notified).toEqual(['tg']);
    expect(l.resolve(T0 + 2 * MIN)).toEqual(['resolved']);
    expect(l.alert).toMatchObject({ status: 'resolved', endsAt: T0 + 2 * MIN, notified: [] });
    expect(l.resolve(T0 + 3 * MIN)).toEqual([]);
  });

  it('a pending alert that resolves is forgotten, nobody told', () => {
    const p = applySignal(undefined, sig({ status: 'pending' }), FP, POLICY, T0);
    const r = applySignal(p.alert ?? undefined, sig({ status: 'resolved' }), FP, POLICY, T0 + 1);
    expect(r).toEqual({ alert: null, intents: [], transition: 'resolved' });
  });

  it('a resolve of an unknown alert does nothing', () => {
    expect(applySignal(undefined, sig({ status: 'resolved' }), FP, POLICY, T0)).toEqual({
      alert: null,
      intents: [],
    });
  });

  it('pending while firing keeps it firing', () => {
    const l = new Life();
    l.fire(T0);
    expect(l.signal({ status: 'pending' }, T0 + 1)).toEqual([]);
    expect(l.alert?.status).toBe('firing');
  });

  it('a resolve nobody was told of (all muted) tells nobody', () => {
    const first = applySignal(undefined, sig(), FP, POLICY, T0);
    const r = applySignal(first.alert ?? undefined, sig({ status: 'resolved' }), FP, POLICY, T0 + 1);
    expect(r.intents).toEqual([]);
    expect(r.transition).toBe('resolved');
  });

  it('a rise in severity is told (even past the dedup cap); a fall is not', () => {
    const l = new Life({ ...POLICY, dedup: { windowMs: HOUR, max: 1 } });
    expect(l.fire(T0)).toEqual(['firing']);
    expect(l.fire(T0 + SEC, { severity: 'critical' })).toEqual(['raised']);
    expect(l.alert).toMatchObject({ severity: 'critical', notifiedSeverity: 'critical', windowCount: 2 });
    expect(l.fire(T0 + 2 * SEC, { severity: 'warning' })).toEqual([]);
    expect(l.alert?.severity).toBe('warning');
    // Back to critical: receivers already heard critical.
    expect(l.fire(T0 + 3 * SEC, { severity: 'critical' })).toEqual([]);
  });

  it('an acknowledged alert is not told of a rise and not reminded', () => {
    const l = new Life();
    l.fire(T0);
    l.alert = { ...(l.alert as Alert), acknowledged: { by: 'ann', at: T0 + 1 } };
    expect(l.fire(T0 + SEC, { severity: 'critical' })).toEqual([]);
    expect(l.due()).toBeUndefined();
    expect(l.tick(T0 + 2 * HOUR)).toEqual([]);
  });

  it('a new episode clears the acknowledgement', () => {
    const l = new Life();
    l.fire(T0);
    l.alert = { ...(l.alert as Alert), acknowledged: { by: 'ann', at: T0 + 1 } };
    l.resolve(T0 + MIN);
    expect(l.fire(T0 + 20 * MIN)).toEqual(['firing']);
    expect(l.alert?.acknowledged).toBeUndefined();
  });
});

describe('dedup window and cap', () => {
  const occ = { kind: 'occurrence' as const, name: 'api_error', origin: 'direct' as const };

  it('max N per window: the N+1th within the window is held back, a new window allows again', () => {
    const l = new Life();
    const out = [0, 1, 2, 3, 4].map((i) => l.fire(T0 + i * MIN, occ));
    expect(out).toEqual([['firing'], ['firing'], ['firing'], [], []]);
    expect(l.alert).toMatchObject({ occurrences: 5, windowStart: T0, windowCount: 3 });
    // The window began at T0 and lasts 5 minutes.
    expect(l.fire(T0 + 5 * MIN, occ)).toEqual(['firing']);
    expect(l.alert).toMatchObject({ windowStart: T0 + 5 * MIN, windowCount: 1 });
  });

  it('dedup: none (no dedup in the policy) tells every occurrence', () => {
    const l = new Life({ ...POLICY, dedup: undefined });
    const out = Array.from({ length: 10 }, (_, i) => l.fire(T0 + i, occ));
    expect(out.flat()).toEqual(Array(10).fill('firing'));
  });

  it('force skips the cap for that signal only', () => {
    const l = new Life();
    for (let i = 0; i < 3; i++) l.fire(T0 + i, occ);
    expect(l.fire(T0 + 10, { ...occ, force: true })).toEqual(['firing']);
    expect(l.fire(T0 + 11, occ)).toEqual([]);
  });

  it('the window outlives an episode: a condition that keeps coming back cannot pass the cap', () => {
    const l = new Life({
      ...POLICY,
      dedup: { windowMs: 30 * MIN, max: 2 },
      flap: { windowMs: MIN, max: 100 },
    });
    expect(l.fire(T0)).toEqual(['firing']);
    expect(l.resolve(T0 + MIN)).toEqual(['resolved']);
    expect(l.fire(T0 + 2 * MIN)).toEqual(['firing']);
    expect(l.resolve(T0 + 3 * MIN)).toEqual(['resolved']);
    expect(l.fire(T0 + 4 * MIN)).toEqual([]);
    // Not told it fired, so not told it resolved.
    expect(l.resolve(T0 + 5 * MIN)).toEqual([]);
    expect(l.fire(T0 + 31 * MIN)).toEqual(['firing']);
  });

  it('the window outlives a pending episode that never fired', () => {
    const l = new Life({ ...POLICY, dedup: { windowMs: 30 * MIN, max: 1 } });
    expect(l.fire(T0)).toEqual(['firing']);
    expect(l.resolve(T0 + MIN)).toEqual(['resolved']);
    l.signal({ status: 'pending' }, T0 + 2 * MIN);
    l.resolve(T0 + 3 * MIN);
    l.signal({ status: 'pending' }, T0 + 4 * MIN);
    expect(l.fire(T0 + 5 * MIN)).toEqual([]);
  });
});

describe('tickAlert: repeats, expiry, retention', () => {
  it('a firing state alert is reminded after the repeat interval, then again', () => {
    const l = new Life();
    l.fire(T0);
    expect(l.due()).toBe(T0 + HOUR);
    expect(l.tick(T0 + HOUR - 1)).toEqual([]);
    expect(l.tick(T0 + HOUR)).toEqual(['repeat']);
    expect(l.due()).toBe(T0 + 2 * HOUR);
    expect(l.tick(T0 + 2 * HOUR)).toEqual(['repeat']);
  });

  it('no reminders without a repeat interval', () => {
    const l = new Life({ ...POLICY, repeatMs: undefined });
    l.fire(T0);
    expect(l.due()).toBeUndefined();
    expect(l.tick(T0 + 10 * HOUR)).toEqual([]);
  });

  it('reminders count against the dedup cap', () => {
    const l = new Life({ ...POLICY, repeatMs: MIN, dedup: { windowMs: HOUR, max: 2 } });
    l.fire(T0);
    expect(l.tick(T0 + MIN)).toEqual(['repeat']);
    expect(l.tick(T0 + 2 * MIN)).toEqual([]);
    expect(l.due()).toBe(T0 + 3 * MIN);
    expect(l.tick(T0 + HOUR + 2 * MIN)).toEqual(['repeat']);
  });

  it('occurrence alerts expire quietly once occurrences stop, and the next one starts afresh', () => {
    const l = new Life({ ...POLICY, dedup: undefined });
    l.fire(T0, { kind: 'occurrence' });
    l.fire(T0 + 10 * MIN, { kind: 'occurrence' });
    expect(l.due()).toBe(T0 + 70 * MIN);
    expect(l.tick(T0 + 69 * MIN)).toEqual([]);
    const expired = tickAlert(l.alert as Alert, l.policy, T0 + 70 * MIN, RETAIN);
    expect(expired).toMatchObject({
      intents: [],
      transition: 'resolved',
      alert: { status: 'resolved', notified: [] },
    });
    l.tick(T0 + 70 * MIN);
    expect(l.told).toEqual(['0:firing', `${10 * MIN}:firing`]);
    expect(l.fire(T0 + 80 * MIN, { kind: 'occurrence' })).toEqual(['firing']);
    expect(l.alert).toMatchObject({ occurrences: 1, startsAt: T0 + 80 * MIN });
  });

  it('occurrence alerts are not reminded', () => {
    const l = new Life({ ...POLICY, repeatMs: MIN, resolveAfterMs: 10 * HOUR });
    l.fire(T0, { kind: 'occurrence' });
    expect(l.tick(T0 + 5 * MIN)).toEqual([]);
  });

  it('resolved alerts are kept for the retention time, then forgotten', () => {
    const l = new Life();
    l.fire(T0);
    l.resolve(T0 + MIN);
    expect(l.due()).toBe(T0 + MIN + RETAIN);
    expect(tickAlert(l.alert as Alert, POLICY, T0 + MIN + RETAIN - 1, RETAIN).alert).not.toBeNull();
    expect(tickAlert(l.alert as Alert, POLICY, T0 + MIN + RETAIN, RETAIN).alert).toBeNull();
  });
});

describe('flapping', () => {
  const flappy: AlertPolicy = { ...POLICY, dedup: undefined, flap: { windowMs: 10 * MIN, max: 4 } };

  it('is told once when it starts flapping, then once in the state it settles in (firing)', () => {
    const l = new Life(flappy);
    const out: string[][] = [];
    // fire, resolve, fire, resolve, fire: the 4th change marks it flapping.
    for (let i = 0; i < 7; i++) out.push(i % 2 === 0 ? l.fire(T0 + i * MIN) : l.resolve(T0 + i * MIN));
    expect(out).toEqual([['firing'], ['resolved'], ['firing'], ['flapping'], [], [], []]);
    expect(l.alert).toMatchObject({ status: 'firing', flapping: true });
    // Quiet for the flap window after the last change: told once that it still fires.
    expect(l.due()).toBe(T0 + 16 * MIN);
    expect(l.tick(T0 + 15 * MIN)).toEqual([]);
    expect(l.tick(T0 + 16 * MIN)).toEqual(['firing']);
    expect(l.alert).toMatchObject({ flapping: false, transitions: [] });
  });

  it('is told once when it starts flapping, then resolved when it settles resolved', () => {
    const l = new Life({ ...flappy, flap: { windowMs: 10 * MIN, max: 3 } });
    const out: string[][] = [];
    for (let i = 0; i < 6; i++) out.push(i % 2 === 0 ? l.fire(T0 + i * MIN) : l.resolve(T0 + i * MIN));
    expect(out).toEqual([['firing'], ['resolved'], ['flapping'], [], [], []]);
    expect(l.alert).toMatchObject({ status: 'resolved', flapping: true });
    expect(l.due()).toBe(T0 + 15 * MIN);
    expect(l.tick(T0 + 15 * MIN)).toEqual(['resolved']);
    expect(l.alert).toMatchObject({ status: 'resolved', flapping: false, notified: [] });
    expect(l.due()).toBe(T0 + 5 * MIN + RETAIN);
  });

  it('with the default even cap, flapping first shows on a resolve and is still told once', () => {
    const l = new Life({ ...POLICY, dedup: undefined });
    const out: string[][] = [];
    for (let i = 0; i < 8; i++) out.push(i % 2 === 0 ? l.fire(T0 + i * MIN) : l.resolve(T0 + i * MIN));
    expect(out.flat()).toEqual(['firing', 'resolved', 'firing', 'resolved', 'firing', 'flapping']);
    expect(l.tick(T0 + 17 * MIN)).toEqual(['resolved']);
    expect(l.told.filter((t) => t.endsWith('flapping'))).toHaveLength(1);
  });
});

describe('Alertmanager', () => {
  const am = { origin: 'alertmanager' as const, name: 'HighCPU', startsAt: T0 - MIN };

  it('the same startsAt again (repeats, HA pair duplicates) does not notify or count', () => {
    const l = new Life();
    expect(l.fire(T0, am)).toEqual(['firing']);
    expect(l.alert).toMatchObject({ startsAt: T0 - MIN, amStartsAt: T0 - MIN });
    expect(l.fire(T0 + 1, am)).toEqual([]);
    expect(l.fire(T0 + 5 * MIN, am)).toEqual([]);
    expect(l.alert?.occurrences).toBe(1);
    expect(l.resolve(T0 + 6 * MIN, am)).toEqual(['resolved']);
    expect(l.resolve(T0 + 6 * MIN + 1, am)).toEqual([]);
  });

  it('a new startsAt while firing is a new occurrence, still not a new notification', () => {
    const l = new Life();
    l.fire(T0, am);
    expect(l.fire(T0 + MIN, { ...am, startsAt: T0 + MIN })).toEqual([]);
    expect(l.alert).toMatchObject({ occurrences: 2, amStartsAt: T0 + MIN });
  });
});

describe('silenced alerts', () => {
  const muted: AlertPolicy = { ...POLICY, hold: 'silence' };

  it('are tracked but not told, and do not use up the dedup cap', () => {
    let a: Alert | null | undefined;
    for (let i = 0; i < 5; i++) {
      const step = applySignal(a ?? undefined, sig({ kind: 'occurrence' }), FP, muted, T0 + i * SEC);
      expect(step.intents).toEqual([]);
      a = step.alert;
    }
    expect(a?.status).toBe('firing');
    expect(a?.occurrences).toBe(5);
    // Once the silence ends, the cap is still whole.
    const told: string[] = [];
    for (let i = 0; i < 4; i++) {
      const step = applySignal(a ?? undefined, sig({ kind: 'occurrence' }), FP, POLICY, T0 + (10 + i) * SEC);
      told.push(...step.intents.map((x) => x.kind));
      a = step.alert;
    }
    expect(told).toEqual(['firing', 'firing', 'firing']);
  });

  it('hold a rise in severity, and owe it', () => {
    const first = applySignal(undefined, sig(), FP, POLICY, T0);
    const up = applySignal(first.alert ?? undefined, sig({ severity: 'critical' }), FP, muted, T0 + SEC);
    expect(up.intents).toEqual([]);
    expect(up.held).toBe('silence');
    expect(up.alert?.owed).toMatchObject({ hold: 'silence', severity: 'critical' });
    // The silence over, the next look at it tells the rise.
    const due = nextDue(up.alert as Alert, POLICY, HOUR) as number;
    const told = tickAlert(up.alert as Alert, POLICY, due, HOUR);
    expect(told.intents).toEqual([{ kind: 'raised', from: 'warning' }]);
    expect(told.alert?.owed).toBeUndefined();
  });
});
