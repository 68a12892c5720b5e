import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/**
 * A local Telegram Bot API (https://core.telegram.org/bots/api) for tests: point a client at
 * `apiRoot` instead of https://api.telegram.org. It speaks the real contract where Klaxon uses it:
 *
 * - `POST /bot<token>/<method>` (also under a path prefix: `/prefix/bot<token>/<method>`) with a
 *   JSON (or form) body; method names are case-insensitive.
 * - Answers `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }`
 *   with the HTTP status equal to `error_code`, as the Bot API does.
 * - `getMe`, `sendMessage` (message ids increment per chat from 1) and `editMessageText`.
 * - Inline keyboards: `reply_markup` is kept on the message (`messagesIn(chat)[i].reply_markup`);
 *   `editMessageText` replaces it (none given: the buttons go, as in Telegram), and
 *   `editMessageReplyMarkup` changes only it.
 * - Button presses: `press(chat, message_id, from)` makes a `callback_query` update, as Telegram
 *   does when a user presses a button. The bot receives it by long polling (`getUpdates`: held
 *   until an update arrives or `timeout` seconds pass; `offset` confirms earlier updates; a second
 *   `getUpdates` for the same token while one waits is 409 Conflict, as is `getUpdates` while a
 *   webhook is set), or, after `setWebhook`, posted to the webhook URL with the
 *   `X-Telegram-Bot-Api-Secret-Token` header. `answerCallbackQuery` is recorded (`callbackAnswers`);
 *   answering an unknown or already answered query is 400 `query is too old`.
 *   `parse_mode: 'HTML'` is parsed like Telegram does: only its tags, only `&lt; &gt; &amp;
 *   &quot;` and numeric entities, balanced tags; else 400 `can't parse entities`. Text over 4096
 *   UTF-16 code units after parsing is 400 `message is too long`; an edit to a missing message is
 *   `message to edit not found`, one that changes nothing `message is not modified`.
 * - With `token` set, any other token gets 401 `Unauthorized`; unknown methods 404 `Not Found`.
 *
 * Every request is recorded (`requests`), answered or not. Answers can be scripted per request:
 *
 *     const tg = await new FakeTelegram({ token }).start();
 *     tg.script(tooManyRequests(7), { method: 'sendMessage', times: 2 }); // two 429s, then normal
 *     tg.script(hang());                     // the next request (any method) never gets an answer
 *     tg.migrateChat(-100, -1001234);        // sends to -100 answer 400 migrate_to_chat_id from now on
 *     tg.messagesIn(-1001234)                // what a chat shows now (after edits)
 *     await tg.close();
 *
 * Builders for the answers Klaxon must handle: `tooManyRequests`, `migrated`,
 * `cantParseEntities`, `botBlocked`, `botKicked`, `chatNotFound`, `unauthorized`,
 * `badGatewayHtml`, `botApiError` (any), `rawAnswer` (any status/body/headers), `hang`,
 * `closeSocket`, and `processThenFail` (the method takes effect, then the client sees a failure:
 * a retry that in fact duplicates).
 */

export interface FakeTelegramRequest {
  /** HTTP method (`POST`). */
  method: string;
  /** The request path, token included: `/bot123:abc/sendMessage`. */
  path: string;
  /** The token from the path (undefined when the path has none). */
  token: string | undefined;
  /** The Bot API method as written in the path (`sendMessage`). */
  apiMethod: string;
  headers: IncomingHttpHeaders;
  /** The parsed body (JSON, or a form with JSON-looking values parsed). */
  body: Record<string, unknown>;
  /** The body as received. */
  raw: string;
  /** When it arrived (ms, wall clock). */
  at: number;
}

export interface FakeTelegramEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

/** A message as the chat shows it now. */
export interface FakeTelegramMessage {
  message_id: number;
  /** The chat id as sent (`-100123`, `@channel`), as a string. */
  chat: string;
  /** The visible text (after entity parsing). */
  text: string;
  entities: FakeTelegramEntity[];
  /** The `text` field as sent (HTML source when parse_mode was HTML). */
  source: string;
  parse_mode?: string;
  disable_notification: boolean;
  /** `reply_parameters.message_id` when the message answered one that exists. */
  reply_to?: number;
  date: number;
  /** Texts before each edit, oldest first. */
  history: string[];
  /** The inline keyboard the message shows now (absent: no buttons). */
  reply_markup?: FakeInlineKeyboard;
  /** The bot token that sent it. */
  token?: string;
}

export interface FakeInlineKeyboard {
  inline_keyboard: { text: string; callback_data?: string; url?: string }[][];
}

/** A user pressing a button. */
export interface FakeTelegramUser {
  id: number;
  first_name: string;
  username?: string;
}

/** An `answerCallbackQuery` as the fake received it. */
export interface FakeCallbackAnswer {
  callback_query_id: string;
  text?: string;
  show_alert: boolean;
  /** The token of the bot that answered. */
  token: string;
}

/** What `press` did. */
export interface FakePress {
  update_id: number;
  callback_query_id: string;
  /** In webhook mode: the status the webhook answered (0 when it could not be reached). */
  webhookStatus?: number;
}

interface WaitingPoll {
  res: ServerResponse;
  offset: number;
  limit: number;
  allowed?: string[];
  timer: NodeJS.Timeout;
}

/** What the fake keeps per bot token: updates not yet confirmed, the waiting poll, the webhook. */
interface BotState {
  updates: { update_id: number; type: string; update: Record<string, unknown> }[];
  poll?: WaitingPoll;
  webhook?: { url: string; secret_token?: string; allowed_updates?: string[] };
}

export type FakeAnswer =
  | {
      kind: 'error';
      error_code: number;
      description: string;
      parameters?: { retry_after?: number; migrate_to_chat_id?: number };
    }
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'close' }
  | { kind: 'process-then'; then: FakeAnswer };

export interface ScriptOptions {
  /** Only requests to this Bot API method (case-insensitive); any method when omitted. */
  method?: string;
  /** Only requests whose `chat_id` is this chat. */
  chat?: string | number;
  /** How many matching requests get this answer (default 1; `Infinity` for all). */
  times?: number;
  /** Let this many matching requests through normally first (default 0): "the second send fails". */
  skip?: number;
}

/** Any Bot API error, shaped as Telegram sends it. */
export function botApiError(
  errorCode: number,
  description: string,
  parameters?: { retry_after?: number; migrate_to_chat_id?: number },
): FakeAnswer {
  return { kind: 'error', error_code: errorCode, description, ...(parameters ? { parameters } : {}) };
}
export const tooManyRequests = (retryAfter: number): FakeAnswer =>
  botApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
export const migrated = (toChatId: number): FakeAnswer =>
  botApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
    migrate_to_chat_id: toChatId,
  });
export const cantParseEntities = (detail = 'Unsupported start tag "blink" at byte offset 0'): FakeAnswer =>
  botApiError(400, `Bad Request: can't parse entities: ${detail}`);
export const botBlocked = (): FakeAnswer => botApiError(403, 'Forbidden: bot was blocked by the user');
export const botKicked = (): FakeAnswer => botApiError(403, 'Forbidden: bot was kicked from the group chat');
export const chatNotFound = (): FakeAnswer => botApiError(400, 'Bad Request: chat not found');
export const unauthorized = (): FakeAnswer => botApiError(401, 'Unauthorized');
export const rawAnswer = (status: number, body: string, headers?: Record<string, string>): FakeAnswer => ({
  kind: 'raw',
  status,
  body,
  ...(headers ? { headers } : {}),
});
/** What a proxy in front of the Bot API answers when it is down: HTML, not JSON. */
export const badGatewayHtml = (): FakeAnswer =>
  rawAnswer(
    502,
    '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
    { 'content-type': 'text/html' },
  );
/** Never answers (the client must give up through its own timeout or signal). */
export const hang = (): FakeAnswer => ({ kind: 'hang' });
/** Closes the connection without answering (the client sees a reset). */
export const closeSocket = (): FakeAnswer => ({ kind: 'close' });
/** Does what the request asks (a message is sent), then answers `then` (a closed socket by default). */
export const processThenFail = (then: FakeAnswer = closeSocket()): FakeAnswer => ({
  kind: 'process-then',
  then,
});

interface Scripted {
  answer: FakeAnswer;
  method?: string;
  chat?: string;
  times: number;
  skip: number;
}

/** Tags Telegram's HTML parse mode accepts, and the entity type each makes. */
const TAGS: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export const TELEGRAM_TEXT_MAX = 4096;

export class HtmlParseError extends Error {}

/**
 * Telegram's HTML parse mode: the visible text and its entities (offsets in UTF-16 code units),
 * or an HtmlParseError worded like Telegram's `can't parse entities: …` details.
 */
export function parseTelegramHtml(html: string): { text: string; entities: FakeTelegramEntity[] } {
  let text = '';
  const entities: FakeTelegramEntity[] = [];
  const stack: { name: string; start: number; url?: string; language?: string }[] = [];
  const byteOffset = (i: number): number => Buffer.byteLength(html.slice(0, i));
  let i = 0;
  while (i < html.length) {
    const ch = html[i] as string;
    if (ch === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) throw new HtmlParseError(`Can't find end of the tag at byte offset ${byteOffset(i)}`);
      const inner = html.slice(i + 1, end);
      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const top = stack.pop();
        if (!top || top.name !== name)
          throw new HtmlParseError(
            `Unmatched end tag at byte offset ${byteOffset(i)}, expected "</${top?.name ?? ''}>", found "</${name}>"`,
          );
        const length = text.length - top.start;
        const type = TAGS[top.name] as string;
        if (length > 0)
          entities.push({
            type,
            offset: top.start,
            length,
            ...(top.url !== undefined ? { url: top.url } : {}),
            ...(top.language !== undefined ? { language: top.language } : {}),
          });
      } else {
        const m = /^([a-zA-Z][a-zA-Z0-9-]*)([\s\S]*)$/.exec(inner);
        const name = m?.[1]?.toLowerCase() ?? '';
        if (!(name in TAGS))
          throw new HtmlParseError(`Unsupported start tag "${name}" at byte offset ${byteOffset(i)}`);
        const attrs = parseAttributes(m?.[2] ?? '');
        if (name === 'span' && attrs.class !== 'tg-spoiler')
          throw new HtmlParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(i)}`);
        if (name === 'a' && attrs.href === undefined)
          throw new HtmlParseError(`Can't find href attribute at byte offset ${byteOffset(i)}`);
        stack.push({ name, start: text.length, url: name === 'a' ? attrs.href : undefined });
      }
      i = end + 1;
    } else if (ch === '&') {
      const m = /^&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/.exec(html.slice(i, i + 12));
      const decoded = m?.[1] !== undefined ? decodeEntity(m[1]) : undefined;
      if (m && decoded !== undefined) {
        text += decoded;
        i += m[0].length;
      } else {
        text += '&'; // an `&` that starts no known entity is kept as it is
        i += 1;
      }
    } else {
      text += ch;
      i += 1;
    }
  }
  const open = stack.pop();
  if (open) throw new HtmlParseError(`Can't find end tag corresponding to start tag "${open.name}"`);
  return { text, entities: entities.sort((a, b) => a.offset - b.offset) };
}

function decodeEntity(body: string): string | undefined {
  if (body.startsWith('#')) {
    const cp = /^#[xX]/.test(body) ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
  }
  return NAMED_ENTITIES[body];
}

function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-zA-Z-]+)\s*=\s*"([^"]*)"|([a-zA-Z-]+)\s*=\s*'([^']*)'/g)) {
    const key = (m[1] ?? m[3] ?? '').toLowerCase();
    const raw = m[2] ?? m[4] ?? '';
    out[key] = raw.replace(
      /&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/g,
      (e, b: string) => decodeEntity(b) ?? e,
    );
  }
  return out;
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

const fail = (code: number, description: string): Reply =>
  new Reply(code, { ok: false, error_code: code, description });

export class FakeTelegram {
  /** Every request, in arrival order (also those left hanging). */
  readonly requests: FakeTelegramRequest[] = [];
  /** Every message sent, in order, as its chat shows it now. */
  readonly messages: FakeTelegramMessage[] = [];
  /** `http://127.0.0.1:<port>`: the client's `apiRoot`. */
  apiRoot = '';
  /** The bot `getMe` describes. */
  bot = { first_name: 'Klaxon Test Bot', username: 'klaxon_test_bot' };
  /** Unix time (s) of sent and edited messages; the wall clock by default. */
  now: () => number = () => Math.floor(Date.now() / 1000);
  /** Every `answerCallbackQuery` accepted, in order. */
  readonly callbackAnswers: FakeCallbackAnswer[] = [];
  /** How many `getUpdates` were refused with 409 Conflict (another poll waiting, or a webhook set). */
  conflicts = 0;

  readonly #token: string | undefined;
  readonly #script: Scripted[] = [];
  readonly #migrations = new Map<string, number>();
  readonly #nextId = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #sockets = new Set<Socket>();
  readonly #bots = new Map<string, BotState>();
  /** Callback queries pressed and not answered yet. */
  readonly #openQueries = new Set<string>();
  #nextUpdateId = 700_000_001;
  #nextQueryId = 1;
  #server: http.Server | undefined;

  /** With `token`, only that token is accepted (others get 401 Unauthorized). */
  constructor(opts: { token?: string } = {}) {
    this.#token = opts.token;
  }

  /** Same as `apiRoot`. */
  get url(): string {
    return this.apiRoot;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => this.#onRequest(req, res));
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.#server = server;
    this.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    for (const bot of this.#bots.values()) {
      if (bot.poll) clearTimeout(bot.poll.timer);
      bot.poll?.res.destroy();
      bot.poll = undefined;
    }
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Answers the next matching request(s) with `answer` instead of the normal behaviour. */
  script(answer: FakeAnswer, opts: ScriptOptions = {}): this {
    this.#script.push({
      answer,
      method: opts.method?.toLowerCase(),
      chat: opts.chat === undefined ? undefined : String(opts.chat),
      times: opts.times ?? 1,
      skip: opts.skip ?? 0,
    });
    return this;
  }

  /** From now on, every send or edit to `from` answers 400 with `migrate_to_chat_id: to`. */
  migrateChat(from: string | number, to: number): this {
    this.#migrations.set(String(from), to);
    return this;
  }

  /**
   * Forgets requests, messages, scripts, migrations, pending updates, webhooks and answers (the
   * server keeps running; a poll waiting now keeps waiting).
   */
  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.#script.length = 0;
    this.#migrations.clear();
    this.#nextId.clear();
    this.callbackAnswers.length = 0;
    this.conflicts = 0;
    this.#openQueries.clear();
    for (const bot of this.#bots.values()) {
      bot.updates.length = 0;
      bot.webhook = undefined;
    }
  }

  /**
   * A user presses a button of a message: a `callback_query` update for the bot that sent it,
   * with `data` (by default the `callback_data` of the message's first button). In webhook mode
   * it is posted to the webhook at once (resolves with the status it answered); otherwise it
   * waits for the bot's `getUpdates`.
   */
  async press(
    chat: string | number,
    messageId: number,
    from: FakeTelegramUser,
    data?: string,
  ): Promise<FakePress> {
    const msg = this.messagesIn(chat).find((m) => m.message_id === messageId);
    if (!msg) throw new Error(`no message ${messageId} in chat ${chat}`);
    const buttonData = data ?? msg.reply_markup?.inline_keyboard[0]?.[0]?.callback_data;
    if (buttonData === undefined) throw new Error(`message ${messageId} in chat ${chat} has no button`);
    const token = msg.token ?? this.#token ?? '';
    const id = `${this.#nextQueryId++}${'0'.repeat(6)}`;
    this.#openQueries.add(id);
    const update = {
      update_id: this.#nextUpdateId++,
      callback_query: {
        id,
        from: {
          id: from.id,
          is_bot: false,
          first_name: from.first_name,
          ...(from.username ? { username: from.username } : {}),
        },
        message: this.#result(msg),
        chat_instance: `-${Math.abs(Number(msg.chat) || 1)}77`,
        data: buttonData,
      },
    };
    const done: FakePress = { update_id: update.update_id, callback_query_id: id };
    const bot = this.#bot(token);
    if (bot.webhook) {
      done.webhookStatus = await this.#postToWebhook(bot.webhook, update);
      return done;
    }
    bot.updates.push({ update_id: update.update_id, type: 'callback_query', update });
    this.#wake(bot);
    return done;
  }

  /** The webhook set for a bot token (the only token seen, when omitted). */
  webhookOf(token?: string): { url: string; secret_token?: string; allowed_updates?: string[] } | undefined {
    const t = token ?? this.#token ?? [...this.#bots.keys()][0];
    return t === undefined ? undefined : this.#bots.get(t)?.webhook;
  }

  /** Whether a `getUpdates` of this bot is waiting now (the only token seen, when omitted). */
  polling(token?: string): boolean {
    const t = token ?? this.#token ?? [...this.#bots.keys()][0];
    return t !== undefined && this.#bots.get(t)?.poll !== undefined;
  }

  /** Updates queued for a bot and not yet confirmed by an offset. */
  pendingUpdates(token?: string): number {
    const t = token ?? this.#token ?? [...this.#bots.keys()][0];
    return t === undefined ? 0 : (this.#bots.get(t)?.updates.length ?? 0);
  }

  #bot(token: string): BotState {
    let b = this.#bots.get(token);
    if (!b) {
      b = { updates: [] };
      this.#bots.set(token, b);
    }
    return b;
  }

  async #postToWebhook(
    hook: NonNullable<BotState['webhook']>,
    update: Record<string, unknown>,
  ): Promise<number> {
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(hook.secret_token ? { 'x-telegram-bot-api-secret-token': hook.secret_token } : {}),
        },
        body: JSON.stringify(update),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** `getUpdates`: answers at once when updates wait, else holds the request (long polling). */
  #getUpdates(r: FakeTelegramRequest, res: ServerResponse): void {
    if (r.token === undefined) return this.#send(res, fail(404, 'Not Found'));
    if (this.#token !== undefined && r.token !== this.#token)
      return this.#send(res, fail(401, 'Unauthorized'));
    const bot = this.#bot(r.token);
    if (bot.webhook) {
      this.conflicts += 1;
      return this.#send(
        res,
        fail(
          409,
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        ),
      );
    }
    if (bot.poll) {
      this.conflicts += 1;
      return this.#send(
        res,
        fail(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        ),
      );
    }
    const offset = typeof r.body.offset === 'number' ? r.body.offset : 0;
    const limit = typeof r.body.limit === 'number' && r.body.limit > 0 ? Math.min(r.body.limit, 100) : 100;
    const timeout = typeof r.body.timeout === 'number' ? r.body.timeout : 0;
    const allowed = Array.isArray(r.body.allowed_updates)
      ? r.body.allowed_updates.filter((u): u is string => typeof u === 'string')
      : undefined;
    // An offset confirms every update before it: Telegram forgets them.
    if (offset > 0) bot.updates = bot.updates.filter((u) => u.update_id >= offset);
    const ready = this.#ready(bot, allowed, limit);
    if (ready.length > 0 || timeout <= 0) return this.#send(res, ok(ready));
    const poll: WaitingPoll = {
      res,
      offset,
      limit,
      ...(allowed ? { allowed } : {}),
      timer: setTimeout(() => {
        if (bot.poll !== poll) return;
        bot.poll = undefined;
        this.#send(res, ok([]));
      }, timeout * 1000),
    };
    bot.poll = poll;
    // The client gave up (an abort, a process that stopped): the poll is over.
    res.on('close', () => {
      if (bot.poll !== poll) return;
      clearTimeout(poll.timer);
      bot.poll = undefined;
    });
  }

  #ready(bot: BotState, allowed: string[] | undefined, limit: number): Record<string, unknown>[] {
    return bot.updates
      .filter((u) => !allowed || allowed.length === 0 || allowed.includes(u.type))
      .slice(0, limit)
      .map((u) => u.update);
  }

  /** An update arrived: a waiting poll gets it now. */
  #wake(bot: BotState): void {
    const poll = bot.poll;
    if (!poll) return;
    const ready = this.#ready(bot, poll.allowed, poll.limit);
    if (ready.length === 0) return;
    clearTimeout(poll.timer);
    bot.poll = undefined;
    this.#send(poll.res, ok(ready));
  }

  /** Requests to one Bot API method (case-insensitive). */
  requestsTo(apiMethod: string): FakeTelegramRequest[] {
    return this.requests.filter((r) => r.apiMethod.toLowerCase() === apiMethod.toLowerCase());
  }

  /** The messages of one chat, oldest first. */
  messagesIn(chat: string | number): FakeTelegramMessage[] {
    return this.messages.filter((m) => m.chat === String(chat));
  }

  /** How many requests are waiting for an answer that will never come (`hang`). */
  get hanging(): number {
    return this.#hanging.size;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      // Any prefix before `/bot<token>/` is accepted, like a Bot API server mounted under a path.
      const m = /\/bot([^/]+)\/([^/?]+)(?:\?.*)?$/.exec(path);
      const record: FakeTelegramRequest = {
        method: req.method ?? '',
        path,
        token: m?.[1] !== undefined ? decodeURIComponent(m[1]) : undefined,
        apiMethod: m?.[2] ?? '',
        headers: req.headers,
        body: parseBody(raw, req.headers['content-type']),
        raw,
        at: Date.now(),
      };
      this.requests.push(record);
      const scripted = this.#take(record);
      if (scripted) this.#answer(res, scripted, record);
      else if (record.apiMethod.toLowerCase() === 'getupdates') this.#getUpdates(record, res);
      else this.#send(res, this.#handle(record));
    });
  }

  #take(r: FakeTelegramRequest): FakeAnswer | undefined {
    const method = r.apiMethod.toLowerCase();
    const chat = r.body.chat_id === undefined ? undefined : String(r.body.chat_id);
    const i = this.#script.findIndex(
      (s) => (s.method === undefined || s.method === method) && (s.chat === undefined || s.chat === chat),
    );
    if (i < 0) return undefined;
    const s = this.#script[i] as Scripted;
    if (s.skip > 0) {
      s.skip -= 1;
      return undefined;
    }
    s.times -= 1;
    if (s.times <= 0) this.#script.splice(i, 1);
    return s.answer;
  }

  #answer(res: ServerResponse, a: FakeAnswer, r: FakeTelegramRequest): void {
    switch (a.kind) {
      case 'error':
        this.#send(
          res,
          new Reply(a.error_code, {
            ok: false,
            error_code: a.error_code,
            description: a.description,
            ...(a.parameters ? { parameters: a.parameters } : {}),
          }),
        );
        return;
      case 'raw':
        res.writeHead(a.status, a.headers ?? {}).end(a.body);
        return;
      case 'hang':
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
        return;
      case 'close':
        res.socket?.destroy();
        return;
      case 'process-then':
        this.#handle(r);
        this.#answer(res, a.then, r);
        return;
    }
  }

  #send(res: ServerResponse, reply: Reply): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
  }

  #handle(r: FakeTelegramRequest): Reply {
    if (r.token === undefined) return fail(404, 'Not Found');
    if (this.#token !== undefined && r.token !== this.#token) return fail(401, 'Unauthorized');
    switch (r.apiMethod.toLowerCase()) {
      case 'getme':
        return ok({
          id: Number(/^(\d+):/.exec(r.token)?.[1] ?? 1),
          is_bot: true,
          first_name: this.bot.first_name,
          username: this.bot.username,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case 'sendmessage':
        return this.#sendMessage(r.body, r.token);
      case 'editmessagetext':
        return this.#editMessageText(r.body);
      case 'editmessagereplymarkup':
        return this.#editMessageReplyMarkup(r.body);
      case 'answercallbackquery':
        return this.#answerCallbackQuery(r.body, r.token);
      case 'setwebhook':
        return this.#setWebhook(r.body, r.token);
      case 'deletewebhook': {
        const bot = this.#bot(r.token);
        bot.webhook = undefined;
        if (r.body.drop_pending_updates === true) bot.updates.length = 0;
        return ok(true);
      }
      case 'getwebhookinfo': {
        const bot = this.#bot(r.token);
        return ok({
          url: bot.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: bot.updates.length,
          ...(bot.webhook?.allowed_updates ? { allowed_updates: bot.webhook.allowed_updates } : {}),
        });
      }
      default:
        return fail(404, 'Not Found');
    }
  }

  #parse(body: Record<string, unknown>): { text: string; entities: FakeTelegramEntity[] } | Reply {
    const source = typeof body.text === 'string' ? body.text : '';
    let parsed: { text: string; entities: FakeTelegramEntity[] } = { text: source, entities: [] };
    if (typeof body.parse_mode === 'string' && body.parse_mode.toLowerCase() === 'html') {
      try {
        parsed = parseTelegramHtml(source);
      } catch (e) {
        if (e instanceof HtmlParseError) return fail(400, `Bad Request: can't parse entities: ${e.message}`);
        throw e;
      }
    } else if (body.parse_mode !== undefined) {
      return fail(400, 'Bad Request: unsupported parse_mode in this fake (use HTML or none)');
    }
    if (parsed.text.trim() === '') return fail(400, 'Bad Request: message text is empty');
    if (parsed.text.length > TELEGRAM_TEXT_MAX) return fail(400, 'Bad Request: message is too long');
    return parsed;
  }

  #migration(chat: string): Reply | undefined {
    const to = this.#migrations.get(chat);
    if (to === undefined) return undefined;
    return new Reply(400, {
      ok: false,
      error_code: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: to },
    });
  }

  #answerCallbackQuery(body: Record<string, unknown>, token: string): Reply {
    const id = typeof body.callback_query_id === 'string' ? body.callback_query_id : '';
    if (!this.#openQueries.delete(id))
      return fail(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
    this.callbackAnswers.push({
      callback_query_id: id,
      ...(typeof body.text === 'string' ? { text: body.text } : {}),
      show_alert: body.show_alert === true,
      token,
    });
    return ok(true);
  }

  #setWebhook(body: Record<string, unknown>, token: string): Reply {
    const url = typeof body.url === 'string' ? body.url : '';
    const bot = this.#bot(token);
    if (url === '') {
      bot.webhook = undefined;
      return ok(true);
    }
    if (!/^https?:\/\//.test(url))
      return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    const secret = body.secret_token;
    if (secret !== undefined && (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(secret)))
      return fail(400, 'Bad Request: secret token contains unallowed characters');
    bot.webhook = {
      url,
      ...(typeof secret === 'string' ? { secret_token: secret } : {}),
      ...(Array.isArray(body.allowed_updates) ? { allowed_updates: body.allowed_updates as string[] } : {}),
    };
    return ok(true);
  }

  #editMessageReplyMarkup(body: Record<string, unknown>): Reply {
    if (body.chat_id === undefined) return fail(400, 'Bad Request: chat_id is empty');
    const msg = this.messagesIn(String(body.chat_id)).find((m) => m.message_id === body.message_id);
    if (!msg) return fail(400, 'Bad Request: message to edit not found');
    const markup = keyboardOf(body.reply_markup);
    if (JSON.stringify(markup) === JSON.stringify(msg.reply_markup))
      return fail(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    if (markup) msg.reply_markup = markup;
    else delete msg.reply_markup;
    return ok({ ...this.#result(msg), edit_date: this.now() });
  }

  #sendMessage(body: Record<string, unknown>, token?: string): Reply {
    if (body.chat_id === undefined || body.chat_id === '') return fail(400, 'Bad Request: chat_id is empty');
    const chat = String(body.chat_id);
    const moved = this.#migration(chat);
    if (moved) return moved;
    const parsed = this.#parse(body);
    if (parsed instanceof Reply) return parsed;
    const reply = body.reply_parameters as
      { message_id?: unknown; allow_sending_without_reply?: unknown } | undefined;
    let replyTo: FakeTelegramMessage | undefined;
    if (reply?.message_id !== undefined) {
      replyTo = this.messagesIn(chat).find((m) => m.message_id === reply.message_id);
      if (!replyTo && reply.allow_sending_without_reply !== true)
        return fail(400, 'Bad Request: message to be replied not found');
    }
    const id = this.#nextId.get(chat) ?? 1;
    this.#nextId.set(chat, id + 1);
    const msg: FakeTelegramMessage = {
      message_id: id,
      chat,
      text: parsed.text,
      entities: parsed.entities,
      source: String(body.text),
      ...(typeof body.parse_mode === 'string' ? { parse_mode: body.parse_mode } : {}),
      disable_notification: body.disable_notification === true,
      ...(replyTo ? { reply_to: replyTo.message_id } : {}),
      date: this.now(),
      history: [],
    };
    const markup = keyboardOf(body.reply_markup);
    if (markup) msg.reply_markup = markup;
    if (token !== undefined) msg.token = token;
    this.messages.push(msg);
    return ok(this.#result(msg, replyTo));
  }

  #editMessageText(body: Record<string, unknown>): Reply {
    if (body.chat_id === undefined) return fail(400, 'Bad Request: chat_id is empty');
    const chat = String(body.chat_id);
    const moved = this.#migration(chat);
    if (moved) return moved;
    const parsed = this.#parse(body);
    if (parsed instanceof Reply) return parsed;
    const msg = this.messagesIn(chat).find((m) => m.message_id === body.message_id);
    if (!msg) return fail(400, 'Bad Request: message to edit not found');
    // Without reply_markup an edit takes the buttons away, as Telegram does.
    const markup = keyboardOf(body.reply_markup);
    if (
      msg.text === parsed.text &&
      JSON.stringify(msg.entities) === JSON.stringify(parsed.entities) &&
      JSON.stringify(markup) === JSON.stringify(msg.reply_markup)
    )
      return fail(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    msg.history.push(msg.text);
    msg.text = parsed.text;
    msg.entities = parsed.entities;
    msg.source = String(body.text);
    if (markup) msg.reply_markup = markup;
    else delete msg.reply_markup;
    const replyTo = this.messagesIn(chat).find((m) => m.message_id === msg.reply_to);
    return ok({ ...this.#result(msg, replyTo), edit_date: this.now() });
  }

  /** A Bot API `Message`. */
  #result(m: FakeTelegramMessage, replyTo?: FakeTelegramMessage): Record<string, unknown> {
    return {
      message_id: m.message_id,
      from: { id: 1, is_bot: true, first_name: this.bot.first_name, username: this.bot.username },
      chat: chatObject(m.chat),
      date: m.date,
      text: m.text,
      ...(m.entities.length > 0 ? { entities: m.entities } : {}),
      ...(replyTo ? { reply_to_message: this.#result(replyTo) } : {}),
      ...(m.reply_markup ? { reply_markup: m.reply_markup } : {}),
    };
  }
}

/** An inline keyboard with at least one button, or undefined (none, or an empty one). */
function keyboardOf(markup: unknown): FakeInlineKeyboard | undefined {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows) || !rows.some((r) => Array.isArray(r) && r.length > 0)) return undefined;
  return { inline_keyboard: rows as FakeInlineKeyboard['inline_keyboard'] };
}

function ok(result: unknown): Reply {
  return new Reply(200, { ok: true, result });
}

function chatObject(chat: string): Record<string, unknown> {
  if (chat.startsWith('@'))
    return { id: -1009000000001, title: chat.slice(1), username: chat.slice(1), type: 'channel' };
  const id = Number(chat);
  if (id > 0) return { id, first_name: 'Test', type: 'private' };
  if (chat.startsWith('-100')) return { id, title: 'Test supergroup', type: 'supergroup' };
  return { id, title: 'Test group', type: 'group' };
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  try {
    if (contentType?.includes('application/json')) {
      const v: unknown = JSON.parse(raw);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    }
    if (contentType?.includes('application/x-www-form-urlencoded')) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of new URLSearchParams(raw)) {
        out[k] = /^[[{]/.test(v) ? JSON.parse(v) : /^-?\d+$/.test(v) ? Number(v) : v === 'true' ? true : v;
      }
      return out;
    }
  } catch {
    // an unreadable body is recorded raw only
  }
  return {};
}
