import { describe, expect, it } from 'vitest';
import {
  formatPath,
  normaliseDirectAlerts,
  normaliseEvents,
  normaliseSnapshots,
  normaliseTs,
  parseIsoTime,
} from '../../src/model/inputs.js';
import { parseJsonBody } from '../../src/ingest/json.js';
import type { HttpError } from '../../src/ingest/errors.js';

const ctx = { receivedAt: Date.UTC(2026, 10, 21, 12), defaultSource: 'bot' };

describe('timestamps', () => {
  it('reads epoch seconds, milliseconds and ISO 8601', () => {
    expect(normaliseTs(1795257600)).toEqual({ ms: 1795257600000 });
    expect(normaliseTs(1795257600.5)).toEqual({ ms: 1795257600500 });
    expect(normaliseTs(1795257600123)).toEqual({ ms: 1795257600123 });
    expect(normaliseTs('2026-11-21T10:08:47.189Z')).toEqual({ ms: Date.parse('2026-11-21T10:08:47.189Z') });
  });

  it('parses any fraction precision, offsets and Python isoformat()', () => {
    expect(parseIsoTime('2026-11-21T10:13:47.209678509Z')).toBe(Date.parse('2026-11-21T10:13:47.209Z'));
    expect(parseIsoTime('2026-11-21T11:13:47.5+01:00')).toBe(Date.parse('2026-11-21T10:13:47.500Z'));
    expect(parseIsoTime('2026-11-21T05:13:47-0500')).toBe(Date.parse('2026-11-21T10:13:47Z'));
    expect(parseIsoTime('2026-11-21 10:13:47.123456')).toBe(Date.parse('2026-11-21T10:13:47.123Z'));
    expect(parseIsoTime('0001-01-01T00:00:00Z')).toBeLessThan(0);
    expect(parseIsoTime('2026-02-31T00:00:00Z')).toBeUndefined();
    expect(parseIsoTime('yesterday')).toBeUndefined();
  });

  it('rejects implausible numbers and quoted numbers', () => {
    expect(normaliseTs(5)).toHaveProperty('error');
    expect(normaliseTs(-1)).toHaveProperty('error');
    expect(normaliseTs(1795257600000000)).toHaveProperty('error');
    expect(normaliseTs('1795257600')).toHaveProperty('error');
    expect(normaliseTs(Number.NaN)).toHaveProperty('error');
    expect(normaliseTs(true)).toHaveProperty('error');
  });
});

describe('normalisers', () => {
  it('defaults source, ts and labels of a snapshot', () => {
    expect(normaliseSnapshots({ metrics: { equity: 1 } }, ctx)).toEqual({
      ok: true,
      value: [{ source: 'bot', ts: ctx.receivedAt, metrics: { equity: 1 }, labels: {} }],
    });
  });

  it('reports paths relative to the body', () => {
    const r = normaliseSnapshots(
      [{ metrics: { a: 1 } }, { metrics: { a: '1' }, labels: { symbol: 7 } }],
      ctx,
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => e.path)).toEqual(['[1].metrics.a', '[1].labels.symbol']);
    const single = normaliseSnapshots({ metrics: { a: Infinity } }, ctx);
    expect(!single.ok && single.errors).toEqual([
      { path: 'metrics.a', message: 'must be a finite number, got Infinity' },
    ]);
  });

  it('refuses labels.source on snapshots', () => {
    const r = normaliseSnapshots({ metrics: { a: 1 }, labels: { source: 'x' } }, ctx);
    expect(!r.ok && r.errors[0]!.path).toBe('labels');
  });

  it('takes the event symbol from data.symbol when absent', () => {
    const r = normaliseEvents({ type: 'trade_closed', data: { symbol: 'BTCUSDT', pnl: 3 } }, ctx);
    expect(r.ok && r.value[0]!.symbol).toBe('BTCUSDT');
  });

  it('maps severity aliases case-insensitively', () => {
    const r = normaliseEvents(
      ['CRITICAL', 'Error', 'medium', 'debug', 'WARNING'].map((severity) => ({ type: 'x', severity })),
      ctx,
    );
    expect(r.ok && r.value.map((e) => e.severity)).toEqual([
      'critical',
      'high',
      'warning',
      'info',
      'warning',
    ]);
  });

  it('refuses a labels.source that differs from source on direct alerts', () => {
    const r = normaliseDirectAlerts(
      { name: 'x', severity: 'info', title: 't', labels: { source: 'other' } },
      ctx,
    );
    expect(!r.ok && r.errors[0]!.path).toBe('labels.source');
    const same = normaliseDirectAlerts(
      { name: 'x', severity: 'info', title: 't', labels: { source: 'bot' } },
      ctx,
    );
    expect(same.ok).toBe(true);
  });

  it('formats paths', () => {
    expect(formatPath([3, 'metrics', 'api_latency_ms'])).toBe('[3].metrics.api_latency_ms');
    expect(formatPath(['labels', 'a b'])).toBe('labels["a b"]');
    expect(formatPath([])).toBe('');
  });
});

describe('parseJsonBody', () => {
  const fail = (text: string): HttpError => {
    try {
      parseJsonBody(text);
    } catch (err) {
      return err as HttpError;
    }
    throw new Error('did not throw');
  };

  it('names the fields holding bare NaN / Infinity tokens', () => {
    const err = fail('{"a": {"b": [1, NaN]}, "c": -Infinity, "s": "NaN"}');
    expect(err.statusCode).toBe(400);
    expect(err.errors?.map((e) => e.path)).toEqual(['a.b[1]', 'c']);
  });

  it('reports other syntax errors as malformed JSON', () => {
    const err = fail('{"a": NaN,,}');
    expect(err.code).toBe('invalid_json');
    expect(err.message).toMatch(/^malformed JSON/);
  });

  it('refuses __proto__ keys', () => {
    expect(fail('{"__proto__": {"x": 1}}').statusCode).toBe(400);
    expect(parseJsonBody('{"x": "__proto__"}')).toEqual({ x: '__proto__' });
  });
});
