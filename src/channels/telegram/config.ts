import { z } from 'zod';
import { SEVERITIES } from '../../model/severity.js';
import type { RateWindow } from '../receiver-schema.js';
import { httpUrlSchema, receiverObject, secretSchema } from '../receiver-schema.js';

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
