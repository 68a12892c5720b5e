import type { ChannelDefinition } from '../receiver-schema.js';
import { EmailChannel } from './email-channel.js';
import { emailReceiverSchema } from './schema.js';

export { emailReceiverSchema } from './schema.js';
export type { EmailReceiverConfig } from './schema.js';

/**
 * `type: email`: one message per notification to every address in `to`, over SMTP (nodemailer,
 * pooled), threaded per alert with In-Reply-To/References. One delivery per notification (no
 * targets); no throttle of its own: a relay's limits are its own and it answers 4xx when hit.
 */
export const emailChannel: ChannelDefinition<typeof emailReceiverSchema> = {
  schema: emailReceiverSchema,
  create: (name, cfg) => new EmailChannel(name, cfg),
};
