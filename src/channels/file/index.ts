import { z } from 'zod';
import type { ChannelDefinition } from '../receiver-schema.js';
import { receiverObject } from '../receiver-schema.js';
import { FileChannel } from './file-channel.js';

export const fileReceiverSchema = receiverObject('file', {
  path: z
    .string({ error: 'path is required: the file to append JSON lines to' })
    .trim()
    .min(1, 'path must not be empty'),
});

export const fileChannel: ChannelDefinition<typeof fileReceiverSchema> = {
  schema: fileReceiverSchema,
  create: (name, cfg) => new FileChannel(name, { path: cfg.path }),
};
