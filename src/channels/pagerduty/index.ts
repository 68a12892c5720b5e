import type { ChannelDefinition } from '../receiver-schema.js';
import { pagerdutyReceiverSchema } from './schema.js';

export { pagerdutyReceiverSchema } from './schema.js';
export type { PagerDutyChannel } from './pagerduty-channel.js';

/**
 * PagerDuty's Events API takes about 120 events a minute per integration key (a 60 s sliding
 * window; Events API Rate Limits page). A group notification sends one event per alert, so this
 * counts deliveries, not events: a 429 still answers the rest, with the wait PagerDuty asks for.
 */
const EVENTS_PER_MINUTE = 120;

export const pagerdutyChannel: ChannelDefinition<typeof pagerdutyReceiverSchema> = {
  schema: pagerdutyReceiverSchema,
  create: async (name, cfg) => {
    // The PagerDuty client is loaded with the first PagerDuty receiver.
    const { PagerDutyChannel } = await import('./pagerduty-channel.js');
    return new PagerDutyChannel(name, {
      routingKey: cfg.routing_key,
      server: cfg.server,
      client: cfg.client,
      clientUrl: cfg.client_url,
    });
  },
  throttle: () => [{ max: EVENTS_PER_MINUTE, per: 60_000 }],
  // One incident per alert: trigger, acknowledge and resolve pair up by the alert's dedup_key.
  groups: false,
};
