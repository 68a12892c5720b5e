import { afterEach, describe, expect, it } from 'vitest';
import { LaneHarness, type LaneKind } from '../support/lane.js';

/**
 * The life cycle's holds, acknowledgement and escalation as a user sees them: the exact list of
 * notifications, with an injected clock. Each scenario runs on both lane adapters, memory (as
 * replay runs) and the real Redis (as the service runs): they must tell exactly the same.
 */
const T0 = Date.parse('2026-11-20T12:00:00Z');
const S = 1000;
const M = 60_000;

const LATENCY = {
  name: 'latency',
  kind: 'threshold',
  metric: 'latency_ms',
  bands: { warning: 500, critical: 1000 },
};

const base = (extra: Record<string, unknown> = {}) => ({
  receivers: { chat: { type: 'console' }, pager: { type: 'console' }, boss: { type: 'console' } },
  routes: { receivers: ['chat'] },
  defaults: { repeat: 'never' },
  queue: { shards: 4, sweep_every: '10s' },
  rules: [LATENCY],
  ...extra,
});

describe.each<LaneKind>(['memory', 'redis'])('alert life cycle on %s lanes', (kind) => {
  let h: LaneHarness;
  const start = async (raw: Record<string, unknown>) => {
    h = await LaneHarness.start(kind, raw, 'lifecycle');
    return h;
  };
  afterEach(async () => h?.close());

  describe('a silence holds, and what it held is told when it ends', () => {
    const silence = {
      id: 's1',
      matchers: [{ name: 'alertname', op: '=' as const, value: 'latency' }],
      startsAt: T0,
      endsAt: T0 + 10 * M,
      createdBy: 'ops',
    };

    it('an alert that starts firing under a silence and rises to critical is told once, as critical', async () => {
      await start(base());
      h.silences = [silence];
      await h.metrics(T0 + 1 * M, 'bot', { latency_ms: 600 });
      await h.metrics(T0 + 2 * M, 'bot', { latency_ms: 1200 });
      await h.tick(T0 + 5 * M);
      expect(h.take()).toEqual([]);
      const fp = h.fp('latency', { source: 'bot', metric: 'latency_ms' });
      expect((await h.stored('bot', fp))?.owed).toMatchObject({ hold: 'silence', severity: 'critical' });
      await h.tick(T0 + 10 * M);
      expect(h.take()).toEqual(['firing latency critical -> chat']);
      await h.tick(T0 + 11 * M);
      expect(h.take()).toEqual([]);
      await h.metrics(T0 + 12 * M, 'bot', { latency_ms: 100 });
      expect(h.take()).toEqual(['resolved latency critical -> chat']);
    });

    it('a rise to critical during the silence of an alert told as warning is told as a rise when it ends', async () => {
      await start(base());
      await h.metrics(T0, 'bot', { latency_ms: 600 });
      expect(h.take()).toEqual(['firing latency warning -> chat']);
      h.silences = [silence];
      await h.metrics(T0 + 2 * M, 'bot', { latency_ms: 1200 });
      await h.tick(T0 + 9 * M);
      expect(h.take()).toEqual([]);
      await h.tick(T0 + 10 * M);
      expect(h.take()).toEqual(['firing from warning latency critical -> chat']);
    });

    it('a silence expired before its end lets what it held out within a minute', async () => {
      await start(base());
      h.silences = [silence];
      await h.metrics(T0 + 1 * M, 'bot', { latency_ms: 600 });
      await h.tick(T0 + 2 * M);
      await h.tick(T0 + 3 * M);
      expect(h.take()).toEqual([]);
      h.silences = []; // expired through the API at T0 + 3.5 min
      await h.tick(T0 + 4 * M);
      expect(h.take()).toEqual(['firing latency warning -> chat']);
    });

    it('an alert that stops firing during the silence is never told', async () => {
      await start(base());
      h.silences = [silence];
      await h.metrics(T0 + 1 * M, 'bot', { latency_ms: 600 });
      await h.metrics(T0 + 3 * M, 'bot', { latency_ms: 100 });
      await h.tick(T0 + 10 * M);
      await h.tick(T0 + 20 * M);
      expect(h.take()).toEqual([]);
    });
  });

  describe('the dedup cap holds, and what it held is told when its window ends', () => {
    const REJECTED = {
      name: 'rejected',
      kind: 'event',
      event: 'order_rejected',
      severity: 'warning',
      dedup: { window: '10m', max: 2 },
    };

    it('a third occurrence inside the window is told once the window ends, not lost', async () => {
      await start(base({ rules: [REJECTED] }));
      await h.event(T0, 'bot', 'order_rejected');
      await h.event(T0 + 1 * M, 'bot', 'order_rejected');
      await h.event(T0 + 2 * M, 'bot', 'order_rejected');
      await h.event(T0 + 3 * M, 'bot', 'order_rejected');
      expect(h.take()).toEqual(['firing rejected warning -> chat', 'firing rejected warning -> chat']);
      await h.tick(T0 + 9 * M);
      expect(h.take()).toEqual([]);
      await h.tick(T0 + 10 * M);
      expect(h.take()).toEqual(['firing rejected warning -> chat']);
      await h.tick(T0 + 11 * M);
      expect(h.take()).toEqual([]);
    });

    it('a rise to critical is never held by the cap', async () => {
      await start(
        base({ rules: [], defaults: { repeat: 'never', direct: { dedup: { window: '10m', max: 1 } } } }),
      );
      await h.alert(T0, { name: 'disk', severity: 'warning' });
      await h.alert(T0 + 1 * M, { name: 'disk', severity: 'warning' });
      await h.alert(T0 + 2 * M, { name: 'disk', severity: 'critical' });
      expect(h.take()).toEqual(['firing disk warning -> chat', 'firing from warning disk critical -> chat']);
    });

    it('a condition that fires a third time inside its window is told when the window ends if it still fires', async () => {
      await start(base({ rules: [{ ...LATENCY, dedup: { window: '30m', max: 2 } }] }));
      for (const [i, v] of [600, 100, 600, 100, 600].entries())
        await h.metrics(T0 + i * M, 'bot', { latency_ms: v });
      expect(h.take()).toEqual([
        'firing latency warning -> chat',
        'resolved latency warning -> chat',
        'firing latency warning -> chat',
        'resolved latency warning -> chat',
      ]);
      await h.tick(T0 + 29 * M);
      expect(h.take()).toEqual([]);
      await h.tick(T0 + 30 * M);
      expect(h.take()).toEqual(['firing latency warning -> chat']);
    });
  });

  describe('inhibition mutes, and what it muted is told when the inhibiting alert resolves', () => {
    const inhibit = {
      inhibit_rules: [
        {
          source_matchers: { alertname: 'bot_down' },
          target_matchers: { alertname: 'latency' },
          equal: ['source'],
        },
      ],
    };

    it("a down bot's latency is held, rises to critical, and is told once the bot is back", async () => {
      await start(base(inhibit));
      await h.alert(T0, { name: 'bot_down', severity: 'critical', labels: { source: 'a' } });
      await h.metrics(T0 + 1 * M, 'a', { latency_ms: 600 });
      await h.metrics(T0 + 1 * M, 'b', { latency_ms: 600 });
      await h.metrics(T0 + 2 * M, 'a', { latency_ms: 1200 });
      await h.tick(T0 + 3 * M);
      expect(h.take()).toEqual(['firing bot_down critical -> chat', 'firing latency warning -> chat']);
      const fp = h.fp('latency', { source: 'a', metric: 'latency_ms' });
      expect((await h.stored('a', fp))?.owed).toMatchObject({ hold: 'inhibited', severity: 'critical' });
      await h.alert(T0 + 4 * M, {
        name: 'bot_down',
        severity: 'critical',
        kind: 'state',
        status: 'resolved',
        labels: { source: 'a' },
      });
      expect(h.take()).toEqual(['resolved bot_down critical -> chat']);
      await h.tick(T0 + 4 * M + 10 * S);
      expect(h.take()).toEqual(['firing latency critical -> chat']);
    });

    it('an inhibiting alert in another lane mutes too', async () => {
      await start(
        base({
          inhibit_rules: [
            { source_matchers: { alertname: 'exchange_down' }, target_matchers: { alertname: 'latency' } },
          ],
        }),
      );
      const sources = ['exchange', 'a', 'b', 'c', 'd', 'e', 'f'];
      const other = sources.find((s) => h.store.shardOf(s) !== h.store.shardOf('exchange'));
      expect(other).toBeDefined();
      await h.alert(T0, { name: 'exchange_down', severity: 'critical', labels: { source: 'exchange' } });
      await h.metrics(T0 + 1 * M, other as string, { latency_ms: 600 });
      expect(h.take()).toEqual(['firing exchange_down critical -> chat']);
    });
  });

  describe('escalation', () => {
    const routes = {
      receivers: ['chat'],
      escalate: [
        { after: '10m', receivers: ['pager'] },
        { after: '30m', receivers: ['boss'] },
      ],
    };

    it('an unacknowledged critical escalates on time through two steps, and all hear its resolve', async () => {
      await start(base({ routes }));
      await h.metrics(T0, 'bot', { latency_ms: 1200 });
      expect(h.take()).toEqual(['firing latency critical -> chat']);
      await h.tick(T0 + 9 * M + 50 * S);
      expect(h.take()).toEqual([]);
      await h.tick(T0 + 10 * M);
      expect(h.take()).toEqual(['escalated step 0 latency critical -> pager']);
      await h.tick(T0 + 20 * M);
      expect(h.take()).toEqual([]);
      await h.tick(T0 + 30 * M);
      expect(h.take()).toEqual(['escalated step 1 latency critical -> boss']);
      await h.tick(T0 + 60 * M);
      expect(h.take()).toEqual([]);
      await h.metrics(T0 + 61 * M, 'bot', { latency_ms: 100 });
      expect(h.take()).toEqual([
        'resolved latency critical -> chat',
        'resolved latency critical -> pager',
        'resolved latency critical -> boss',
      ]);
    });

    it('an acknowledged critical does not escalate; its resolve still goes out', async () => {
      await start(base({ routes }));
      await h.metrics(T0, 'bot', { latency_ms: 1200 });
      await h.tick(T0 + 10 * M);
      expect(h.take()).toEqual([
        'firing latency critical -> chat',
        'escalated step 0 latency critical -> pager',
      ]);
      await h.ack(T0 + 12 * M, 'bot', h.fp('latency', { source: 'bot', metric: 'latency_ms' }), 'alice');
      expect(h.take()).toEqual([
        'acknowledged latency critical -> chat',
        'acknowledged latency critical -> pager',
      ]);
      await h.tick(T0 + 30 * M);
      await h.tick(T0 + 90 * M);
      expect(h.take()).toEqual([]);
      await h.metrics(T0 + 91 * M, 'bot', { latency_ms: 100 });
      expect(h.take()).toEqual(['resolved latency critical -> chat', 'resolved latency critical -> pager']);
    });

    it('a warning does not escalate', async () => {
      await start(base({ routes }));
      await h.metrics(T0, 'bot', { latency_ms: 600 });
      await h.tick(T0 + 40 * M);
      expect(h.take()).toEqual(['firing latency warning -> chat']);
    });
  });

  describe('acknowledgement', () => {
    it('stops reminders until it lapses; an acknowledged alert acknowledged again tells nobody', async () => {
      await start(base({ rules: [{ ...LATENCY, repeat: '10m' }] }));
      const fp = h.fp('latency', { source: 'bot', metric: 'latency_ms' });
      await h.metrics(T0, 'bot', { latency_ms: 600 });
      await h.tick(T0 + 10 * M);
      expect(h.take()).toEqual(['firing latency warning -> chat', 'repeat latency warning -> chat']);
      await h.ack(T0 + 11 * M, 'bot', fp, 'alice', T0 + 45 * M);
      await h.ack(T0 + 12 * M, 'bot', fp, 'bob');
      expect(h.take()).toEqual(['acknowledged latency warning -> chat']);
      expect((await h.stored('bot', fp))?.acknowledged).toMatchObject({ by: 'alice', until: T0 + 45 * M });
      await h.tick(T0 + 20 * M);
      await h.tick(T0 + 30 * M);
      expect(h.take()).toEqual([]);
      await h.tick(T0 + 45 * M);
      expect(h.take()).toEqual(['repeat latency warning -> chat']);
    });
  });

  describe('idempotency keys', () => {
    it('an event sent again with the same id is evaluated once', async () => {
      await start(
        base({
          rules: [
            { name: 'stop_loss', kind: 'event', event: 'stop_loss_hit', severity: 'critical', dedup: 'none' },
          ],
        }),
      );
      await h.event(T0, 'bot', 'stop_loss_hit', { id: 'sl-1' });
      await h.event(T0 + 5 * S, 'bot', 'stop_loss_hit', { id: 'sl-1' });
      await h.event(T0 + 6 * S, 'bot', 'stop_loss_hit', { id: 'sl-2' });
      await h.event(T0 + 7 * S, 'other', 'stop_loss_hit', { id: 'sl-1' });
      expect(h.take()).toEqual([
        'firing stop_loss critical -> chat',
        'firing stop_loss critical -> chat',
        'firing stop_loss critical -> chat',
      ]);
    });

    it('a job that died between its commit and queueing its deliveries queues them when run again, and only then', async () => {
      await start(
        base({
          rules: [{ name: 'stop_loss', kind: 'event', event: 'stop_loss_hit', severity: 'critical' }],
        }),
      );
      h.failNextDelivery = true;
      await expect(h.event(T0, 'bot', 'stop_loss_hit')).rejects.toThrow(/died/);
      expect(h.take()).toEqual([]);
      // Taken over: evaluated once already, so it is not evaluated again, but what it decided goes out.
      await h.runAgain();
      expect(h.take()).toEqual(['firing stop_loss critical -> chat']);
      // Run once more after everything was handed on: nothing is queued twice.
      await h.runAgain();
      expect(h.take()).toEqual([]);
    });
  });
});
