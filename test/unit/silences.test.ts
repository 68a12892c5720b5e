import { describe, expect, it } from 'vitest';
import { configSilenceSchema, silencesFor, type Silence } from '../../src/routing/silences.js';
import { HOUR, T0 } from './helpers.js';

const silence = (id: string, matchers: Silence['matchers'], startsAt = T0, endsAt = T0 + HOUR): Silence => ({
  id,
  matchers,
  startsAt,
  endsAt,
  createdBy: 'ann',
});

const latency = {
  name: 'api_latency',
  severity: 'warning' as const,
  labels: { source: 'bot-a', metric: 'api_latency_ms' },
};

describe('silences', () => {
  it('hold from startsAt up to (not including) endsAt', () => {
    const s = [silence('s1', [{ name: 'source', op: '=', value: 'bot-a' }])];
    expect(silencesFor(latency, s, T0 - 1)).toEqual([]);
    expect(silencesFor(latency, s, T0).map((x) => x.id)).toEqual(['s1']);
    expect(silencesFor(latency, s, T0 + HOUR - 1).map((x) => x.id)).toEqual(['s1']);
    expect(silencesFor(latency, s, T0 + HOUR)).toEqual([]);
  });

  it('every matcher must match; alertname and severity can be matched', () => {
    const s = [
      silence('by-name', [{ name: 'alertname', op: '=', value: 'api_latency' }]),
      silence('by-sev', [{ name: 'severity', op: '=~', value: 'critical|high' }]),
      silence('both', [
        { name: 'alertname', op: '=', value: 'api_latency' },
        { name: 'source', op: '=', value: 'bot-b' },
      ]),
      silence('not-test', [{ name: 'source', op: '!~', value: 'test-.*' }]),
    ];
    expect(silencesFor(latency, s, T0).map((x) => x.id)).toEqual(['by-name', 'not-test']);
    expect(silencesFor({ ...latency, severity: 'critical' }, s, T0).map((x) => x.id)).toEqual([
      'by-name',
      'by-sev',
      'not-test',
    ]);
    expect(silencesFor({ ...latency, labels: { source: 'bot-b' } }, s, T0).map((x) => x.id)).toEqual(
      ['by-name', 'by-sev', 'both', 'not-test'].filter((id) => id !== 'by-sev'),
    );
  });

  it('config silences need at least one matcher and an ISO end time with offset', () => {
    expect(
      configSilenceSchema.parse({
        matchers: [{ name: 'source', value: 'bot-a' }],
        ends_at: '2024-01-02T00:00:00Z',
      }),
    ).toEqual({ matchers: [{ name: 'source', op: '=', value: 'bot-a' }], ends_at: '2024-01-02T00:00:00Z' });
    expect(() => configSilenceSchema.parse({ matchers: [], ends_at: '2024-01-02T00:00:00Z' })).toThrow();
    expect(() =>
      configSilenceSchema.parse({ matchers: [{ name: 'a', value: 'b' }], ends_at: 'tomorrow' }),
    ).toThrow();
  });
});
