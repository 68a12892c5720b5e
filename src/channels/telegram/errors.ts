import type { TelegramError } from 'telegraf';
import { raceAbort, scrub, SendError } from '../channel.js';
import { isRetryableStatus, MAX_RETRY_AFTER_MS } from '../http-classify.js';

/**
 * How the Bot API's failures map onto Klaxon's failure contract. The Bot API answers
 * `{ ok: false, error_code, description, parameters? }`; telegraf turns that (and any HTTP
 * status ≥ 500, whose body it ignores) into a `TelegramError`. Network failures are node-fetch
 * `FetchError`s, an aborted signal an `AbortError`. Decisions rest on `error_code` and
 * `parameters`; the description is matched only where the code alone cannot tell (400s).
 *
 * This module does not load telegraf: the button-press side (updates.ts) uses it and is loaded
 * by every Klaxon process, with Telegram receivers or without. A `TelegramError` is told by its
 * shape instead of its class.
 */

/**
 * telegraf's `TelegramError`: an Error that carries the Bot API's answer (`response`) and the
 * call that got it (`on`), both objects. No other error a Bot API call throws has them.
 */
export function isTelegramError(err: unknown): err is TelegramError {
  if (!(err instanceof Error)) return false;
  const { response, on } = err as { response?: unknown; on?: unknown };
  return typeof response === 'object' && response !== null && typeof on === 'object' && on !== null;
}

/** The parts of a Bot API error we decide on. */
export interface BotApiFailure {
  code: number;
  description: string;
  retryAfter?: number;
  migrateTo?: number;
}

export function botApiFailure(err: unknown): BotApiFailure | undefined {
  if (!isTelegramError(err)) return undefined;
  const p = err.parameters;
  return {
    code: err.code,
    description: typeof err.description === 'string' ? err.description : '',
    retryAfter: typeof p?.retry_after === 'number' ? p.retry_after : undefined,
    migrateTo: typeof p?.migrate_to_chat_id === 'number' ? p.migrate_to_chat_id : undefined,
  };
}

/** A group that became a supergroup: the message belongs in the new chat. */
export function migratedTo(f: BotApiFailure | undefined): number | undefined {
  return f?.code === 400 ? f.migrateTo : undefined;
}

/** Telegram refused the HTML: the same text goes again as plain text. */
export function isParseFailure(f: BotApiFailure | undefined): boolean {
  return f?.code === 400 && /can't parse entities/i.test(f.description);
}

/** An edit that changes nothing: the message already shows it. */
export function isNotModified(f: BotApiFailure | undefined): boolean {
  return f?.code === 400 && /message is not modified/i.test(f.description);
}

/** The message to edit is gone or may no longer be edited: answer it with a new one instead. */
export function isEditImpossible(f: BotApiFailure | undefined): boolean {
  return f?.code === 400 && /message to edit not found|message can't be edited/i.test(f.description);
}

function isAbort(err: unknown): boolean {
  const e = err as { name?: unknown; type?: unknown } | null;
  return e?.name === 'AbortError' || e?.type === 'aborted';
}

/** node-fetch's `FetchError` (`type` system, invalid-json, request-timeout, …) and plain socket errors. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  }
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && /^[a-z-]+$/.test(type) ? type : undefined;
}

const HINTS: Record<number, string> = {
  401: ' (check the bot token)',
  403: ' (the bot was blocked, removed from the chat, or may not post there)',
  404: ' (check the bot token and api_root)',
};

/**
 * Turns anything a Bot API call threw into a SendError whose message is safe to log: the
 * service's description with every secret scrubbed (telegraf redacts the token in network errors
 * only, and only when it looks like `123:abc`; an invalid-JSON error quotes the whole URL).
 */
export function toSendError(
  err: unknown,
  where: string,
  secrets: readonly string[],
  signal: AbortSignal,
): SendError {
  if (err instanceof SendError) return err;
  const safe = (s: string): string => scrub(s, secrets);
  if (signal.aborted || isAbort(err)) {
    return new SendError(`${where}: send aborted`, { retryable: true, status: 'aborted' });
  }
  const f = botApiFailure(err);
  if (f) {
    const text = `${where}: ${f.code} ${safe(f.description)}`;
    if (f.code === 429) {
      const retryAfterMs =
        f.retryAfter !== undefined
          ? Math.min(Math.max(0, f.retryAfter) * 1000, MAX_RETRY_AFTER_MS)
          : undefined;
      return new SendError(text, { retryable: true, retryAfterMs, status: 429 });
    }
    if (isRetryableStatus(f.code)) return new SendError(text, { retryable: true, status: f.code });
    return new SendError(`${text}${HINTS[f.code] ?? ''}`, { retryable: false, status: f.code });
  }
  const code = networkCode(err);
  if (code === 'invalid-json') {
    // Something that is not the Bot API answered (a proxy, a wrong api_root): maybe it passes.
    return new SendError(`${where}: the answer was not Bot API JSON (check api_root)`, {
      retryable: true,
      status: 'invalid-json',
    });
  }
  return new SendError(`${where}: network error${code ? ` (${code})` : ''}`, {
    retryable: true,
    status: code ?? 'network',
  });
}

/** An error for a signal that aborted before or while a call was made. */
export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Settles as `p` does, or rejects as soon as `signal` aborts: telegraf hands the signal to
 * node-fetch, and this makes sure nothing (reading a body, a retry inside) outlives it.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return raceAbort(p, signal, abortError);
}
