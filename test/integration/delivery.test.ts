import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { TestKlaxon, TOKEN } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const alert = (name: string, extra: Record<string, unknown> = {}) => ({
  source: 'bot',
  name,
  severity: 'critical',
  title: `${name} happened`,
  ...extra,
});

describe('delivery', () => {
  const k = new TestKlaxon(`klaxon-test-delivery-${process.pid}`);
  beforeAll(() =>
    k.start((url) => ({
      receivers: {
        hook: { type: 'webhook', url },
        limited: { type: 'webhook', url, rate_limit: { max: 2, per: '1s' } },
      },
      routes: { receivers: ['hook'], routes: [{ match: { alertname: '~burst.*' }, receivers: ['limited'] }] },
    })),
  );
  afterAll(() => k.close());
  afterEach(() => {
    k.recorder.received.length = 0;
    k.recorder.status = 200;
  });

  it('retries a receiver that fails for a while, then delivers once', async () => {
    k.recorder.status = 500;
    await k.push('/v1/alerts', alert('flaky'));
    await waitFor(async () => {
      const h = (await (await fetch(`${k.app.url}/health`)).json()) as {
        receivers: { hook: { lastFailure?: string } };
      };
      return Boolean(h.receivers.hook.lastFailure);
    });
    expect(k.recorder.received).toHaveLength(0);
    k.recorder.status = 200;
    await waitFor(() => k.recorder.of('flaky').length === 1, 10_000, 'the retried notification');
    await k.idle();
    expect(k.recorder.of('flaky')).toHaveLength(1);
  });

  it('waits as long as a 429 says, then delivers', async () => {
    k.recorder.failNext = { times: 1, status: 429, retryAfter: '1' };
    const started = Date.now();
    await k.push('/v1/alerts', alert('throttled'));
    await waitFor(() => k.recorder.of('throttled').length === 1, 10_000, 'the throttled notification');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('dead-letters a notification whose receiver stays down past its retries', async () => {
    k.recorder.status = 503;
    const before = k.recorder.attempts;
    await k.push('/v1/alerts', alert('unlucky'));
    await waitFor(
      async () => {
        const h = (await (await fetch(`${k.app.url}/health`)).json()) as {
          deadLetters: { latest: { notification: string; reason: string }[] };
        };
        return h.deadLetters.latest.some((d) => d.notification.includes('.firing.hook'));
      },
      15_000,
      'the dead letter',
    );
    expect(k.recorder.attempts - before).toBe(k.config.queue.delivery.attempts);
  });

  it('puts a permanently refused notification on the dead-letter list, shown in /health and /metrics', async () => {
    const health = async () =>
      (await (await fetch(`${k.app.url}/health`)).json()) as {
        status: string;
        deadLetters: { count: number; latest: { receiver: string; reason: string }[] };
      };
    const before = (await health()).deadLetters.count;
    const attempts = k.recorder.attempts;
    k.recorder.status = 400;
    await k.push('/v1/alerts', alert('refused'));
    await waitFor(async () => (await health()).deadLetters.count === before + 1, 10_000, 'the dead letter');
    const h = await health();
    expect(k.recorder.attempts - attempts).toBe(1); // a 400 is not retried
    expect(h.status).toBe('degraded');
    expect(h.deadLetters.latest[0]).toMatchObject({ receiver: 'hook' });
    expect(h.deadLetters.latest[0]?.reason).toMatch(/400/);
    const metrics = await (await fetch(`${k.app.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^klaxon_dead_letters ${before + 1}$`, 'm'));
    expect(metrics).toMatch(/klaxon_notifications_total\{receiver="hook",result="failed"\} 1/);
  });

  it('folds what overflows a rate limit into one "N more alerts" summary, dropping nothing', async () => {
    for (let i = 0; i < 6; i++) await k.push('/v1/alerts', alert(`burst_${i}`));
    await waitFor(() => k.recorder.received.some((n) => n.kind === 'summary'), 10_000, 'the summary');
    await k.idle();
    const direct = k.recorder.received.filter((n) => n.kind !== 'summary');
    const summaries = k.recorder.received.filter((n) => n.kind === 'summary');
    const folded = summaries.reduce((sum, n) => sum + (n.total ?? 0), 0);
    expect(direct.length).toBeLessThanOrEqual(4);
    expect(direct.length + folded).toBe(6);
    const told = new Set([
      ...direct.map((n) => n.alerts[0]?.name),
      ...summaries.flatMap((n) => n.alerts.map((a) => a.name)),
    ]);
    expect(told.size).toBe(6);
  });

  it('a rate limit holds an alert that rises to critical meanwhile: the summary names it once, as critical', async () => {
    // Two go out, the rest of the window is held: a warning that then rises to critical. Start
    // just after a rate window (1 s, fixed) begins, so that all four fall in one window.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    await k.push('/v1/alerts', alert('burst_a'));
    await k.push('/v1/alerts', alert('burst_b'));
    await k.push('/v1/alerts', alert('burst_c', { severity: 'warning' }));
    await k.push('/v1/alerts', alert('burst_c', { severity: 'critical' }));
    await waitFor(() => k.recorder.received.some((n) => n.kind === 'summary'), 10_000, 'the summary');
    await k.idle();
    const told = k.recorder.received.map((n) =>
      n.kind === 'summary'
        ? `summary ${n.total}: ${n.alerts.map((a) => `${a.name} ${a.severity}`).join(', ')}`
        : `${n.kind} ${n.alerts[0]?.name} ${n.alerts[0]?.severity}`,
    );
    expect(told).toEqual([
      'firing burst_a critical',
      'firing burst_b critical',
      'summary 1: burst_c critical',
    ]);
  });

  it('mutes silenced alerts but still tracks them', async () => {
    const res = await k.post('/v1/silences', {
      matchers: [{ name: 'alertname', op: '=', value: 'muted' }],
      duration: '1h',
      createdBy: 'ops',
      comment: 'maintenance',
    });
    expect(res.status).toBe(201);
    await k.push('/v1/alerts', alert('muted'));
    await k.push('/v1/alerts', alert('loud'));
    await k.idle();
    expect(k.recorder.received.map((n) => n.alerts[0]?.name)).toEqual(['loud']);
    const list = (await (
      await fetch(`${k.app.url}/v1/alerts`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as {
      alerts: { name: string; status: string }[];
    };
    expect(list.alerts.find((a) => a.name === 'muted')?.status).toBe('firing');
  });
});

describe('reminders and acknowledgement', () => {
  const T0 = Date.parse('2026-11-20T12:00:00Z');
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-ack-${process.pid}`);
  beforeAll(() =>
    k.start(
      {
        rules: [
          { name: 'disk', kind: 'threshold', metric: 'disk_percent', bands: { warning: 90 }, repeat: '10m' },
        ],
      },
      { clock: clock.now },
    ),
  );
  afterAll(() => k.close());

  const at = async (t: number, metrics?: Record<string, number>, source = 'host') => {
    clock.set(t);
    if (metrics) await k.push('/v1/metrics', { source, ts: t, metrics });
    else await k.app.sweep();
    await k.idle();
  };

  it('reminds while an alert fires, until somebody acknowledges it', async () => {
    await at(T0, { disk_percent: 95 }, 'a');
    await at(T0, { disk_percent: 95 }, 'b');
    await at(T0 + 11 * 60_000);
    expect(k.recorder.received.map((n) => `${n.alerts[0]?.labels.source}:${n.kind}`).sort()).toEqual([
      'a:firing',
      'a:repeat',
      'b:firing',
      'b:repeat',
    ]);
    const fp = k.recorder.received.find((n) => n.alerts[0]?.labels.source === 'a')?.alerts[0]
      ?.fingerprint as string;
    const ack = await k.post(`/v1/alerts/${fp}/ack`, { by: 'alice', comment: 'on it' });
    // Queued in the alert's lane; the receivers told it fires hear who took it.
    expect(ack.status).toBe(202);
    await k.idle();
    expect(k.recorder.received.map((n) => `${n.alerts[0]?.labels.source}:${n.kind}`).slice(-1)).toEqual([
      'a:acknowledged',
    ]);
    expect(k.recorder.received.at(-1)?.alerts[0]?.acknowledged).toMatchObject({
      by: 'alice',
      comment: 'on it',
    });
    k.recorder.received.length = 0;
    await at(T0 + 22 * 60_000);
    expect(k.recorder.received.map((n) => `${n.alerts[0]?.labels.source}:${n.kind}`)).toEqual(['b:repeat']);
    // The acknowledged alert still tells its resolve.
    await at(T0 + 23 * 60_000, { disk_percent: 50 }, 'a');
    expect(k.recorder.received.map((n) => `${n.alerts[0]?.labels.source}:${n.kind}`)).toEqual([
      'b:repeat',
      'a:resolved',
    ]);
  });
});
