import {
  DiscordAPIError,
  makeURLSearchParams,
  MessagePayload,
  RESTJSONErrorCodes,
  Routes,
  WebhookClient,
  type APIEmbed,
  type APIMessage,
  type APIWebhook,
} from 'discord.js';
import type { MessageRef } from '../../model/notification.js';
import { raceAbort, SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import { toSendError } from './discord-errors.js';
import { renderMessages } from './render-discord.js';
import { DEFAULT_DISCORD_API_ROOT } from './webhook-url.js';

/** How long one request may take before the REST layer abandons it (the worker may abort sooner). */
export const DEFAULT_DISCORD_TIMEOUT_MS = 10_000;

export interface DiscordChannelOptions {
  /** Webhook id and token, parsed from the webhook URL. The token is the credential. */
  id: string;
  token: string;
  /** The webhook URL as configured: never shown, only scrubbed from what Discord or undici say. */
  webhookUrl?: string;
  /** Discord's API base without the version (discord.js appends `/v10`). */
  apiRoot?: string;
  username?: string;
  avatarUrl?: string;
  /** Post into this thread of the webhook's channel (and edit messages there). */
  threadId?: string;
  timeoutMs?: number;
}

/** The fields of a message object Discord returns that we read. */
type SentMessage = Pick<APIMessage, 'id' | 'channel_id'>;

/**
 * Posts notifications through a Discord webhook with discord.js's `WebhookClient`: one embed per
 * message (see render-discord.ts), never a `content` that could ping, `allowed_mentions` empty.
 *
 * The request bodies are built by discord.js's own `MessagePayload`, exactly as
 * `WebhookClient#send`/`#editMessage` build them; we call the client's REST layer ourselves only
 * because those two methods do not forward an AbortSignal, and the REST layer takes one (it
 * aborts the HTTP request and leaves the per-webhook queue at once, so a hung request cannot
 * hold up the next delivery). Every retry and rate-limit wait inside discord.js is off: the
 * delivery worker decides when to try again.
 */
export class DiscordChannel implements Channel {
  readonly type = 'discord';
  readonly name: string;
  readonly timeoutMs: number;
  readonly #hook: WebhookClient;
  readonly #id: string;
  readonly #token: string;
  readonly #secrets: string[];
  readonly #username: string | undefined;
  readonly #avatarUrl: string | undefined;
  readonly #threadId: string | undefined;

  constructor(name: string, opts: DiscordChannelOptions) {
    this.name = name;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_DISCORD_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0)
      throw new Error(`${this.#where}: timeout must be a positive number of milliseconds`);
    this.#id = opts.id;
    this.#token = opts.token;
    this.#secrets = [opts.token, opts.webhookUrl ?? ''].filter((s) => s !== '');
    this.#username = opts.username;
    this.#avatarUrl = opts.avatarUrl;
    this.#threadId = opts.threadId;
    this.#hook = new WebhookClient(
      { id: opts.id, token: opts.token },
      {
        allowedMentions: { parse: [] },
        rest: {
          api: apiBase(opts.apiRoot ?? DEFAULT_DISCORD_API_ROOT),
          timeout: this.timeoutMs,
          // One attempt per send: 5xx and timeouts go back to the worker, which retries with backoff.
          retries: 0,
          // Without this the REST layer sleeps through every 429 and retries without limit.
          rejectOnRateLimit: () => true,
          // RateLimitError.retryAfter is then exactly Discord's Retry-After (no 50 ms margin added).
          offset: 0,
        },
      },
    );
  }

  get #where(): string {
    return `discord receiver "${this.name}"`;
  }

  async send(d: Delivery): Promise<SendOutcome> {
    const [embed, ...continued] = renderMessages(d.content) as [APIEmbed, ...APIEmbed[]];
    const kind = d.notification.kind;
    let replaced = '';
    // A group too large for one message is told anew: an edit would drop the names that follow.
    if ((kind === 'resolved' || kind === 'acknowledged') && d.previous && continued.length === 0) {
      try {
        const edited = await this.#edit(d.previous.id, embed, d.signal);
        const where = typeof edited?.channel_id === 'string' ? ` in channel ${edited.channel_id}` : '';
        return { detail: `edited message ${d.previous.id}${where}` };
      } catch (err) {
        // Deleted (or not in this webhook's channel/thread any more): tell it in a new message.
        if (!isUnknownMessage(err) || d.signal.aborted) throw this.#error(err, d.signal);
        replaced = ` (message ${d.previous.id} to edit is gone)`;
      }
    }
    const sent = await this.#post(embed, d.signal);
    if (typeof sent?.id !== 'string')
      // A proxy in api_root that redirects, or something else that is not Discord, answered.
      throw new SendError(`${this.#where}: the answer carried no message id (is api_root Discord's API?)`, {
        retryable: false,
        status: 'no-message',
      });
    const ref: MessageRef = { id: sent.id, sentAt: d.now };
    const rejected = await this.#continue(continued, d.signal);
    const parts = continued.length > 0 ? ` (${continued.length + 1} messages)` : '';
    const out: SendOutcome = {
      detail: `message ${sent.id} in channel ${sent.channel_id}${parts}${replaced}`,
    };
    if (rejected.length > 0) out.rejected = rejected;
    switch (kind) {
      case 'summary':
      case 'test':
        return out;
      case 'repeat':
      case 'escalated':
      case 'flapping':
        // Webhooks cannot reply to a message: a new one, and the thread keeps its first message.
        return d.previous ? out : { ...out, ref };
      default:
        // firing (also a severity rise), and resolved/acknowledged that could not edit.
        return { ...out, ref };
    }
  }

  /**
   * The rest of a large group, one message each. Once the first message is out, a later one that
   * fails is reported in `rejected` instead of failing the send, so a retry does not post the
   * first again.
   */
  async #continue(
    embeds: readonly APIEmbed[],
    signal: AbortSignal,
  ): Promise<{ target: string; reason: string }[]> {
    for (const [i, e] of embeds.entries()) {
      try {
        await this.#post(e, signal);
      } catch (err) {
        const reason = `message ${i + 2} of ${embeds.length + 1} not sent: ${this.#error(err, signal).message}`;
        return [{ target: 'webhook', reason }];
      }
    }
    return [];
  }

  /** GET the webhook: proves the URL (id and token) works, and says where it posts. */
  async verify(signal: AbortSignal): Promise<string> {
    const hook = (await this.#call(
      (s) => this.#hook.rest.get(Routes.webhook(this.#id, this.#token), { auth: false, signal: s }),
      signal,
    )) as Pick<APIWebhook, 'name' | 'channel_id'>;
    const thread = this.#threadId ? `, posting into thread ${this.#threadId}` : '';
    return `webhook ${JSON.stringify(hook.name ?? '')} in channel ${hook.channel_id}${thread}`;
  }

  async close(): Promise<void> {
    // The REST layer keeps sweeper timers until destroyed.
    this.#hook.destroy();
  }

  async #post(embed: APIEmbed, signal: AbortSignal): Promise<SentMessage> {
    const payload = MessagePayload.create(this.#hook, {
      embeds: [embed],
      username: this.#username,
      avatarURL: this.#avatarUrl,
      threadId: this.#threadId,
      allowedMentions: { parse: [] },
    }).resolveBody();
    // `wait=true`: Discord answers with the message (its id, and any error) instead of 204.
    const query = makeURLSearchParams({ wait: true, thread_id: this.#threadId });
    return (await this.#call(
      (s) =>
        this.#hook.rest.post(Routes.webhook(this.#id, this.#token), {
          body: payload.body,
          query,
          auth: false,
          signal: s,
        }),
      signal,
    )) as SentMessage;
  }

  async #edit(messageId: string, embed: APIEmbed, signal: AbortSignal): Promise<SentMessage> {
    const payload = MessagePayload.create(this.#hook, {
      embeds: [embed],
      threadId: this.#threadId,
      allowedMentions: { parse: [] },
    }).resolveBody();
    const query = makeURLSearchParams({ thread_id: this.#threadId });
    return (await this.#run(
      (s) =>
        this.#hook.rest.patch(Routes.webhookMessage(this.#id, this.#token, messageId), {
          body: payload.body,
          query,
          auth: false,
          signal: s,
        }),
      signal,
    )) as SentMessage;
  }

  /** Runs a request and turns any failure into a SendError. */
  async #call<T>(request: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await this.#run(request, signal);
    } catch (err) {
      throw this.#error(err, signal);
    }
  }

  /**
   * Runs a request with the caller's signal, and also races the signal: whatever the library
   * does, an abort rejects at once. Errors pass through unchanged (send looks at them).
   */
  #run<T>(request: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const aborted = () => new SendError(`${this.#where}: send aborted`, abortedOpts);
    if (signal.aborted) return Promise.reject(aborted());
    return raceAbort(request(signal), signal, aborted);
  }

  #error(err: unknown, signal: AbortSignal): SendError {
    if (err instanceof SendError) return err;
    return toSendError(err, {
      where: this.#where,
      secrets: this.#secrets,
      timeoutMs: this.timeoutMs,
      signal,
    });
  }
}

const abortedOpts = { retryable: true, status: 'aborted' } as const;

function isUnknownMessage(err: unknown): boolean {
  return (
    err instanceof DiscordAPIError && err.status === 404 && err.code === RESTJSONErrorCodes.UnknownMessage
  );
}

/** The API base discord.js expects: no trailing slash, no version (it appends `/v10` itself). */
export function apiBase(root: string): string {
  return root
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/v\d+$/, '');
}
