import type { ChannelDefinition } from '../receiver-schema.js';
import { telegramReceiverSchema, telegramTargets, telegramThrottle } from './config.js';

export { telegramReceiverSchema } from './config.js';
export type { TelegramReceiverConfig } from './config.js';
export type { TelegramChannel } from './telegram-channel.js';

/**
 * `type: telegram`: a bot posts to one or more chats, each chat its own delivery
 * (`notification.target` is the chat id).
 */
export const telegramChannel: ChannelDefinition<typeof telegramReceiverSchema> = {
  schema: telegramReceiverSchema,
  create: async (name, cfg) => {
    // telegraf is loaded with the first Telegram receiver.
    const { TelegramChannel } = await import('./telegram-channel.js');
    return new TelegramChannel(name, {
      token: cfg.token,
      chatIds: telegramTargets(cfg),
      apiRoot: cfg.api_root,
      silentBelow: cfg.silent_below,
      ackButton: cfg.ack_users !== undefined,
    });
  },
  targets: (cfg) => telegramTargets(cfg),
  throttle: (_cfg, target) => telegramThrottle(target),
};
