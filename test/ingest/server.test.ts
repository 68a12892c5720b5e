import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_SECRETS,
  NOW,
  TOKENS,
  baseConfig,
  errorPaths,
  raw,
  rejectingEnqueue,
  startServer,
  testAlert,
  type Answer,
  type Harness,
} from './helpers.js';

let h: Harness;
const everyBody: string[] = [];

beforeAll(async () => {
  h = await startServer();
});
afterAll(async () => {
  everyBody.push(...h.bodies);
  await h.close();
  for (const body of everyBody) for (const secret of ALL_SECRETS) expect(body).not.toContain(secret);
});

/** Asserts a JSON error answer and that nothing reached the queue. */
async function refused(p: Promise<Answer>, status: number, error: string, path?: string): Promise<Answer> {
  const before = h.batches.length;
  const res = await p;
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body.error).toBe(error);
  expect(typeof res.body.message).toBe('string');
  expect((res.body.message as string).length).toBeGreaterThan(5);
  if (path !== undefined) {
    expect(errorPaths(res.body)).toContain(path);
    expect(res.body.message).toContain(path);
  }
  expect(h.batches.length).toBe(before);
  return res;
}

describe('POST /v1/metrics', () => {
  it('accepts one snapshot and answers 202 with the batch id', async () => {
    const res = await h.call('/v1/metrics', {
      json: { source: 'grid-bot', ts: 1795257600, metrics: { equity: 10234.5, api_latency_ms: 120 } },
      token: TOKENS.grid,
    });
    expect(res.status).toBe(202);
    const batch = h.batches.at(-1)!;
    expect(res.body).toEqual({ accepted: 1, id: batch.id });
    expect(batch.snapshots).toEqual([
      {
        source: 'grid-bot',
        ts: 1795257600_000,
        metrics: { equity: 10234.5, api_latency_ms: 120 },
        labels: {},
      },
    ]);
    expect(batch.receivedAt).toBe(NOW);
    expect(batch.events).toEqual([]);
    expect(batch.alerts).toEqual([]);
  });

  it('accepts an array with ts in seconds (float), milliseconds and ISO, and none', async () => {
    const res = await h.call('/v1/metrics', {
      json: [
        { source: 'grid-btc', ts: 1795257600.123, metrics: { a: 1 } },
        { source: 'grid-eth', ts: 1795257600123, metrics: { a: 2 }, labels: { symbol: 'ETHUSDT' } },
        { source: 'dca-bot', ts: '2026-11-21T10:08:47.189Z', metrics: { a: 0 } },
        { source: 'dca-bot', ts: '2026-11-21T11:08:47.189+01:00', metrics: { a: -1.5e-3 } },
        { source: 'dca-bot', metrics: { a: 3 } },
      ],
      token: TOKENS.fleet,
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body.accepted).toBe(5);
    const snaps = h.batches.at(-1)!.snapshots;
    expect(snaps.map((s) => s.ts)).toEqual([
      1795257600123,
      1795257600123,
      Date.parse('2026-11-21T10:08:47.189Z'),
      Date.parse('2026-11-21T10:08:47.189Z'),
      NOW,
    ]);
    expect(snaps[1]!.labels).toEqual({ symbol: 'ETHUSDT' });
    expect(snaps[2]!.metrics.a).toBe(0);
  });

  it('defaults the source to the token’s only source', async () => {
    const res = await h.call('/v1/metrics', { json: { metrics: { equity: 1 } }, token: TOKENS.grid });
    expect(res.status).toBe(202);
    expect(h.batches.at(-1)!.snapshots[0]!.source).toBe('grid-bot');
  });

  it('requires a source when the token has several', async () => {
    await refused(
      h.call('/v1/metrics', { json: [{ metrics: { equity: 1 } }], token: TOKENS.fleet }),
      400,
      'invalid_input',
      '[0].source',
    );
  });

  it('uses X-Request-Id as correlation id and echoes it', async () => {
    const res = await h.call('/v1/metrics', {
      json: { metrics: { x: 1 } },
      token: TOKENS.grid,
      headers: { 'x-request-id': 'bot-42.cycle-7' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('bot-42.cycle-7');
    const batch = h.batches.at(-1)!;
    expect(batch.correlationId).toBe('bot-42.cycle-7');
    expect(batch.id).not.toBe('bot-42.cycle-7');
    expect(res.body.id).toBe(batch.id);
  });

  it('generates a request id when none (or a bad one) is sent', async () => {
    const res = await h.call('/v1/metrics', {
      json: { metrics: { x: 1 } },
      token: TOKENS.grid,
      headers: { 'x-request-id': 'bad id with spaces <script>' },
    });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.batches.at(-1)!.correlationId).toBe(id);
    expect(h.batches.at(-1)!.id).toBe(id);
  });
});

describe('POST /v1/events and /v1/alerts', () => {
  it('accepts events with severity aliases, symbol and data', async () => {
    const res = await h.call('/v1/events', {
      json: [
        { source: 'grid-bot', type: 'heartbeat', ts: 1795257600 },
        {
          source: 'grid-bot',
          type: 'trade_closed',
          severity: 'ERROR',
          data: { symbol: 'BTCUSDT', side: 'sell', pnl: -12.5 },
        },
        { type: 'guard_triggered', severity: 'warn', symbol: 'ETHUSDT', data: { guard: 'slippage_guard' } },
      ],
      token: TOKENS.grid,
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body.accepted).toBe(3);
    const events = h.batches.at(-1)!.events;
    expect(events[0]).toEqual({ source: 'grid-bot', ts: 1795257600_000, type: 'heartbeat', data: {} });
    expect(events[1]).toMatchObject({ severity: 'high', symbol: 'BTCUSDT', data: { pnl: -12.5 } });
    expect(events[2]).toMatchObject({ source: 'grid-bot', severity: 'warning', symbol: 'ETHUSDT', ts: NOW });
  });

  it('accepts one event', async () => {
    const res = await h.call('/v1/events', { json: { type: 'websocket_reconnect' }, token: TOKENS.grid });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
  });

  it('rejects an unknown severity word naming the field', async () => {
    const res = await refused(
      h.call('/v1/events', { json: [{ type: 'x' }, { type: 'y', severity: 'urgent' }], token: TOKENS.grid }),
      400,
      'invalid_input',
      '[1].severity',
    );
    expect(JSON.stringify(res.body.errors)).toContain('urgent');
  });

  it('turns direct alerts into occurrence signals', async () => {
    const res = await h.call('/v1/alerts', {
      json: {
        name: 'stop_loss_hit',
        severity: 'critical',
        title: 'Stop loss hit on BTCUSDT',
        message: 'Position closed at -2.1 %',
        source: 'grid-bot',
        labels: { symbol: 'BTCUSDT' },
        force: true,
        ts: '2026-11-21T10:00:00Z',
      },
      token: TOKENS.grid,
    });
    expect(res.status, res.text).toBe(202);
    expect(h.batches.at(-1)!.alerts).toEqual([
      {
        name: 'stop_loss_hit',
        kind: 'occurrence',
        status: 'firing',
        severity: 'critical',
        labels: { symbol: 'BTCUSDT', source: 'grid-bot' },
        annotations: { title: 'Stop loss hit on BTCUSDT', message: 'Position closed at -2.1 %' },
        ts: Date.parse('2026-11-21T10:00:00Z'),
        force: true,
        origin: 'direct',
      },
    ]);
  });

  it('turns a resolved direct alert into a state signal', async () => {
    const res = await h.call('/v1/alerts', {
      json: [{ name: 'daily_loss', severity: 'warning', title: 'ok again', status: 'resolved' }],
      token: TOKENS.grid,
    });
    expect(res.status).toBe(202);
    expect(h.batches.at(-1)!.alerts[0]).toMatchObject({
      kind: 'state',
      status: 'resolved',
      labels: { source: 'grid-bot' },
    });
  });

  it('names every bad field of a direct alert', async () => {
    await refused(
      h.call('/v1/alerts', {
        json: [
          { name: 'ok', severity: 'info', title: 't' },
          { severity: 'info', title: '', labels: { n: 5 } },
        ],
        token: TOKENS.grid,
      }),
      400,
      'invalid_input',
      '[1].name',
    );
    const res = await h.call('/v1/alerts', {
      json: [
        { name: 'ok', severity: 'info', title: 't' },
        { severity: 'info', title: '', labels: { n: 5 } },
      ],
      token: TOKENS.grid,
    });
    expect(errorPaths(res.body)).toEqual(expect.arrayContaining(['[1].name', '[1].title', '[1].labels.n']));
    expect(JSON.stringify(res.body.errors)).toMatch(/label values must be strings, got the number 5/);
  });
});

describe('bad input', () => {
  it('malformed JSON', async () => {
    await refused(
      h.call('/v1/metrics', raw('{"source": "grid-bot", "metrics": {', TOKENS.grid)),
      400,
      'invalid_json',
    );
  });

  it('an empty body', async () => {
    await refused(h.call('/v1/metrics', raw('', TOKENS.grid)), 400, 'invalid_json');
    await refused(h.call('/v1/metrics', { method: 'POST', token: TOKENS.grid }), 400, 'invalid_json');
  });

  it('a JSON body that is not an object', async () => {
    await refused(h.call('/v1/metrics', raw('"hello"', TOKENS.grid)), 400, 'invalid_input');
    await refused(h.call('/v1/metrics', raw('[]', TOKENS.grid)), 400, 'invalid_input');
  });

  it('bare NaN and Infinity from Python json.dumps, naming the field', async () => {
    const r1 = await refused(
      h.call('/v1/metrics', raw('{"source":"grid-bot","metrics":{"x": NaN}}', TOKENS.grid)),
      400,
      'invalid_input',
      'metrics.x',
    );
    expect(JSON.stringify(r1.body)).toContain('NaN');
    const r2 = await refused(
      h.call(
        '/v1/metrics',
        raw(
          '[{"source": "grid-bot", "metrics": {"ok": 1}}, {"source": "grid-bot", "metrics": {"a": 1, "api_latency_ms": Infinity, "b": -Infinity}}]',
          TOKENS.grid,
        ),
      ),
      400,
      'invalid_input',
      '[1].metrics.api_latency_ms',
    );
    expect(errorPaths(r2.body)).toEqual(['[1].metrics.api_latency_ms', '[1].metrics.b']);
  });

  it('NaN inside a string is not mistaken for a number', async () => {
    const res = await h.call(
      '/v1/events',
      raw('{"type":"api_error","data":{"reason":"got NaN: Infinity"}}', TOKENS.grid),
    );
    expect(res.status).toBe(202);
  });

  it('a string number, a wrong type, missing fields, unknown fields', async () => {
    const res = await refused(
      h.call('/v1/metrics', {
        json: [
          { source: 'grid-bot', metrics: { a: 1 } },
          { source: 'grid-bot', metrics: { a: 1 } },
          { source: 'grid-bot', metrics: { a: 1 } },
          { source: 'grid-bot', metrics: { api_latency_ms: '12' } },
          { source: 'grid-bot', metrics: 5 },
          { source: 'grid-bot' },
          { source: 'grid-bot', metrics: { a: 1 }, lables: {} },
          { source: 'grid-bot', metrics: { 'bad name!': 1 }, ts: 'yesterday' },
          { source: 'grid-bot', metrics: { a: true }, ts: 1795257600000000000 },
        ],
        token: TOKENS.grid,
      }),
      400,
      'invalid_input',
      '[3].metrics.api_latency_ms',
    );
    const errs = res.body.errors as { path: string; message: string }[];
    const byPath = Object.fromEntries(errs.map((e) => [e.path, e.message]));
    expect(byPath['[3].metrics.api_latency_ms']).toMatch(/string "12"/);
    expect(byPath['[4].metrics']).toBeDefined();
    expect(byPath['[5].metrics']).toBe('is required');
    expect(byPath['[6].lables']).toBe('unknown field');
    expect(byPath['[7].metrics["bad name!"]']).toMatch(/not a valid metric name/);
    expect(byPath['[7].ts']).toMatch(/ISO 8601/);
    expect(byPath['[8].metrics.a']).toMatch(/finite number/);
    expect(byPath['[8].ts']).toMatch(/nanoseconds/);
  });

  it('a non-JSON content type is a 415', async () => {
    await refused(
      h.call('/v1/metrics', raw('source=grid-bot', TOKENS.grid, 'application/x-www-form-urlencoded')),
      415,
      'unsupported_media_type',
    );
    await refused(
      h.call('/v1/metrics', raw('{"metrics":{"x":1}}', TOKENS.grid, 'text/plain')),
      415,
      'unsupported_media_type',
    );
  });

  it('an oversized body is a 413 with a JSON error', async () => {
    const big = JSON.stringify({
      source: 'grid-bot',
      metrics: { x: 1 },
      labels: { pad: 'x'.repeat(1024 * 1024) },
    });
    const res = await refused(h.call('/v1/metrics', raw(big, TOKENS.grid)), 413, 'payload_too_large');
    expect(res.body.message).toContain('1048576');
  });

  it('a batch over max_batch is a 413 naming the limit', async () => {
    const s = await startServer({ config: { ...baseConfig(), max_batch: 3 } });
    try {
      const items = Array.from({ length: 4 }, () => ({ source: 'grid-bot', metrics: { x: 1 } }));
      const res = await s.call('/v1/metrics', { json: items, token: TOKENS.grid });
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('batch_too_large');
      expect(res.body.message).toMatch(/4 items.*limit is 3/);
      expect(s.batches).toEqual([]);
      const ok = await s.call('/v1/metrics', { json: items.slice(0, 3), token: TOKENS.grid });
      expect(ok.status).toBe(202);
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });
});

describe('hardening', () => {
  it('refuses a ts ahead of the server clock (injected) on every bot route, past ones pass', async () => {
    let now = NOW;
    const s = await startServer({ clock: () => now });
    try {
      const ahead = NOW + 7 * 60_000;
      const routes: [string, Record<string, unknown>][] = [
        ['/v1/metrics', { metrics: { x: 1 } }],
        ['/v1/events', { type: 'heartbeat' }],
        ['/v1/alerts', { name: 'x', severity: 'info', title: 't' }],
      ];
      for (const [route, item] of routes) {
        const res = await s.call(route, { json: [item, { ...item, ts: ahead / 1000 }], token: TOKENS.grid });
        expect(res.status, route).toBe(400);
        expect(res.body.errors, route).toEqual([
          {
            path: '[1].ts',
            message: `${new Date(ahead).toISOString()} is 7m ahead of the server's clock; at most 5m is allowed (server.max_future_skew)`,
          },
        ]);
        const past = await s.call(route, {
          json: { ...item, ts: '2001-09-09T01:46:40Z' },
          token: TOKENS.grid,
        });
        expect(past.status, route).toBe(202);
      }
      expect(s.batches.length).toBe(3);
      now += 2 * 60_000; // the clock moved: 5 minutes ahead is allowed
      for (const [route, item] of routes) {
        const res = await s.call(route, { json: { ...item, ts: ahead }, token: TOKENS.grid });
        expect(res.status, route).toBe(202);
        expect(s.batches.at(-1)!.receivedAt).toBe(now);
      }
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });

  it('bounds JSON nesting with server.max_json_depth', async () => {
    const s = await startServer({ config: { ...baseConfig(), max_json_depth: 5 } });
    try {
      const ok = await s.call('/v1/events', {
        json: { type: 'x', data: { a: { b: { c: { d: 1 } } } } },
        token: TOKENS.grid,
      });
      expect(ok.status).toBe(202);
      // Brackets, quotes and backslashes inside strings are text, not nesting.
      const brackets = await s.call('/v1/events', {
        json: { type: 'x', data: { a: { b: '[[[{{{"\\', c: { 'd\\"{[': '\\\\' } } } },
        token: TOKENS.grid,
      });
      expect(brackets.status).toBe(202);
      const res = await s.call('/v1/events', {
        json: { type: 'x', data: { a: { b: { c: { d: {} } } } } },
        token: TOKENS.grid,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_input',
        message:
          'data.a.b.c.d: is nested deeper than the limit of 5 levels of objects and arrays (server.max_json_depth)',
        errors: [
          {
            path: 'data.a.b.c.d',
            message:
              'is nested deeper than the limit of 5 levels of objects and arrays (server.max_json_depth)',
          },
        ],
      });
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });

  it('a path parameter over 128 characters is a 414 in the error shape', async () => {
    const res = await refused(
      h.call(`/v1/alerts/${'f'.repeat(129)}`, {
        token: TOKENS.admin,
        headers: { 'x-request-id': 'long-uri-1' },
      }),
      414,
      'uri_too_long',
    );
    expect(res.body).toEqual({
      error: 'uri_too_long',
      message:
        'the URL is too long: a path parameter (alert fingerprint, silence id) has at most 128 characters',
    });
    expect(res.headers.get('x-request-id')).toBe('long-uri-1');
    const del = await refused(
      h.call(`/v1/silences/${'s'.repeat(5000)}`, { method: 'DELETE', token: TOKENS.admin }),
      414,
      'uri_too_long',
    );
    expect(del.text).not.toContain('sssss');
    // up to 128 characters, the route itself answers
    await refused(h.call(`/v1/alerts/${'f'.repeat(128)}`, { token: TOKENS.admin }), 404, 'not_found');
    const metrics = await h.call('/metrics');
    expect(metrics.text).toMatch(/klaxon_requests_rejected_total\{route="unmatched",status="414"\} 2/);
  });

  it('says a silence field is too long, and its limit, instead of "must be a string"', async () => {
    const res = await refused(
      h.call('/v1/silences', {
        json: {
          matchers: [{ name: 'n'.repeat(200), value: 'v' }],
          duration: '1h',
          createdBy: 'x'.repeat(100_000),
          comment: 'c'.repeat(1025),
        },
        token: TOKENS.admin,
      }),
      400,
      'invalid_input',
      'createdBy',
    );
    expect(res.body.errors).toEqual([
      { path: 'matchers[0].name', message: 'is longer than 128 characters' },
      { path: 'createdBy', message: 'is longer than 128 characters' },
      { path: 'comment', message: 'is longer than 1024 characters' },
    ]);
    const wrongType = await h.call('/v1/silences', {
      json: { matchers: [{ name: 'a', value: 'b' }], duration: '1h', createdBy: 42 },
      token: TOKENS.admin,
    });
    expect(wrongType.body.errors).toEqual([{ path: 'createdBy', message: 'must be a string' }]);
  });
});

describe('auth', () => {
  const snap = { source: 'grid-bot', metrics: { x: 1 } };

  it('a missing token is a 401', async () => {
    const res = await refused(h.call('/v1/metrics', { json: snap }), 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
  });

  it('a wrong token is a 401 that does not repeat the token', async () => {
    const res = await refused(
      h.call('/v1/metrics', { json: snap, token: 'not-a-real-token-0000000000' }),
      401,
      'unauthorized',
    );
    expect(res.text).not.toContain('not-a-real-token');
    await refused(
      h.call('/v1/metrics', { json: snap, headers: { authorization: TOKENS.grid } }),
      401,
      'unauthorized',
    );
  });

  it('a source the token may not push is a 403 naming the field', async () => {
    const res = await refused(
      h.call('/v1/metrics', { json: [snap, { source: 'dca-bot', metrics: { x: 1 } }], token: TOKENS.grid }),
      403,
      'forbidden_source',
      '[1].source',
    );
    expect(res.body.message).toContain("token 'grid'");
    await refused(
      h.call('/v1/alerts', {
        json: { name: 'x', severity: 'info', title: 't', source: 'other' },
        token: TOKENS.fleet,
      }),
      403,
      'forbidden_source',
      'source',
    );
  });

  it('globs and * match sources', async () => {
    expect(
      (
        await h.call('/v1/metrics', {
          json: { source: 'grid-eth-2', metrics: { x: 1 } },
          token: TOKENS.fleet,
        })
      ).status,
    ).toBe(202);
    expect(
      (await h.call('/v1/metrics', { json: { source: 'gridiron', metrics: { x: 1 } }, token: TOKENS.fleet }))
        .status,
    ).toBe(403);
    expect(
      (await h.call('/v1/metrics', { json: { source: 'anything', metrics: { x: 1 } }, token: TOKENS.admin }))
        .status,
    ).toBe(202);
  });

  it('admin routes need the admin scope', async () => {
    await refused(h.call('/v1/alerts', { token: TOKENS.grid }), 403, 'forbidden');
    await refused(h.call('/v1/silences'), 401, 'unauthorized');
    const res = await h.call('/v1/alerts', { token: TOKENS.admin });
    expect(res.status).toBe(200);
    expect((res.body.alerts as unknown[]).length).toBe(1);
  });
});

describe('queue unavailable and unexpected errors', () => {
  it('answers 503 queue_unavailable when enqueue rejects with QueueUnavailableError', async () => {
    const s = await startServer({ enqueue: rejectingEnqueue() });
    try {
      const res = await s.call('/v1/alertmanager', {
        method: 'POST',
        body: JSON.stringify({ alerts: [{ status: 'firing', labels: { alertname: 'X' } }] }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.am}` },
      });
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('queue_unavailable');
      expect(res.headers.get('retry-after')).toBe('5');
      const m = await s.call('/v1/metrics', { json: { metrics: { x: 1 } }, token: TOKENS.grid });
      expect(m.status).toBe(503);
      const metrics = await s.call('/metrics');
      expect(metrics.text).toMatch(/klaxon_requests_rejected_total\{route="alertmanager",status="503"\} 1/);
      expect(metrics.text).not.toMatch(/klaxon_inputs_total\{/);
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });

  it('answers 500 without details for other errors', async () => {
    const s = await startServer({
      enqueue: async () => {
        throw new Error(`boom ${TOKENS.grid}`);
      },
    });
    try {
      const res = await s.call('/v1/metrics', { json: { metrics: { x: 1 } }, token: TOKENS.grid });
      expect(res.status).toBe(500);
      expect(res.body.error).toBe('internal_error');
      expect(res.text).not.toContain('boom');
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After per token', async () => {
    const s = await startServer({ config: { ...baseConfig(), rate_limit: { max: 2, window: '1m' } } });
    try {
      const send = (token: string) =>
        s.call('/v1/metrics', { json: { source: 'grid-bot', metrics: { x: 1 } }, token });
      expect((await send(TOKENS.grid)).status).toBe(202);
      expect((await send(TOKENS.grid)).status).toBe(202);
      const res = await send(TOKENS.grid);
      expect(res.status).toBe(429);
      expect(res.body.error).toBe('rate_limited');
      expect(res.body.message).toContain("token 'grid'");
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(s.batches.length).toBe(2);
      // another token has its own budget
      expect((await send(TOKENS.admin)).status).toBe(202);
      // ops routes are never limited
      for (let i = 0; i < 4; i++) expect((await s.call('/live')).status).toBe(200);
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });
});

describe('ops routes', () => {
  it('/live, /ready, /health', async () => {
    expect(await h.call('/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await h.call('/ready')).toMatchObject({ status: 200, body: { ready: true } });
    expect(await h.call('/health')).toMatchObject({ status: 200, body: { status: 'ok', redis: 'ok' } });
  });

  it('/health is 200 when degraded, 503 when down; /ready 503 when not ready', async () => {
    let status: 'ok' | 'degraded' | 'down' = 'degraded';
    const s = await startServer({
      health: async () => ({ status, deadLetters: 3 }),
      ready: async () => false,
    });
    try {
      expect(await s.call('/health')).toMatchObject({
        status: 200,
        body: { status: 'degraded', deadLetters: 3 },
      });
      status = 'down';
      expect(await s.call('/health')).toMatchObject({ status: 503, body: { status: 'down' } });
      expect(await s.call('/ready')).toMatchObject({ status: 503, body: { ready: false } });
      expect((await s.call('/live')).status).toBe(200);
    } finally {
      everyBody.push(...s.bodies);
      await s.close();
    }
  });

  it('/metrics counts inputs, rejections and latency', async () => {
    const res = await h.call('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/klaxon_inputs_total\{kind="sample"\} \d+/);
    expect(res.text).toMatch(/klaxon_inputs_total\{kind="event"\} \d+/);
    expect(res.text).toMatch(/klaxon_inputs_total\{kind="alert"\} \d+/);
    expect(res.text).toMatch(/klaxon_requests_rejected_total\{route="metrics",status="400"\} \d+/);
    expect(res.text).toMatch(/klaxon_requests_rejected_total\{route="metrics",status="401"\} \d+/);
    expect(res.text).toMatch(/klaxon_ingest_duration_seconds_count\{route="metrics"\} \d+/);
  });

  it('unknown routes are a JSON 404', async () => {
    const res = await h.call('/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('admin API', () => {
  it('lists alerts filtered by status', async () => {
    expect(
      ((await h.call('/v1/alerts?status=resolved', { token: TOKENS.admin })).body.alerts as unknown[]).length,
    ).toBe(0);
    expect(
      ((await h.call('/v1/alerts?status=firing', { token: TOKENS.admin })).body.alerts as unknown[]).length,
    ).toBe(1);
    const bad = await h.call('/v1/alerts?status=burning', { token: TOKENS.admin });
    expect(bad.status).toBe(400);
    expect(errorPaths(bad.body)).toEqual(['status']);
  });

  it('pages alerts newest first, filtered, and follows the cursor to the end', async () => {
    const saved = h.alertApi.alerts;
    h.alertApi.alerts = Array.from({ length: 7 }, (_, i) =>
      testAlert({
        fingerprint: `fp${i}`,
        lastSeenAt: NOW - i * 1000,
        severity: i % 2 === 0 ? 'critical' : 'warning',
        labels: { source: i < 4 ? 'grid-1' : 'dca-bot' },
        notified: i === 3 ? ['pager'] : [],
      }),
    );
    try {
      const names: string[] = [];
      let path = '/v1/alerts?limit=3';
      for (;;) {
        const res = await h.call(path, { token: TOKENS.admin });
        expect(res.status, res.text).toBe(200);
        names.push(...(res.body.alerts as { fingerprint: string }[]).map((a) => a.fingerprint));
        if (res.body.next === undefined) break;
        path = `/v1/alerts?limit=3&cursor=${res.body.next as string}`;
      }
      expect(names).toEqual(['fp0', 'fp1', 'fp2', 'fp3', 'fp4', 'fp5', 'fp6']);
      const list = async (q: string) =>
        (
          (await h.call(`/v1/alerts?${q}`, { token: TOKENS.admin })).body.alerts as { fingerprint: string }[]
        ).map((a) => a.fingerprint);
      expect(await list('severity=critical&source=grid-1')).toEqual(['fp0', 'fp2']);
      expect(await list('receiver=pager')).toEqual(['fp3']);
      const first = await h.call('/v1/alerts', { token: TOKENS.admin });
      expect((first.body.alerts as unknown[]).length).toBe(7);
      expect(first.body.next).toBeUndefined();
    } finally {
      h.alertApi.alerts = saved;
    }
  });

  it('refuses bad listing parameters with 400 naming each', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['severity=urgent', 'severity'],
      ['source=..', 'source'],
      ['cursor=not-a-cursor', 'cursor'],
      ['status=firing&status=resolved', 'status'],
      ['state=firing', 'state'],
    ];
    for (const [q, path] of cases)
      await refused(h.call(`/v1/alerts?${q}`, { token: TOKENS.admin }), 400, 'invalid_input', path);
  });

  it('gives an alert with its history, 404 for an unknown fingerprint', async () => {
    const entry = {
      t: NOW,
      type: 'transition' as const,
      fp: 'abc123',
      name: 'api_latency',
      severity: 'warning',
      status: 'firing',
    };
    h.alertApi.history.set('abc123', [entry]);
    const res = await h.call('/v1/alerts/abc123/history', { token: TOKENS.admin });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ alert: expect.objectContaining({ fingerprint: 'abc123' }), history: [entry] });
    await refused(h.call('/v1/alerts/ffff0000/history', { token: TOKENS.admin }), 404, 'not_found');
    await refused(h.call('/v1/alerts/abc123/history', { token: TOKENS.grid }), 403, 'forbidden');
  });

  it('acknowledges an alert (202: the life cycle applies it), 404 unknown, 409 resolved', async () => {
    const res = await h.call('/v1/alerts/abc123/ack', {
      json: { by: 'alice', comment: 'on it', expires: '2h' },
      token: TOKENS.admin,
    });
    expect(res.status, res.text).toBe(202);
    const acknowledged = { by: 'alice', comment: 'on it', at: NOW, until: NOW + 7_200_000, via: 'api' };
    expect(res.body).toEqual({ accepted: true, fingerprint: 'abc123', acknowledged });
    expect(h.alertApi.acks).toEqual([{ fingerprint: 'abc123', ...acknowledged }]);
    await refused(
      h.call('/v1/alerts/ffff0000/ack', { json: { by: 'alice' }, token: TOKENS.admin }),
      404,
      'not_found',
    );
    const noBody = await h.call('/v1/alerts/abc123/ack', { method: 'POST', token: TOKENS.admin });
    expect(noBody.status).toBe(202);
    expect(h.alertApi.acks.at(-1)).toMatchObject({ by: 'ops' });
    await refused(
      h.call('/v1/alerts/abc123/ack', { json: { expires: 'soon' }, token: TOKENS.admin }),
      400,
      'invalid_input',
      'expires',
    );
    h.alertApi.alerts.push(testAlert({ fingerprint: 'done1', status: 'resolved', endsAt: NOW }));
    try {
      await refused(h.call('/v1/alerts/done1/ack', { json: {}, token: TOKENS.admin }), 409, 'not_firing');
    } finally {
      h.alertApi.alerts.pop();
    }
  });

  it('creates, lists and deletes silences', async () => {
    const res = await h.call('/v1/silences', {
      json: {
        matchers: [
          { name: 'alertname', value: 'api_latency', op: '=' },
          { name: 'source', value: 'grid-.*', op: '=~' },
        ],
        duration: '2h',
        createdBy: 'alice',
        comment: 'maintenance',
      },
      token: TOKENS.admin,
    });
    expect(res.status, res.text).toBe(201);
    const id = res.body.id as string;
    expect(h.alertApi.silences[0]).toMatchObject({
      id,
      startsAt: NOW,
      endsAt: NOW + 7_200_000,
      createdBy: 'alice',
    });
    const list = await h.call('/v1/silences', { token: TOKENS.admin });
    expect((list.body.silences as unknown[]).length).toBe(1);
    const withEnd = await h.call('/v1/silences', {
      json: {
        matchers: [{ name: 'source', value: 'dca-bot' }],
        endsAt: '2026-11-21T13:00:00Z',
        createdBy: 'bob',
      },
      token: TOKENS.admin,
    });
    expect(withEnd.status).toBe(201);
    expect(h.alertApi.silences[1]).toMatchObject({ endsAt: Date.parse('2026-11-21T13:00:00Z'), comment: '' });
    expect((await h.call(`/v1/silences/${id}`, { method: 'DELETE', token: TOKENS.admin })).status).toBe(200);
    expect((await h.call(`/v1/silences/${id}`, { method: 'DELETE', token: TOKENS.admin })).status).toBe(404);
  });

  it('validates silences', async () => {
    const res = await h.call('/v1/silences', {
      json: {
        matchers: [{ name: 'source', value: '([', op: '=~' }],
        endsAt: '2020-01-01T00:00:00Z',
        createdBy: 'a',
      },
      token: TOKENS.admin,
    });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(expect.arrayContaining(['matchers[0].value', 'endsAt']));
    const empty = await h.call('/v1/silences', {
      json: { matchers: [], duration: '1h' },
      token: TOKENS.admin,
    });
    expect(errorPaths(empty.body)).toEqual(expect.arrayContaining(['matchers', 'createdBy']));
  });
});
