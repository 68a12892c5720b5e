import { z } from 'zod';
import { durationSchema } from '../../model/duration.js';
import { SEVERITIES } from '../../model/severity.js';
import type { RateWindow } from '../receiver-schema.js';
import { httpUrlSchema, receiverObject, secretSchema, unknownKeysError } from '../receiver-schema.js';

export const DEFAULT_API_ROOT = 'https://api.telegram.org';

/** A bot token as @BotFather gives it: `<bot id>:<secret>`. It goes into URL paths, so no `/`. */
const TOKEN = /^\d+:[A-Za-z0-9_-]+$/;
/** `@channelusername`: 5–32 letters, digits and underscores, starting with a letter. */
const USERNAME = /^@[A-Za-z][A-Za-z0-9_]{4,31}$/;

const chatIdSchema = z.union(
  [
    z
      .number()
      .int()
      .refine((n) => Number.isSafeInteger(n))
      .transform(String),
    z
      .string()
      .trim()
      .refine((s) => (/^-?\d{1,16}$/.test(s) && Number.isSafeInteger(Number(s))) || USERNAME.test(s))
      // `"-0100"` and `-100` are the same chat: one spelling, so targets and threads match.
      .transform((s) => (s.startsWith('@') ? s : String(Number(s)))),
  ],
  {
    error:
      'each of chat_ids must be a whole number (a user, or a group: negative, e.g. -1001234567890) or a channel as "@channelusername"',
  },
);

const USER_ID_HELP =
  'each of ack_users must be a Telegram user id: a positive whole number such as 123456789 (not a @username)';

/** A Telegram user id: a positive whole number (ids go beyond 32 bits). */
const userIdSchema = z.union(
  [
    z
      .number()
      .int()
      .refine((n) => n > 0 && Number.isSafeInteger(n), USER_ID_HELP),
    z
      .string()
      .trim()
      .regex(/^\d{1,16}$/)
      .transform(Number)
      .refine((n) => n > 0 && Number.isSafeInteger(n), USER_ID_HELP),
  ],
  { error: USER_ID_HELP },
);

/** Telegram's rule for a webhook's `secret_token`: 1-256 of A-Z, a-z, 0-9, `_` and `-`. */
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** The longest long poll Klaxon asks for (s): Telegram holds a `getUpdates` at most about a minute. */
export const MAX_POLL_TIMEOUT_S = 50;
export const DEFAULT_POLL_TIMEOUT_MS = 25_000;

const updatesSchema = z
  .strictObject(
    {
      mode: z
        .enum(['polling', 'webhook'], {
          error:
            'updates.mode must be polling (Klaxon asks Telegram for button presses) or webhook (Telegram posts them to server.public_url)',
        })
        .default('polling'),
      // Messages never quote the value: Telegram sends it back with every update as the proof.
      secret_token: secretSchema(
        'updates.secret_token',
        'a random string Telegram sends back with every update, e.g. ${TELEGRAM_WEBHOOK_SECRET}',
      )
        .refine((t) => SECRET_TOKEN.test(t), {
          message:
            'updates.secret_token must be 1-256 letters, digits, _ or - (generate one with: openssl rand -hex 32)',
        })
        .optional(),
      /** How long one `getUpdates` waits for a press before asking again. */
      poll_timeout: durationSchema
        .refine((ms) => ms >= 1000 && ms <= MAX_POLL_TIMEOUT_S * 1000, {
          message: `updates.poll_timeout must be between 1s and ${MAX_POLL_TIMEOUT_S}s`,
        })
        .default(DEFAULT_POLL_TIMEOUT_MS),
    },
    { error: unknownKeysError('updates', ['mode', 'secret_token', 'poll_timeout']) },
  )
  .superRefine((u, ctx) => {
    if (u.mode === 'webhook' && u.secret_token === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['secret_token'],
        message:
          'updates.mode webhook needs updates.secret_token (e.g. ${TELEGRAM_WEBHOOK_SECRET}): it is how Klaxon knows an update comes from Telegram',
      });
  });

export const telegramReceiverSchema = receiverObject('telegram', {
  // Messages never quote the value: the token is the bot's credential.
  token: secretSchema('token', 'the bot token from @BotFather, e.g. ${TELEGRAM_BOT_TOKEN}').refine(
    (t) => TOKEN.test(t),
    'token must look like 123456789:AAE… (the bot token from @BotFather); check the variable it comes from',
  ),
  chat_ids: z
    .array(chatIdSchema, { error: 'chat_ids must be a list of chat ids, e.g. [-1001234567890, "@alerts"]' })
    .min(1, 'chat_ids must name at least one chat')
    .refine((ids) => new Set(ids).size === ids.length, 'chat_ids lists a chat twice: remove the duplicate'),
  api_root: httpUrlSchema(
    'api_root',
    `the Bot API server, ${DEFAULT_API_ROOT} unless you run your own`,
  ).default(DEFAULT_API_ROOT),
  silent_below: z
    .enum(SEVERITIES, { error: `silent_below must be one of: ${SEVERITIES.join(', ')}` })
    .default('warning'),
  /**
   * Telegram users who may press "Acknowledge" on this receiver's messages. Without it, messages
   * carry no button and Klaxon reads no updates for the bot.
   */
  ack_users: z
    .array(userIdSchema, { error: 'ack_users must be a list of Telegram user ids, e.g. [123456789]' })
    .min(1, 'ack_users must name at least one user (or leave it out: no button then)')
    .refine((ids) => new Set(ids).size === ids.length, 'ack_users lists a user twice: remove the duplicate')
    .optional(),
  /** How button presses reach Klaxon: long polling (default) or a webhook. */
  updates: updatesSchema.optional(),
}).superRefine((cfg, ctx) => {
  if (cfg.updates !== undefined && cfg.ack_users === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['updates'],
      message:
        'updates is set but ack_users is not: without ack_users messages have no button and there are no presses to receive; add ack_users or remove updates',
    });
});

export type TelegramReceiverConfig = z.output<typeof telegramReceiverSchema>;

/** Each chat is a delivery of its own: retried, rate limited and threaded on its own. */
export function telegramTargets(cfg: Pick<TelegramReceiverConfig, 'chat_ids'>): string[] {
  return [...cfg.chat_ids];
}

/**
 * Telegram's Bot FAQ: about one message per second in one chat, and no more than 20 per minute
 * in a group (negative ids).
 */
export function telegramThrottle(target: string | undefined): RateWindow[] {
  const windows: RateWindow[] = [{ max: 1, per: 1000 }];
  if (target?.startsWith('-')) windows.push({ max: 20, per: 60_000 });
  return windows;
}
