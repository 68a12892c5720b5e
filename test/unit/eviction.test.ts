import { describe, expect, it } from 'vitest';
import { capVerdict, type CapCounts, type CapItem } from '../../src/ingest/caps.js';
import {
  holdsCondition,
  idleLimits,
  idleQuery,
  planEviction,
  sourceOfKey,
  type IdleCandidates,
} from '../../src/state/eviction.js';

const D = 86_400_000;
const NOW = 100 * D;

describe('eviction, pure parts', () => {
  it('sourceOfKey takes the second part of a rule state key', () => {
    expect(sourceOfKey('loss|bot-1|loss|')).toBe('bot-1');
    expect(sourceOfKey('silent|team/bot-2')).toBe('team/bot-2');
    expect(sourceOfKey('ratio|bot-3|symbol=BTC')).toBe('bot-3');
    expect(sourceOfKey('nobar')).toBe('');
  });

  it('holdsCondition: bands pending or firing; anything else does not', () => {
    expect(holdsCondition({ b: { since: {}, status: 'firing', severity: 'warning' } })).toBe(true);
    expect(holdsCondition({ b: { since: { warning: 1 }, status: 'pending' } })).toBe(true);
    expect(holdsCondition({ b: { since: {} } })).toBe(false);
    expect(holdsCondition({ n: 3, mean: 1 })).toBe(false);
    expect(holdsCondition(null)).toBe(false);
    expect(holdsCondition('x')).toBe(false);
  });

  it('idle cut-offs: `never` is -Infinity', () => {
    const q = idleQuery(idleLimits({ series: 7 * D, sources: 'never' }), NOW, 10);
    expect(q).toEqual({ seriesBefore: NOW - 7 * D, sourcesBefore: -Infinity, limit: 10 });
  });

  const q = { seriesBefore: NOW - 7 * D, sourcesBefore: NOW - 7 * D, limit: 1000 };
  const firing = { b: { since: {}, status: 'firing' } };
  const keep = (_key: string, state: unknown) => holdsCondition(state);

  it('plans idle series and sources; a source goes with all of its series', () => {
    const c: IdleCandidates = {
      version: 4,
      series: [
        { key: 'a|s1|m|', seen: 1, state: {} },
        { key: 'a|s2|m|', seen: 2, state: firing },
        { key: 'a|s3|m|', seen: 3, state: undefined },
      ],
      sources: [{ source: 's1', seen: 5, series: [{ key: 'a|s1|m|', seen: 1, state: {} }] }],
    };
    expect(planEviction(c, q, NOW, keep)).toEqual({
      at: NOW,
      series: [
        { key: 'a|s1|m|', before: q.sourcesBefore },
        { key: 'a|s3|m|', before: q.seriesBefore },
      ],
      sources: [{ source: 's1', before: q.sourcesBefore }],
      keepSeries: ['a|s2|m|'],
      keepSources: [],
    });
  });

  it('keeps a source with a firing series, or with a series seen after its cut-off; its other series go by their own time', () => {
    const c: IdleCandidates = {
      version: 1,
      series: [],
      sources: [
        {
          source: 's1',
          seen: 5,
          series: [
            { key: 'a|s1|m|', seen: 1, state: firing },
            { key: 'b|s1|m|', seen: 1, state: {} },
          ],
        },
        { source: 's2', seen: 5, series: [{ key: 'a|s2|m|', seen: NOW, state: {} }] },
      ],
    };
    expect(planEviction(c, q, NOW, keep)).toEqual({
      at: NOW,
      series: [],
      sources: [],
      keepSeries: ['a|s1|m|'],
      keepSources: ['s1', 's2'],
    });
  });
});

describe('capVerdict', () => {
  const limits = { maxSources: 2, maxSeriesPerSource: 2 };
  const item = (source: string, ...keys: string[]): CapItem => ({
    source,
    sourcePath: `${source}.source`,
    series: keys.map((k) => ({ key: `r${k}|${source}|m|`, path: `${source}.metrics.${k}` })),
  });
  const counts = (c: Partial<CapCounts> = {}): CapCounts => ({
    sources: 0,
    knownSources: new Set(),
    series: new Map(),
    knownSeries: new Set(),
    ...c,
  });

  it('fits within the caps', () => {
    expect(capVerdict([item('a', '1', '2'), item('b', '1')], counts(), limits)).toBeUndefined();
  });

  it('counts a new series once, and a tracked one never', () => {
    const now = counts({
      sources: 1,
      knownSources: new Set(['a']),
      series: new Map([['a', 2]]),
      knownSeries: new Set(['r1|a|m|', 'r2|a|m|']),
    });
    expect(capVerdict([item('a', '1', '2'), item('a', '2')], now, limits)).toBeUndefined();
    expect(capVerdict([item('a', '1', '3'), item('a', '3')], now, limits)).toEqual({
      limit: 'max_series_per_source',
      errors: [
        {
          path: 'a.metrics.3',
          message:
            "would be series 3 of source 'a' (rule 'r3'); the limit is 2 (limits.max_series_per_source)",
        },
        {
          path: 'a.metrics.3',
          message:
            "would be series 3 of source 'a' (rule 'r3'); the limit is 2 (limits.max_series_per_source)",
        },
      ],
    });
  });

  it('refuses the sources past max_sources, each once, and not their series', () => {
    const now = counts({ sources: 1, knownSources: new Set(['a']) });
    expect(
      capVerdict([item('a'), item('b', '1'), item('c', '1'), item('c'), item('b')], now, limits),
    ).toEqual({
      limit: 'max_sources',
      errors: [
        {
          path: 'c.source',
          message: "source 'c' is new and 2 sources are tracked; the limit is 2 (limits.max_sources)",
        },
      ],
    });
  });
});
