import type { ChannelDefinition } from '../receiver-schema.js';
import { receiverObject } from '../receiver-schema.js';
import { ConsoleChannel } from './console-channel.js';

export const consoleReceiverSchema = receiverObject('console', {});

export const consoleChannel: ChannelDefinition<typeof consoleReceiverSchema> = {
  schema: consoleReceiverSchema,
  create: (name, _cfg, deps) => new ConsoleChannel(name, { stream: deps.stderr }),
};
