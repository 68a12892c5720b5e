import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  formatPath,
  futureTsError,
  issuesToErrors,
  normaliseDirectAlerts,
  normaliseEvents,
  normaliseSnapshots,
  normaliseTs,
  parseIsoTime,
  plainSnapshot,
  snapshotInputSchema,
  sourceSchema,
} from '../../src/model/inputs.js';
import { DEFAULT_MAX_JSON_DEPTH, parseJsonBody } from '../../src/ingest/json.js';
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

  it('keeps an idempotency id, and names a bad one by its path', () => {
    const ok = normaliseEvents({ type: 'position_stop_loss_hit', id: 'sl-2026-0001' }, ctx);
    expect(ok.ok && ok.value[0]!.id).toBe('sl-2026-0001');
    const alert = normaliseDirectAlerts({ name: 'kill', severity: 'critical', title: 'k', id: 'k-1' }, ctx);
    expect(alert.ok && alert.value[0]!.id).toBe('k-1');
    const bad = normaliseEvents(
      [
        { type: 'x', id: 'has space' },
        { type: 'x', id: '' },
      ],
      ctx,
    );
    expect(!bad.ok && bad.errors.map((e) => e.path)).toEqual(['[0].id', '[1].id']);
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

describe('parseJsonBody: nesting depth', () => {
  const fail = (text: string, maxDepth?: number): HttpError => {
    try {
      parseJsonBody(text, maxDepth === undefined ? {} : { maxDepth });
    } catch (err) {
      return err as HttpError;
    }
    throw new Error('did not throw');
  };
  const objects = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

  it('takes the limit and refuses one level more, naming the path', () => {
    expect(DEFAULT_MAX_JSON_DEPTH).toBe(32);
    expect(parseJsonBody(objects(32))).toBeTypeOf('object');
    const err = fail(objects(33));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('invalid_input');
    expect(err.errors).toEqual([
      {
        path: 'a'.repeat(32).split('').join('.'),
        message: 'is nested deeper than the limit of 32 levels of objects and arrays (server.max_json_depth)',
      },
    ]);
  });

  it('follows keys (escaped ones decoded) and array indexes into the path', () => {
    const err = fail('{"ok":[1,{}],"d\\u0061ta":[0,{"x":1,"y z":[[5]]}]}', 4);
    expect(err.errors?.[0]?.path).toBe('data[1]["y z"][0]');
  });

  it('counts no brackets inside strings, escaped quotes included', () => {
    expect(parseJsonBody(`{"s":"${'[{'.repeat(50)}\\"${'[{'.repeat(50)}"}`, { maxDepth: 4 })).toHaveProperty(
      's',
    );
  });

  it('gives the same answers for a large body (read as text first) as for a small one', () => {
    const pad = 'x'.repeat(200 * 1024);
    for (const body of [(d: string) => `{"d":${d}}`, (d: string) => `{"pad":"${pad}","d":${d}}`]) {
      expect(parseJsonBody(body(objects(31)))).toHaveProperty('d');
      expect(fail(body(objects(32))).errors?.[0]?.path).toBe(`d.${'a'.repeat(31).split('').join('.')}`);
    }
  });

  it('checks the depth before the syntax', () => {
    expect(fail(`${'['.repeat(5000)}`).message).toMatch(/limit of 32 levels/);
    expect(fail('{"a": [1,}').code).toBe('invalid_json');
  });
});

describe('parseJsonBody: prototype keys', () => {
  const fail = (text: string): HttpError => {
    try {
      parseJsonBody(text);
    } catch (err) {
      return err as HttpError;
    }
    throw new Error('did not throw');
  };

  it('refuses "__proto__" however it is spelled, naming the path', () => {
    for (const key of ['__proto__', '\\u005f_proto__', '\\u005F\\u005Fproto__', '__pr\\u006fto__']) {
      const err = fail(`{"data":[{"ok":1},{"${key}":{"admin":true}}]}`);
      expect(err.statusCode, key).toBe(400);
      expect(err.errors, key).toEqual([
        { path: 'data[1].__proto__', message: expect.stringContaining('"__proto__" is not allowed') },
      ]);
      expect(err.message).toContain('data[1].__proto__');
    }
  });

  it('keeps "__proto__" as a value and other escaped keys', () => {
    expect(parseJsonBody('{"x":"\\u005f_proto__","\\u0061":1}')).toEqual({ x: '__proto__', a: 1 });
  });

  it('treats "constructor" and "prototype" as plain keys, escaped or not (as Object.keys sees them)', () => {
    const v = parseJsonBody('{"\\u0063onstructor":{"prototype":1},"prototyp\\u0065":2}') as Record<
      string,
      unknown
    >;
    expect(Object.keys(v)).toEqual(['constructor', 'prototype']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
});

describe('limits and their messages', () => {
  it('cuts long keys in paths', () => {
    const p = formatPath(['labels', 'k'.repeat(5000)]);
    expect(p).toBe(`labels["${'k'.repeat(64)}...(5000 characters)"]`);
  });

  it('tells the limit a string broke, not the catch-all type message', () => {
    const s = z.object({
      createdBy: z.string({ error: 'must be a string' }).min(1).max(128),
      tags: z.array(z.string(), { error: 'must be an array' }).max(2),
      n: z.number({ error: 'must be a number' }).int().max(10),
      own: z.string().max(3, { error: 'is longer than 3 characters (keep it short)' }),
      empty: z.array(z.string()).min(1, { error: 'needs at least one tag' }),
    });
    const r = s.safeParse({
      createdBy: 'x'.repeat(100_000),
      tags: ['a', 'b', 'c'],
      n: 11,
      own: 'abcd',
      empty: [],
    });
    expect(!r.success && issuesToErrors(r.error.issues)).toEqual([
      { path: 'createdBy', message: 'is longer than 128 characters' },
      { path: 'tags', message: 'has more than 2 items' },
      { path: 'n', message: 'must be at most 10' },
      { path: 'own', message: 'is longer than 3 characters (keep it short)' },
      { path: 'empty', message: 'needs at least one tag' },
    ]);
    const e = s.safeParse({ createdBy: '', tags: [], n: 1, own: '', empty: ['a'] });
    expect(!e.success && issuesToErrors(e.error.issues)).toEqual([
      { path: 'createdBy', message: 'must not be empty' },
    ]);
    const t = s.safeParse({ createdBy: 5, tags: [], n: 1, own: '', empty: ['a'] });
    expect(!t.success && issuesToErrors(t.error.issues)).toEqual([
      { path: 'createdBy', message: 'must be a string' },
    ]);
  });

  it('refuses sources with path tricks', () => {
    for (const ok of ['grid-bot', 'team/grid-1', 'a.b', 'bot@host:1'])
      expect(sourceSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['a/../b', 'a/./b', 'a//b', 'a/', '..', '/a', 'a\u0000b', 'a\nb', 'a\\b'])
      expect(sourceSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('refuses a ts too far ahead of the receive time, only when a bound is set', () => {
    const now = ctx.receivedAt;
    expect(futureTsError(now + 10 * 60_000, { receivedAt: now })).toBeUndefined();
    expect(futureTsError(now + 5 * 60_000, { receivedAt: now, maxFutureSkew: 5 * 60_000 })).toBeUndefined();
    expect(futureTsError(now + 5 * 60_000 + 1, { receivedAt: now, maxFutureSkew: 5 * 60_000 })).toMatch(
      /ahead of the server's clock; at most 5m is allowed \(server.max_future_skew\)/,
    );
    expect(futureTsError(Date.UTC(2001, 0, 1), { receivedAt: now, maxFutureSkew: 1 })).toBeUndefined();
    const r = normaliseEvents([{ type: 'a' }, { type: 'b', ts: now / 1000 + 3600 }], {
      ...ctx,
      maxFutureSkew: 60_000,
    });
    expect(!r.ok && r.errors.map((e) => e.path)).toEqual(['[1].ts']);
    // replays (no bound) take any plausible time
    expect(normaliseEvents({ type: 'b', ts: '2999-01-01T00:00:00Z' }, ctx).ok).toBe(true);
  });
});

describe('snapshots: the plain path and the schema give the same answers', () => {
  /** Mostly valid parts (so that both answers are tested), with every kind of wrong one mixed in. */
  const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
    fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
  const name = mostly(
    fc.constantFrom('equity', 'pnl_daily', 'api.latency_ms', 'a:b-c', '_x', 'x'.repeat(128)),
    fc.oneof(fc.constantFrom('', '1bad', 'has space', 'x'.repeat(129), 'ünï'), fc.string({ maxLength: 6 })),
  );
  const source = mostly(
    fc.constantFrom(undefined, 'bot-1', 'team/bot.1', 'a@b:c', 'x'.repeat(128)),
    fc.oneof(
      fc.constantFrom('', '/lead', 'a//b', 'a/./b', 'a/..', 'sp ace', 'x'.repeat(129)),
      fc.string({ maxLength: 6 }),
      fc.integer(),
    ),
  );
  const value = mostly(
    fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()),
    fc.constantFrom('1.5', null, true, [], {}),
  );
  const ts = mostly(
    fc.constantFrom(undefined, 1795257600, 1795257600.25, 1795257600123, '2026-11-21T10:08:47Z'),
    fc.oneof(fc.constantFrom(1e14, 12, 'yesterday', null), fc.double()),
  );
  const labels = mostly(
    fc.oneof(
      fc.constant(undefined),
      fc.dictionary(fc.oneof(name, fc.constantFrom('exchange', 'é x')), fc.string({ maxLength: 8 }), {
        maxKeys: 4,
      }),
    ),
    fc.oneof(
      fc.constantFrom(null, [], 'labels', { source: 'x' }, { ' lead': 'x' }, { tab: 1 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
    ),
  );
  const metrics = mostly(
    fc.dictionary(name, value, { minKeys: 1, maxKeys: 5 }),
    fc.constantFrom(undefined, null, [], 'm', {}),
  );
  const snapshot = fc
    .tuple(source, ts, metrics, labels, fc.integer({ min: 0, max: 19 }))
    .map(([source, ts, metrics, labels, dice]) => {
      const raw: Record<string, unknown> = {};
      for (const [k, v] of Object.entries({ source, ts, metrics, labels })) if (v !== undefined) raw[k] = v;
      if (dice === 0) raw.extra = 'an unknown field';
      return raw;
    });

  it('whatever the plain path accepts, the schema accepts with the same result', () => {
    let plainTaken = 0;
    let schemaTaken = 0;
    fc.assert(
      fc.property(snapshot, (raw) => {
        const plain = plainSnapshot(raw);
        const parsed = snapshotInputSchema.safeParse(raw);
        if (plain !== undefined) {
          plainTaken++;
          expect(parsed.success).toBe(true);
          expect(plain).toEqual(parsed.data);
        } else if (parsed.success) schemaTaken++;
      }),
      { numRuns: 5000 },
    );
    // Both answers were put to the test, not only refusals.
    expect(plainTaken).toBeGreaterThan(200);
    expect(schemaTaken).toBeLessThan(plainTaken / 10);
  });

  it('a bot’s ordinary snapshot takes the plain path', () => {
    const raw = {
      source: 'grid-1',
      ts: 1795257600,
      metrics: { equity: 10_250.5, pnl_daily: -12.25, open_orders: 3 },
      labels: { exchange: 'coinbase', symbol: 'BTC-USD' },
    };
    expect(plainSnapshot(raw)).toEqual(snapshotInputSchema.parse(raw));
    expect(plainSnapshot({ metrics: { equity: 1 } })).toEqual({ metrics: { equity: 1 } });
  });
});
