import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Telegram } from 'telegraf';
import type { AckResult, Acknowledgement } from '../../ingest/alert-api.js';
import type { Clock } from '../../model/clock.js';
import type { Logger } from '../../ops/logger.js';
import { pause, raceAbort, scrub } from '../channel.js';
import { truncate } from '../content.js';
import type { ReceiverConfig } from '../registry.js';
import { DEFAULT_POLL_TIMEOUT_MS, type TelegramReceiverConfig } from './config.js';
import { abortError, botApiFailure, toSendError } from './errors.js';
import { NO_KEYBOARD, parseAckData } from './render.js';
import type { TelegrafSignal } from './telegram-channel.js';

/**
 * Presses of the "Acknowledge" button. A press reaches Klaxon as a Bot API `callback_query`
 * update, either by long polling (`getUpdates`, the default) or posted by Telegram to
 * `POST /v1/telegram/<receiver>` (webhook mode); both hand it to `handleUpdate`.
 *
 * - Only users listed in `ack_users` may acknowledge; anyone else is told so and nothing happens.
 * - Every press is answered (`answerCallbackQuery`): the client shows a spinner until then.
 * - One process polls a bot at a time (Telegram answers 409 Conflict to a second `getUpdates`):
 *   the pollers elect one through a Redis lock, renewed while it polls and released on stop.
 * - The offset (last update id + 1) is kept in Redis, so a restart or a new poller does not see
 *   presses again that were already handled.
 * - Receivers that share a bot token share one poller; a press counts for the receivers whose
 *   chats hold the message.
 */

/** Acknowledges an alert (AlertApi.acknowledge): queued in the alert's lane. */
export type Acknowledge = (fingerprint: string, ack: Acknowledgement) => Promise<AckResult>;

export interface UpdatesDeps {
  acknowledge: Acknowledge;
  clock: Clock;
  logger: Logger;
}

/** The receivers of one bot, as the update side needs them. */
export interface TelegramBot {
  /** The bot's id: the part of the token before `:` (public: `getMe` gives it). */
  id: string;
  token: string;
  apiRoot: string;
  mode: 'polling' | 'webhook';
  secretToken?: string;
  pollTimeoutMs: number;
  /** Receivers with `ack_users` that use this bot, by name. */
  receivers: { name: string; chats: string[]; ackUsers: number[] }[];
  /** The receiver whose name the webhook URL carries: the first by name. */
  hookName: string;
}

export interface UpdateProblem {
  path: string;
  message: string;
}

/** Every receiver with `ack_users`, grouped by bot token; and what is wrong with them together. */
export function telegramBots(
  receivers: Record<string, ReceiverConfig>,
  publicUrl?: string,
): { bots: TelegramBot[]; problems: UpdateProblem[] } {
  const byToken = new Map<string, TelegramBot>();
  const problems: UpdateProblem[] = [];
  for (const name of Object.keys(receivers).sort()) {
    const rc = receivers[name];
    if (rc?.type !== 'telegram') continue;
    const cfg: TelegramReceiverConfig = rc;
    const ackUsers = cfg.ack_users;
    if (ackUsers === undefined) continue;
    const mode = cfg.updates?.mode ?? 'polling';
    const settings = {
      apiRoot: cfg.api_root,
      mode,
      secretToken: cfg.updates?.secret_token,
      pollTimeoutMs: cfg.updates?.poll_timeout ?? DEFAULT_POLL_TIMEOUT_MS,
    };
    const entry = { name, chats: [...cfg.chat_ids], ackUsers: [...ackUsers] };
    const bot = byToken.get(cfg.token);
    if (!bot) {
      byToken.set(cfg.token, {
        id: cfg.token.split(':')[0] ?? '0',
        token: cfg.token,
        ...settings,
        receivers: [entry],
        hookName: name,
      });
      if (mode === 'webhook' && !publicUrl)
        problems.push({
          path: `receivers.${name}.updates.mode`,
          message:
            'updates.mode webhook needs server.public_url: Telegram posts button presses to <public_url>/v1/telegram/' +
            `${name}, which must be reachable from the internet over HTTPS; set server.public_url or use mode polling`,
        });
      continue;
    }
    if (
      bot.apiRoot !== settings.apiRoot ||
      bot.mode !== settings.mode ||
      bot.secretToken !== settings.secretToken ||
      bot.pollTimeoutMs !== settings.pollTimeoutMs
    )
      problems.push({
        path: `receivers.${name}.updates`,
        message: `receivers ${bot.hookName} and ${name} use the same bot but not the same api_root and updates: a bot receives its button presses one way; give them the same settings`,
      });
    bot.receivers.push(entry);
  }
  return { bots: [...byToken.values()], problems };
}

// --- One press ---------------------------------------------------------------------------------

/** What a `callback_query` update says, read defensively (a webhook body is only JSON). */
export interface Press {
  updateId?: number;
  callbackId: string;
  data?: string;
  from: { id: number; username?: string; firstName?: string };
  /** The chat and message the button is on, when Telegram says (it does for our messages). */
  chat?: { id: number; username?: string };
  messageId?: number;
}

export function readPress(update: unknown): Press | undefined {
  if (!isObject(update)) return undefined;
  const q = update.callback_query;
  if (!isObject(q) || typeof q.id !== 'string' || !isObject(q.from) || typeof q.from.id !== 'number')
    return undefined;
  const press: Press = {
    callbackId: q.id,
    from: {
      id: q.from.id,
      ...(typeof q.from.username === 'string' && q.from.username !== '' ? { username: q.from.username } : {}),
      ...(typeof q.from.first_name === 'string' ? { firstName: q.from.first_name } : {}),
    },
  };
  if (typeof update.update_id === 'number') press.updateId = update.update_id;
  if (typeof q.data === 'string') press.data = q.data;
  const msg = q.message;
  if (isObject(msg)) {
    if (typeof msg.message_id === 'number') press.messageId = msg.message_id;
    if (isObject(msg.chat) && typeof msg.chat.id === 'number')
      press.chat = {
        id: msg.chat.id,
        ...(typeof msg.chat.username === 'string' ? { username: msg.chat.username } : {}),
      };
  }
  return press;
}

/** The name an acknowledgement records: `@username`, else the first name, else the user id. */
export function pressedBy(from: Press['from']): string {
  const name = from.username ? `@${from.username}` : from.firstName?.trim() || `user ${from.id}`;
  return truncate(name, 128);
}

/** Users who may acknowledge a press in `chat`: those of the receivers posting there, else all of the bot's. */
export function allowedUsers(bot: Pick<TelegramBot, 'receivers'>, chat: Press['chat']): ReadonlySet<number> {
  // Channel usernames are not case-sensitive.
  const names = chat ? [String(chat.id), ...(chat.username ? [`@${chat.username.toLowerCase()}`] : [])] : [];
  const here = bot.receivers.filter((r) => r.chats.some((c) => names.includes(c.toLowerCase())));
  // A chat no receiver names (a group that became a supergroup since): the bot's users.
  return new Set((here.length > 0 ? here : bot.receivers).flatMap((r) => r.ackUsers));
}

export type PressDecision =
  { action: 'refuse' } | { action: 'invalid' } | { action: 'acknowledge'; fingerprint: string; by: string };

/** Pure: what to do with a press. Who may comes first: a stranger learns nothing about the data. */
export function decidePress(press: Press, allowed: ReadonlySet<number>): PressDecision {
  if (!allowed.has(press.from.id)) return { action: 'refuse' };
  const fingerprint = parseAckData(press.data);
  if (fingerprint === undefined) return { action: 'invalid' };
  return { action: 'acknowledge', fingerprint, by: pressedBy(press.from) };
}

/** What became of a press (logged, and returned for tests). */
export type PressOutcome =
  'ignored' | 'refused' | 'invalid' | 'acknowledged' | 'not-firing' | 'unknown' | 'failed';

export const ANSWERS = {
  refused: 'You may not acknowledge alerts here',
  invalid: 'This button is not one of Klaxon’s',
  acknowledged: 'Acknowledged',
  'not-firing': 'Already resolved',
  unknown: 'Unknown alert',
  failed: 'Could not acknowledge, try again',
} as const satisfies Record<Exclude<PressOutcome, 'ignored'>, string>;

/** How long a call made while handling a press may take (ms). */
const CALL_TIMEOUT_MS = 10_000;

/** The part of telegraf's `Telegram` client the update side uses. */
export type BotApi = Pick<Telegram, 'callApi'>;

/**
 * A bot's client that loads telegraf on its first call: this module is loaded by every Klaxon
 * process, and only those with a bot to poll or a press to answer need the library.
 */
export function lazyBotClient(token: string, apiRoot: string): BotApi {
  let client: Promise<Telegram> | undefined;
  const callApi: BotApi['callApi'] = async (method, payload, opts) => {
    client ??= import('./telegram-channel.js').then((m) => m.botClient(token, apiRoot));
    return (await client).callApi(method, payload, opts);
  };
  return { callApi };
}

export interface PressContext extends UpdatesDeps {
  bot: TelegramBot;
  tg: BotApi;
  /** How the update came: `polling` or `webhook` (for the log). */
  via: 'polling' | 'webhook';
}

/**
 * Handles one update: a press of an "Acknowledge" button is checked, acknowledged and answered.
 * Never throws: every failure is answered to the user and logged.
 */
export async function handleUpdate(update: unknown, ctx: PressContext): Promise<PressOutcome> {
  const press = readPress(update);
  if (!press) return 'ignored';
  const log = ctx.logger.child({ component: 'telegram-updates', bot: ctx.bot.id, via: ctx.via });
  const decision = decidePress(press, allowedUsers(ctx.bot, press.chat));
  let outcome: PressOutcome;
  let fingerprint: string | undefined;
  if (decision.action === 'refuse') outcome = 'refused';
  else if (decision.action === 'invalid') outcome = 'invalid';
  else {
    fingerprint = decision.fingerprint;
    try {
      const res = await ctx.acknowledge(decision.fingerprint, {
        by: decision.by,
        at: ctx.clock(),
        via: 'telegram',
      });
      outcome = res.outcome === 'accepted' ? 'acknowledged' : res.outcome;
    } catch (err) {
      outcome = 'failed';
      log.error(
        { fingerprint, err: { message: safe(err, ctx.bot) } },
        'telegram button pressed: the acknowledgement could not be queued; the user was asked to try again',
      );
    }
  }
  await call(ctx, log, 'answerCallbackQuery', {
    callback_query_id: press.callbackId,
    text: ANSWERS[outcome],
    ...(outcome === 'refused' ? { show_alert: true } : {}),
  });
  // The button has done its work (or can do nothing more): take it off the message at once.
  if (
    (outcome === 'acknowledged' || outcome === 'not-firing' || outcome === 'unknown') &&
    press.chat !== undefined &&
    press.messageId !== undefined
  )
    await call(ctx, log, 'editMessageReplyMarkup', {
      chat_id: press.chat.id,
      message_id: press.messageId,
      reply_markup: NO_KEYBOARD,
    });
  log.info(
    { fingerprint, user: press.from.id, by: pressedBy(press.from), chat: press.chat?.id, outcome },
    'telegram button pressed',
  );
  return outcome;
}

/** One Bot API call made while handling a press; a failure is logged, never thrown. */
async function call(
  ctx: PressContext,
  log: Logger,
  method: 'answerCallbackQuery' | 'editMessageReplyMarkup',
  payload: Record<string, unknown>,
): Promise<void> {
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  try {
    await raceAbort(
      ctx.tg.callApi(method, payload as never, { signal: signal as unknown as TelegrafSignal }),
      signal,
      abortError,
    );
  } catch (err) {
    const f = botApiFailure(err);
    // Nothing to take off, or a press answered already (a press seen twice after a restart).
    if (f?.code === 400 && /not modified|query is too old|query id is invalid/i.test(f.description)) {
      log.debug({ method, err: { message: safe(err, ctx.bot) } }, 'telegram call had nothing to do');
      return;
    }
    log.warn({ method, err: { message: safe(err, ctx.bot) } }, 'telegram call failed');
  }
}

/** An error's message with the bot's secrets taken out. */
function safe(err: unknown, bot: Pick<TelegramBot, 'token' | 'secretToken' | 'id'>): string {
  const secrets = [bot.token, bot.secretToken];
  return scrub(
    toSendError(err, `telegram bot ${bot.id}`, secrets.filter(isString), new AbortController().signal)
      .message,
    secrets,
  );
}

// --- Webhook mode ------------------------------------------------------------------------------

/** The endpoint of one receiver in webhook mode (`POST /v1/telegram/<receiver>`). */
export interface WebhookEndpoint {
  /** Constant-time check of `X-Telegram-Bot-Api-Secret-Token`. */
  verify(header: string | undefined): boolean;
  handle(update: unknown): Promise<PressOutcome>;
}

export interface TelegramWebhooks {
  /** The endpoint for a receiver in webhook mode; undefined for any other name. */
  endpoint(receiver: string): WebhookEndpoint | undefined;
}

/** The webhook endpoints of the configured receivers (the HTTP side). */
export function telegramWebhooks(
  receivers: Record<string, ReceiverConfig>,
  deps: UpdatesDeps,
): TelegramWebhooks {
  const endpoints = new Map<string, WebhookEndpoint>();
  for (const bot of telegramBots(receivers).bots) {
    const secret = bot.secretToken;
    if (bot.mode !== 'webhook' || secret === undefined) continue;
    const tg = lazyBotClient(bot.token, bot.apiRoot);
    const ctx: PressContext = { ...deps, bot, tg, via: 'webhook' };
    const endpoint: WebhookEndpoint = {
      verify: (header) => header !== undefined && sameSecret(header, secret),
      handle: (update) => handleUpdate(update, ctx),
    };
    // Any of the bot's receivers may name the URL; Klaxon registers the first.
    for (const r of bot.receivers) endpoints.set(r.name, endpoint);
  }
  return { endpoint: (name) => endpoints.get(name) };
}

/** Compares in constant time (hashes first, so the length leaks nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The URL Klaxon registers with `setWebhook` for a bot. */
export function webhookUrl(publicUrl: string, bot: Pick<TelegramBot, 'hookName'>): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/telegram/${encodeURIComponent(bot.hookName)}`;
}

// --- Long polling and webhook registration (the worker side) ------------------------------------

export interface UpdatesTimings {
  /** Life of the poller lock (ms); renewed every third of it while polling. */
  lockTtlMs: number;
  /** How often a process without the lock tries to take it (ms). */
  contendMs: number;
  /** First wait after a failure (ms); doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_TIMINGS: UpdatesTimings = {
  lockTtlMs: 15_000,
  contendMs: 2_000,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
};

/** Telegram keeps undelivered updates 24 h: an offset older than that has nothing left to skip. */
const OFFSET_TTL_MS = 24 * 3_600_000;

/** Redis keys of one bot's poller; both share one hash tag, so one script reaches both. */
export function pollerKeys(prefix: string, botId: string): { lock: string; offset: string } {
  const tag = `${prefix}:{tg${botId}}`;
  return { lock: `${tag}:poller`, offset: `${tag}:offset` };
}

/**
 * Renews the poller lock if this process still holds it.
 * KEYS[1] lock; ARGV[1] owner, ARGV[2] lock life (ms). Returns 1 renewed, 0 held by another (or none).
 */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Releases the poller lock if this process holds it.
 * KEYS[1] lock; ARGV[1] owner. Returns 1 released, 0 held by another (or none).
 */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Moves the bot's offset forward, only for the lock holder and never back (a repeat is a no-op).
 * KEYS[1] lock, KEYS[2] offset; ARGV[1] owner, ARGV[2] new offset, ARGV[3] offset life (ms).
 * Returns 1 moved, 0 already there or past it, -1 the lock is not this process's.
 */
const ADVANCE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local new = tonumber(ARGV[2])
if current >= new then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
`;

export interface StartUpdatesOptions extends UpdatesDeps {
  receivers: Record<string, ReceiverConfig>;
  publicUrl?: string;
  /** `redis.prefix`. */
  prefix: string;
  redis: Redis;
  timings?: Partial<UpdatesTimings>;
}

/** Running pollers and webhook registrations; `stop()` ends them. */
export class TelegramUpdates {
  readonly #workers: { stop(): Promise<void> }[];

  private constructor(workers: { stop(): Promise<void> }[]) {
    this.#workers = workers;
  }

  /**
   * Starts a poller for each bot in polling mode and registers the webhook of each bot in webhook
   * mode. Throws (with every problem listed) when the receivers cannot work together.
   */
  static start(opts: StartUpdatesOptions): TelegramUpdates {
    const { bots, problems } = telegramBots(opts.receivers, opts.publicUrl);
    if (problems.length > 0)
      throw new Error(
        `Telegram button presses cannot be received:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
      );
    const timings = { ...DEFAULT_TIMINGS, ...opts.timings };
    const workers = bots.map((bot) =>
      bot.mode === 'polling'
        ? new BotPoller(bot, opts, timings).start()
        : new WebhookRegistration(bot, opts, timings).start(),
    );
    return new TelegramUpdates(workers);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#workers.map((w) => w.stop()));
  }
}

/** Registers a bot's webhook with Telegram, retrying until it succeeds or is refused for good. */
class WebhookRegistration {
  readonly #stop = new AbortController();
  #run?: Promise<void>;
  readonly #log: Logger;

  constructor(
    private readonly bot: TelegramBot,
    private readonly opts: StartUpdatesOptions,
    private readonly timings: UpdatesTimings,
  ) {
    this.#log = opts.logger.child({ component: 'telegram-updates', bot: bot.id, mode: 'webhook' });
  }

  start(): this {
    this.#run = this.#register();
    return this;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#run;
  }

  async #register(): Promise<void> {
    const tg = lazyBotClient(this.bot.token, this.bot.apiRoot);
    const url = webhookUrl(this.opts.publicUrl ?? '', this.bot);
    const stop = this.#stop.signal;
    for (let failures = 0; !stop.aborted;) {
      const signal = AbortSignal.any([stop, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
      try {
        await raceAbort(
          tg.callApi(
            'setWebhook',
            { url, secret_token: this.bot.secretToken, allowed_updates: ['callback_query'] },
            { signal: signal as unknown as TelegrafSignal },
          ),
          signal,
          abortError,
        );
        this.#log.info({ url }, 'telegram webhook set: button presses arrive at this URL');
        return;
      } catch (err) {
        if (stop.aborted) return;
        const f = botApiFailure(err);
        const message = safe(err, this.bot);
        if (f && f.code >= 400 && f.code < 500 && f.code !== 429) {
          this.#log.error(
            { url, err: { message } },
            'telegram refused the webhook (it needs an HTTPS public_url on port 443, 80, 88 or 8443): button presses will not arrive',
          );
          return;
        }
        failures++;
        const wait = backoff(this.timings, failures, f?.retryAfter);
        this.#log.warn({ url, err: { message }, retryInMs: wait }, 'could not set the telegram webhook');
        await pause(wait, stop);
      }
    }
  }
}

/**
 * Long polls one bot while this process holds its lock in Redis; the others wait their turn.
 * Errors (Telegram, the network, Redis) are logged and waited out, never thrown.
 */
class BotPoller {
  readonly #stop = new AbortController();
  readonly #owner = `${os.hostname()}:${process.pid}:${randomUUID()}`;
  readonly #keys: { lock: string; offset: string };
  readonly #tg: BotApi;
  readonly #ctx: PressContext;
  readonly #log: Logger;
  #run?: Promise<void>;
  /** Aborts when the lock is lost while polling; undefined while this process does not hold it. */
  #holding?: AbortController;
  #renewTimer?: NodeJS.Timeout;
  #renewedAt = 0;

  constructor(
    private readonly bot: TelegramBot,
    private readonly opts: StartUpdatesOptions,
    private readonly timings: UpdatesTimings,
  ) {
    this.#keys = pollerKeys(opts.prefix, bot.id);
    this.#tg = lazyBotClient(bot.token, bot.apiRoot);
    this.#ctx = { ...opts, bot, tg: this.#tg, via: 'polling' };
    this.#log = opts.logger.child({ component: 'telegram-updates', bot: bot.id, mode: 'polling' });
  }

  start(): this {
    this.#run = this.#loop();
    return this;
  }

  /** Ends the long poll at once, then gives the lock back so another process takes over. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#run;
    this.#drop();
    await raceAbort(
      this.opts.redis.eval(RELEASE_LUA, 1, this.#keys.lock, this.#owner),
      AbortSignal.timeout(1000),
      abortError,
    ).catch(() => undefined);
  }

  async #loop(): Promise<void> {
    const stop = this.#stop.signal;
    let failures = 0;
    let webhookDeleted = false;
    while (!stop.aborted) {
      // The lock went elsewhere: contend again like any other process.
      if (this.#holding?.signal.aborted) this.#drop();
      try {
        if (!this.#holding && !(await this.#acquire())) {
          await pause(this.timings.contendMs, stop);
          continue;
        }
        const holding = this.#holding as AbortController;
        const pollTimeoutS = Math.ceil(this.bot.pollTimeoutMs / 1000);
        const signal = AbortSignal.any([
          stop,
          holding.signal,
          // telegraf's own timeout is 500 s: a poll the network lost must not hang that long.
          AbortSignal.timeout(this.bot.pollTimeoutMs + 15_000),
        ]);
        const offset = Number(await raceAbort(this.opts.redis.get(this.#keys.offset), signal, abortError));
        const updates = await raceAbort(
          this.#tg.callApi(
            'getUpdates',
            {
              timeout: pollTimeoutS,
              allowed_updates: ['callback_query'],
              ...(offset > 0 ? { offset } : {}),
            },
            { signal: signal as unknown as TelegrafSignal },
          ),
          signal,
          abortError,
        );
        failures = 0;
        for (const update of updates) {
          await handleUpdate(update, this.#ctx);
          const moved = await raceAbort(
            this.opts.redis.eval(
              ADVANCE_LUA,
              2,
              this.#keys.lock,
              this.#keys.offset,
              this.#owner,
              update.update_id + 1,
              OFFSET_TTL_MS,
            ),
            stop,
            abortError,
          );
          if (moved === -1) {
            this.#lose('another process holds the poller lock now');
            break;
          }
        }
      } catch (err) {
        if (stop.aborted) break;
        if (this.#holding?.signal.aborted) continue;
        const f = botApiFailure(err);
        if (f?.code === 409 && /webhook/i.test(f.description) && !webhookDeleted) {
          // The bot had a webhook (it was in webhook mode before): polling needs it gone.
          webhookDeleted = true;
          this.#log.warn('the bot has a webhook set: deleting it to receive button presses by polling');
          await this.#deleteWebhook();
          continue;
        }
        failures++;
        const wait = backoff(this.timings, failures, f?.retryAfter);
        const message = safe(err, this.bot);
        if (f?.code === 409)
          this.#log.warn(
            { err: { message }, retryInMs: wait },
            'telegram says another client polls this bot: use this bot token for Klaxon only',
          );
        else this.#log.warn({ err: { message }, retryInMs: wait }, 'telegram getUpdates failed');
        await pause(wait, stop);
      }
    }
  }

  /** Takes the lock if nobody holds it; starts renewing it. */
  async #acquire(): Promise<boolean> {
    const stop = this.#stop.signal;
    const got = await raceAbort(
      this.opts.redis.set(this.#keys.lock, this.#owner, 'PX', this.timings.lockTtlMs, 'NX'),
      stop,
      abortError,
    );
    if (got !== 'OK') return false;
    this.#holding = new AbortController();
    this.#renewedAt = Date.now();
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(50, this.timings.lockTtlMs / 3));
    this.#renewTimer.unref();
    this.#log.info('this process polls the bot for button presses');
    return true;
  }

  async #renew(): Promise<void> {
    const holding = this.#holding;
    if (!holding || holding.signal.aborted) return;
    try {
      const renewed = await this.opts.redis.eval(
        RENEW_LUA,
        1,
        this.#keys.lock,
        this.#owner,
        this.timings.lockTtlMs,
      );
      if (renewed === 1) this.#renewedAt = Date.now();
      else this.#lose('the poller lock expired or passed to another process');
    } catch {
      if (Date.now() - this.#renewedAt > this.timings.lockTtlMs)
        this.#lose('the poller lock could not be renewed in time (Redis unreachable)');
    }
  }

  /** Stops polling at once: another process may hold the lock now. */
  #lose(why: string): void {
    if (!this.#holding || this.#holding.signal.aborted) return;
    this.#log.warn({ why }, 'this process stops polling the bot');
    this.#holding.abort();
  }

  #drop(): void {
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
    this.#holding = undefined;
  }

  async #deleteWebhook(): Promise<void> {
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
    try {
      await raceAbort(
        this.#tg.callApi('deleteWebhook', {}, { signal: signal as unknown as TelegrafSignal }),
        signal,
        abortError,
      );
    } catch (err) {
      this.#log.warn({ err: { message: safe(err, this.bot) } }, 'could not delete the telegram webhook');
    }
  }
}

/** The wait after the `failures`-th failure in a row: Telegram's retry_after, else doubling. */
function backoff(t: UpdatesTimings, failures: number, retryAfterS?: number): number {
  if (retryAfterS !== undefined) return Math.min(Math.max(0, retryAfterS) * 1000, t.maxBackoffMs);
  return Math.min(t.backoffMs * 2 ** Math.min(failures - 1, 20), t.maxBackoffMs);
}

function isObject(v: unknown): v is Record<string, unknown> & { [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isString(v: string | undefined): v is string {
  return typeof v === 'string';
}
