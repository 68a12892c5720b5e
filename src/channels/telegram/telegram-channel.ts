import { Telegram } from 'telegraf';
import type { Opts } from 'telegraf/types';
import { severityRank, type Severity } from '../../model/severity.js';
import { leadAlert, type MessageRef } from '../../model/notification.js';
import { pause, scrub, SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import {
  abortable,
  abortError,
  botApiFailure,
  isEditImpossible,
  isNotModified,
  isParseFailure,
  migratedTo,
  toSendError,
} from './errors.js';
import { plainText } from './html.js';
import { ackKeyboard, NO_KEYBOARD, renderEdit, renderParts, type RenderOptions } from './render.js';
import { MESSAGE_MAX } from './split.js';

/** A later part of a long message is tried this often when Telegram asks to wait… */
const LATER_PART_TRIES = 4;
/** …as long as it asks for no longer than this. */
const LATER_PART_MAX_WAIT_MS = 10_000;

/** Telegram lets a bot edit its messages for 48 hours; older ones get a reply instead. */
export const EDIT_WINDOW_MS = 48 * 3_600_000;

export interface TelegramChannelOptions {
  /** The bot token: a credential, never logged, scrubbed from every error. */
  token: string;
  /** Chat ids as strings (`-100…`, `5550001`, `@channel`). */
  chatIds: string[];
  apiRoot: string;
  /** Alerts of a lower severity arrive silently (`disable_notification`). */
  silentBelow: Severity;
  /** Messages telling an alert fires carry an "Acknowledge" button (the receiver has `ack_users`). */
  ackButton?: boolean;
}

/**
 * telegraf types `signal` with the `abort-controller` polyfill's AbortSignal; node-fetch (which
 * it calls) takes Node's own, so the cast is sound.
 */
export type TelegrafSignal = NonNullable<Parameters<Telegram['callApi']>[2]>['signal'];

/** telegraf's send-only client for a bot. */
export function botClient(token: string, apiRoot: string): Telegram {
  // telegraf resolves `./bot<token>/<method>` against the root: a root with a path needs its `/`.
  return new Telegram(token, { apiRoot: apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/` });
}

type SendPayload = Opts<'sendMessage'>;
type EditPayload = Opts<'editMessageText'>;

/** Where a send goes and what it learned on the way: a migrated chat, a text sent as plain. */
interface CallState {
  chat: string;
  migrated: boolean;
  notes: string[];
}

/**
 * Sends notifications to Telegram chats through the Bot API with telegraf's send-only
 * `Telegram` client (no polling). One delivery is one chat (`notification.target`).
 *
 * - `firing`, `summary`, `test`: a new message (split into parts when longer than 4096).
 * - `repeat`, `escalated`, `flapping`: a new message replying to the thread's first one.
 * - `resolved`, `acknowledged`: that first message is edited (within 48 h), else answered.
 *
 * With `ackButton`, a message that tells one alert fires (firing, repeat, escalated, flapping)
 * carries an "Acknowledge" button (on its first part); the edit for a resolve or an
 * acknowledgement removes it.
 */
export class TelegramChannel implements Channel {
  readonly type = 'telegram';
  readonly name: string;
  readonly #tg: Telegram;
  readonly #token: string;
  readonly #chatIds: string[];
  readonly #silentBelow: Severity;
  readonly #ackButton: boolean;
  /** Groups that became supergroups (old id -> new id), learnt from the Bot API. */
  readonly #migrated = new Map<string, string>();

  constructor(name: string, opts: TelegramChannelOptions) {
    this.name = name;
    this.#token = opts.token;
    this.#chatIds = [...opts.chatIds];
    this.#silentBelow = opts.silentBelow;
    this.#ackButton = opts.ackButton ?? false;
    this.#tg = botClient(opts.token, opts.apiRoot);
  }

  /** The chat a message for `chat` goes to now (after the migrations seen so far). */
  chatFor(chat: string): string {
    let c = chat;
    for (let i = 0; i < 5 && this.#migrated.has(c); i++) c = this.#migrated.get(c) as string;
    return c;
  }

  async send(d: Delivery): Promise<SendOutcome> {
    const target = d.notification.target ?? (this.#chatIds.length === 1 ? this.#chatIds[0] : undefined);
    if (target === undefined) {
      throw new SendError(`telegram receiver "${this.name}": the notification names no chat (target)`, {
        retryable: false,
      });
    }
    const kind = d.notification.kind;
    const previous = editable(d.previous);
    switch (kind) {
      case 'resolved':
      case 'acknowledged':
        // Good news wakes nobody. A group too long for one message is answered instead: an
        // edit (one message, shortened) would drop names from its list.
        if (
          previous &&
          d.now - previous.sentAt < EDIT_WINDOW_MS &&
          (d.notification.alerts.length === 1 ||
            renderParts(d.content, MESSAGE_MAX, renderOptions(d)).length === 1)
        )
          return this.#edit(d, target, previous);
        return this.#post(d, target, { silent: true, replyTo: previous, keepRef: false });
      case 'repeat':
      case 'escalated':
      case 'flapping':
        return this.#post(d, target, {
          silent: this.#isQuiet(d),
          replyTo: previous,
          keepRef: previous !== undefined,
        });
      default:
        return this.#post(d, target, { silent: this.#isQuiet(d), keepRef: false });
    }
  }

  async verify(signal: AbortSignal): Promise<string> {
    const where = `telegram receiver "${this.name}"`;
    try {
      const me = await this.#raw(
        () => this.#tg.callApi('getMe', {}, { signal: signal as unknown as TelegrafSignal }),
        signal,
      );
      const n = this.#chatIds.length;
      return `bot @${me.username} (id ${me.id}) can send to ${n} ${n === 1 ? 'chat' : 'chats'}`;
    } catch (err) {
      throw toSendError(err, where, [this.#token], signal);
    }
  }

  #isQuiet(d: Delivery): boolean {
    return severityRank(d.content.severity) < severityRank(this.#silentBelow);
  }

  #where(chat: string): string {
    return `telegram receiver "${this.name}" chat ${chat}`;
  }

  /**
   * Sends the message as one or more parts. Only the first part may ping (the rest are silent)
   * and only the first replies. Once the first part is out, a later part that fails is reported
   * in `rejected` instead of failing the send, so a retry does not post the first part again.
   */
  async #post(
    d: Delivery,
    target: string,
    opts: { silent: boolean; replyTo?: MessageRef; keepRef: boolean; before?: CallState },
  ): Promise<SendOutcome> {
    const keyboard = this.#ackButton ? ackKeyboard(d.notification) : undefined;
    // The button does what the signed link would: one way to acknowledge in the message.
    const content = keyboard ? { ...d.content, links: d.content.links.filter((l) => !l.ack) } : d.content;
    const parts = renderParts(content, MESSAGE_MAX, renderOptions(d));
    if (parts.length === 0) {
      // Cannot happen with a headline; Telegram would refuse an empty text anyway.
      throw new SendError(`${this.#where(target)}: nothing to send`, { retryable: false });
    }
    const call: CallState = {
      chat: this.chatFor(opts.replyTo?.chat ?? target),
      migrated: opts.before?.migrated ?? false,
      notes: [...(opts.before?.notes ?? [])],
    };
    let first: number | undefined;
    const rejected: { target: string; reason: string }[] = [];
    for (const [i, part] of parts.entries()) {
      const build = (chat: string, plain: boolean): SendPayload => ({
        chat_id: chatIdValue(chat),
        text: plain ? plainText(part, MESSAGE_MAX) : part,
        ...(plain ? {} : { parse_mode: 'HTML' as const }),
        link_preview_options: { is_disabled: true },
        ...(opts.silent || i > 0 ? { disable_notification: true } : {}),
        ...(i === 0 && opts.replyTo
          ? { reply_parameters: { message_id: Number(opts.replyTo.id), allow_sending_without_reply: true } }
          : {}),
        ...(i === 0 && keyboard ? { reply_markup: keyboard } : {}),
      });
      let failure: SendError | undefined;
      for (let attempt = 0; attempt < LATER_PART_TRIES; attempt++) {
        try {
          const msg = await this.#call(call, d.signal, (chat, plain) =>
            this.#tg.callApi('sendMessage', build(chat, plain), {
              signal: d.signal as unknown as TelegrafSignal,
            }),
          );
          first ??= msg.message_id;
          failure = undefined;
          break;
        } catch (err) {
          failure = toSendError(err, this.#where(call.chat), [this.#token], d.signal);
          if (first === undefined) throw failure;
          // A later part that hits the chat's rate limit waits as Telegram asks (within reason),
          // so that a long group message arrives whole.
          const wait = failure.retryAfterMs;
          if (wait === undefined || wait > LATER_PART_MAX_WAIT_MS || d.signal.aborted) break;
          await pause(wait, d.signal);
        }
      }
      if (failure) {
        rejected.push({ target, reason: `part ${i + 1} of ${parts.length} not sent: ${failure.message}` });
        break;
      }
    }
    const id = first as number;
    const parted = parts.length > 1 ? ` (${parts.length} parts)` : '';
    const out: SendOutcome = {
      detail: [`sent message ${id} to chat ${call.chat}${parted}`, ...call.notes].join('; '),
    };
    // A reply keeps the thread's first message as the ref, unless the chat moved.
    if (!opts.keepRef || call.migrated) {
      out.ref = { id: String(id), sentAt: d.now, ...(call.chat !== target ? { chat: call.chat } : {}) };
    }
    if (rejected.length > 0) out.rejected = rejected;
    return out;
  }

  /** Edits the thread's first message to show the new state; answers it when that is impossible. */
  async #edit(d: Delivery, target: string, previous: MessageRef): Promise<SendOutcome> {
    const html = renderEdit(d.content, MESSAGE_MAX, renderOptions(d));
    const call: CallState = { chat: this.chatFor(previous.chat ?? target), migrated: false, notes: [] };
    const build = (chat: string, plain: boolean): EditPayload => ({
      chat_id: chatIdValue(chat),
      message_id: Number(previous.id),
      text: plain ? plainText(html, MESSAGE_MAX) : html,
      ...(plain ? {} : { parse_mode: 'HTML' as const }),
      link_preview_options: { is_disabled: true },
      // The alert no longer waits for anyone: its button goes.
      reply_markup: NO_KEYBOARD,
    });
    try {
      await this.#call(call, d.signal, (chat, plain) =>
        this.#tg.callApi('editMessageText', build(chat, plain), {
          signal: d.signal as unknown as TelegrafSignal,
        }),
      );
    } catch (err) {
      const f = botApiFailure(err);
      if (isNotModified(f) && !d.signal.aborted) {
        return {
          detail: [`message ${previous.id} in chat ${call.chat} already shows this`, ...call.notes].join(
            '; ',
          ),
        };
      }
      if (isEditImpossible(f) && !d.signal.aborted) {
        call.notes.push(
          `message ${previous.id} could not be edited (${scrub(f?.description ?? '', [this.#token])}): answered it instead`,
        );
        return this.#post(d, target, {
          silent: true,
          replyTo: { ...previous, chat: call.chat },
          keepRef: false,
          before: call,
        });
      }
      throw toSendError(err, this.#where(call.chat), [this.#token], d.signal);
    }
    const out: SendOutcome = {
      detail: [`edited message ${previous.id} in chat ${call.chat}`, ...call.notes].join('; '),
    };
    if (call.migrated) out.ref = { ...previous, chat: call.chat };
    return out;
  }

  /**
   * One Bot API call, recovering where the Bot API says how: a group that became a supergroup
   * (400 + `migrate_to_chat_id`: sent again at once to the new chat, remembered for later
   * sends) and HTML it cannot parse (sent again as plain text rather than dropped).
   */
  async #call<T>(
    call: CallState,
    signal: AbortSignal,
    attempt: (chat: string, plain: boolean) => Promise<T>,
  ): Promise<T> {
    let plain = false;
    let migrations = 0;
    for (;;) {
      try {
        return await this.#raw(() => attempt(call.chat, plain), signal);
      } catch (err) {
        const f = botApiFailure(err);
        const to = migratedTo(f);
        if (to !== undefined && migrations < 2 && String(to) !== call.chat) {
          const from = call.chat;
          call.chat = String(to);
          this.#migrated.set(from, call.chat);
          migrations++;
          call.migrated = true;
          call.notes.push(
            `chat ${from} became supergroup ${call.chat}: sent there; replace ${from} with ${call.chat} in chat_ids`,
          );
          continue;
        }
        if (isParseFailure(f) && !plain) {
          plain = true;
          call.notes.push(
            `sent as plain text: Telegram could not parse the HTML (${scrub(f?.description ?? '', [this.#token])})`,
          );
          continue;
        }
        throw err;
      }
    }
  }

  async #raw<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw abortError();
    return abortable(fn(), signal);
  }
}

/** What the layout needs beyond the content: the acknowledgement an `acknowledged` message shows. */
function renderOptions(d: Delivery): RenderOptions {
  if (d.notification.kind !== 'acknowledged') return {};
  const ack = leadAlert(d.notification).acknowledged;
  return ack ? { acknowledged: ack } : {};
}

/** A previous message this channel can edit or answer: a Telegram message id. */
function editable(ref: MessageRef | undefined): MessageRef | undefined {
  return ref && /^\d+$/.test(ref.id) && Number.isSafeInteger(Number(ref.id)) ? ref : undefined;
}

/** Numeric chat ids go as numbers (as the Bot API documents them), usernames as strings. */
function chatIdValue(chat: string): number | string {
  return /^-?\d+$/.test(chat) ? Number(chat) : chat;
}
