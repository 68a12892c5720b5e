import type { ChannelDefinition } from '../receiver-schema.js';
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
  create: async (name, cfg) => {
    // nodemailer is loaded with the first email receiver.
    const { EmailChannel } = await import('./email-channel.js');
    return new EmailChannel(name, cfg);
  },
};
