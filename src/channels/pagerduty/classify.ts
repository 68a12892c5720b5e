import { oneLine } from '../content.js';
import { scrub, SendError } from '../channel.js';
import { errorCode, isRetryableStatus, parseRetryAfter } from '../http-classify.js';
import type { SeenAnswer } from './answer-watch.js';

/**
 * What PagerDuty's answer to one event means. Pure: it reads the status, the parsed body, the
 * Retry-After header and the error pdjs threw, and says accepted / retry / permanent.
 */

/** PagerDuty's advice when a 429 carries no Retry-After (Rate Limits page: retry 30 s apart). */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;
/** Longest piece of PagerDuty's own text we put in an error. */
const SERVICE_TEXT_MAX = 1000;

export interface AnswerContext {
  /** `pagerduty receiver "ops"`: how errors start. */
  where: string;
  /** The dedup_key the event carried. */
  sentKey: string;
  /** The clock (ms), for a Retry-After given as an HTTP date. */
  now: number;
  /** Never to appear in a message: the routing key. */
  secrets: readonly string[];
}

export interface Accepted {
  status: number;
  /** The dedup_key PagerDuty returned (the one we sent if its answer did not say). */
  dedupKey: string;
  /** PagerDuty's `message` (`Event processed`), or what was odd about the answer; may be empty. */
  message: string;
}

/** Reads an answer PagerDuty gave (pdjs resolved): accepted, or throws the SendError it calls for. */
export function readAnswer(
  status: number,
  data: unknown,
  retryAfter: string | undefined,
  ctx: AnswerContext,
): Accepted {
  const body = isRecord(data) ? data : {};
  if (status >= 200 && status <= 299) {
    return {
      status,
      dedupKey: typeof body.dedup_key === 'string' && body.dedup_key !== '' ? body.dedup_key : ctx.sentKey,
      message: typeof body.message === 'string' ? scrubbed(body.message, ctx) : '',
    };
  }
  const said = serviceText(body, ctx);
  const text = said ? `: ${said}` : '';
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, ctx.now) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    return fail(`${ctx.where}: HTTP 429 (rate limited by PagerDuty)${text}; retry after ${retryAfterMs} ms`, {
      retryable: true,
      retryAfterMs,
      status,
    });
  }
  if (isRetryableStatus(status)) {
    return fail(`${ctx.where}: HTTP ${status}${hint(status)}${text}`, { retryable: true, status });
  }
  return fail(`${ctx.where}: HTTP ${status}${hint(status)}${text}`, { retryable: false, status });
}

/**
 * Reads a rejection of pdjs. `seen` is what the answer watch saw of the answer, if one came:
 * a 429 (which the watch cut short), or an answer whose body was not JSON (pdjs's
 * `FetchError invalid-json`), still classified by its status. No library message is repeated:
 * they quote the URL and, for a JSON parse error, a piece of the body.
 */
export function readFailure(
  err: unknown,
  seen: SeenAnswer | undefined,
  callerAborted: boolean,
  ctx: AnswerContext,
): Accepted {
  if (seen?.status === 429) return readAnswer(429, undefined, seen.retryAfter, ctx);
  if (callerAborted) return fail(`${ctx.where}: send aborted`, { retryable: true, status: 'aborted' });
  const e = (err ?? {}) as { type?: unknown; code?: unknown; errno?: unknown; name?: unknown };
  if (seen && e.type === 'invalid-json') {
    if (seen.status >= 200 && seen.status <= 299) {
      // Taken, though its answer was unreadable: the event carried our dedup_key.
      return { status: seen.status, dedupKey: ctx.sentKey, message: '(answer not JSON)' };
    }
    return readAnswer(seen.status, { message: 'answer not JSON' }, seen.retryAfter, ctx);
  }
  if (e.type === 'request-timeout')
    return fail(`${ctx.where}: no answer in time`, { retryable: true, status: 'timeout' });
  const code = errorCode(err);
  return fail(`${ctx.where}: network error${code ? ` (${code})` : ''}`, {
    retryable: true,
    status: code ?? 'network',
  });
}

/** `invalid event: Event object is invalid [error; error]`, from PagerDuty's JSON answer. */
function serviceText(body: Record<string, unknown>, ctx: AnswerContext): string {
  const head = [body.status, body.message].filter((s): s is string => typeof s === 'string' && s !== '');
  const errors = Array.isArray(body.errors)
    ? body.errors.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
    : typeof body.errors === 'string'
      ? [body.errors]
      : [];
  const text = head.join(': ') + (errors.length > 0 ? ` [${errors.join('; ')}]` : '');
  return scrubbed(text, ctx);
}

function scrubbed(text: string, ctx: AnswerContext): string {
  const s = oneLine(scrub(text, ctx.secrets));
  return s.length > SERVICE_TEXT_MAX ? `${s.slice(0, SERVICE_TEXT_MAX - 1)}…` : s;
}

function hint(status: number): string {
  const r: Record<number, string> = {
    400: ' (invalid event)',
    401: ' (unauthorized: check routing_key)',
    403: ' (forbidden: check routing_key and the integration)',
    404: ' (not found: check server and routing_key)',
    408: ' (request timeout)',
    413: ' (event too large)',
    500: ' (PagerDuty server error)',
    502: ' (bad gateway)',
    503: ' (PagerDuty unavailable)',
    504: ' (gateway timeout)',
  };
  return r[status] ?? '';
}

function fail(
  message: string,
  opts: { retryable: boolean; retryAfterMs?: number; status: number | string },
): never {
  throw new SendError(message, opts);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
