import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { fingerprint } from '../../src/model/fingerprint.js';
import type { AlertSignal } from '../../src/model/signal.js';
import { applySignal } from '../../src/routing/lifecycle.js';
import { alertView, route, type RoutingContext } from '../../src/routing/notify.js';
import type { AlertPolicy } from '../../src/routing/policy.js';
import { RouteTree, routeSchema } from '../../src/routing/routes.js';
import { HOUR, MIN, T0 } from './helpers.js';

const POLICY: AlertPolicy = { repeatMs: HOUR, resolveAfterMs: HOUR, flap: { windowMs: 10 * MIN, max: 6 } };

const routes = new RouteTree(
  routeSchema.parse({
    receivers: ['mail'],
    routes: [
      { match: { severity: 'critical' }, receivers: ['pager', 'tg'] },
      { match: { severity: 'warning' }, receivers: ['tg'] },
    ],
  }),
);

const receivers = new Map([
  ['mail', { sendResolved: true }],
  ['pager', { sendResolved: true }],
  ['tg', { sendResolved: false }],
  ['discord', { sendResolved: true }],
]);

const ctx = (now: number, over: Partial<RoutingContext> = {}): RoutingContext => ({
  routes,
  receivers,
  now,
  ...over,
});

function signal(over: Partial<AlertSignal> = {}): AlertSignal {
  return {
    name: 'drawdown',
    kind: 'state',
    status: 'firing',
    severity: 'critical',
    labels: { source: 'bot-a' },
    annotations: { title: 'drawdown 16 %' },
    value: 16,
    ts: T0,
    origin: 'rule',
    ...over,
  };
}

const FP = fingerprint('drawdown', { source: 'bot-a' });

function fire(over: Partial<AlertSignal> = {}, policy = POLICY, now = T0): Alert {
  const step = applySignal(undefined, signal(over), FP, policy, now);
  const alert = step.alert as Alert;
  route(alert, step.intents, policy, ctx(now));
  return alert;
}

describe('fingerprint', () => {
  it('depends on the name and the labels, not their order, never on time', () => {
    expect(fingerprint('a', { x: '1', y: '2' })).toBe(fingerprint('a', { y: '2', x: '1' }));
    expect(fingerprint('a', { x: '1' })).not.toBe(fingerprint('b', { x: '1' }));
    expect(fingerprint('a', { x: '1' })).not.toBe(fingerprint('a', { x: '2' }));
    expect(fingerprint('a', { x: '1' })).toMatch(/^[0-9a-f]{24}$/);
  });

  it('stays what it was: stored alerts and PagerDuty dedup keys keep their identity across versions', () => {
    expect(fingerprint('drawdown', { source: 'bot-a', symbol: 'BTC-USD' })).toBe('1fe21a736d72f406a4eac610');
    expect(fingerprint('a', {})).toBe('ca978112ca1bbdcafac231b3');
    expect(fingerprint('é', { ü: '✓' })).toBe('bd2843eafafb67c303955639');
  });
});

describe('route', () => {
  it('firing goes to the route tree receivers with deterministic ids', () => {
    const step = applySignal(undefined, signal(), FP, POLICY, T0);
    const alert = step.alert as Alert;
    const ns = route(alert, step.intents, POLICY, ctx(T0, { correlationId: 'req-1' }));
    expect(ns.map((n) => [n.id, n.receiver, n.kind])).toEqual([
      [`${FP}.1.firing.pager`, 'pager', 'firing'],
      [`${FP}.1.firing.tg`, 'tg', 'firing'],
    ]);
    expect(ns[0]).toMatchObject({
      createdAt: T0,
      correlationId: 'req-1',
      thread: FP,
      alerts: [
        {
          fingerprint: FP,
          status: 'firing',
          severity: 'critical',
          value: 16,
          startsAt: T0,
          occurrences: 1,
        },
      ],
    });
    // The first notification of its thread waits for nothing.
    expect(ns[0]?.after).toBeUndefined();
    expect(alert.notified).toEqual(['pager', 'tg']);
    // The same decision again gives the same ids, so enqueueing twice sends once.
    const again = applySignal(undefined, signal(), FP, POLICY, T0);
    const ns2 = route(again.alert as Alert, again.intents, POLICY, ctx(T0));
    expect(ns2.map((n) => n.id)).toEqual(ns.map((n) => n.id));
  });

  it('ids never contain ":" and are not all digits (BullMQ refuses those)', () => {
    const alert = fire();
    const ns = route(alert, [{ kind: 'repeat' }], POLICY, ctx(T0));
    for (const n of ns) {
      expect(n.id).not.toContain(':');
      expect(n.id).not.toMatch(/^\d+$/);
    }
  });

  it('the rule receivers replace the route tree; unknown ones are skipped', () => {
    const policy = { ...POLICY, receivers: ['discord', 'nope'] };
    const step = applySignal(undefined, signal(), FP, policy, T0);
    const ns = route(step.alert as Alert, step.intents, policy, ctx(T0));
    expect(ns.map((n) => n.receiver)).toEqual(['discord']);
  });

  it('only unknown rule receivers: falls back to the route tree', () => {
    const policy = { ...POLICY, receivers: ['nope'] };
    const step = applySignal(undefined, signal(), FP, policy, T0);
    expect(route(step.alert as Alert, step.intents, policy, ctx(T0)).map((n) => n.receiver)).toEqual([
      'pager',
      'tg',
    ]);
  });

  it('route tree receivers that are not configured are skipped', () => {
    const step = applySignal(undefined, signal(), FP, POLICY, T0);
    const only = new Map([['pager', { sendResolved: true }]]);
    expect(
      route(step.alert as Alert, step.intents, POLICY, ctx(T0, { receivers: only })).map((n) => n.receiver),
    ).toEqual(['pager']);
  });

  it('a resolve goes only to receivers told of the firing that want resolves, whatever the routes say now', () => {
    // Told as a warning (tg), then as critical when it rose (pager, tg).
    const warn = applySignal(undefined, signal({ severity: 'warning' }), FP, POLICY, T0);
    const alert = warn.alert as Alert;
    expect(route(alert, warn.intents, POLICY, ctx(T0)).map((n) => n.receiver)).toEqual(['tg']);
    const esc = applySignal(alert, signal({ severity: 'critical' }), FP, POLICY, T0 + MIN);
    const escalated = esc.alert as Alert;
    expect(
      route(escalated, esc.intents, POLICY, ctx(T0 + MIN)).map((n) => `${n.kind}:${n.receiver}`),
    ).toEqual(['firing:pager', 'firing:tg']);
    // De-escalated to warning: the routes now say tg only, but pager heard it fire.
    const de = applySignal(escalated, signal({ severity: 'warning' }), FP, POLICY, T0 + 2 * MIN);
    const res = applySignal(
      de.alert as Alert,
      signal({ status: 'resolved', ts: T0 + 3 * MIN }),
      FP,
      POLICY,
      T0 + 3 * MIN,
    );
    const resolved = res.alert as Alert;
    const ns = route(resolved, res.intents, POLICY, ctx(T0 + 3 * MIN));
    // tg does not want resolves.
    expect(ns.map((n) => [n.id, n.receiver, n.kind, n.alerts[0]?.status, n.alerts[0]?.endsAt])).toEqual([
      [`${FP}.${resolved.version}.resolved.pager`, 'pager', 'resolved', 'resolved', T0 + 3 * MIN],
    ]);
    expect(resolved.notified).toEqual([]);
  });

  it('a resolve after the receiver was removed from the config is not sent to it', () => {
    const alert = fire();
    const res = applySignal(alert, signal({ status: 'resolved' }), FP, POLICY, T0 + MIN);
    const without = new Map([['tg', { sendResolved: true }]]);
    const ns = route(res.alert as Alert, res.intents, POLICY, ctx(T0 + MIN, { receivers: without }));
    expect(ns.map((n) => n.receiver)).toEqual(['tg']);
  });

  it('a resolve nobody heard of is not sent', () => {
    const step = applySignal(undefined, signal(), FP, POLICY, T0);
    const res = applySignal(step.alert as Alert, signal({ status: 'resolved' }), FP, POLICY, T0 + MIN);
    expect(res.intents).toEqual([]);
  });

  it('the view shows flapping and acknowledgement', () => {
    const alert = { ...fire(), flapping: true, acknowledged: { by: 'ann', at: T0 } };
    expect(alertView(alert)).toMatchObject({
      status: 'firing',
      flapping: true,
      acknowledged: { by: 'ann', at: T0 },
    });
    expect(alertView(alert).endsAt).toBeUndefined();
  });

  it('chains the notifications of an alert to each receiver, so a resolve waits for its firing', () => {
    const step = applySignal(undefined, signal(), FP, POLICY, T0);
    const alert = step.alert as Alert;
    const firing = route(alert, step.intents, POLICY, ctx(T0));
    const res = applySignal(alert, signal({ status: 'resolved', ts: T0 + MIN }), FP, POLICY, T0 + MIN);
    const resolved = route(res.alert as Alert, res.intents, POLICY, ctx(T0 + MIN));
    expect(resolved.map((n) => [n.receiver, n.after])).toEqual([
      ['pager', firing.find((n) => n.receiver === 'pager')?.id],
    ]);
  });

  it('gives each notification the fallback of the routes the alert matched, never itself', () => {
    const withFallback = new RouteTree(
      routeSchema.parse({
        receivers: ['mail'],
        fallback: ['mail'],
        routes: [{ match: { severity: 'critical' }, receivers: ['pager', 'tg'], fallback_after: '5m' }],
      }),
    );
    const step = applySignal(undefined, signal(), FP, POLICY, T0);
    const ns = route(step.alert as Alert, step.intents, POLICY, ctx(T0, { routes: withFallback }));
    expect(ns.map((n) => [n.receiver, n.fallback])).toEqual([
      ['pager', { receivers: ['mail'], afterMs: 5 * MIN }],
      ['tg', { receivers: ['mail'], afterMs: 5 * MIN }],
    ]);
    const warn = applySignal(undefined, signal({ severity: 'info' }), FP, POLICY, T0);
    const toMail = route(warn.alert as Alert, warn.intents, POLICY, ctx(T0, { routes: withFallback }));
    expect(toMail.map((n) => [n.receiver, n.fallback])).toEqual([['mail', undefined]]);
  });
});

describe('grouping routes', () => {
  const grouped = new RouteTree(
    routeSchema.parse({ receivers: ['tg', 'pager'], group_by: ['source', 'alertname'], group_wait: '5s' }),
  );
  const kinds = new Map([
    ['tg', { sendResolved: false }],
    ['pager', { sendResolved: true, groups: false }],
  ]);
  const gctx = (now: number): RoutingContext => ({ routes: grouped, receivers: kinds, now });

  it('group a receiver that may be grouped, never PagerDuty, which keeps its own thread', () => {
    const step = applySignal(undefined, signal(), FP, POLICY, T0);
    const ns = route(step.alert as Alert, step.intents, POLICY, gctx(T0));
    expect(ns.map((n) => [n.receiver, n.group?.key ?? null])).toEqual([
      ['tg', '0|source=bot-a,alertname=drawdown'],
      ['pager', null],
    ]);
    expect((step.alert as Alert).told).toEqual({ pager: ns[1]?.id });
  });

  it('a grouped receiver hears a resolve even without send_resolved (its group lets the alert go), and an expiry leaves the group untold', () => {
    const first = applySignal(undefined, signal(), FP, POLICY, T0);
    const alert = first.alert as Alert;
    route(alert, first.intents, POLICY, gctx(T0));
    const resolved = route({ ...alert }, [{ kind: 'resolved' }], POLICY, gctx(T0 + MIN));
    expect(resolved.map((n) => n.receiver)).toEqual(['tg', 'pager']);
    const expired = route({ ...alert }, [{ kind: 'expired' }], POLICY, gctx(T0 + MIN));
    expect(expired.map((n) => [n.receiver, n.kind, n.group?.quiet])).toEqual([['tg', 'resolved', true]]);
  });
});
