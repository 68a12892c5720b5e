import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testTls } from '../tls.js';

/**
 * A local PagerDuty Events API v2 (`POST /v2/enqueue`) for tests, over HTTPS with the test
 * certificate (pdjs only speaks `https://<server>/v2/enqueue`; NODE_EXTRA_CA_CERTS makes every
 * test process trust it, so clients need no option).
 *
 * It answers like PagerDuty: 202 `{status:"success",message:"Event processed",dedup_key}` for a
 * valid event, 400 `{status:"invalid event",message:"Event object is invalid",errors:[…]}` for an
 * invalid one (routing_key of 32 characters, event_action, dedup_key ≤ 255 and required for
 * acknowledge/resolve, payload.summary ≤ 1024 / source / severity required for a trigger, severity
 * one of critical|error|warning|info, body ≤ 512 KB). The length error is PagerDuty's real text;
 * the other error texts are modelled on it.
 *
 * It keeps PagerDuty's alert state per (routing_key, dedup_key): a trigger opens an alert (or is
 * added to the open one, which stays acknowledged if it was), acknowledge and resolve apply to the
 * open alert and are dropped (still 202) when there is none; a trigger after a resolve opens a new
 * alert. `alerts()` lists every alert ever opened, so a test can assert "one alert, triggered then
 * resolved".
 *
 * Every request is recorded (`requests`). Answers can be scripted per request (`script()`): a
 * status/body/headers, a hang (never answer), a reset (close the socket), each optionally after
 * processing the event as accepted (`process: true`: PagerDuty took it but the answer was lost).
 *
 *     const pd = await new FakePagerDuty().start();
 *     // receiver: { type: pagerduty, routing_key: …32 chars…, server: pd.server }
 *     pd.script({ status: 429, headers: { 'retry-after': '7' } });
 *     pd.alerts()  // [{ dedupKey, status: 'resolved', actions: ['trigger', 'resolve'], … }]
 *     await pd.close();
 */

export type EventAction = 'trigger' | 'acknowledge' | 'resolve';

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v2/enqueue`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as received. */
  raw: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
  /** What the fake did: the status it answered, or `hang` / `reset`. */
  answer?: number | 'hang' | 'reset';
}

/** One scripted answer. `process: true` first handles the event as PagerDuty would (state changes). */
export type ScriptedAnswer =
  | {
      status: number;
      /** A string is sent as is (text/plain unless headers say otherwise); anything else as JSON. */
      body?: unknown;
      headers?: Record<string, string>;
      process?: boolean;
    }
  | { hang: true; process?: boolean }
  | { reset: true; process?: boolean };

export interface FakeAlert {
  routingKey: string;
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** Every event applied to it, in order. */
  actions: EventAction[];
  /** The payload of each trigger it took, in order. */
  triggers: Record<string, unknown>[];
}

/** What a valid event looks like to the fake (the fields it reads). */
interface ValidEvent {
  routing_key: string;
  event_action: EventAction;
  dedup_key?: string;
  payload?: Record<string, unknown>;
}

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export const EVENT_MAX_BYTES = 512 * 1024;

/** PagerDuty's 202 body. */
export function accepted(dedupKey: string): Record<string, string> {
  return { status: 'success', message: 'Event processed', dedup_key: dedupKey };
}

/** PagerDuty's 400 body. */
export function invalidEvent(errors: string[]): Record<string, unknown> {
  return { status: 'invalid event', message: 'Event object is invalid', errors };
}

/** The problems PagerDuty would report for this body; empty when it is a valid event. */
export function validateEvent(body: unknown, bytes: number): string[] {
  if (bytes > EVENT_MAX_BYTES) return ['Event object is too large (at most 512 KB)'];
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return ['Event object is not a JSON object'];
  const e = body as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key === '')
    errors.push("'routing_key' is missing or blank");
  else if (e.routing_key.length !== 32)
    errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  const action = e.event_action;
  if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve')
    errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined) {
    if (typeof e.dedup_key !== 'string') errors.push("'dedup_key' must be a string");
    else if (e.dedup_key.length > 255) errors.push("'dedup_key' is too long (at most 255 characters)");
  }
  if (
    (action === 'acknowledge' || action === 'resolve') &&
    (typeof e.dedup_key !== 'string' || e.dedup_key === '')
  )
    errors.push("'dedup_key' is missing or blank");
  if (action === 'trigger') {
    const p = e.payload;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) errors.push("'payload' is missing or blank");
    else {
      const payload = p as Record<string, unknown>;
      if (typeof payload.summary !== 'string' || payload.summary.trim() === '')
        errors.push("'payload.summary' is missing or blank");
      else if (payload.summary.length > 1024)
        errors.push("'payload.summary' is too long (at most 1024 characters)");
      if (typeof payload.source !== 'string' || payload.source.trim() === '')
        errors.push("'payload.source' is missing or blank");
      if (payload.severity === undefined || payload.severity === '')
        errors.push("'payload.severity' is missing or blank");
      else if (!(SEVERITIES as readonly unknown[]).includes(payload.severity))
        errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      if (
        payload.timestamp !== undefined &&
        (typeof payload.timestamp !== 'string' || Number.isNaN(Date.parse(payload.timestamp)))
      )
        errors.push("'payload.timestamp' is not a valid ISO 8601 time");
    }
  }
  if (e.links !== undefined && !Array.isArray(e.links)) errors.push("'links' must be an array");
  if (e.images !== undefined && !Array.isArray(e.images)) errors.push("'images' must be an array");
  return errors;
}

export class FakePagerDuty {
  readonly requests: RecordedRequest[] = [];
  /** `127.0.0.1:<port>`: the receiver's `server` (pdjs adds `https://` and `/v2/enqueue`). */
  server = '';
  /** `https://127.0.0.1:<port>`. */
  url = '';
  #https?: https.Server;
  readonly #alerts: FakeAlert[] = [];
  readonly #script: ScriptedAnswer[] = [];
  readonly #hanging = new Set<ServerResponse>();
  readonly #waiters = new Set<() => void>();

  /** Same as `url`, for symmetry with the other fakes. */
  get apiRoot(): string {
    return this.url;
  }

  async start(): Promise<this> {
    const { key, cert } = testTls();
    const srv = https.createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        this.#handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks), res),
      );
    });
    this.#https = srv;
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    this.server = `127.0.0.1:${port}`;
    this.url = `https://${this.server}`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    const srv = this.#https;
    if (!srv) return;
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
    this.#https = undefined;
  }

  /** Answers the next `times` requests (after those already scripted) with `answer`. */
  script(answer: ScriptedAnswer, times = 1): this {
    for (let i = 0; i < times; i++) this.#script.push(answer);
    return this;
  }

  /** Forgets requests, alerts and scripted answers (between tests sharing one fake). */
  reset(): void {
    this.requests.length = 0;
    this.#alerts.length = 0;
    this.#script.length = 0;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
  }

  /** Every alert opened, oldest first; only those of one dedup_key when given. */
  alerts(dedupKey?: string): FakeAlert[] {
    return this.#alerts.filter((a) => dedupKey === undefined || a.dedupKey === dedupKey);
  }

  /** Alerts still open (triggered or acknowledged). */
  open(): FakeAlert[] {
    return this.#alerts.filter((a) => a.status !== 'resolved');
  }

  /** The parsed bodies of the requests to /v2/enqueue, in order. */
  events(): Record<string, unknown>[] {
    return this.requests
      .filter((r) => r.path === '/v2/enqueue')
      .map((r) => r.body as Record<string, unknown>);
  }

  /** Resolves once `count` requests have arrived (rejects after `ms`). */
  async waitForRequests(count: number, ms = 2_000): Promise<void> {
    if (this.requests.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`fake PagerDuty: ${this.requests.length} of ${count} requests after ${ms} ms`));
      }, ms);
      const check = (): void => {
        if (this.requests.length < count) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  #handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
    res: ServerResponse,
  ): void {
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const rec: RecordedRequest = { method, path, headers, raw: text, body };
    this.requests.push(rec);
    for (const w of [...this.#waiters]) w();

    const scripted = this.#script.shift();
    if (scripted) {
      if (scripted.process && method === 'POST' && path === '/v2/enqueue') this.#process(body, raw.length);
      if ('hang' in scripted) {
        rec.answer = 'hang';
        this.#hanging.add(res);
        return;
      }
      if ('reset' in scripted) {
        rec.answer = 'reset';
        res.socket?.destroy();
        return;
      }
      rec.answer = scripted.status;
      const isText = typeof scripted.body === 'string';
      const out =
        scripted.body === undefined ? '' : isText ? (scripted.body as string) : JSON.stringify(scripted.body);
      const h: Record<string, string> = {};
      if (scripted.body !== undefined)
        h['content-type'] = isText ? 'text/plain; charset=utf-8' : 'application/json';
      res.writeHead(scripted.status, { ...h, ...scripted.headers }).end(out);
      return;
    }

    if (method !== 'POST' || path !== '/v2/enqueue') {
      rec.answer = 404;
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'not found' }));
      return;
    }
    const { status, answer } = this.#process(body, raw.length);
    rec.answer = status;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  /** Validates and applies one event like PagerDuty: the status and body it would answer. */
  #process(body: unknown, bytes: number): { status: number; answer: unknown } {
    const errors = validateEvent(body, bytes);
    if (errors.length > 0) return { status: 400, answer: invalidEvent(errors) };
    const e = body as ValidEvent;
    const key = e.dedup_key ?? randomBytes(16).toString('hex');
    const current = this.#alerts.findLast(
      (a) => a.routingKey === e.routing_key && a.dedupKey === key && a.status !== 'resolved',
    );
    switch (e.event_action) {
      case 'trigger':
        if (current) {
          current.actions.push('trigger');
          current.triggers.push(e.payload ?? {});
        } else {
          this.#alerts.push({
            routingKey: e.routing_key,
            dedupKey: key,
            status: 'triggered',
            actions: ['trigger'],
            triggers: [e.payload ?? {}],
          });
        }
        break;
      case 'acknowledge':
        if (current) {
          current.actions.push('acknowledge');
          current.status = 'acknowledged';
        }
        break;
      case 'resolve':
        if (current) {
          current.actions.push('resolve');
          current.status = 'resolved';
        }
        break;
    }
    return { status: 202, answer: accepted(key) };
  }
}
