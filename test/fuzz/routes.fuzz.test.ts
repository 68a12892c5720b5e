import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AM_TOKEN, TestKlaxon, TOKEN } from '../support/klaxon.js';

/**
 * Property-based tests of every route of a real Klaxon (real Redis): bodies built from each
 * route's shape, then mutated (wrong types, huge and odd strings, deep nesting, unicode, prototype
 * keys, numbers at the edges, raw text that is not JSON). Every answer must be a success or a
 * 4xx with the documented error shape, never a 5xx, and come back in time. Runs are seeded and
 * bounded; `FUZZ_RUNS` raises the count for a longer hunt.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const ANSWER_WITHIN_MS = 5_000;

/** Strings that have broken parsers and renderers before. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '__proto__',
    'constructor',
    'prototype',
    '\u0000',
    '../../etc/passwd',
    'a\nb',
    '\u2028',
    '<script>alert(1)</script>',
    '@everyone',
    '${HOME}',
    '{{value}}',
    '💥'.repeat(50),
  ),
  fc.integer({ min: 1000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);
const edgeNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324, 1e21, 253402300800000),
);
const leaf = fc.oneof(nasty, edgeNumber, fc.boolean(), fc.constant(null));
const anyValue = fc.oneof(leaf, fc.array(leaf, { maxLength: 5 }), fc.dictionary(nasty, leaf, { maxKeys: 5 }));
const labels = fc.dictionary(nasty, fc.oneof(nasty, anyValue), { maxKeys: 8 });

const snapshot = fc.record(
  {
    source: fc.oneof(fc.constantFrom('bot-1', 'grid-2'), nasty),
    ts: fc.oneof(fc.constant(Date.now()), edgeNumber, nasty),
    metrics: fc.dictionary(
      fc.oneof(fc.constantFrom('equity', 'daily_pnl'), nasty),
      fc.oneof(edgeNumber, anyValue),
      {
        maxKeys: 6,
      },
    ),
    labels,
  },
  { requiredKeys: [] },
);
const event = fc.record(
  {
    id: nasty,
    source: fc.oneof(fc.constant('bot-1'), nasty),
    ts: fc.oneof(fc.constant(Date.now()), edgeNumber),
    type: fc.oneof(fc.constantFrom('heartbeat', 'trade_closed', 'position_stop_loss_hit'), nasty),
    severity: fc.oneof(fc.constantFrom('critical', 'warn', 'ERROR'), nasty),
    symbol: nasty,
    data: fc.oneof(fc.dictionary(nasty, anyValue, { maxKeys: 6 }), anyValue),
  },
  { requiredKeys: [] },
);
const alert = fc.record(
  {
    id: nasty,
    name: fc.oneof(fc.constant('probe'), nasty),
    severity: fc.oneof(fc.constantFrom('critical', 'info'), nasty),
    title: nasty,
    message: nasty,
    source: fc.oneof(fc.constant('bot-1'), nasty),
    labels,
    force: fc.oneof(fc.boolean(), anyValue),
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), nasty),
  },
  { requiredKeys: [] },
);
const amAlert = fc.record(
  {
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), nasty),
    labels: fc.oneof(
      fc.record({ alertname: fc.oneof(fc.constant('HighCpu'), nasty), severity: nasty }),
      labels,
    ),
    annotations: labels,
    startsAt: fc.oneof(fc.constant('2026-12-01T10:00:00Z'), nasty, edgeNumber),
    endsAt: fc.oneof(fc.constant('0001-01-01T00:00:00Z'), nasty),
    generatorURL: nasty,
    fingerprint: nasty,
  },
  { requiredKeys: [] },
);
const alertmanager = fc.record(
  {
    version: fc.oneof(fc.constant('4'), nasty),
    groupKey: nasty,
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), nasty),
    receiver: nasty,
    alerts: fc.oneof(fc.array(amAlert, { maxLength: 5 }), anyValue),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: nasty,
    truncatedAlerts: fc.oneof(fc.nat(), anyValue),
  },
  { requiredKeys: [] },
);
const silence = fc.record(
  {
    matchers: fc.oneof(
      fc.array(
        fc.record({ name: nasty, op: fc.oneof(fc.constantFrom('=', '!=', '=~', '!~'), nasty), value: nasty }),
        {
          maxLength: 4,
        },
      ),
      anyValue,
    ),
    duration: fc.oneof(fc.constantFrom('1h', '5m'), nasty, edgeNumber),
    endsAt: fc.oneof(nasty, edgeNumber),
    createdBy: nasty,
    comment: nasty,
  },
  { requiredKeys: [] },
);

/** A JSON value nested `depth` levels deep, alone or as an event's `data`. */
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const deep = fc.oneof(
  fc.integer({ min: 1, max: 6000 }).map(nested),
  fc
    .integer({ min: 1, max: 6000 })
    .map((depth) => `{"source":"bot-1","type":"fill","data":${nested(depth)}}`),
);
/** Raw bodies that are not (quite) JSON, or JSON with traps that JSON.parse lets through. */
const rawText = fc.oneof(
  fc.string({ maxLength: 200 }),
  deep,
  fc.constantFrom(
    '',
    'null',
    '[]',
    '{"metrics":{"equity":NaN},"source":"bot-1"}',
    '{"__proto__":{"admin":true},"source":"bot-1"}',
    '{"\\u005f_proto__":{"admin":true},"source":"bot-1"}',
    '{"source":"a","source":"b","metrics":{"x":1}}',
    '{"source":"bot-1","metrics":{"x":1e999}}',
    '\uFEFF{"source":"bot-1","metrics":{"x":1}}',
    '{"source":"bot-1","metrics":{"x":1}}garbage',
  ),
);

interface Route {
  path: string;
  token: string;
  body: fc.Arbitrary<unknown>;
}

describe('every route answers every input with a success or a documented 4xx', () => {
  const k = new TestKlaxon(`klaxon-test-fuzz-${process.pid}`);
  beforeAll(() =>
    k.start({
      server: {
        host: '127.0.0.1',
        tokens: [{ name: 'bots', token: TOKEN, sources: ['*'], admin: true }],
        alertmanager: { token: AM_TOKEN },
        rate_limit: { max: 1_000_000 },
      },
    }),
  );
  afterAll(() => k.close());

  const routes: Route[] = [
    { path: '/v1/metrics', token: TOKEN, body: fc.oneof(snapshot, fc.array(snapshot, { maxLength: 4 })) },
    { path: '/v1/events', token: TOKEN, body: fc.oneof(event, fc.array(event, { maxLength: 4 })) },
    { path: '/v1/alerts', token: TOKEN, body: fc.oneof(alert, fc.array(alert, { maxLength: 4 })) },
    { path: '/v1/alertmanager', token: AM_TOKEN, body: alertmanager },
    { path: '/v1/silences', token: TOKEN, body: silence },
    {
      path: '/v1/alerts/0123456789abcdef01234567/ack',
      token: TOKEN,
      body: fc.record({ by: nasty, comment: nasty }),
    },
  ];

  const check = async (path: string, token: string, raw: string) => {
    const res = await fetch(`${k.app.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: raw,
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    const text = await res.text();
    const where = `${path} answered ${res.status} to ${raw.slice(0, 300)}: ${text.slice(0, 300)}`;
    expect(res.status < 500, where).toBe(true);
    if (res.status >= 400) {
      const body = JSON.parse(text) as { error?: unknown; message?: unknown };
      expect(typeof body.error === 'string' && typeof body.message === 'string', where).toBe(true);
    }
  };

  for (const route of routes) {
    it(`POST ${route.path}: shaped and mutated bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(route.body, (body) => check(route.path, route.token, JSON.stringify(body))),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    });
    it(`POST ${route.path}: raw text`, async () => {
      await fc.assert(
        fc.asyncProperty(rawText, (raw) => check(route.path, route.token, raw)),
        { numRuns: Math.ceil(RUNS / 3), seed: SEED, endOnFailure: true },
      );
    });
  }

  it('GET /v1/alerts with odd queries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(nasty, nasty, { maxKeys: 3 }), async (query) => {
        const qs = new URLSearchParams(query as Record<string, string>).toString();
        const res = await fetch(`${k.app.url}/v1/alerts?${qs}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
          signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
        });
        expect(res.status < 500, `GET /v1/alerts?${qs.slice(0, 200)} answered ${res.status}`).toBe(true);
        await res.body?.cancel();
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: SEED, endOnFailure: true },
    );
  });

  it('stays within its memory while it takes all of that', () => {
    // Every body above was refused or taken; none may have left the process holding on to it.
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3);
  });
});
