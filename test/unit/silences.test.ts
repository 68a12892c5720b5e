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

  it('a regex that backtracks forever in other engines matches in linear time (RE2)', () => {
    // With JavaScript's backtracking RegExp this takes longer than the universe: the test would
    // hang until its timeout. RE2 answers at once.
    const s = [silence('evil', [{ name: 'alertname', op: '=~', value: '(a+)+b' }])];
    const victim = { ...latency, name: `${'a'.repeat(5000)}c` };
    expect(silencesFor(victim, s, T0)).toEqual([]);
    expect(silencesFor({ ...latency, name: 'aaab' }, s, T0).map((x) => x.id)).toEqual(['evil']);
  });

  it('refuses regexes RE2 cannot run in linear time, naming the matcher', () => {
    const bad = configSilenceSchema.safeParse({
      matchers: [{ name: 'alertname', op: '=~', value: '(?=api)api.*' }],
      ends_at: '2030-01-01T00:00:00Z',
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['matchers', 0, 'value']);
    expect(bad.error?.issues[0]?.message).toMatch(/not a valid regular expression \(RE2 syntax\)/);
  });
});
