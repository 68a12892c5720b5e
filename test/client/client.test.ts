import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { KlaxonClient, type KlaxonClientOptions, type KlaxonError } from '../../src/client/index.js';
import { FakeKlaxon, FakeTimers, settle, type Reply } from './fakes.js';

const TOKEN = 'sekret-token-5e1f0c9a';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A client on fake timers and a fake Klaxon (202 unless told otherwise); jitter fixed at 0.5. */
function setup(opts: Partial<KlaxonClientOptions> = {}, reply?: (n: number, body: unknown[]) => Reply) {
  const timers = new FakeTimers();
  const k = new FakeKlaxon();
  if (reply) k.reply = (req, n) => reply(n, req.body);
  const errors: KlaxonError[] = [];
  const client = new KlaxonClient({
    url: 'http://klaxon.test:8080/',
    token: TOKEN,
    source: 'grid-1',
    fetch: k.fetch,
    timers,
    random: () => 0.5,
    onError: (e) => errors.push(e),
    ...opts,
  });
  return { timers, k, errors, client };
}

const unavailable: Reply = {
  status: 503,
  body: { error: 'queue_unavailable', message: 'the ingest queue is unavailable' },
  headers: { 'retry-after': '5' },
};

describe('batching', () => {
  it('sends one array per route once maxDelayMs has passed since the first item', async () => {
    const { timers, k, client, errors } = setup();
    const t0 = timers.now();
    client.metrics({ equity: 10_250.5, ws_connected: 1 });
    client.metrics({ exposure_usd: 2500 }, { labels: { symbol: 'BTCUSDT' }, source: 'grid-2' });
    await timers.advance(400);
    const eventId = client.event('trade_closed', { pnl: 12.5 }, { severity: 'info', symbol: 'BTCUSDT' });
    const alertId = client.alert({
      name: 'kill_switch',
      severity: 'critical',
      title: 'Kill switch',
      force: true,
    });
    await timers.advance(599);
    expect(k.seen).toHaveLength(0);
    await timers.advance(1);
    expect(k.seen.map((s) => s.url).sort()).toEqual([
      'http://klaxon.test:8080/v1/alerts',
      'http://klaxon.test:8080/v1/events',
      'http://klaxon.test:8080/v1/metrics',
    ]);
    expect(k.to('metrics')[0]?.body).toEqual([
      { source: 'grid-1', ts: t0, metrics: { equity: 10_250.5, ws_connected: 1 } },
      { source: 'grid-2', ts: t0, metrics: { exposure_usd: 2500 }, labels: { symbol: 'BTCUSDT' } },
    ]);
    expect(eventId).toMatch(UUID);
    expect(k.to('events')[0]?.body).toEqual([
      {
        source: 'grid-1',
        ts: t0 + 400,
        type: 'trade_closed',
        id: eventId,
        severity: 'info',
        symbol: 'BTCUSDT',
        data: { pnl: 12.5 },
      },
    ]);
    expect(k.to('alerts')[0]?.body).toEqual([
      {
        source: 'grid-1',
        ts: t0 + 400,
        name: 'kill_switch',
        id: alertId,
        severity: 'critical',
        title: 'Kill switch',
        force: true,
      },
    ]);
    const headers = k.seen[0]?.headers ?? {};
    expect(headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-request-id']).toMatch(UUID);
    expect(client.stats()).toMatchObject({ accepted: 4, queued: 0, inFlight: 0, requests: 3, retries: 0 });
    expect(errors).toEqual([]);
  });

  it('sends at once when maxItems are queued, the rest after the delay', async () => {
    const { timers, k, client } = setup({ batch: { maxItems: 2 } });
    for (let i = 0; i < 5; i++) client.metrics({ i });
    await settle();
    expect(k.seen.map((s) => s.body.length)).toEqual([2, 2]);
    await timers.advance(1000);
    expect(k.seen.map((s) => s.body.length)).toEqual([2, 2, 1]);
  });

  it('keeps caller ids and times; stamps the time of the call, not of the send', async () => {
    const { timers, k, client } = setup();
    const at = new Date('2026-11-21T09:59:00Z');
    expect(client.event('fill', undefined, { id: 'order-42', ts: at })).toBe('order-42');
    client.alert({ name: 'x', severity: 'warning', title: 't', id: 'alert-7', ts: '2026-11-21T09:58:00Z' });
    const hb = client.heartbeat();
    const t = timers.now();
    await timers.advance(1000);
    expect(k.to('events')[0]?.body).toEqual([
      { source: 'grid-1', ts: at.getTime(), type: 'fill', id: 'order-42' },
      { source: 'grid-1', ts: t, type: 'heartbeat', id: hb },
    ]);
    expect(k.to('alerts')[0]?.body).toMatchObject([{ id: 'alert-7', ts: '2026-11-21T09:58:00Z' }]);
  });

  it('flush() sends at once and resolves when Klaxon accepted everything queued before it', async () => {
    const { timers, k, client } = setup({}, (n) => (n === 1 ? unavailable : { status: 202 }));
    client.alert({ name: 'kill_switch', severity: 'critical', title: 'Kill switch' });
    let flushed = false;
    const done = client.flush().then(() => (flushed = true));
    await settle();
    expect(k.seen).toHaveLength(1);
    expect(timers.pending('ref')).toBe(1); // the wait before a retry keeps the process alive
    await timers.advance(4999); // Retry-After: 5
    expect(k.seen).toHaveLength(1);
    expect(flushed).toBe(false);
    await timers.advance(1);
    await done;
    expect(k.seen).toHaveLength(2);
    expect(client.stats()).toMatchObject({ accepted: 1, retries: 1 });
  });
});

describe('retries', () => {
  it('retries with the same body and request id, so ids make the retry harmless', async () => {
    const { timers, k, client, errors } = setup({}, (n) => (n === 1 ? unavailable : { status: 202 }));
    const id = client.alert({ name: 'kill_switch', severity: 'critical', title: 'Kill switch' });
    await timers.until(client.flush());
    const [first, second] = k.seen;
    expect(second?.body).toEqual(first?.body);
    expect((first?.body[0] as { id: string }).id).toBe(id);
    expect(second?.headers['x-request-id']).toBe(first?.headers['x-request-id']);
    expect(errors).toEqual([]);
  });

  it('backs off exponentially on connection errors, timeouts, 5xx and 429 (honouring Retry-After)', async () => {
    const times: number[] = [];
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const { timers, client, errors } = setup(
      { timeoutMs: 2000, retry: { baseDelayMs: 500, maxDelayMs: 30_000, attempts: 8 } },
      (n) => {
        times.push(timers.now());
        const replies: Reply[] = [
          { error: refused },
          'hang',
          { status: 502 },
          {
            status: 429,
            body: { error: 'rate_limited', message: 'slow down' },
            headers: { 'retry-after': '10' },
          },
          { status: 202 },
        ];
        return replies[n - 1] as Reply;
      },
    );
    client.metrics({ equity: 1 });
    const t0 = timers.now();
    await timers.until(client.flush());
    // jitter 0.5: waits of 375, 750, 1500 ms, then Retry-After (10 s) over 3000
    expect(times.map((t) => t - t0)).toEqual([0, 375, 375 + 2000 + 750, 3125 + 1500, 4625 + 10_000]);
    expect(client.stats()).toMatchObject({ accepted: 1, retries: 4, requests: 5, failed: 0 });
    expect(errors).toEqual([]);
  });

  it('retries 408 and 425 answers, honouring their Retry-After, then succeeds', async () => {
    const times: number[] = [];
    const { timers, k, client, errors } = setup({}, (n) => {
      times.push(timers.now());
      const replies: Reply[] = [
        { status: 408, body: { error: 'request_timeout', message: 'the request did not arrive in time' } },
        { status: 425, body: { message: 'too early' }, headers: { 'retry-after': '20' } },
        { status: 202 },
      ];
      return replies[n - 1] as Reply;
    });
    const id = client.alert({ name: 'kill_switch', severity: 'critical', title: 'Kill switch' });
    const t0 = timers.now();
    await timers.until(client.flush());
    // jitter 0.5: a backoff of 375 ms after the 408, then the 425's Retry-After (20 s) over 750 ms
    expect(times.map((t) => t - t0)).toEqual([0, 375, 375 + 20_000]);
    expect(k.seen.map((s) => (s.body[0] as { id: string }).id)).toEqual([id, id, id]);
    expect(client.stats()).toMatchObject({ accepted: 1, retries: 2, requests: 3, failed: 0, rejected: 0 });
    expect(errors).toEqual([]);
  });

  it('waits at most 10 minutes, whatever Retry-After asks for', async () => {
    const times: number[] = [];
    const { timers, client, errors } = setup({}, (n) => {
      times.push(timers.now());
      const replies: Reply[] = [
        {
          status: 429,
          body: { error: 'rate_limited', message: 'slow down' },
          headers: { 'retry-after': '3600' },
        },
        // an HTTP date a day ahead of the fake clock
        { status: 503, headers: { 'retry-after': new Date(timers.now() + 86_400_000).toUTCString() } },
        { status: 425, headers: { 'retry-after': '601' } },
        { status: 202 },
      ];
      return replies[n - 1] as Reply;
    });
    client.metrics({ equity: 1 });
    await timers.until(client.flush());
    expect(times.slice(1).map((t, i) => t - (times[i] ?? 0))).toEqual([600_000, 600_000, 600_000]);
    expect(client.stats()).toMatchObject({ accepted: 1, retries: 3, failed: 0 });
    expect(errors).toEqual([]);
  });

  it('gives up after `attempts` tries and reports the items as failed', async () => {
    const { timers, k, client, errors } = setup({ retry: { attempts: 3 } }, () => unavailable);
    const id = client.event('stop_loss_hit');
    await timers.until(client.flush());
    expect(k.seen).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'failed', route: 'events', status: 503, items: 1, ids: [id] });
    expect(errors[0]?.message).toBe('1 event not accepted after 3 tries: the ingest queue is unavailable');
    expect(client.stats()).toMatchObject({ failed: 1, accepted: 0, retries: 2 });
  });

  it('never retries another 4xx: the batch is dropped and onError gets Klaxon’s message and fields', async () => {
    for (const status of [400, 401, 403, 404, 415]) {
      const body = {
        error: 'invalid_input',
        message: '[0].title: is required',
        errors: [{ path: '[0].title', message: 'is required' }],
      };
      const { timers, k, client, errors } = setup({}, () => ({ status, body }));
      const id = client.alert({ name: 'x', severity: 'high' } as never);
      await timers.until(client.flush());
      expect(k.seen, String(status)).toHaveLength(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        kind: 'rejected',
        route: 'alerts',
        status,
        code: 'invalid_input',
        items: 1,
        ids: [id],
        errors: [{ path: '[0].title', message: 'is required' }],
      });
      expect(errors[0]?.message).toBe(
        `Klaxon refused 1 alert: ${status} invalid_input: [0].title: is required`,
      );
      expect(client.stats()).toMatchObject({ rejected: 1, retries: 0 });
    }
  });

  it('drops only the items a 400 names, and sends the others again', async () => {
    const { timers, k, client, errors } = setup({}, (n) =>
      n === 1
        ? {
            status: 400,
            body: {
              error: 'invalid_input',
              message: '2 invalid fields',
              errors: [
                { path: '[1].title', message: 'must not be empty' },
                { path: '[3].severity', message: 'unknown severity' },
              ],
            },
          }
        : { status: 202 },
    );
    const ids = [
      client.alert({ name: 'a', severity: 'high', title: 'A' }),
      client.alert({ name: 'b', severity: 'high', title: '' }),
      client.alert({ name: 'c', severity: 'high', title: 'C' }),
      client.alert({ name: 'd', severity: 'nope' as 'high', title: 'D' }),
    ];
    await timers.until(client.flush());
    expect(k.seen.map((s) => s.body.map((a) => (a as { id: string }).id))).toEqual([ids, [ids[0], ids[2]]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'rejected', items: 2, ids: [ids[1], ids[3]] });
    expect(client.stats()).toMatchObject({ accepted: 2, rejected: 2 });
  });

  it('drops the whole batch when the 400 does not name items', async () => {
    const body = { error: 'invalid_input', message: 'bad', errors: [{ path: '', message: 'bad' }] };
    const { timers, k, client, errors } = setup({}, () => ({ status: 400, body }));
    client.metrics({ a: 1 });
    client.metrics({ b: 1 });
    await timers.until(client.flush());
    expect(k.seen).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'rejected', items: 2 });
  });

  it('sends a batch Klaxon finds too large (413) in halves; a single item too large is dropped', async () => {
    const tooLarge: Reply = { status: 413, body: { error: 'batch_too_large', message: 'split the batch' } };
    const { timers, k, client, errors } = setup({}, (_, body) =>
      body.length > 2 ? tooLarge : { status: 202 },
    );
    for (let i = 0; i < 5; i++) client.event('tick', { i });
    await timers.until(client.flush());
    expect(k.seen.map((s) => s.body.length)).toEqual([5, 3, 2, 1, 2]);
    expect(client.stats()).toMatchObject({ accepted: 5, retries: 0 });
    expect(errors).toEqual([]);

    const one = setup({}, () => tooLarge);
    one.client.event('huge');
    await one.timers.until(one.client.flush());
    expect(one.k.seen).toHaveLength(1);
    expect(one.errors[0]).toMatchObject({ kind: 'rejected', status: 413, items: 1 });
  });
});

describe('bounded queue', () => {
  it('drops the oldest items beyond maxQueued and reports them once per batch delay', async () => {
    const { timers, client, errors } = setup({ maxQueued: 5, batch: { maxItems: 100 } }, () => 'hang');
    client.alert({ name: 'a', severity: 'high', title: 'A' });
    await timers.advance(1000); // in flight, Klaxon does not answer
    const ids = Array.from({ length: 8 }, (_, i) => client.event('tick', { i }));
    expect(client.stats()).toMatchObject({ queued: 5, inFlight: 1, dropped: 3 });
    expect(errors).toEqual([]);
    await timers.advance(1000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'dropped', items: 3, ids: ids.slice(0, 3) });
    for (let i = 0; i < 100_000; i++) client.metrics({ i });
    expect(client.stats().queued).toBeLessThanOrEqual(5);
    await timers.until(client.close({ timeoutMs: 100 }));
    expect(timers.pending()).toBe(0);
  });
});

describe('inputs the client cannot send', () => {
  it('leaves non-finite metrics out (JSON has no NaN) and reports them', async () => {
    const { timers, k, client, errors } = setup();
    client.metrics({ equity: 100, ratio: NaN, pnl: Infinity });
    client.metrics({ only: NaN });
    client.alert({ name: 'a', severity: 'high', title: 'A', value: NaN });
    await timers.advance(1000);
    expect(k.to('metrics')[0]?.body).toEqual([
      { source: 'grid-1', ts: expect.any(Number), metrics: { equity: 100 } },
    ]);
    expect(k.to('alerts')[0]?.body[0]).not.toHaveProperty('value');
    expect(errors.map((e) => [e.kind, e.items, e.errors.map((f) => f.path)])).toEqual([
      ['invalid', 0, ['metrics.ratio', 'metrics.pnl']],
      ['invalid', 1, ['metrics.only']],
      ['invalid', 0, ['value']],
    ]);
  });

  it('refuses data that is not JSON, without throwing at the bot', async () => {
    const { timers, k, client, errors } = setup();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(client.event('x', loop)).toBeUndefined();
    expect(client.event('y', { n: 10n })).toBeUndefined();
    await timers.advance(1000);
    expect(k.seen).toHaveLength(0);
    expect(errors.map((e) => e.kind)).toEqual(['invalid', 'invalid']);
  });

  it('keeps sending when onError throws', async () => {
    const { timers, k, client } = setup(
      {
        onError: () => {
          throw new Error('bot bug');
        },
      },
      (n) => (n === 1 ? { status: 400, body: { error: 'invalid_input', message: 'x' } } : { status: 202 }),
    );
    client.event('a');
    await timers.until(client.flush());
    client.event('b');
    await timers.until(client.flush());
    expect(k.seen).toHaveLength(2);
    expect(client.stats()).toMatchObject({ rejected: 1, accepted: 1 });
  });
});

describe('heartbeat and close', () => {
  it('sends a heartbeat event every heartbeatEveryMs on a timer that does not hold the process', async () => {
    const { timers, k, client } = setup({ heartbeatEveryMs: 5000 });
    expect(timers.pending('all')).toBe(1);
    expect(timers.pending('ref')).toBe(0);
    await timers.advance(16_000);
    expect(k.to('events').flatMap((s) => s.body.map((e) => (e as { type: string }).type))).toEqual([
      'heartbeat',
      'heartbeat',
      'heartbeat',
    ]);
    await client.close();
    expect(timers.pending()).toBe(0);
    await timers.advance(60_000);
    expect(k.to('events')).toHaveLength(3);
  });

  it('close() sends what is queued, stops every timer and refuses later inputs', async () => {
    const { timers, k, client, errors } = setup({ heartbeatEveryMs: 1000 });
    client.metrics({ a: 1 });
    client.alert({ name: 'a', severity: 'high', title: 'A' });
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    expect(k.seen.map((s) => s.url.split('/v1/')[1]).sort()).toEqual(['alerts', 'metrics']);
    expect(timers.pending()).toBe(0);
    client.metrics({ b: 1 });
    expect(client.alert({ name: 'b', severity: 'high', title: 'B' })).toBeUndefined();
    expect(errors.map((e) => e.kind)).toEqual(['closed', 'closed']);
    expect(timers.pending()).toBe(0);
  });

  it('close({ timeoutMs }) gives up on what Klaxon has not accepted by then', async () => {
    const { timers, client, errors } = setup({ timeoutMs: 60_000 }, () => 'hang');
    client.alert({ name: 'a', severity: 'high', title: 'A' });
    await timers.advance(1000); // in flight
    client.event('later');
    const t0 = timers.now();
    await timers.until(client.close({ timeoutMs: 3000 }));
    expect(timers.now() - t0).toBe(3000);
    expect(errors.map((e) => [e.kind, e.route, e.items])).toEqual([
      ['failed', 'events', 1],
      ['failed', 'alerts', 1],
    ]);
    expect(client.stats()).toMatchObject({ failed: 2, inFlight: 0, queued: 0 });
    expect(timers.pending()).toBe(0);
  });
});

describe('the token', () => {
  it('never appears in errors, messages or an inspection of the client', async () => {
    const leaky = new Error(`connect to ${TOKEN} failed`, { cause: { message: `socket ${TOKEN}` } });
    const { timers, client, errors } = setup({ retry: { attempts: 2 } }, (n) =>
      n <= 2
        ? { error: leaky }
        : { status: 401, body: { error: 'unauthorized', message: `unknown token ${TOKEN}` } },
    );
    client.event('a');
    await timers.until(client.flush());
    client.event('b');
    await timers.until(client.flush());
    expect(errors.map((e) => e.kind)).toEqual(['failed', 'rejected']);
    const shown = [
      ...errors.map((e) => `${e.message} ${e.stack} ${JSON.stringify(e)} ${inspect(e)}`),
      inspect(client, { depth: 10, showHidden: true }),
      JSON.stringify(client),
      String(client),
    ].join('\n');
    expect(shown).toContain('[redacted]');
    expect(shown).not.toContain(TOKEN);
  });

  it('is not quoted when it is refused', () => {
    const bad = `${TOKEN}\nx`;
    expect(() => new KlaxonClient({ url: 'http://k:1', token: bad })).toThrow(/token must be/);
    try {
      new KlaxonClient({ url: 'http://k:1', token: bad });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(TOKEN);
    }
  });

  it('the url may not carry credentials, a query or another scheme', () => {
    const make = (url: string) => () => new KlaxonClient({ url, token: TOKEN });
    expect(make('http://user:pw@k:8080')).toThrow(/credentials/);
    expect(make(`http://k:8080/?token=${TOKEN}`)).toThrow(/query/);
    expect(make('ftp://k')).toThrow(/http/);
    expect(make('k:8080')).toThrow(/http/);
    expect(make('not a url')).toThrow(/absolute URL/);
  });
});

describe('defaults', () => {
  it('reports through console.warn when no onError is given', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const timers = new FakeTimers();
      const k = new FakeKlaxon();
      k.reply = () => ({ status: 400, body: { error: 'invalid_input', message: '[0].title: is required' } });
      const client = new KlaxonClient({ url: 'http://k:1', token: TOKEN, fetch: k.fetch, timers });
      client.alert({ name: 'x', severity: 'high' } as never);
      await timers.until(client.flush());
      expect(warn).toHaveBeenCalledWith(
        'klaxon client: Klaxon refused 1 alert: 400 invalid_input: [0].title: is required',
      );
    } finally {
      warn.mockRestore();
    }
  });
});
