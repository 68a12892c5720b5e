import { Pool } from 'undici';
import { SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import { errorCode, isRetryableStatus, parseRetryAfter } from '../http-classify.js';
import { renderWebhookPayload, type WebhookFormat, type WebhookPayload } from './render-webhook.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookChannelOptions {
  /** http(s) URL. A credential (Slack/Discord-style URLs carry the token): never logged. */
  url: string;
  format?: WebhookFormat;
  /** Extra headers, e.g. Authorization. Values are credentials too: never logged. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** For tests: the clock that HTTP-date Retry-After values are read against. */
  now?: () => number;
}

/** Node's default user agent is `node`; say who we are. */
const USER_AGENT = 'klaxon-webhook/1';

/**
 * POSTs a JSON body to a URL. Classifies answers: 2xx ok; 408, 425, 429, 5xx, network errors and
 * timeouts retryable (429/503 with the server's Retry-After); 3xx and other 4xx permanent. No
 * error it throws mentions the URL or a header value: only the receiver name and the status.
 */
export class WebhookChannel implements Channel {
  readonly type = 'webhook';
  readonly name: string;
  readonly format: WebhookFormat;
  readonly timeoutMs: number;
  /** Keep-alive connections to the receiver's origin, reused by every send. */
  readonly #pool: Pool;
  /** The URL's path and query: what each request asks the pool for. */
  readonly #path: string;
  readonly #headers: [string, string][];
  readonly #now: () => number;

  constructor(name: string, opts: WebhookChannelOptions) {
    this.name = name;
    this.format = opts.format ?? 'json';
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new Error(`webhook receiver "${name}": timeout must be a positive number of milliseconds`);
    }
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      // The error of `new URL` quotes the input: do not pass it on.
      throw new Error(`webhook receiver "${name}": url is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`webhook receiver "${name}": url must start with http:// or https://`);
    }
    this.#path = `${url.pathname}${url.search}`;
    this.#pool = new Pool(url.origin, { headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    this.#headers = Object.entries(opts.headers ?? {});
    try {
      // Headers rejects bad names/values with a message quoting the value: check them now.
      new Headers(this.#headers);
    } catch {
      throw new Error(`webhook receiver "${name}": a configured header has an invalid name or value`);
    }
    this.#now = opts.now ?? Date.now;
  }

  async send(d: Delivery): Promise<SendOutcome> {
    const payload: WebhookPayload = renderWebhookPayload(d.notification, d.content, this.format);
    const where = `webhook receiver "${this.name}"`;
    if (d.signal.aborted) throw new SendError(`${where}: send aborted`, { retryable: true });
    const started = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
      'user-agent': USER_AGENT,
      'x-klaxon-notification-id': d.notification.id,
    };
    for (const [k, v] of this.#headers) headers[k.toLowerCase()] = v;

    let res: { status: number; retryAfter: string | undefined };
    try {
      const r = await this.#pool.request({
        path: this.#path,
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal: d.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await r.body.dump();
      const ra = r.headers['retry-after'];
      res = { status: r.statusCode, retryAfter: Array.isArray(ra) ? ra[0] : ra };
    } catch (err) {
      throw this.#networkError(err, d.signal, Date.now() - started >= this.timeoutMs);
    }

    const status = res.status;
    if (status >= 200 && status <= 299) return { detail: `HTTP ${status}` };
    if (isRetryableStatus(status)) {
      const retryAfterMs =
        status === 429 || status === 503 ? parseRetryAfter(res.retryAfter ?? null, this.#now()) : undefined;
      const wait = retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : '';
      throw new SendError(`${where}: HTTP ${status}${reason(status)}${wait}`, {
        retryable: true,
        retryAfterMs,
        status,
      });
    }
    const hint =
      status >= 300 && status <= 399 ? ' (the URL redirects: configure the final URL)' : reason(status);
    throw new SendError(`${where}: HTTP ${status}${hint}`, { retryable: false, status });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  #networkError(err: unknown, callerSignal: AbortSignal, timedOut: boolean): SendError {
    const where = `webhook receiver "${this.name}"`;
    if (callerSignal.aborted)
      return new SendError(`${where}: send aborted`, { retryable: true, status: 'aborted' });
    if (timedOut || errorCode(err)?.includes('TIMEOUT')) {
      return new SendError(`${where}: no answer within ${this.timeoutMs} ms`, {
        retryable: true,
        status: 'timeout',
      });
    }
    // Only a code, never the message: undici's messages may quote the URL.
    const code = errorCode(err);
    return new SendError(`${where}: network error${code ? ` (${code})` : ''}`, {
      retryable: true,
      status: code ?? 'network',
    });
  }
}

function reason(status: number): string {
  const r: Record<number, string> = {
    400: ' (bad request: the receiver rejected the payload)',
    401: ' (unauthorized: check the credentials)',
    403: ' (forbidden: check the credentials)',
    404: ' (not found: the webhook may have been deleted)',
    408: ' (request timeout)',
    410: ' (gone: the webhook was deleted)',
    413: ' (payload too large)',
    425: ' (too early)',
    429: ' (rate limited)',
    500: ' (server error)',
    502: ' (bad gateway)',
    503: ' (service unavailable)',
    504: ' (gateway timeout)',
  };
  return r[status] ?? '';
}
