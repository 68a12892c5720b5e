import { z } from 'zod';
import type { ChannelDefinition } from '../receiver-schema.js';
import { httpUrlSchema, receiverObject, secretSchema } from '../receiver-schema.js';
import { DEFAULT_DISCORD_API_ROOT, parseDiscordWebhookUrl, SNOWFLAKE } from './webhook-url.js';

export type { DiscordChannel } from './discord-channel.js';

const WEBHOOK_URL_HINT =
  'the URL from Server Settings → Integrations → Webhooks → Copy Webhook URL, e.g. ${DISCORD_WEBHOOK_URL}';

/**
 * A Discord webhook receiver:
 * `{ type: discord, webhook_url: ${DISCORD_WEBHOOK_URL}, api_root?, username?, avatar_url?, thread_id? }`.
 * Messages never quote webhook_url: it is the credential.
 */
export const discordReceiverSchema = receiverObject('discord', {
  webhook_url: secretSchema('webhook_url', WEBHOOK_URL_HINT).refine(
    (s) => parseDiscordWebhookUrl(s) !== undefined,
    {
      message:
        'webhook_url is not a Discord webhook URL: expected https://discord.com/api/webhooks/<id>/<token> ' +
        '(copy it again from the channel settings)',
    },
  ),
  /** Discord's API base; discord.js appends `/v10`. Changed only to go through a proxy, or in tests. */
  api_root: httpUrlSchema('api_root', `the Discord API base URL, ${DEFAULT_DISCORD_API_ROOT}`).default(
    DEFAULT_DISCORD_API_ROOT,
  ),
  username: z
    .string({ error: 'username must be a string: the name the messages show as sender' })
    .trim()
    .min(1, 'username must not be empty (default: Klaxon)')
    .max(80, 'username must be at most 80 characters (a Discord limit)')
    .refine((s) => !/discord|clyde/i.test(s), {
      message: 'username must not contain "discord" or "clyde": Discord refuses such webhook names',
    })
    .default('Klaxon'),
  avatar_url: httpUrlSchema('avatar_url', 'an image URL for the sender avatar').optional(),
  thread_id: z
    .string({
      error:
        "thread_id must be the thread's id in quotes, e.g. '1234567890123456789' (unquoted, YAML rounds it)",
    })
    .trim()
    .regex(SNOWFLAKE, "thread_id must be the thread's id: 17 to 20 digits")
    .optional(),
});

export type DiscordReceiverConfig = z.output<typeof discordReceiverSchema>;

/** Discord's observed per-webhook limit is about 5 requests per 2 s; keep to it. */
export const DISCORD_WEBHOOK_RATE = { max: 5, per: 2_000 };

export const discordChannel: ChannelDefinition<typeof discordReceiverSchema> = {
  schema: discordReceiverSchema,
  create: async (name, cfg) => {
    const creds = parseDiscordWebhookUrl(cfg.webhook_url);
    // The schema already checked it; a config built by hand may not have been.
    if (!creds) throw new Error(`discord receiver "${name}": webhook_url is not a Discord webhook URL`);
    // discord.js (~40 MiB) is loaded with the first Discord receiver.
    const { DiscordChannel } = await import('./discord-channel.js');
    return new DiscordChannel(name, {
      id: creds.id,
      token: creds.token,
      webhookUrl: cfg.webhook_url,
      apiRoot: cfg.api_root,
      username: cfg.username,
      avatarUrl: cfg.avatar_url,
      // An explicit thread_id wins over one in the URL's query.
      threadId: cfg.thread_id ?? creds.threadId,
    });
  },
  throttle: () => [{ ...DISCORD_WEBHOOK_RATE }],
};
