import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { readRecording } from '../../src/replay/read.js';
import { replay } from '../../src/replay/replay.js';
import { TestKlaxon } from '../support/klaxon.js';

/**
 * `klaxon replay` runs the service's own pipeline on memory: the same input file through replay
 * and through the live service (HTTP, queues, workers, Redis, delivery) yields the same
 * notifications. The recording covers a silence, a dedup cap, a rise in severity, a reminder,
 * an absence and a repeated idempotency key.
 */
const T0 = Date.parse('2026-11-20T09:00:00Z');
const M = 60_000;

const RULES = {
  queue: { shards: 4, sweep_every: '1m', delivery: { backoff: 50, max_backoff: 200, attempts: 5 } },
  defaults: { repeat: 'never' },
  rules: [
    {
      name: 'latency',
      kind: 'threshold',
      metric: 'latency_ms',
      bands: { warning: 500, critical: 1000 },
      repeat: '10m',
    },
    {
      name: 'rejected',
      kind: 'event',
      event: 'order_rejected',
      severity: 'warning',
      dedup: { window: '10m', max: 2 },
    },
    { name: 'stop_loss', kind: 'event', event: 'stop_loss_hit', severity: 'critical', dedup: 'none' },
    { name: 'bot_down', kind: 'absence', event: 'heartbeat', bands: { warning: '5m' } },
  ],
  silences: [
    {
      matchers: [
        { name: 'source', value: 'beta' },
        { name: 'alertname', value: 'latency' },
      ],
      ends_at: new Date(T0 + 20 * M).toISOString(),
    },
  ],
};

function recording(): string {
  const lines: object[] = [];
  const latency = [300, 600, 650, 1200, 1300, 1250, 1100, 1300, 400, 300, 700, 800, 900, 200];
  latency.forEach((v, i) => {
    for (const source of ['alpha', 'beta'])
      lines.push({ source, ts: T0 + i * 3 * M, metrics: { latency_ms: v } });
  });
  for (let i = 0; i < 5; i++)
    lines.push({ source: 'alpha', ts: T0 + i * M + 30_000, type: 'order_rejected' });
  lines.push({ source: 'alpha', ts: T0 + 7 * M, type: 'stop_loss_hit', id: 'sl-1' });
  lines.push({ source: 'alpha', ts: T0 + 7 * M + 5000, type: 'stop_loss_hit', id: 'sl-1' });
  lines.push({ source: 'alpha', ts: T0 + 8 * M, type: 'stop_loss_hit', id: 'sl-2' });
  for (let i = 0; i < 4; i++) lines.push({ source: 'gamma', ts: T0 + i * M, type: 'heartbeat' });
  lines.sort((a, b) => (a as { ts: number }).ts - (b as { ts: number }).ts);
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

describe('replay and the live service', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'klaxon-replay-live-'));
  const file = path.join(dir, 'session.jsonl');
  const clock = new ManualClock(T0);
  const k = new TestKlaxon(`klaxon-test-replay-live-${process.pid}`);
  beforeAll(async () => {
    writeFileSync(file, recording());
    await k.start(RULES, { clock: clock.now });
  });
  afterAll(async () => {
    await k.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('yield the same notifications for the same input file', async () => {
    const records = readRecording(file);
    const replayed = await replay(k.config, records);

    // Live: each record at its own time through HTTP; the scheduler's sweeps at the times
    // replay runs them (every queue.sweep_every of recorded time).
    const every = k.config.queue.sweep_every;
    let nextSweep = Math.ceil((records[0]?.ts ?? T0) / every) * every;
    for (const rec of records) {
      for (; nextSweep <= rec.ts; nextSweep += every) {
        clock.set(nextSweep);
        await k.app.sweep();
        await k.idle();
      }
      clock.set(rec.ts);
      if ('snapshot' in rec) await k.push('/v1/metrics', rec.snapshot);
      else if ('event' in rec) await k.push('/v1/events', rec.event);
      await k.idle();
    }

    const line = (t: number, kind: string, alert: string | undefined, severity: string | undefined) =>
      `${new Date(t).toISOString().slice(11, 19)} ${kind} ${alert} ${severity}`;
    const live = k.recorder.received
      .map((n) => line(n.createdAt, n.kind, n.alerts[0]?.name, n.alerts[0]?.severity))
      .sort();
    const fromReplay = replayed.told.map((n) => line(n.t, n.kind, n.alert, n.severity)).sort();
    expect(live).toEqual(fromReplay);
    // The recording exercises what it means to: holds, a rise, a reminder, an absence, an id.
    const kinds = replayed.told.map((n) => `${n.kind} ${n.alert}`);
    expect(kinds.filter((x) => x === 'firing stop_loss')).toHaveLength(2);
    expect(kinds).toContain('repeat latency');
    expect(kinds).toContain('firing bot_down');
    expect(replayed.events.some((e) => e.status === 'held' && e.hold === 'silence')).toBe(true);
    expect(replayed.events.some((e) => e.status === 'held' && e.hold === 'dedup')).toBe(true);
    expect(replayed.events.some((e) => e.status === 'raised')).toBe(true);
  }, 120_000);
});
