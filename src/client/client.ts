/**
 * The client a bot uses to push to Klaxon: metrics, events and alerts are queued, sent in batches
 * (one array per route) and retried until Klaxon accepts them. It imports only `node:` modules and
 * its own files: it ships to bots, without the server.
 */
import { randomUUID } from 'node:crypto';
import {
  Batcher,
  DEFAULT_BATCH,
  DEFAULT_MAX_QUEUED,
  realTimers,
  type BatchLimits,
  type QueuedItem,
  type Timers,
} from './queue.js';
import { DEFAULT_RETRY, classifyStatus, parseRetryAfter, retryDelay, type RetryOptions } from './retry.js';

/** The ingest routes the client pushes to: `POST /v1/<route>`. */
export type KlaxonRoute = 'metrics' | 'events' | 'alerts';
type Route = KlaxonRoute;
const ROUTES: readonly Route[] = ['metrics', 'events', 'alerts'];
const NOUN: Record<Route, [string, string]> = {
  metrics: ['snapshot', 'snapshots'],
  events: ['event', 'events'],
  alerts: ['alert', 'alerts'],
};
const noun = (route: Route, n: number) => `${n} ${NOUN[route][n === 1 ? 0 : 1]}`;

/** Klaxon's severities and the aliases it accepts (case-insensitive). */
export type Severity =
  'critical' | 'high' | 'warning' | 'info' | 'fatal' | 'error' | 'warn' | 'medium' | 'low' | 'debug';

/** A time: epoch ms (or seconds, < 10¹¹), an ISO 8601 string, or a Date. */
export type Timestamp = number | string | Date;

/** A field Klaxon named in a refusal: `path` is relative to the request's body (`[0].title`). */
export interface FieldError {
  path: string;
  message: string;
}

export interface KlaxonClientOptions {
  /** Klaxon's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept; no credentials in it). */
  url: string;
  /** A token of `server.tokens`. It goes into the Authorization header and nowhere else. */
  token: string;
  /** The source of every item that does not name its own (optional when the token has one exact source). */
  source?: string;
  /** Batching: `maxItems` (500) per request, `maxDelayMs` (1000) at most before a batch leaves, `maxBytes` (512 KiB) per body. */
  batch?: Partial<Pick<BatchLimits, 'maxItems' | 'maxDelayMs' | 'maxBytes'>>;
  /** Retries of a batch on 5xx, 408, 425, 429 (waiting at least their `Retry-After`, at most 10 min), timeouts and connection errors: `attempts` (8), `baseDelayMs` (500), `maxDelayMs` (30000). */
  retry?: Partial<RetryOptions>;
  /** Items waiting to be sent, all routes together (10,000); beyond it the oldest are dropped and reported. */
  maxQueued?: number;
  /** Sends a `heartbeat` event this often (its timer does not keep the process alive). */
  heartbeatEveryMs?: number;
  /** How long one request may take (10,000 ms); then it counts as failed and is retried. */
  timeoutMs?: number;
  /** Told of every item that will not reach Klaxon, and why. Default: `console.warn`. */
  onError?: (error: KlaxonError) => void;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Clock and timers (tests inject fake ones). */
  timers?: Timers;
  /** Randomness of the backoff jitter, in [0, 1) (tests inject a fixed one). */
  random?: () => number;
}

export interface MetricsOptions {
  labels?: Record<string, string>;
  /** Default: when `metrics()` is called. */
  ts?: Timestamp;
  source?: string;
}

export interface EventOptions {
  severity?: Severity;
  symbol?: string;
  /** Default: when `event()` is called. */
  ts?: Timestamp;
  source?: string;
  /** Idempotency key; default a random UUID. */
  id?: string;
}

export interface AlertInput {
  name: string;
  severity: Severity;
  title: string;
  message?: string;
  labels?: Record<string, string>;
  value?: number;
  /** Skip the dedup cap. */
  force?: boolean;
  status?: 'firing' | 'resolved';
  /** Idempotency key; default a random UUID. */
  id?: string;
  source?: string;
  /** Default: when `alert()` is called. */
  ts?: Timestamp;
}

/** Counters since the client was made (items, except `requests` and `retries`). */
export interface ClientStats {
  /** Waiting to be sent. */
  queued: number;
  /** In a request that has not been answered for good yet. */
  inFlight: number;
  /** Accepted by Klaxon (202). */
  accepted: number;
  /** Refused by Klaxon (4xx) and dropped. */
  rejected: number;
  /** Given up after the last retry, or when `close` ran out of time. */
  failed: number;
  /** Dropped from a full queue. */
  dropped: number;
  /** Refused by the client before queuing (not JSON, a non-finite metric, after `close`). */
  invalid: number;
  requests: number;
  retries: number;
}

/**
 * What `onError` is told: `rejected` (Klaxon refused the items with a 4xx: fix the caller; `status`,
 * `code`, `errors` are Klaxon's), `failed` (no success after every retry, or `close` ran out of
 * time), `dropped` (the queue was full), `invalid` (the client could not queue an input),
 * `closed` (an input after `close`). `ids` are the idempotency keys of the events and alerts
 * concerned (at most 100).
 */
export type KlaxonErrorKind = 'rejected' | 'failed' | 'dropped' | 'invalid' | 'closed';

/** What a KlaxonError carries besides its kind and message. */
interface KlaxonErrorDetails {
  route?: Route;
  status?: number;
  code?: string;
  errors?: FieldError[];
  items?: number;
  ids?: string[];
  requestId?: string;
}

export class KlaxonError extends Error {
  override readonly name = 'KlaxonError';
  readonly kind: KlaxonErrorKind;
  readonly route: Route | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly errors: FieldError[];
  /** How many items are lost (0 for a metric left out of a snapshot that was sent). */
  readonly items: number;
  readonly ids: string[];
  /** The `X-Request-Id` of the request (the same for each of its retries). */
  readonly requestId: string | undefined;

  constructor(kind: KlaxonErrorKind, message: string, details: KlaxonErrorDetails = {}) {
    super(message);
    this.kind = kind;
    this.route = details.route;
    this.status = details.status;
    this.code = details.code;
    this.errors = details.errors ?? [];
    this.items = details.items ?? 0;
    this.ids = (details.ids ?? []).slice(0, 100);
    this.requestId = details.requestId;
  }
}

/** The outcome of one request. */
type Answer =
  | { kind: 'ok' }
  | {
      kind: 'retry' | 'split' | 'reject';
      status?: number;
      code?: string;
      message: string;
      errors: FieldError[];
      retryAfterMs?: number;
    };

/** An answer other than 2xx, or no answer at all. */
type Failure = Exclude<Answer, { kind: 'ok' }>;

const printable = (s: string) => s.replace(/\p{Cc}+/gu, ' ');

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw new RangeError(`KlaxonClient: ${name} must be a number of at least ${min}`);
  return value;
}

function baseUrl(url: unknown): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    throw new TypeError('KlaxonClient: url must be an absolute URL such as http://127.0.0.1:8080');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new TypeError('KlaxonClient: url must be an http:// or https:// URL');
  if (u.username || u.password)
    throw new TypeError('KlaxonClient: url must not hold credentials; give the token as `token`');
  if (u.search || u.hash) throw new TypeError('KlaxonClient: url takes no query or fragment');
  return u.href.replace(/\/+$/, '');
}

/** The idempotency keys among `items`. */
const idsOf = (items: readonly QueuedItem[]) =>
  items.flatMap((i) => (i.id === undefined ? [] : [i.id])).slice(0, 100);

/**
 * The items a 400/403 named (`[3].title`), when every error names an item of the batch; undefined
 * when one does not (the request as a whole is wrong).
 */
function namedItems(errors: readonly FieldError[], count: number): Set<number> | undefined {
  if (errors.length === 0) return undefined;
  const named = new Set<number>();
  for (const e of errors) {
    const m = /^\[(\d+)\]/.exec(e.path);
    const i = m ? Number(m[1]) : NaN;
    if (!(i < count)) return undefined;
    named.add(i);
  }
  return named;
}

/**
 * What the live clients do when the process has nothing left to do (`beforeExit`): send what they
 * hold. Their timers do not keep a process alive, so a script that queues an alert and ends
 * still sends it (then exits); `process.exit()` skips this: call `close()` first.
 */
const exitHooks = new Set<() => void>();
const onBeforeExit = () => {
  for (const hook of exitHooks) hook();
};
function hookExit(hook: () => void): void {
  if (exitHooks.size === 0) process.on('beforeExit', onBeforeExit);
  exitHooks.add(hook);
}
function unhookExit(hook: () => void): void {
  exitHooks.delete(hook);
  if (exitHooks.size === 0) process.off('beforeExit', onBeforeExit);
}

/**
 * Pushes metrics, events and alerts to Klaxon from a bot. Calls queue the item and return at
 * once (they never throw at the bot: what cannot be sent goes to `onError`); batches leave
 * `batch.maxDelayMs` after the first item waiting, or at `batch.maxItems`, one request at a time
 * per route, and are retried until accepted. `flush()` sends now; `close()` sends what is left
 * and stops.
 *
 * Process lifetime: the batch and heartbeat timers do not keep the process alive; when it has
 * nothing else to do, the client sends what waits (`beforeExit`), and a request or a wait before
 * a retry keeps it alive until the batch is accepted or given up. `process.exit()` does not wait:
 * `await client.close()` before it.
 */
export class KlaxonClient {
  readonly #authorization: string;
  readonly #token: string;
  private readonly base: string;
  private readonly source: string | undefined;
  private readonly retry: RetryOptions;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly heartbeatEveryMs: number | undefined;
  private readonly onError: (error: KlaxonError) => void;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly batcher: Batcher<Route>;
  private readonly running = new Map<Route, Promise<void>>();
  /** Aborted when `close` runs out of time: requests and waits end at once. */
  private readonly abort = new AbortController();
  private readonly counters = {
    accepted: 0,
    rejected: 0,
    failed: 0,
    dropped: 0,
    invalid: 0,
    requests: 0,
    retries: 0,
  };
  private inFlight = 0;
  /** Items dropped from the full queue and not yet reported (reported at most once per batch delay). */
  private drops = { count: 0, ids: [] as string[] };
  private heartbeatTimer: unknown;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly exitHook = () => {
    if (this.batcher.size > 0) void this.flush();
  };

  constructor(options: KlaxonClientOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('KlaxonClient needs options: { url, token }');
    this.base = baseUrl(options.url);
    const token: unknown = options.token;
    // Checked here, and never quoted: a header with a line break would make fetch echo it.
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token))
      throw new TypeError('KlaxonClient: token must be a non-empty string of printable ASCII without spaces');
    this.#token = token;
    this.#authorization = `Bearer ${token}`;
    this.source = options.source;
    this.retry = {
      attempts: Math.floor(positive('retry.attempts', options.retry?.attempts, DEFAULT_RETRY.attempts)),
      baseDelayMs: positive('retry.baseDelayMs', options.retry?.baseDelayMs, DEFAULT_RETRY.baseDelayMs, 0),
      maxDelayMs: positive('retry.maxDelayMs', options.retry?.maxDelayMs, DEFAULT_RETRY.maxDelayMs, 0),
    };
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000);
    this.maxQueued = Math.floor(positive('maxQueued', options.maxQueued, DEFAULT_MAX_QUEUED));
    this.onError = options.onError ?? ((e) => console.warn(`klaxon client: ${e.message}`));
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    const limits: BatchLimits = {
      maxItems: Math.floor(positive('batch.maxItems', options.batch?.maxItems, DEFAULT_BATCH.maxItems)),
      maxDelayMs: positive('batch.maxDelayMs', options.batch?.maxDelayMs, DEFAULT_BATCH.maxDelayMs, 0),
      maxBytes: positive('batch.maxBytes', options.batch?.maxBytes, DEFAULT_BATCH.maxBytes, 2),
      maxQueued: this.maxQueued,
    };
    this.batcher = new Batcher(ROUTES, limits, this.timers, () => {
      this.reportDrops();
      for (const r of ROUTES) void this.pump(r);
    });
    hookExit(this.exitHook);
    if (options.heartbeatEveryMs !== undefined) {
      this.heartbeatEveryMs = positive('heartbeatEveryMs', options.heartbeatEveryMs, 0);
      this.scheduleHeartbeat();
    }
  }

  /** Queues a snapshot. Values that are not finite numbers are left out (and reported). */
  metrics(metrics: Record<string, number>, opts: MetricsOptions = {}): void {
    if (this.refuseClosed('metrics')) return;
    if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
      this.invalid('metrics', 'metrics() takes an object of {name: number}', []);
      return;
    }
    const clean: Record<string, number> = {};
    const bad: FieldError[] = [];
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value === 'number' && Number.isFinite(value)) clean[name] = value;
      else
        bad.push({
          path: `metrics.${name}`,
          message: `must be a finite number, got ${typeof value === 'number' ? String(value) : typeof value}`,
        });
    }
    const kept = Object.keys(clean).length;
    if (bad.length > 0) {
      const what = bad.map((e) => `${e.path} ${e.message}`).join('; ');
      const outcome = kept === 0 ? 'snapshot not sent' : 'left out of the snapshot';
      this.invalid('metrics', `${outcome}: ${what}`, bad, kept === 0 ? 1 : 0);
      if (kept === 0) return;
    }
    this.enqueue('metrics', {
      source: opts.source ?? this.source,
      ts: this.ts(opts.ts),
      metrics: clean,
      labels: opts.labels,
    });
  }

  /** Queues an event; answers its idempotency key (undefined when it was not queued). */
  event(type: string, data?: Record<string, unknown>, opts: EventOptions = {}): string | undefined {
    if (this.refuseClosed('events')) return undefined;
    const id = opts.id ?? randomUUID();
    const queued = this.enqueue(
      'events',
      {
        source: opts.source ?? this.source,
        ts: this.ts(opts.ts),
        type,
        id,
        severity: opts.severity,
        symbol: opts.symbol,
        data,
      },
      id,
    );
    return queued ? id : undefined;
  }

  /** Queues an alert the bot raises (or resolves); answers its idempotency key. */
  alert(alert: AlertInput): string | undefined {
    if (this.refuseClosed('alerts')) return undefined;
    if (alert === null || typeof alert !== 'object') {
      this.invalid('alerts', 'alert() takes an object: { name, severity, title, ... }', [], 1);
      return undefined;
    }
    const id = alert.id ?? randomUUID();
    let value = alert.value;
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) {
      this.invalid(
        'alerts',
        `value left out of alert ${alert.name}: must be a finite number`,
        [{ path: 'value', message: 'must be a finite number' }],
        0,
      );
      value = undefined;
    }
    const queued = this.enqueue(
      'alerts',
      {
        source: alert.source ?? this.source,
        ts: this.ts(alert.ts),
        name: alert.name,
        id,
        severity: alert.severity,
        title: alert.title,
        message: alert.message,
        labels: alert.labels,
        value,
        force: alert.force,
        status: alert.status,
      },
      id,
    );
    return queued ? id : undefined;
  }

  /** Queues a `heartbeat` event (a sign of life for Klaxon's absence rules). */
  heartbeat(): string | undefined {
    return this.event('heartbeat');
  }

  /**
   * Sends everything queued so far, now; resolves when all of it is accepted, or has failed for
   * good (reported through `onError`). Never rejects.
   */
  async flush(): Promise<void> {
    this.reportDrops();
    const through = this.batcher.markAllDue();
    for (;;) {
      await Promise.all(ROUTES.map((r) => this.pump(r)));
      if (!ROUTES.some((r) => this.batcher.holdsThrough(r, through))) break;
    }
    this.reportDrops();
  }

  /**
   * Stops the heartbeat, flushes, and stops every timer: the process may exit after it. With
   * `timeoutMs`, what is not accepted by then is given up (reported as `failed`). Inputs after
   * `close` are refused (reported as `closed`).
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(opts.timeoutMs);
    return this.closing;
  }

  /** Counters since the client was made. */
  stats(): ClientStats {
    return { queued: this.batcher.size, inFlight: this.inFlight, ...this.counters };
  }

  private async shutdown(timeoutMs: number | undefined): Promise<void> {
    this.closed = true;
    if (this.heartbeatTimer !== undefined) this.timers.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const flushed = this.flush();
    if (timeoutMs !== undefined) {
      let timer: unknown;
      const expired = await Promise.race([
        flushed.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = this.timers.setTimeout(() => resolve(true), timeoutMs, true);
        }),
      ]);
      this.timers.clearTimeout(timer);
      if (expired) {
        const left = this.batcher.clear();
        this.abort.abort();
        for (const route of ROUTES) {
          const items = left.filter((i) => i.route === route);
          if (items.length > 0)
            this.fail(route, items, `${noun(route, items.length)} not sent: close() ran out of time`);
        }
      }
    }
    await flushed;
    this.batcher.stop();
    unhookExit(this.exitHook);
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.timers.setTimeout(
      () => {
        this.heartbeatTimer = undefined;
        if (this.closed) return;
        this.heartbeat();
        this.scheduleHeartbeat();
      },
      this.heartbeatEveryMs ?? 0,
      true,
    );
  }

  private ts(ts: Timestamp | undefined): number | string {
    if (ts === undefined) return this.timers.now();
    return ts instanceof Date ? ts.getTime() : ts;
  }

  private refuseClosed(route: Route): boolean {
    if (!this.closed) return false;
    this.counters.invalid += 1;
    this.report(
      new KlaxonError('closed', `${noun(route, 1)} not sent: the client is closed`, { route, items: 1 }),
    );
    return true;
  }

  private invalid(route: Route, message: string, errors: FieldError[], items = 1): void {
    this.counters.invalid += items;
    this.report(new KlaxonError('invalid', message, { route, errors, items }));
  }

  /** Serialises the item (leaving out undefined fields) and queues it; false if it could not be. */
  private enqueue(route: Route, item: Record<string, unknown>, id?: string): boolean {
    let json: string;
    try {
      json = JSON.stringify(item);
    } catch (err) {
      this.invalid(
        route,
        `${noun(route, 1)} not sent: it cannot be written as JSON (${printable((err as Error).message)})`,
        [],
      );
      return false;
    }
    const { full, dropped } = this.batcher.add(route, json, id);
    if (dropped.length > 0) {
      this.counters.dropped += dropped.length;
      this.drops.count += dropped.length;
      if (this.drops.ids.length < 100) this.drops.ids.push(...idsOf(dropped));
    }
    if (full) void this.pump(route);
    return true;
  }

  private reportDrops(): void {
    if (this.drops.count === 0) return;
    const { count, ids } = this.drops;
    this.drops = { count: 0, ids: [] };
    this.report(
      new KlaxonError(
        'dropped',
        `${count} queued item${count === 1 ? '' : 's'} dropped, the oldest: the queue holds at most ${this.maxQueued} (Klaxon is slow or unreachable)`,
        { items: count, ids },
      ),
    );
  }

  /** Sends the due batches of `route`, one request at a time (so a route's items keep their order). */
  private pump(route: Route): Promise<void> {
    const running = this.running.get(route);
    if (running) return running;
    const run = async () => {
      try {
        for (let batch = this.batcher.take(route); batch; batch = this.batcher.take(route))
          await this.send(route, batch);
      } finally {
        // In the same turn as the last `take`: an item queued after it starts a new pump.
        this.running.delete(route);
      }
    };
    const p = run();
    this.running.set(route, p);
    return p;
  }

  private async send(route: Route, items: QueuedItem<Route>[]): Promise<void> {
    this.inFlight += items.length;
    try {
      await this.deliver(route, items);
    } catch (err) {
      this.fail(
        route,
        items,
        `${noun(route, items.length)} not sent: ${printable(String((err as Error)?.message ?? err))}`,
      );
    } finally {
      this.inFlight -= items.length;
    }
  }

  /** Posts `items` until they are accepted, refused, or the retries run out. */
  private async deliver(route: Route, items: QueuedItem<Route>[]): Promise<void> {
    const body = `[${items.map((i) => i.json).join(',')}]`;
    const requestId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const answer = await this.post(route, body, requestId);
      if (answer.kind === 'ok') {
        this.counters.accepted += items.length;
        return;
      }
      if (answer.kind === 'split' && items.length > 1) {
        const half = Math.ceil(items.length / 2);
        await this.deliver(route, items.slice(0, half));
        await this.deliver(route, items.slice(half));
        return;
      }
      if (answer.kind !== 'retry') return this.refused(route, items, answer, requestId);
      if (attempt >= this.retry.attempts || this.abort.signal.aborted) {
        this.fail(
          route,
          items,
          `${noun(route, items.length)} not accepted after ${attempt} ${attempt === 1 ? 'try' : 'tries'}: ${answer.message}`,
          { status: answer.status, code: answer.code, errors: answer.errors, requestId },
        );
        return;
      }
      this.counters.retries += 1;
      await this.sleep(retryDelay(attempt, this.retry, answer.retryAfterMs, this.random));
    }
  }

  /**
   * Klaxon refused the batch (4xx): nothing is retried. When every error names an item, only those
   * items are dropped and the others are sent again (a new request: one bad input does not take
   * the batch down with it).
   */
  private async refused(
    route: Route,
    items: QueuedItem<Route>[],
    answer: Failure,
    requestId: string,
  ): Promise<void> {
    const named =
      answer.status === 400 || answer.status === 403 ? namedItems(answer.errors, items.length) : undefined;
    const bad = named && named.size < items.length ? items.filter((_, i) => named.has(i)) : items;
    this.counters.rejected += bad.length;
    const status =
      answer.status === undefined ? '' : `${answer.status}${answer.code ? ` ${answer.code}` : ''}: `;
    this.report(
      new KlaxonError('rejected', `Klaxon refused ${noun(route, bad.length)}: ${status}${answer.message}`, {
        route,
        status: answer.status,
        code: answer.code,
        errors: answer.errors,
        items: bad.length,
        ids: idsOf(bad),
        requestId,
      }),
    );
    if (bad !== items)
      await this.deliver(
        route,
        items.filter((_, i) => !named?.has(i)),
      );
  }

  /** One request. Never throws: a failure to get an answer is an Answer of kind `retry`. */
  private async post(route: Route, body: string, requestId: string): Promise<Answer> {
    this.counters.requests += 1;
    const ctl = new AbortController();
    const onAbort = () => ctl.abort();
    if (this.abort.signal.aborted) ctl.abort();
    else this.abort.signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = this.timers.setTimeout(
      () => {
        timedOut = true;
        ctl.abort();
      },
      this.timeoutMs,
      true,
    );
    try {
      const res = await this.fetchFn(`${this.base}/v1/${route}`, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/json',
          accept: 'application/json',
          'x-request-id': requestId,
          'user-agent': 'klaxon-client-ts',
        },
        body,
        signal: ctl.signal,
        redirect: 'manual',
      });
      const verdict = classifyStatus(res.status);
      if (verdict === 'ok') {
        await res.text().catch(() => undefined); // accepted, whatever happens to the rest of the body
        return { kind: 'ok' };
      }
      const text = await res.text();
      return this.answerOf(verdict, res, text);
    } catch (err) {
      const message = timedOut
        ? `no answer from Klaxon at ${this.base} within ${this.timeoutMs} ms`
        : this.abort.signal.aborted
          ? 'close() ran out of time before Klaxon answered'
          : `cannot reach Klaxon at ${this.base}: ${this.redact(describeFailure(err))}`;
      return { kind: 'retry', message, errors: [] };
    } finally {
      this.timers.clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onAbort);
    }
  }

  /** An answer other than 2xx (`kind`, from `classifyStatus`), with Klaxon's error body when it sent one. */
  private answerOf(kind: Failure['kind'], res: Response, text: string): Failure {
    let body: { error?: unknown; message?: unknown; errors?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const errors = Array.isArray(body?.errors)
      ? (body.errors as unknown[])
          .filter(
            (f): f is FieldError =>
              typeof (f as FieldError | null)?.path === 'string' &&
              typeof (f as FieldError | null)?.message === 'string',
          )
          .map((f) => ({ path: this.redact(f.path), message: this.redact(f.message) }))
      : [];
    let message: string;
    if (typeof body?.message === 'string') message = body.message;
    else if (res.status >= 300 && res.status < 400)
      message = `HTTP ${res.status}, a redirect to ${res.headers.get('location') ?? '(nowhere)'}: set url to Klaxon's own address`;
    else message = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    const answer: Failure = {
      kind,
      status: res.status,
      message: this.redact(printable(message)),
      errors,
    };
    if (typeof body?.error === 'string') answer.code = body.error;
    if (kind === 'retry') {
      const after = parseRetryAfter(res.headers.get('retry-after'), this.timers.now());
      if (after !== undefined) answer.retryAfterMs = after;
    }
    return answer;
  }

  /**
   * Waits `ms` before a retry, or less when `close` runs out of time. This timer keeps the process
   * alive: a batch being retried is not abandoned because the bot has nothing else to do.
   */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const done = () => {
        this.timers.clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.timers.setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Counts `items` as failed (given up for good) and reports them. */
  private fail(
    route: Route,
    items: readonly QueuedItem<Route>[],
    message: string,
    details: Pick<KlaxonErrorDetails, 'status' | 'code' | 'errors' | 'requestId'> = {},
  ): void {
    this.counters.failed += items.length;
    this.report(
      new KlaxonError('failed', message, { ...details, route, items: items.length, ids: idsOf(items) }),
    );
  }

  private report(error: KlaxonError): void {
    try {
      this.onError(error);
    } catch {
      // A throwing onError must not stop the sending.
    }
  }

  /** The text with the token replaced: nothing the client produces ever shows it. */
  private redact(text: string): string {
    return text.split(this.#token).join('[redacted]');
  }
}

/** Why a request got no answer: the network's error code or message (never a header). */
function describeFailure(err: unknown): string {
  const e = err as (Error & { cause?: { code?: unknown; message?: unknown } }) | undefined;
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const cause = typeof e?.cause?.message === 'string' ? e.cause.message : undefined;
  return printable(code ?? cause ?? e?.message ?? String(err));
}
