/**
 * The load client: pushes inputs to Klaxon's HTTP API the way the README tells bots to. It
 * retries `503`, `429`, other `5xx` and connection errors with exponential backoff, never a
 * `4xx`, and counts an input accepted only when its request was answered `202`. Every attempt
 * is kept, so that the tally can tell an input accepted at once from one accepted after a
 * failure that may nonetheless have stored it (a `503` or a lost answer).
 *
 * Every input carries a label `chaos_key`; the receiver reads it back from the notification.
 */

/**
 * - `alert`: a direct alert (`POST /v1/alerts`) with labels of its own and `force: true`: one
 *   notification;
 * - `breach`: a snapshot (`POST /v1/metrics`) of a series of its own above the `chaos_breach`
 *   threshold: one firing notification;
 * - `same`: one copy of a direct alert sent many times (no `force`): its copies together owe
 *   min(copies accepted, dedup max) notifications.
 */
export type ItemKind = 'alert' | 'breach' | 'same';

export interface Item {
  key: string;
  kind: ItemKind;
  body: Record<string, unknown>;
}

export interface Attempt {
  /** ms since the epoch */
  at: number;
  /** HTTP status, or the error code of a request that got no answer. */
  status: number | string;
}

export interface Sent {
  path: string;
  items: Item[];
  attempts: Attempt[];
  accepted: boolean;
  /** Given up after `giveUpAfterMs` of failures. */
  gaveUp: boolean;
  /** Refused for good (a 4xx other than 408 and 429): a mistake in the load, never retried. */
  rejected: boolean;
}

export interface LoadOptions {
  url: string;
  token: string;
  /** Requests in flight at most (a request retrying holds its slot, as a blocking bot would). */
  maxInFlight: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  giveUpAfterMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_LOAD: Omit<LoadOptions, 'url' | 'token'> = {
  maxInFlight: 32,
  firstBackoffMs: 100,
  maxBackoffMs: 2000,
  giveUpAfterMs: 120_000,
  requestTimeoutMs: 15_000,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A status worth another try: rate limited, or the server (or Redis behind it) unavailable. */
export function retryable(status: number | string): boolean {
  if (typeof status === 'string') return true;
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/**
 * An attempt that failed but may have stored the batch anyway: a 5xx (the enqueue may have
 * timed out after Redis took it) or no answer at all. A 429 is decided before anything is
 * queued, and a connection refused never reached the server.
 */
export function ambiguous(status: number | string): boolean {
  if (typeof status === 'number') return status >= 500;
  return status !== 'ECONNREFUSED';
}

export class LoadClient {
  readonly sent: Sent[] = [];
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly pending = new Set<Promise<Sent>>();
  private seq = 0;
  private paused = false;

  constructor(private readonly o: LoadOptions) {}

  /** A fresh key for an input, unique within this client. */
  key(prefix: string): string {
    return `${prefix}${this.seq++}`;
  }

  /** Posts `items` (body: their bodies as an array) in one request, retrying; holds a slot. */
  async post(path: string, items: Item[]): Promise<Sent> {
    await this.slot();
    try {
      return await this.track(this.attempt(path, items));
    } finally {
      this.release();
    }
  }

  /** Posts without waiting for a slot (a burst of concurrent copies). */
  postNow(path: string, items: Item[]): Promise<Sent> {
    return this.track(this.attempt(path, items));
  }

  /**
   * Sends about `rate` inputs per second in requests of `batch` items for `ms`, each request
   * made by `next` (called with the request's number). Requests go out without waiting for the
   * ones before them (up to `maxInFlight`); when all slots are taken the pace drops, as a bot
   * that blocks on its pushes would. Resolves when the last request has gone out (not answered:
   * see `settle`).
   */
  async steady(opts: {
    rate: number;
    batch: number;
    ms: number;
    next: (n: number) => { path: string; items: Item[] };
  }): Promise<void> {
    const interval = (1000 * opts.batch) / opts.rate;
    const end = Date.now() + opts.ms;
    let due = Date.now();
    for (let n = 0; ; n++) {
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      while (this.paused && Date.now() < end) await sleep(20);
      if (Date.now() >= end) return;
      await this.slot();
      const { path, items } = opts.next(n);
      void this.track(this.attempt(path, items)).finally(() => this.release());
      due = Math.max(due + interval, Date.now() - interval);
    }
  }

  /** Holds back new requests of `steady` (those under way go on) until `resume`. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Waits until every request is accepted or given up. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  summary(): LoadSummary {
    const statuses: Record<string, number> = {};
    let inputs = 0;
    let accepted = 0;
    let retried = 0;
    let gaveUp = 0;
    let rejected = 0;
    for (const s of this.sent) {
      inputs += s.items.length;
      if (s.accepted) accepted += s.items.length;
      if (s.gaveUp) gaveUp += s.items.length;
      if (s.rejected) rejected += s.items.length;
      if (s.attempts.length > 1) retried += 1;
      for (const a of s.attempts) statuses[String(a.status)] = (statuses[String(a.status)] ?? 0) + 1;
    }
    return {
      requests: this.sent.length,
      inputs,
      accepted,
      retriedRequests: retried,
      gaveUp,
      rejected,
      statuses,
    };
  }

  private track(p: Promise<Sent>): Promise<Sent> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private async slot(): Promise<void> {
    while (this.inFlight >= this.o.maxInFlight) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight += 1;
  }

  private release(): void {
    this.inFlight -= 1;
    this.waiters.shift()?.();
  }

  private async attempt(path: string, items: Item[]): Promise<Sent> {
    const sent: Sent = { path, items, attempts: [], accepted: false, gaveUp: false, rejected: false };
    this.sent.push(sent);
    const body = JSON.stringify(items.map((i) => i.body));
    const started = Date.now();
    for (let n = 0; ; n++) {
      const at = Date.now();
      let status: number | string;
      try {
        const res = await fetch(`${this.o.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.o.requestTimeoutMs),
        });
        status = res.status;
        await res.body?.cancel().catch(() => undefined);
      } catch (err) {
        status = errorCode(err);
      }
      sent.attempts.push({ at, status });
      if (status === 202) {
        sent.accepted = true;
        return sent;
      }
      if (!retryable(status)) {
        sent.rejected = true;
        return sent;
      }
      if (Date.now() - started > this.o.giveUpAfterMs) {
        sent.gaveUp = true;
        return sent;
      }
      await sleep(Math.min(this.o.firstBackoffMs * 2 ** n, this.o.maxBackoffMs));
    }
  }
}

export interface LoadSummary {
  requests: number;
  /** Inputs (items) sent, accepted or not. */
  inputs: number;
  /** Inputs in requests answered 202. */
  accepted: number;
  /** Requests that needed more than one attempt. */
  retriedRequests: number;
  gaveUp: number;
  /** Inputs refused with a 4xx. */
  rejected: number;
  /** Attempts by answer: `202`, `503`, `429`, `ECONNREFUSED`, `TimeoutError`… */
  statuses: Record<string, number>;
}

function errorCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  }
  return err instanceof Error ? err.name : 'error';
}
