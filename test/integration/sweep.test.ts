import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

/** One sweep handles every due timer, however many, in rounds of a thousand. */
describe('a sweep with more due timers than one round takes', () => {
  const T0 = Date.parse('2026-11-20T06:00:00Z');
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-sweep-${process.pid}`);
  beforeAll(() =>
    k.start(
      {
        queue: { shards: 1, delivery: { concurrency: 20 } },
        rules: [{ name: 'silent', kind: 'absence', event: 'heartbeat', bands: { warning: '5m' } }],
      },
      { clock: clock.now },
    ),
  );
  afterAll(() => k.close());

  it('fires for all 1,500 silent bots at once', async () => {
    const n = 1500;
    await k.push(
      '/v1/events',
      Array.from({ length: n }, (_, i) => ({ source: `bot-${i}`, type: 'heartbeat' })),
    );
    await k.idle();
    clock.set(T0 + 6 * 60_000);
    await k.app.sweep();
    await waitFor(() => k.recorder.of('silent').length === n, 30_000, `${n} notifications`);
    await k.idle(30_000);
    expect(new Set(k.recorder.of('silent').map((x) => x.alerts[0]?.labels.source)).size).toBe(n);
  });
});
