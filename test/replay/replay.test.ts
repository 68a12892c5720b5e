import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { readRecording, ReplayInputError } from '../../src/replay/read.js';
import { formatReplay, replay } from '../../src/replay/replay.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('klaxon replay', () => {
  it('shows the recorded trading session’s latency incident, daily-loss breach and stalled bot', async () => {
    const { config } = loadConfig(path.join(ROOT, 'config', 'klaxon.yaml'), {});
    const result = await replay(config, readRecording(path.join(ROOT, 'examples', 'trading-session.jsonl')));
    const story = (alert: string) =>
      result.events
        .filter((e) => e.alert === alert)
        .map((e) => `${new Date(e.t).toISOString().slice(11, 19)} ${e.status} ${e.severity}`);
    expect(story('api_latency')).toEqual([
      '08:41:00 firing warning',
      '08:45:00 raised critical',
      '08:48:00 resolved critical',
    ]);
    expect(story('daily_loss_limit')).toEqual(['10:17:00 firing warning', '10:26:00 raised critical']);
    expect(story('bot_down')).toEqual([
      '10:33:50 firing warning',
      '10:34:50 raised critical',
      '10:42:00 resolved critical',
    ]);
    // The latency anomaly warns 30 s before the threshold rule, while the latency climbs; nothing
    // else of the session is anomalous (bench:trading measures the preset's false alerts).
    expect(
      result.events
        .filter((e) => e.alert.endsWith('_anomaly'))
        .map((e) => `${new Date(e.t).toISOString().slice(11, 19)} ${e.alert} ${e.status}`),
    ).toEqual([
      '08:40:30 api_latency_anomaly firing',
      '08:41:00 api_latency_anomaly firing',
      '08:41:30 api_latency_anomaly firing',
      '09:41:30 api_latency_anomaly expired',
    ]);
    expect(result.notifications).toEqual({ console: 11, file: 11 });
    const text = formatReplay(result);
    expect(text).toContain(
      'RESOLVED  critical bot_down {source=alpha}  alpha is reporting again -> console, file',
    );
    expect(text).toContain('(nothing was sent)');
  });

  it('replays a CSV series with its own timestamps as the clock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klaxon-replay-'));
    const file = path.join(dir, 'latency.csv');
    const rows = ['timestamp,value'];
    for (let i = 0; i < 200; i++)
      rows.push(
        `2026-01-01 00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')},${i === 150 ? 90 : 10 + (i % 3)}`,
      );
    writeFileSync(file, rows.join('\n'));
    const { config } = validateConfig(
      { rules: [{ name: 'spike', kind: 'anomaly', metric: 'value', detector: { type: 'zscore' } }] },
      'test',
    );
    const result = await replay(config, readRecording(file));
    expect(
      result.events.filter((e) => e.status === 'firing').map((e) => new Date(e.t).toISOString()),
    ).toEqual(['2026-01-01T00:02:30.000Z']);
    expect(result.events[0]?.labels).toEqual({ source: 'latency', metric: 'value' });
  });

  it('names the line of a bad record', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'klaxon-replay-'));
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, '{"source":"a","metrics":{"x":1}}\n{"source":"a","metrics":{"x":"high"}}\n');
    expect(() => readRecording(file)).toThrow(ReplayInputError);
    expect(() => readRecording(file)).toThrow(/line 2: metrics\.x/);
  });
});
