import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'alertmanager');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

/** Alertmanager webhooks, end to end: HTTP -> queue -> life cycle -> routing -> webhook receiver. */
describe('Alertmanager webhooks', () => {
  const k = new TestKlaxon(`klaxon-test-am-${process.pid}`);
  beforeAll(() => k.start());
  afterAll(() => k.close());
  beforeEach(() => {
    k.recorder.received.length = 0;
  });

  const send2 = async (body: string) => {
    await k.push('/v1/alertmanager', body, AM_TOKEN);
    await k.idle();
  };
  const send = (name: string) => send2(fixture(name));

  it('notifies once for a firing alert, even when the same body comes twice', async () => {
    await send('single-firing-critical.json');
    await send('single-firing-critical.json');
    const got = k.recorder.of('HighCpuUsage');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'firing', alerts: [{ severity: 'critical', status: 'firing' }] });
    expect(got[0]?.alerts[0]?.labels.source).toBe('alertmanager');
  });

  it('sends one resolve to the receiver that heard the firing', async () => {
    await send('resolve-1-firing.json');
    await send('resolve-2-resolved.json');
    await send('resolve-2-resolved.json');
    expect(k.recorder.of('ServiceDown').map((n) => n.kind)).toEqual(['firing', 'resolved']);
  });

  it('follows a group through a partial resolve', async () => {
    await send('partial-resolve-1-all-firing.json');
    await send('partial-resolve-2-one-resolved.json');
    await send('partial-resolve-3-rest-resolved.json');
    const kinds = k.recorder.of('MemoryPressure').map((n) => n.kind);
    expect(kinds.filter((x) => x === 'firing')).toHaveLength(3);
    expect(kinds.filter((x) => x === 'resolved')).toHaveLength(3);
    expect(kinds.slice(0, 3)).toEqual(['firing', 'firing', 'firing']);
  });

  it('maps severities, high included', async () => {
    await send('severity-mixed-group.json');
    const sev = k.recorder.received.map((n) => n.alerts[0]?.severity).sort();
    expect(sev).toEqual(['critical', 'high', 'info', 'warning']);
    await send('severity-high.json');
    expect(k.recorder.received.at(-1)?.alerts[0]?.severity).toBe('high');
  });

  it('resolves what Alertmanager resolved by timeout, and ignores resolves of unknown alerts', async () => {
    await send('single-firing-critical.json');
    await send('auto-resolved-by-resolve-timeout.json');
    expect(k.recorder.of('HighCpuUsage').map((n) => n.kind)).toEqual(['resolved']);
    const unknown = fixture('auto-resolved-by-resolve-timeout.json').replaceAll(
      'HighCpuUsage',
      'NeverSeenBefore',
    );
    await send2(unknown);
    expect(k.recorder.of('NeverSeenBefore')).toHaveLength(0);
  });

  it('keeps unicode and long text intact', async () => {
    await k.push(
      '/v1/alertmanager',
      readFileSync(path.join(FIXTURES, 'unicode-long-text.raw.json')),
      AM_TOKEN,
    );
    await waitFor(() => k.recorder.received.length === 1);
    const raw = JSON.parse(fixture('unicode-long-text.json')) as {
      alerts: { annotations: { description: string } }[];
    };
    expect(k.recorder.received[0]?.alerts[0]?.annotations.message).toBe(
      raw.alerts[0]?.annotations.description,
    );
  });

  it('handles every captured body', async () => {
    const bodies = [
      'group-several-alerts-firing.json',
      'group-alert-added.json',
      'retry-500-then-200.json',
      'truncated-max-alerts.json',
      'receiver-name-regex-escaped.json',
      'severity-critical.json',
      'severity-warning.json',
      'severity-info-no-generator-url.json',
    ];
    for (const b of bodies) await send(b);
    // 4 disk alerts, then a 5th joins the group (the 4 again are duplicates): 5 in all.
    expect(k.recorder.of('DiskSpaceLow')).toHaveLength(5);
    expect(k.recorder.of('NodeExporterDown')).toHaveLength(3);
    expect(k.recorder.received.every((n) => n.kind === 'firing')).toBe(true);
  });
});
