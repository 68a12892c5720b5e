import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { fingerprint } from '../../src/model/fingerprint.js';
import { FakePagerDuty } from '../support/fakes/pagerduty.js';
import { FakeSmtp } from '../support/fakes/smtp.js';
import { FakeTelegram } from '../support/fakes/telegram.js';
import { TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const TG_TOKEN = '123456:ack-e2e-telegram-token';
const ROUTING_KEY = 'R0UT1NGKEYACK0123456789abcdefABC';

/**
 * Acknowledging from the API, as a person sees it on the services: two critical alerts fire to
 * Telegram and PagerDuty; one is acknowledged; ten minutes later only the other is reminded and
 * escalated to email, while the acknowledged one's Telegram message says who took it and its
 * PagerDuty incident is acknowledged; its resolve still goes out.
 */
describe('acknowledge and escalate through Telegram, PagerDuty and email', () => {
  const tg = new FakeTelegram();
  const pd = new FakePagerDuty();
  const smtp = new FakeSmtp();
  const T0 = Date.parse('2026-12-01T09:00:00Z');
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-ack-e2e-${process.pid}`);
  const M = 60_000;

  beforeAll(async () => {
    await Promise.all([tg.start(), pd.start(), smtp.start()]);
    await k.start(
      () => ({
        rules: [
          {
            name: 'latency',
            kind: 'threshold',
            metric: 'latency_ms',
            bands: { critical: 1000 },
            repeat: '10m',
          },
        ],
        receivers: {
          telegram: {
            type: 'telegram',
            token: TG_TOKEN,
            chat_ids: [555],
            api_root: tg.apiRoot,
            throttle: 'off',
          },
          pagerduty: { type: 'pagerduty', routing_key: ROUTING_KEY, server: pd.server },
          email: {
            type: 'email',
            to: ['cto@example.test'],
            from: 'Klaxon <klaxon@example.test>',
            smtp: { host: smtp.host, port: smtp.port, require_tls: false },
          },
        },
        routes: {
          receivers: ['telegram', 'pagerduty'],
          escalate: [{ after: '10m', receivers: ['email'] }],
        },
      }),
      { clock: clock.now },
    );
  });
  afterAll(async () => {
    await k.close();
    await Promise.all([tg.close(), pd.close(), smtp.close()]);
  });

  const at = async (t: number, what?: { source: string; latency: number }) => {
    clock.set(t);
    if (what)
      await k.push('/v1/metrics', { source: what.source, ts: t, metrics: { latency_ms: what.latency } });
    else await k.app.sweep();
    await k.idle();
  };
  const fpOf = (source: string) => fingerprint('latency', { source, metric: 'latency_ms' });

  it('stops the acknowledged alert’s reminders and escalation, tells who took it, and still resolves it', async () => {
    await at(T0, { source: 'grid-1', latency: 1500 });
    await at(T0, { source: 'grid-2', latency: 1500 });
    await waitFor(() => tg.messages.length === 2 && pd.alerts().length === 2, 10_000, 'the two alerts');

    const ack = await k.post(`/v1/alerts/${fpOf('grid-1')}/ack`, {
      by: 'alice',
      comment: 'restarting the gateway',
    });
    expect(ack.status).toBe(202);
    await k.idle();
    await waitFor(
      () => pd.alerts().some((a) => a.status === 'acknowledged'),
      10_000,
      'the PagerDuty acknowledge',
    );
    const grid1 = tg.messages.find((m) => m.source.includes('grid-1') || m.text.includes('grid-1'));
    expect(grid1?.text).toContain('Acknowledged by alice');
    expect(pd.alerts().find((a) => a.dedupKey === fpOf('grid-1'))?.status).toBe('acknowledged');
    expect(pd.alerts().find((a) => a.dedupKey === fpOf('grid-2'))?.status).toBe('triggered');

    // Ten minutes on: grid-2 is reminded and escalated to email; grid-1 is left alone.
    await at(T0 + 10 * M);
    await waitFor(() => smtp.messages.length === 1, 10_000, 'the escalation email');
    await k.idle();
    expect(smtp.messages.map((m) => m.parsed.subject)).toEqual([expect.stringContaining('grid-2')]);
    const sends = tg.requestsTo('sendMessage').map((r) => String(r.body.text));
    expect(sends).toHaveLength(3);
    expect(sends[2]).toContain('grid-2');
    await at(T0 + 30 * M);
    expect(smtp.messages).toHaveLength(1);

    // grid-1 recovers: its resolve still reaches Telegram (an edit) and PagerDuty.
    await at(T0 + 31 * M, { source: 'grid-1', latency: 100 });
    await waitFor(
      () => pd.alerts().find((a) => a.dedupKey === fpOf('grid-1'))?.status === 'resolved',
      10_000,
      'the resolve',
    );
    expect(grid1?.text.split('\n')[0]).toContain('RESOLVED');
  });
});
