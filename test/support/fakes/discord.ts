import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local fake of Discord's webhook API, for driving the real discord.js `WebhookClient` (point
 * its `rest.api`, i.e. a discord receiver's `api_root`, at `fake.apiRoot`).
 *
 * Speaks the contract discord.js uses:
 * - `POST  /api/v10/webhooks/:id/:token?wait=true[&thread_id=]` executes the webhook: 200 with the
 *   created message object (or 204 without `wait`);
 * - `PATCH /api/v10/webhooks/:id/:token/messages/:message_id[?thread_id=]` edits a message;
 * - `GET   /api/v10/webhooks/:id/:token` and `…/messages/:message_id` read them back.
 *
 * Like Discord it answers 404 `10015 Unknown Webhook` for an unknown id, 401 `50027 Invalid
 * Webhook Token` for a wrong token, 404 `10008 Unknown Message` for an unknown message (or one
 * in another thread), and 400 `50035 Invalid Form Body` with Discord's nested `errors` tree when
 * a body breaks a documented limit (embed lengths and the 6000 total, counted in code points
 * after trimming; field count; content length; username rules; empty message → `50006`). Every
 * answer carries `X-RateLimit-*` headers per webhook.
 *
 * Everything is recorded in `requests` (method, path, query, headers, parsed body, answer), and
 * stored messages in `messages`. Scripting: `fake.script(answer, { times, route })` makes the
 * next matching requests answer as told (see `discordAnswers` for Discord's real error bodies,
 * hangs and dropped connections); scripts are used in the order they were added.
 *
 * Usage:
 * ```ts
 * const fake = await new FakeDiscord().start();
 * const cfg = { type: 'discord', webhook_url: fake.webhookUrl(), api_root: fake.apiRoot };
 * fake.script(discordAnswers.rateLimited(1.5), { route: 'execute' });
 * …
 * await fake.close();
 * ```
 */

export type DiscordRoute = 'execute' | 'edit' | 'get-webhook' | 'get-message' | 'other';

export interface FakeWebhook {
  id: string;
  token: string;
  name: string;
  channelId: string;
  guildId: string;
}

/** What Discord would hold: the message object as returned, plus where it lives. */
export interface FakeDiscordMessage {
  id: string;
  webhook_id: string;
  channel_id: string;
  type: 0;
  content: string;
  embeds: Record<string, unknown>[];
  author: { id: string; username: string; avatar: string | null; discriminator: '0000'; bot: true };
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: unknown[];
  mention_roles: string[];
  attachments: unknown[];
  components: unknown[];
  pinned: false;
  flags: number;
  /** Fake only (not part of Discord's message object): the `avatar_url` override it was sent with. */
  avatar_url?: string;
}

export interface FakeDiscordRequest {
  method: string;
  /** Path without the query, e.g. `/api/v10/webhooks/1100…/TOKEN`. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty; the raw text when not JSON). */
  body: unknown;
  raw: string;
  route: DiscordRoute;
  webhookId?: string;
  messageId?: string;
  /** The status answered, or `hang` / `reset`. */
  answered?: number | 'hang' | 'reset';
  at: number;
}

/** A scripted answer. Without `apply`, the request is not carried out (nothing stored or edited). */
export interface FakeDiscordAnswer {
  status?: number;
  /** JSON-encoded when not a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (the connection stays open until the client gives up or the fake closes). */
  hang?: boolean;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /**
   * Carry the request out as usual (store or edit the message) and only then answer as scripted:
   * "the request succeeded but the client never heard", so a retry makes a duplicate.
   */
  apply?: boolean;
}

export interface ScriptOptions {
  /** How many matching requests get this answer (default 1; Infinity for all). */
  times?: number;
  /** Only requests to this route (default: any). */
  route?: DiscordRoute;
  /** Let this many matching requests through first (default 0). */
  after?: number;
}

export interface FakeDiscordOptions {
  /**
   * The per-webhook bucket the `X-RateLimit-*` headers describe (default 5 per 2000 ms, Discord's
   * observed webhook limit). With `enforce` the fake answers 429 past it, as Discord does;
   * without (the default) it never limits and never reports fewer than 1 remaining, so the
   * client does not hold requests back on its own.
   */
  rateLimit?: { limit?: number; windowMs?: number; enforce?: boolean };
}

const err = (code: string, message: string) => ({ code, message });

/** Discord's real error answers, for `fake.script(…)`. */
export const discordAnswers = {
  /** 429 as Discord sends it: `Retry-After` header (seconds) and a JSON body with `retry_after`. */
  rateLimited(
    retryAfterSeconds: number,
    opts: { global?: boolean; scope?: 'user' | 'global' | 'shared'; header?: string | null } = {},
  ): FakeDiscordAnswer {
    const headers: Record<string, string> = {
      'x-ratelimit-scope': opts.scope ?? (opts.global ? 'global' : 'user'),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': retryAfterSeconds.toFixed(3),
    };
    if (opts.header !== null) headers['retry-after'] = opts.header ?? String(retryAfterSeconds);
    if (opts.global) headers['x-ratelimit-global'] = 'true';
    return {
      status: 429,
      headers,
      body: {
        message: 'You are being rate limited.',
        retry_after: retryAfterSeconds,
        global: opts.global ?? false,
      },
    };
  },
  /** 400 `50035 Invalid Form Body` with an `errors` tree (default: an over-long description). */
  invalidFormBody(errors?: Record<string, unknown>): FakeDiscordAnswer {
    return {
      status: 400,
      body: {
        code: 50035,
        errors: errors ?? {
          embeds: {
            '0': {
              description: { _errors: [err('BASE_TYPE_MAX_LENGTH', 'Must be 4096 or fewer in length.')] },
            },
          },
        },
        message: 'Invalid Form Body',
      },
    };
  },
  unauthorized(): FakeDiscordAnswer {
    return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } };
  },
  forbidden(): FakeDiscordAnswer {
    return { status: 403, body: { message: 'Missing Permissions', code: 50013 } };
  },
  unknownWebhook(): FakeDiscordAnswer {
    return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
  },
  unknownMessage(): FakeDiscordAnswer {
    return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
  },
  serverError(status = 500): FakeDiscordAnswer {
    return { status, body: { message: `${status}: Internal Server Error`, code: 0 } };
  },
  hang(): FakeDiscordAnswer {
    return { hang: true };
  },
  reset(): FakeDiscordAnswer {
    return { reset: true };
  },
  /** Store the message, then drop the connection: the client sees a failure of a request that worked. */
  appliedThenReset(): FakeDiscordAnswer {
    return { apply: true, reset: true };
  },
};

/** Embed limits Discord enforces (Message Resource → Embed Limits). */
const LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  name: 256,
  value: 1024,
  footer: 2048,
  author: 256,
  total: 6000,
};

type ErrorTree = { [key: string]: ErrorTree | { code: string; message: string }[] };

class FormErrors {
  readonly tree: ErrorTree = {};
  any = false;
  add(path: (string | number)[], code: string, message: string): void {
    this.any = true;
    let node = this.tree;
    for (const p of path) node = (node[String(p)] ??= {}) as ErrorTree;
    ((node._errors ??= []) as { code: string; message: string }[]).push({ code, message });
  }
  maxLength(path: (string | number)[], value: unknown, max: number, required = false): void {
    if (value === undefined || value === null) {
      if (required) this.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
      return;
    }
    if (typeof value !== 'string') return this.add(path, 'BASE_TYPE_STRING', 'Must be a string.');
    const n = length(value);
    if (required && n === 0) this.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    else if (n > max) this.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  }
}

/** Discord counts code points after trimming. */
function length(s: string | undefined): number {
  return s === undefined ? 0 : Array.from(s.trim()).length;
}

interface Bucket {
  windowStart: number;
  used: number;
}

export class FakeDiscord {
  readonly requests: FakeDiscordRequest[] = [];
  /** Stored messages by id, in the order they were created. */
  readonly messages = new Map<string, FakeDiscordMessage>();
  readonly webhooks = new Map<string, FakeWebhook>();
  /** The webhook every fake starts with. */
  readonly webhook: FakeWebhook;
  /** `http://127.0.0.1:<port>`. */
  url = '';
  /** What a discord receiver's `api_root` takes: `http://127.0.0.1:<port>/api`. */
  apiRoot = '';

  readonly #scripts: { answer: FakeDiscordAnswer; left: number; route?: DiscordRoute; skip: number }[] = [];
  readonly #buckets = new Map<string, Bucket>();
  readonly #hanging = new Set<http.ServerResponse>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #enforce: boolean;
  #nextId = 1_300_000_000_000_000_000n;
  #server?: http.Server;

  constructor(opts: FakeDiscordOptions = {}) {
    this.#limit = opts.rateLimit?.limit ?? 5;
    this.#windowMs = opts.rateLimit?.windowMs ?? 2000;
    this.#enforce = opts.rateLimit?.enforce ?? false;
    this.webhook = this.addWebhook({});
  }

  async start(): Promise<this> {
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((r) => this.#server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    this.apiRoot = `${this.url}/api`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }

  /** Adds a webhook (defaults: a fresh id, a 68-character token, name `Alerts`). */
  addWebhook(over: Partial<FakeWebhook>): FakeWebhook {
    const n = this.webhooks.size + 1;
    const hook: FakeWebhook = {
      id: over.id ?? String(1_100_000_000_000_000_000n + BigInt(n)),
      token: over.token ?? `fakeTok3n_${n}_`.padEnd(68, 'x9Z-'.charAt(n % 4)),
      name: over.name ?? 'Alerts',
      channelId: over.channelId ?? String(1_200_000_000_000_000_000n + BigInt(n)),
      guildId: over.guildId ?? '1000000000000000001',
    };
    this.webhooks.set(hook.id, hook);
    return hook;
  }

  /** Deletes a webhook: requests to it get 404 `10015 Unknown Webhook`. */
  removeWebhook(id: string): void {
    this.webhooks.delete(id);
  }

  /** A real-looking webhook URL for the config; traffic goes to `apiRoot` all the same. */
  webhookUrl(hook: FakeWebhook = this.webhook): string {
    return `https://discord.com/api/webhooks/${hook.id}/${hook.token}`;
  }

  /** The next `times` requests (to `route`, if given) get `answer`. */
  script(answer: FakeDiscordAnswer, opts: ScriptOptions = {}): void {
    this.#scripts.push({ answer, left: opts.times ?? 1, route: opts.route, skip: opts.after ?? 0 });
  }

  /** Forgets requests, messages, scripts and rate-limit counts (webhooks stay). */
  reset(): void {
    this.requests.length = 0;
    this.messages.clear();
    this.#scripts.length = 0;
    this.#buckets.clear();
  }

  /** Requests to one route. */
  requestsTo(route: DiscordRoute): FakeDiscordRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  lastRequest(route?: DiscordRoute): FakeDiscordRequest {
    const list = route ? this.requestsTo(route) : this.requests;
    const r = list.at(-1);
    if (!r) throw new Error(`no ${route ?? ''} request recorded`);
    return r;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://fake');
      const m = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?\/?$/.exec(u.pathname);
      const method = req.method ?? 'GET';
      let route: DiscordRoute = 'other';
      if (m && !m[3] && method === 'POST') route = 'execute';
      else if (m && !m[3] && method === 'GET') route = 'get-webhook';
      else if (m && m[3] && method === 'PATCH') route = 'edit';
      else if (m && m[3] && method === 'GET') route = 'get-message';
      let body: unknown;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const rec: FakeDiscordRequest = {
        method,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        body,
        raw,
        route,
        webhookId: m?.[1],
        messageId: m?.[3],
        at: Date.now(),
      };
      this.requests.push(rec);

      const script = this.#takeScript(route);
      if (script && !script.apply) return this.#answer(rec, res, script, undefined);
      const result = this.#process(rec, m?.[2]);
      if (script) return this.#answer(rec, res, script, result.hook);
      this.#answer(rec, res, result, result.hook);
    });
  }

  #takeScript(route: DiscordRoute): FakeDiscordAnswer | undefined {
    const i = this.#scripts.findIndex((s) => s.left > 0 && (s.route === undefined || s.route === route));
    const s = this.#scripts[i];
    if (!s) return undefined;
    if (s.skip > 0) {
      s.skip -= 1;
      return undefined;
    }
    s.left -= 1;
    if (s.left <= 0) this.#scripts.splice(i, 1);
    return s.answer;
  }

  #answer(
    rec: FakeDiscordRequest,
    res: http.ServerResponse,
    a: FakeDiscordAnswer,
    hook: FakeWebhook | undefined,
  ): void {
    if (a.hang) {
      rec.answered = 'hang';
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (a.reset) {
      rec.answered = 'reset';
      res.socket?.destroy();
      return;
    }
    const status = a.status ?? 200;
    rec.answered = status;
    const headers: Record<string, string> = {
      ...this.#rateHeaders(hook ?? this.webhooks.get(rec.webhookId ?? '')),
      ...a.headers,
    };
    if (status === 204 || a.body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
  }

  /** Carries a request out as Discord would. */
  #process(rec: FakeDiscordRequest, token: string | undefined): FakeDiscordAnswer & { hook?: FakeWebhook } {
    if (rec.route === 'other') return { status: 404, body: { message: '404: Not Found', code: 0 } };
    const hook = this.webhooks.get(rec.webhookId ?? '');
    if (!hook) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
    if (token !== hook.token)
      return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 }, hook };
    if (this.#enforce && rec.route !== 'get-webhook' && rec.route !== 'get-message') {
      const b = this.#bucket(hook);
      if (b.used >= this.#limit) {
        const after = Math.max(0, b.windowStart + this.#windowMs - Date.now()) / 1000;
        return { ...discordAnswers.rateLimited(Number(after.toFixed(3))), hook };
      }
      b.used += 1;
    } else if (rec.route !== 'get-webhook' && rec.route !== 'get-message') {
      this.#bucket(hook).used += 1;
    }
    const thread = rec.query.thread_id;
    const channel = thread ?? hook.channelId;
    switch (rec.route) {
      case 'get-webhook':
        return {
          status: 200,
          hook,
          body: {
            id: hook.id,
            type: 1,
            name: hook.name,
            avatar: null,
            channel_id: hook.channelId,
            guild_id: hook.guildId,
            application_id: null,
            token: hook.token,
          },
        };
      case 'get-message': {
        const msg = this.messages.get(rec.messageId ?? '');
        if (!msg || msg.webhook_id !== hook.id || msg.channel_id !== channel)
          return { status: 404, body: { message: 'Unknown Message', code: 10008 }, hook };
        return { status: 200, body: msg, hook };
      }
      case 'execute': {
        const problem = validate(rec.body, 'create');
        if (problem) return { ...problem, hook };
        const b = rec.body as Record<string, unknown>;
        const id = String(this.#nextId++);
        const msg: FakeDiscordMessage = {
          id,
          webhook_id: hook.id,
          channel_id: channel,
          type: 0,
          content: typeof b.content === 'string' ? b.content : '',
          embeds: embedsOf(b.embeds),
          author: {
            id: hook.id,
            username: typeof b.username === 'string' ? b.username : hook.name,
            avatar: null,
            discriminator: '0000',
            bot: true,
          },
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: b.tts === true,
          mention_everyone: wouldPingEveryone(b),
          mentions: [],
          mention_roles: [],
          attachments: [],
          components: [],
          pinned: false,
          flags: typeof b.flags === 'number' ? b.flags : 0,
        };
        if (typeof b.avatar_url === 'string') msg.avatar_url = b.avatar_url;
        this.messages.set(id, msg);
        // Without `wait=true` Discord answers 204 and the message id is lost to the caller.
        return rec.query.wait === 'true' ? { status: 200, body: msg, hook } : { status: 204, hook };
      }
      case 'edit': {
        const msg = this.messages.get(rec.messageId ?? '');
        if (!msg || msg.webhook_id !== hook.id || msg.channel_id !== channel)
          return { status: 404, body: { message: 'Unknown Message', code: 10008 }, hook };
        const problem = validate(rec.body, 'edit');
        if (problem) return { ...problem, hook };
        const b = rec.body as Record<string, unknown>;
        if ('content' in b) msg.content = typeof b.content === 'string' ? b.content : '';
        if ('embeds' in b) msg.embeds = embedsOf(b.embeds);
        msg.edited_timestamp = new Date().toISOString();
        return { status: 200, body: msg, hook };
      }
    }
  }

  #bucket(hook: FakeWebhook): Bucket {
    const now = Date.now();
    let b = this.#buckets.get(hook.id);
    if (!b || now - b.windowStart >= this.#windowMs) {
      b = { windowStart: now, used: 0 };
      this.#buckets.set(hook.id, b);
    }
    return b;
  }

  #rateHeaders(hook: FakeWebhook | undefined): Record<string, string> {
    if (!hook) return {};
    const b = this.#bucket(hook);
    const resetAfter = Math.max(0, b.windowStart + this.#windowMs - Date.now()) / 1000;
    const remaining = Math.max(this.#enforce ? 0 : 1, this.#limit - b.used);
    return {
      'x-ratelimit-bucket': `fake-${hook.id.slice(-6)}`,
      'x-ratelimit-limit': String(this.#limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': ((Date.now() + resetAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
    };
  }
}

function embedsOf(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map((e) => ({ type: 'rich', ...(e as Record<string, unknown>) })) : [];
}

/** Would this body ping @everyone? Only through `content`, and only if `allowed_mentions` lets it. */
function wouldPingEveryone(b: Record<string, unknown>): boolean {
  if (typeof b.content !== 'string' || !/@(everyone|here)/.test(b.content)) return false;
  const am = b.allowed_mentions as { parse?: string[] } | undefined;
  return am === undefined || am.parse === undefined || am.parse.includes('everyone');
}

/** Discord's checks of a create/edit body; a 400 answer when it breaks one. */
function validate(body: unknown, kind: 'create' | 'edit'): { status: number; body: unknown } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
  const b = body as Record<string, unknown>;
  const e = new FormErrors();
  if (b.content !== undefined && b.content !== null) e.maxLength(['content'], b.content, 2000);
  if (kind === 'create') {
    if (b.username !== undefined) {
      e.maxLength(['username'], b.username, 80, true);
      if (typeof b.username === 'string' && /discord|clyde/i.test(b.username))
        e.add(['username'], 'USERNAME_INVALID_CONTAINS', 'Username cannot contain "discord"');
    }
    if (
      b.avatar_url !== undefined &&
      (typeof b.avatar_url !== 'string' || !/^https?:\/\/\S+$/.test(b.avatar_url))
    )
      e.add(['avatar_url'], 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
  }
  const am = b.allowed_mentions as { parse?: unknown } | undefined;
  if (am !== undefined && am.parse !== undefined) {
    const ok =
      Array.isArray(am.parse) && am.parse.every((p) => p === 'roles' || p === 'users' || p === 'everyone');
    if (!ok)
      e.add(
        ['allowed_mentions', 'parse'],
        'BASE_TYPE_CHOICES',
        'Value must be one of roles, users, everyone.',
      );
  }
  const embeds = b.embeds;
  if (embeds !== undefined && embeds !== null) {
    if (!Array.isArray(embeds)) e.add(['embeds'], 'BASE_TYPE_ARRAY', 'Must be an array.');
    else {
      if (embeds.length > 10) e.add(['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
      let total = 0;
      embeds.forEach((raw: unknown, i) => {
        const em = (raw ?? {}) as Record<string, unknown>;
        e.maxLength(['embeds', i, 'title'], em.title, LIMITS.title);
        e.maxLength(['embeds', i, 'description'], em.description, LIMITS.description);
        total += length(str(em.title)) + length(str(em.description));
        if (
          em.color !== undefined &&
          (!Number.isInteger(em.color) || (em.color as number) < 0 || (em.color as number) > 0xffffff)
        )
          e.add(
            ['embeds', i, 'color'],
            'NUMBER_TYPE_MAX',
            'int value should be less than or equal to 16777215.',
          );
        if (em.timestamp !== undefined && Number.isNaN(Date.parse(String(em.timestamp))))
          e.add(['embeds', i, 'timestamp'], 'DATE_TIME_TYPE_PARSE', 'Could not parse timestamp.');
        const footer = em.footer as Record<string, unknown> | undefined;
        if (footer !== undefined) {
          e.maxLength(['embeds', i, 'footer', 'text'], footer.text, LIMITS.footer, true);
          total += length(str(footer.text));
        }
        const author = em.author as Record<string, unknown> | undefined;
        if (author !== undefined) {
          e.maxLength(['embeds', i, 'author', 'name'], author.name, LIMITS.author, true);
          total += length(str(author.name));
        }
        const fields = em.fields;
        if (fields !== undefined) {
          if (!Array.isArray(fields)) e.add(['embeds', i, 'fields'], 'BASE_TYPE_ARRAY', 'Must be an array.');
          else {
            if (fields.length > LIMITS.fields)
              e.add(
                ['embeds', i, 'fields'],
                'BASE_TYPE_MAX_LENGTH',
                `Must be ${LIMITS.fields} or fewer in length.`,
              );
            fields.forEach((f: unknown, j) => {
              const field = (f ?? {}) as Record<string, unknown>;
              e.maxLength(['embeds', i, 'fields', j, 'name'], field.name, LIMITS.name, true);
              e.maxLength(['embeds', i, 'fields', j, 'value'], field.value, LIMITS.value, true);
              total += length(str(field.name)) + length(str(field.value));
            });
          }
        }
      });
      if (total > LIMITS.total)
        e.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${LIMITS.total}`);
    }
  }
  if (e.any) return { status: 400, body: { code: 50035, errors: e.tree, message: 'Invalid Form Body' } };
  if (kind === 'create') {
    const hasContent = typeof b.content === 'string' && b.content.trim() !== '';
    const hasEmbeds = Array.isArray(b.embeds) && b.embeds.length > 0;
    if (!hasContent && !hasEmbeds)
      return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
