import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { event } from '@pagerduty/pdjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SendError, type SendOutcome } from '../../src/channels/channel.js';
import type { PagerDutyChannel } from '../../src/channels/pagerduty/index.js';
import { pagerdutyChannel, pagerdutyReceiverSchema } from '../../src/channels/pagerduty/index.js';
import { AnswerWatch } from '../../src/channels/pagerduty/answer-watch.js';
import type { MessageRef, Notification } from '../../src/model/notification.js';
import { accepted, FakePagerDuty, invalidEvent } from '../support/fakes/pagerduty.js';
import { alertView, delivery, notification, T0 } from './helpers.js';

/** The credential: must never show in an error. */
const ROUTING_KEY = 'c0ffee00deadbeef5ec2e7a1b2c3d4e5';
const FP = 'fp-0123456789abcdef';

let pd: FakePagerDuty;
let refusedServer: string;

beforeAll(async () => {
  pd = await new FakePagerDuty().start();
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  refusedServer = `127.0.0.1:${(tmp.address() as AddressInfo).port}`;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  await pd.close();
});

beforeEach(() => pd.reset());

async function channel(over: Record<string, unknown> = {}): Promise<PagerDutyChannel> {
  const cfg = pagerdutyReceiverSchema.parse({
    type: 'pagerduty',
    routing_key: ROUTING_KEY,
    server: pd.server,
    ...over,
  });
  return (await pagerdutyChannel.create('pd-ops', cfg, {})) as PagerDutyChannel;
}

async function send(
  n: Notification,
  opts: { previous?: MessageRef; signal?: AbortSignal; publicUrl?: string; ch?: PagerDutyChannel } = {},
): Promise<SendOutcome> {
  return (opts.ch ?? (await channel())).send(delivery(n, opts));
}

async function failure(p: Promise<unknown>): Promise<SendError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  const e = err as SendError;
  const printed = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)} ${String(e.status)}`;
  expect(printed).not.toContain(ROUTING_KEY);
  expect(e.message).toMatch(/^pagerduty receiver "pd-ops": /);
  expect((e as { cause?: unknown }).cause).toBeUndefined();
  return e;
}

/** Lets any request pdjs might still make (its 429 retries) arrive before counting. */
const settle = () => new Promise((r) => setTimeout(r, 60));

const resolvedAlert = { status: 'resolved' as const, endsAt: T0 + 12 * 60_000 };

describe('PagerDuty channel: events and threading, against the fake', () => {
  it('triggers with the exact body, one HTTPS request, and returns the dedup_key as ref', async () => {
    // No CA option anywhere: the fake's certificate is trusted through NODE_EXTRA_CA_CERTS.
    expect(process.env.NODE_EXTRA_CA_CERTS).toBeTruthy();
    const n = notification();
    const out = await send(n, {
      publicUrl: 'https://klaxon.example.com',
      ch: await channel({ client_url: 'https://klaxon.example.com' }),
    });
    expect(out).toEqual({
      ref: { id: FP, sentAt: n.createdAt },
      detail: `PagerDuty 202 Event processed: trigger dedup_key ${FP}`,
    });
    expect(pd.requests).toHaveLength(1);
    const req = pd.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/enqueue');
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.headers['user-agent']).toMatch(/^pdjs\//);
    expect(req.raw).toBe(JSON.stringify(req.body)); // plain JSON, nothing else
    expect(req.body).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: FP,
      payload: {
        summary: 'CRITICAL Drawdown above 5% on BTCUSDT',
        source: 'bot-eu-1',
        severity: 'critical',
        timestamp: '2026-01-15T09:30:00.000Z',
        component: 'BTCUSDT',
        group: 'bot-eu-1',
        class: 'DrawdownHigh',
        custom_details: {
          description: 'Equity fell 6.2% from the session high.',
          facts: {
            Value: '6.2',
            Severity: 'critical',
            Source: 'bot-eu-1',
            Symbol: 'BTCUSDT',
            'Firing for': '1m',
            Since: '2026-01-15T09:30:00.000Z',
            Occurrences: '3',
          },
          notification: { id: 'n-1', kind: 'firing' },
        },
      },
      links: [{ href: `https://klaxon.example.com/v1/alerts/${FP}`, text: 'Alert in Klaxon' }],
      client: 'Klaxon',
      client_url: 'https://klaxon.example.com',
    });
    expect(pd.alerts()).toMatchObject([{ dedupKey: FP, status: 'triggered', actions: ['trigger'] }]);
  });

  it('firing, acknowledged, resolved: one alert, triggered, acknowledged, then resolved', async () => {
    const first = await send(notification());
    const previous = first.ref!;
    const ack = await send(
      notification({ id: 'n-2', kind: 'acknowledged' }, { acknowledged: { by: 'alice', at: T0 } }),
      { previous },
    );
    expect(ack).toEqual({ detail: `PagerDuty 202 Event processed: acknowledge dedup_key ${FP}` });
    const res = await send(notification({ id: 'n-3', kind: 'resolved' }, resolvedAlert), {
      previous,
    });
    expect(res).toEqual({ detail: `PagerDuty 202 Event processed: resolve dedup_key ${FP}` });

    expect(pd.alerts()).toEqual([
      {
        routingKey: ROUTING_KEY,
        dedupKey: FP,
        status: 'resolved',
        actions: ['trigger', 'acknowledge', 'resolve'],
        triggers: [expect.objectContaining({ summary: 'CRITICAL Drawdown above 5% on BTCUSDT' })],
      },
    ]);
    expect(pd.open()).toEqual([]);
    const ackBody = pd.requests[1]!.body as Record<string, unknown>;
    expect(ackBody).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'acknowledge',
      dedup_key: FP,
      payload: {
        summary: 'ACKNOWLEDGED Drawdown above 5% on BTCUSDT',
        custom_details: expect.objectContaining({ notes: ['Acknowledged by alice.'] }),
      },
    });
    expect(pd.requests[2]!.body).toMatchObject({ event_action: 'resolve', dedup_key: FP });
  });

  it('a trigger after the resolve opens a new alert under the same key', async () => {
    await send(notification());
    await send(notification({ id: 'n-2', kind: 'resolved' }, resolvedAlert));
    await send(notification({ id: 'n-3' }));
    expect(pd.alerts(FP).map((a) => a.status)).toEqual(['resolved', 'triggered']);
  });

  it('repeat, escalated and flapping trigger the same key: the ref is kept when it already names it', async () => {
    const first = await send(notification());
    for (const kind of ['repeat', 'escalated', 'flapping'] as const) {
      const out = await send(notification({ id: `n-${kind}`, kind }), { previous: first.ref });
      expect(out).toEqual({ detail: `PagerDuty 202 Event processed: trigger dedup_key ${FP}` });
    }
    expect(pd.events().map((e) => e.event_action)).toEqual(['trigger', 'trigger', 'trigger', 'trigger']);
    expect(pd.alerts()).toHaveLength(1);
    expect(pd.alerts()[0]!.actions).toEqual(['trigger', 'trigger', 'trigger', 'trigger']);
    const notes = pd
      .alerts()[0]!
      .triggers.map((p) => (p.custom_details as { notes?: string[] }).notes?.[0] ?? '');
    expect(notes).toEqual([
      '',
      'Reminder: this alert is still firing.',
      'Escalated: nobody acknowledged this alert in time.',
      'Flapping: this alert changes state too often; it is told again once it settles.',
    ]);
  });

  it('a reminder with no previous message starts the thread: it returns the ref', async () => {
    const n = notification({ kind: 'escalated' });
    expect((await send(n)).ref).toEqual({ id: FP, sentAt: n.createdAt });
  });

  it('a severity rise triggers again with the new severity and says so', async () => {
    await send(notification({}, { severity: 'warning' }));
    const n = notification({ id: 'n-2', raisedFrom: 'warning' });
    const out = await send(n, { previous: { id: FP, sentAt: T0 } });
    expect(out.ref).toEqual({ id: FP, sentAt: n.createdAt });
    expect(pd.requests[1]!.body).toMatchObject({
      event_action: 'trigger',
      dedup_key: FP,
      payload: {
        severity: 'critical',
        custom_details: expect.objectContaining({ notes: ['Severity rose from WARNING to CRITICAL.'] }),
      },
    });
    expect(pd.alerts()).toHaveLength(1);
  });

  it('a resolve for a key PagerDuty does not know is still sent; PagerDuty drops it', async () => {
    const out = await send(notification({ kind: 'resolved' }, resolvedAlert));
    expect(out).toEqual({ detail: `PagerDuty 202 Event processed: resolve dedup_key ${FP}` });
    expect(pd.requests).toHaveLength(1);
    expect(pd.alerts()).toEqual([]);
  });

  it('a summary sends one event per alert, each under its own fingerprint, and no ref', async () => {
    await send(notification({}, { fingerprint: 'fp-c' })); // fp-c is open before the summary
    pd.requests.length = 0;
    const alerts = [
      alertView({ fingerprint: 'fp-a' }),
      alertView({ fingerprint: 'fp-b', severity: 'high' }),
      alertView({ fingerprint: 'fp-c', status: 'resolved', endsAt: T0 + 1000 }),
    ];
    const out = await send(notification({ kind: 'summary', alerts, total: 3, thread: 'summary:ops' }));
    expect(out).toEqual({ detail: 'PagerDuty accepted 3 events: trigger fp-a, trigger fp-b, resolve fp-c' });
    expect(
      pd.events().map((e) => [e.event_action, e.dedup_key, (e.payload as { severity: string }).severity]),
    ).toEqual([
      ['trigger', 'fp-a', 'critical'],
      ['trigger', 'fp-b', 'error'],
      ['resolve', 'fp-c', 'critical'],
    ]);
    expect(pd.alerts().map((a) => [a.dedupKey, a.status])).toEqual([
      ['fp-c', 'resolved'],
      ['fp-a', 'triggered'],
      ['fp-b', 'triggered'],
    ]);
  });

  it('names at most ten events of a big group in the detail', async () => {
    const alerts = Array.from({ length: 12 }, (_, i) => alertView({ fingerprint: `fp-${i}` }));
    const out = await send(notification({ kind: 'summary', alerts, thread: 's' }));
    expect(out.detail).toBe(
      `PagerDuty accepted 12 events: ${alerts
        .slice(0, 10)
        .map((a) => `trigger ${a.fingerprint}`)
        .join(', ')}, … 2 more`,
    );
    expect(pd.alerts()).toHaveLength(12);
  });

  it('a test triggers under a key of its own, then resolves it: nothing stays open', async () => {
    const n = notification({ id: 'test.42', kind: 'test', thread: 'test' }, { fingerprint: 'test' });
    const out = await send(n);
    expect(out).toEqual({
      detail:
        'PagerDuty 202 Event processed: test event triggered and resolved (dedup_key klaxon-test-test.42)',
    });
    expect(pd.events().map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', 'klaxon-test-test.42'],
      ['resolve', 'klaxon-test-test.42'],
    ]);
    expect(pd.alerts()).toMatchObject([{ dedupKey: 'klaxon-test-test.42', actions: ['trigger', 'resolve'] }]);
    expect(pd.open()).toEqual([]);
  });

  it('sends to the configured server (EU region style host:port) and client name', async () => {
    await send(notification(), { ch: await channel({ client: 'Klaxon prod' }) });
    expect(pd.requests[0]!.body).toMatchObject({ client: 'Klaxon prod' });
    expect(pd.requests[0]!.body).not.toHaveProperty('client_url');
  });

  it('alert text arrives byte for byte, inert', async () => {
    const nasty = '<script>alert(1)</script> @everyone <@&123> *_[]()~`>#+-=|{}.! &amp; 🚨 ünï';
    await send(notification({}, { annotations: { summary: nasty, description: nasty } }));
    const body = pd.requests[0]!.body as {
      payload: { summary: string; custom_details: { description: string } };
    };
    expect(body.payload.summary).toBe(`CRITICAL ${nasty}`);
    expect(body.payload.custom_details.description).toBe(nasty);
  });

  it('a big description stays under 512 KB and PagerDuty takes it', async () => {
    await send(notification({}, { annotations: { summary: 'big', description: 'é'.repeat(600_000) } }));
    expect(Buffer.byteLength(pd.requests[0]!.raw)).toBeLessThan(512 * 1024);
    expect(pd.requests[0]!.answer).toBe(202);
  });
});

describe('PagerDuty channel: failures', () => {
  it('429 with Retry-After: retryable after that wait, exactly one request', async () => {
    pd.script({ status: 429, headers: { 'retry-after': '7' }, body: { status: 'throttle event' } }, 4);
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: true, retryAfterMs: 7000, status: 429 });
    expect(e.message).toBe(
      'pagerduty receiver "pd-ops": HTTP 429 (rate limited by PagerDuty); retry after 7000 ms',
    );
    await settle();
    expect(pd.requests).toHaveLength(1);
  });

  it('429 with an empty body and no Retry-After: retryable after 30 s, exactly one request', async () => {
    pd.script({ status: 429 }, 4);
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: true, retryAfterMs: 30_000, status: 429 });
    await settle();
    expect(pd.requests).toHaveLength(1);
  });

  it('429 with an HTTP-date Retry-After counts from the delivery clock', async () => {
    const n = notification();
    pd.script({ status: 429, headers: { 'retry-after': new Date(n.createdAt + 45_000).toUTCString() } });
    const e = await failure(send(n));
    expect(e.retryAfterMs).toBe(45_000);
  });

  it('500 text/plain (pdjs: invalid-json): retryable, one request, no body text repeated', async () => {
    pd.script({ status: 500, body: `boom ${ROUTING_KEY}` });
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: true, status: 500 });
    expect(e.message).toBe('pagerduty receiver "pd-ops": HTTP 500 (PagerDuty server error): answer not JSON');
    await settle();
    expect(pd.requests).toHaveLength(1);
  });

  it('503 JSON: retryable with PagerDuty text', async () => {
    pd.script({ status: 503, body: { status: 'unavailable', message: 'try later' } });
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: true, status: 503 });
    expect(e.message).toContain('unavailable: try later');
  });

  it('400 invalid event: permanent, PagerDuty errors included, routing key scrubbed', async () => {
    pd.script({
      status: 400,
      body: invalidEvent([
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        `routing key ${ROUTING_KEY} unknown`,
      ]),
    });
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: false, status: 400 });
    expect(e.message).toBe(
      'pagerduty receiver "pd-ops": HTTP 400 (invalid event): invalid event: Event object is invalid ' +
        "[Length of 'routing_key' is incorrect (should be 32 characters); routing key [secret] unknown]",
    );
  });

  it.each([
    [401, 'unauthorized: check routing_key'],
    [403, 'forbidden: check routing_key and the integration'],
    [404, 'not found: check server and routing_key'],
  ])('%i: permanent, with the reason and PagerDuty text', async (status, hint) => {
    pd.script({ status, body: { status: 'error', message: `nope for ${ROUTING_KEY}` } });
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: false, status });
    expect(e.message).toBe(`pagerduty receiver "pd-ops": HTTP ${status} (${hint}): error: nope for [secret]`);
  });

  it('401 with a non-JSON body: still permanent', async () => {
    pd.script({ status: 401, body: 'Unauthorized' });
    expect(await failure(send(notification()))).toMatchObject({ retryable: false, status: 401 });
  });

  it('a hung server: rejects as soon as the delivery signal aborts, retryable', async () => {
    pd.script({ hang: true });
    const ctl = new AbortController();
    const p = send(notification(), { signal: ctl.signal });
    await pd.waitForRequests(1);
    const t = Date.now();
    ctl.abort();
    const e = await failure(p);
    expect(Date.now() - t).toBeLessThan(100);
    expect(e).toMatchObject({ retryable: true, status: 'aborted' });
    expect(e.message).toBe('pagerduty receiver "pd-ops": send aborted');
  });

  it('an already aborted signal: no request at all', async () => {
    const e = await failure(send(notification(), { signal: AbortSignal.abort() }));
    expect(e).toMatchObject({ retryable: true, status: 'aborted' });
    expect(pd.requests).toHaveLength(0);
  });

  it('a reset connection: retryable network error', async () => {
    pd.script({ reset: true });
    const e = await failure(send(notification()));
    expect(e).toMatchObject({ retryable: true, status: 'ECONNRESET' });
    expect(e.message).toBe('pagerduty receiver "pd-ops": network error (ECONNRESET)');
  });

  it('taken but the answer lost: the retry joins the same alert, no second incident', async () => {
    pd.script({ reset: true, process: true });
    await failure(send(notification()));
    await send(notification());
    expect(pd.alerts()).toMatchObject([
      { dedupKey: FP, status: 'triggered', actions: ['trigger', 'trigger'] },
    ]);
  });

  it('connection refused: retryable', async () => {
    const e = await failure(send(notification(), { ch: await channel({ server: refusedServer }) }));
    expect(e).toMatchObject({ retryable: true, status: 'ECONNREFUSED' });
  });

  it('202 with an unreadable body: accepted under the key we sent', async () => {
    pd.script({ status: 202, body: 'ok' });
    expect(await send(notification())).toEqual({
      ref: { id: FP, sentAt: notification().createdAt },
      detail: `PagerDuty 202 (answer not JSON): trigger dedup_key ${FP}`,
    });
  });

  it('a group stops at the first failure and says which event failed', async () => {
    pd.script({ status: 202, body: accepted('fp-a'), process: true });
    pd.script({ status: 502, body: 'bad gateway' });
    const alerts = [
      alertView({ fingerprint: 'fp-a' }),
      alertView({ fingerprint: 'fp-b' }),
      alertView({ fingerprint: 'fp-c' }),
    ];
    const e = await failure(send(notification({ kind: 'summary', alerts, thread: 's' })));
    expect(e).toMatchObject({ retryable: true, status: 502 });
    expect(e.message).toBe(
      'pagerduty receiver "pd-ops": event 2 of 3 (trigger fp-b; 1 sent before): HTTP 502 (bad gateway): answer not JSON',
    );
    expect(pd.requests).toHaveLength(2);
  });

  it('a failed test resolve is retryable, and the retry closes the alert the first try opened', async () => {
    const n = notification({ id: 'test.7', kind: 'test', thread: 'test' }, { fingerprint: 'test' });
    pd.script({ status: 202, body: accepted('klaxon-test-test.7'), process: true });
    pd.script({ status: 503, body: { status: 'unavailable' } });
    expect(await failure(send(n))).toMatchObject({ retryable: true, status: 503 });
    expect(pd.open()).toHaveLength(1);
    await send(n);
    expect(pd.open()).toEqual([]);
    expect(pd.alerts()).toMatchObject([{ actions: ['trigger', 'trigger', 'resolve'] }]);
  });

  it('leaves no timer behind after a network error (requestTimeout: 0)', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const ctl = new AbortController();
    const before = timers();
    await failure(send(notification(), { ch: await channel({ server: refusedServer }), signal: ctl.signal }));
    expect(timers()).toBe(before);
  });
});

describe('PagerDuty channel: verify', () => {
  it('makes one TLS connection and says the routing key was not checked', async () => {
    const text = await (await channel()).verify(AbortSignal.timeout(5_000));
    expect(text).toMatch(
      new RegExp(
        `^${pd.server.replace(/\./g, '\\.')} reachable \\(TLS ok, TLSv1\\.[23]\\); routing key not checked: PagerDuty has no way to check it without an event$`,
      ),
    );
    expect(text).not.toContain(ROUTING_KEY);
    expect(pd.requests).toHaveLength(0); // no event sent
  });

  it('reports an unreachable server, retryable', async () => {
    const e = await failure((await channel({ server: refusedServer })).verify(AbortSignal.timeout(5_000)));
    expect(e).toMatchObject({ retryable: true, status: 'ECONNREFUSED' });
    expect(e.message).toBe(
      `pagerduty receiver "pd-ops": cannot reach ${refusedServer} over TLS (ECONNREFUSED)`,
    );
  });

  it('stops when its signal aborts', async () => {
    const e = await failure((await channel()).verify(AbortSignal.abort()));
    expect(e).toMatchObject({ retryable: true, status: 'aborted' });
  });
});

describe('pdjs 2.2.4 behaviour the channel relies on', () => {
  it('the answer watch can hook this Node', () => {
    const w = new AnswerWatch(() => undefined);
    expect(w.watching).toBe(true);
    w.destroy();
  });

  it('on its own, pdjs retries a 429 three more times even with retryTimeout 0 (why the watch exists)', async () => {
    pd.script({ status: 429, body: { status: 'throttle event' } }, 4);
    const r = await event({
      server: pd.server,
      requestTimeout: 0,
      retryTimeout: 0,
      data: {
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'info' },
      },
    });
    expect(r.status).toBe(429);
    expect(pd.requests).toHaveLength(4);
  });

  it('the fake validates like PagerDuty (driven by pdjs directly)', async () => {
    const bad = await event({
      server: pd.server,
      requestTimeout: 0,
      data: {
        routing_key: 'short',
        event_action: 'trigger',
        payload: { summary: 'x'.repeat(1025), source: '', severity: 'fatal' as 'critical' },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.data).toEqual(
      invalidEvent([
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        "'payload.summary' is too long (at most 1024 characters)",
        "'payload.source' is missing or blank",
        "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
      ]),
    );
    const noKey = await event({
      server: pd.server,
      requestTimeout: 0,
      data: { routing_key: ROUTING_KEY, event_action: 'resolve' } as Parameters<typeof event>[0]['data'],
    });
    expect(noKey.status).toBe(400);
    expect(noKey.data).toEqual(invalidEvent(["'dedup_key' is missing or blank"]));
    const generated = await event({
      server: pd.server,
      requestTimeout: 0,
      data: {
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'info' },
      },
    });
    expect(generated.status).toBe(202);
    expect((generated.data as { dedup_key: string }).dedup_key).toMatch(/^[0-9a-f]{32}$/);
  });
});
