import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KlaxonClient, type KlaxonClientOptions, type KlaxonError } from '../../src/client/index.js';
import { TOKEN, TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';
import { FlakyProxy, urlOf } from './proxy.js';

interface ApiAlert {
  name: string;
  status: string;
  severity: string;
  occurrences: number;
  labels: Record<string, string>;
}

/** The TypeScript client against a real Klaxon (its own Redis prefix, a webhook recorder). */
describe('the TypeScript client against Klaxon', () => {
  const k = new TestKlaxon(`klaxon-test-client-${process.pid}`);
  let proxy: FlakyProxy;
  const clients: KlaxonClient[] = [];
  let errors: KlaxonError[] = [];

  beforeAll(() =>
    k.start({
      rules: [
        { name: 'client_equity_low', kind: 'threshold', metric: 'equity', op: '<', bands: { critical: 100 } },
        {
          name: 'client_reconnects',
          kind: 'count',
          event: 'websocket_reconnect',
          window: '1m',
          bands: { warning: 3 },
        },
      ],
    }),
  );
  afterAll(() => k.close());
  beforeEach(async () => {
    k.recorder.received.length = 0;
    errors = [];
    proxy = await new FlakyProxy(urlOf(k)).start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 5000 })));
    await proxy.close();
  });

  const client = (opts: Partial<KlaxonClientOptions> = {}) => {
    const c = new KlaxonClient({
      url: proxy.url,
      token: TOKEN,
      retry: { baseDelayMs: 50, maxDelayMs: 200 },
      onError: (e) => errors.push(e),
      ...opts,
    });
    clients.push(c);
    return c;
  };

  const admin = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${urlOf(k)}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const alertsOf = async (source: string) =>
    (await admin<{ alerts: ApiAlert[] }>(`/v1/alerts?source=${source}`)).alerts;

  it('pushes metrics, events, alerts and heartbeats that Klaxon evaluates', async () => {
    const c = client({ source: 'ts-bot-1' });
    c.metrics({ equity: 50, daily_pnl: -12.5 });
    for (let i = 0; i < 3; i++) c.event('websocket_reconnect', { attempt: i }, { severity: 'warning' });
    c.alert({
      name: 'client_kill_switch',
      severity: 'critical',
      title: 'Kill switch pressed',
      message: 'Trading halted by operator',
      labels: { symbol: 'BTCUSDT' },
    });
    c.heartbeat();
    await c.flush();
    expect(c.stats()).toMatchObject({ accepted: 6, queued: 0, inFlight: 0, retries: 0 });
    // one request per route: the three events went in one array
    expect(proxy.relayed.map((r) => [r.path, r.status]).sort()).toEqual([
      ['/v1/alerts', 202],
      ['/v1/events', 202],
      ['/v1/metrics', 202],
    ]);
    await k.idle();
    await waitFor(() => k.recorder.received.length >= 3, 10_000, 'three notifications');
    expect(k.recorder.received.map((n) => n.alerts[0]?.name).sort()).toEqual([
      'client_equity_low',
      'client_kill_switch',
      'client_reconnects',
    ]);

    const listed = await alertsOf('ts-bot-1');
    expect(listed.map((a) => [a.name, a.status, a.severity]).sort()).toEqual([
      ['client_equity_low', 'firing', 'critical'],
      ['client_kill_switch', 'firing', 'critical'],
      ['client_reconnects', 'firing', 'warning'],
    ]);
    expect(listed.find((a) => a.name === 'client_kill_switch')?.labels).toMatchObject({
      source: 'ts-bot-1',
      symbol: 'BTCUSDT',
    });
    const { sources } = await admin<{ sources: { source: string; lastHeartbeatAt?: number }[] }>(
      '/v1/sources',
    );
    expect(sources.find((s) => s.source === 'ts-bot-1')?.lastHeartbeatAt).toEqual(expect.any(Number));
    expect(errors).toEqual([]);
  });

  it.each([
    ['answers 503', '503'],
    ['cuts the connection', 'cut'],
  ] as const)('a retry after Klaxon accepted the alert notifies once (the proxy %s)', async (_, plan) => {
    const source = `ts-bot-retry-${plan}`;
    const name = `client_stop_loss_${plan}`;
    proxy.plan = (n) => (n === 1 ? plan : 'pass');
    const c = client({ source });
    const id = c.alert({ name, severity: 'critical', title: 'Stop-loss hit on BTCUSDT', value: 42.1 });
    await c.flush();

    // Klaxon got the same request twice: accepted both times, evaluated once.
    expect(proxy.relayed.map((r) => [r.plan, r.status])).toEqual([
      [plan, 202],
      ['pass', 202],
    ]);
    const [first, second] = proxy.relayed;
    expect(second?.body).toBe(first?.body);
    expect(second?.requestId).toBe(first?.requestId);
    expect((JSON.parse(first?.body ?? '[]') as { id: string }[])[0]?.id).toBe(id);
    expect(c.stats()).toMatchObject({ accepted: 1, retries: 1, failed: 0, rejected: 0 });
    expect(errors).toEqual([]);

    await k.idle();
    await waitFor(() => k.recorder.of(name).length > 0, 10_000, 'the notification');
    await k.idle();
    expect(k.recorder.of(name)).toHaveLength(1);
    expect((await alertsOf(source)).map((a) => [a.name, a.occurrences])).toEqual([[name, 1]]);
  });

  it('(control) the same alert sent twice with two ids is told twice', async () => {
    // Without the shared id, the retry above would have been a second notification.
    const alert = {
      source: 'ts-bot-control',
      name: 'client_stop_loss_control',
      severity: 'critical',
      title: 'x',
    };
    await k.push('/v1/alerts', { ...alert, id: 'control-1' });
    await k.push('/v1/alerts', { ...alert, id: 'control-2' });
    await k.idle();
    await waitFor(() => k.recorder.of(alert.name).length >= 2, 10_000, 'two notifications');
    expect(k.recorder.of(alert.name)).toHaveLength(2);
  });

  it('a bad item is refused once, never retried, and onError names its field', async () => {
    const c = client({ source: 'ts-bot-bad' });
    const id = c.alert({ name: 'client_no_title', severity: 'critical' } as never);
    await c.flush();
    await new Promise((r) => setTimeout(r, 300)); // several backoff steps: nothing more leaves
    expect(proxy.relayed.map((r) => [r.path, r.status])).toEqual([['/v1/alerts', 400]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      kind: 'rejected',
      route: 'alerts',
      status: 400,
      code: 'invalid_input',
      items: 1,
      ids: [id],
      errors: [{ path: '[0].title', message: expect.any(String) }],
    });
    expect(errors[0]?.message).toContain('[0].title');
    expect(c.stats()).toMatchObject({ rejected: 1, retries: 0, requests: 1 });
  });

  it('a bad item does not take its batch down: the others are sent again and evaluated', async () => {
    const c = client({ source: 'ts-bot-mixed' });
    c.alert({ name: 'client_good_one', severity: 'high', title: 'good' });
    c.alert({ name: 'client_bad_one', severity: 'high', title: '' });
    await c.flush();
    expect(proxy.relayed.map((r) => [JSON.parse(r.body).length as number, r.status])).toEqual([
      [2, 400],
      [1, 202],
    ]);
    expect(errors.map((e) => [e.kind, e.errors.map((f) => f.path)])).toEqual([['rejected', ['[1].title']]]);
    await k.idle();
    await waitFor(() => k.recorder.of('client_good_one').length === 1, 10_000, 'the good alert');
    expect(k.recorder.of('client_bad_one')).toEqual([]);
  });

  it('a wrong token is a 401, not retried, and the token is in no error', async () => {
    const wrong = 'wrong-token-that-must-not-leak-0123456789';
    const c = client({ token: wrong, source: 'ts-bot-401' });
    c.metrics({ equity: 1 });
    await c.flush();
    expect(proxy.relayed.map((r) => r.status)).toEqual([401]);
    expect(errors.map((e) => [e.kind, e.status, e.code])).toEqual([['rejected', 401, 'unauthorized']]);
    expect(JSON.stringify(errors) + errors.map((e) => e.message).join()).not.toContain(wrong);
  });

  it('an unreachable Klaxon is retried, then reported as failed', async () => {
    await proxy.close(); // nothing listens there any more
    const c = client({ source: 'ts-bot-down', retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
    c.event('trade_closed');
    await c.flush();
    expect(c.stats()).toMatchObject({ requests: 3, retries: 2, failed: 1 });
    expect(errors.map((e) => e.kind)).toEqual(['failed']);
    expect(errors[0]?.message).toMatch(
      /not accepted after 3 tries: cannot reach Klaxon at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
    proxy = await new FlakyProxy(urlOf(k)).start(); // for afterEach
  });
});
