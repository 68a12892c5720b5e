import { z } from 'zod';
import type { Channel } from './channel.js';
import { consoleChannel } from './console/index.js';
import { discordChannel } from './discord/index.js';
import { emailChannel } from './email/index.js';
import { fileChannel } from './file/index.js';
import { pagerdutyChannel } from './pagerduty/index.js';
import type { ChannelDefinition, ChannelDeps, RateWindow } from './receiver-schema.js';
import { telegramChannel } from './telegram/index.js';
import { webhookChannel } from './webhook/index.js';

export type { ChannelDeps } from './receiver-schema.js';

/**
 * Every channel type, each defined in its own folder. To add one: a folder with an `index.ts`
 * exporting its ChannelDefinition, and one entry here.
 */
const DEFINITIONS = {
  console: consoleChannel,
  file: fileChannel,
  webhook: webhookChannel,
  email: emailChannel,
  telegram: telegramChannel,
  discord: discordChannel,
  pagerduty: pagerdutyChannel,
} as const;

const SCHEMAS = [
  consoleChannel.schema,
  fileChannel.schema,
  webhookChannel.schema,
  emailChannel.schema,
  telegramChannel.schema,
  discordChannel.schema,
  pagerdutyChannel.schema,
] as const;

export const RECEIVER_TYPES = Object.keys(DEFINITIONS);

export const receiverConfigSchema = z.discriminatedUnion('type', SCHEMAS, {
  error: (iss) =>
    iss.code === 'invalid_union' ? `receiver type must be one of: ${RECEIVER_TYPES.join(', ')}` : undefined,
});

/** A validated receiver (defaults applied). */
export type ReceiverConfig = z.output<typeof receiverConfigSchema>;
/** A receiver as written in the YAML. */
export type ReceiverConfigInput = z.input<typeof receiverConfigSchema>;
export type ReceiverType = ReceiverConfig['type'];

/** The `receivers` section: receiver name -> receiver. */
export const receiversSchema = z.record(
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'receiver names use letters, digits, _ . - (at most 64)'),
  receiverConfigSchema,
);

function definitionOf(cfg: ReceiverConfig): ChannelDefinition {
  return DEFINITIONS[cfg.type] as unknown as ChannelDefinition;
}

/**
 * Builds the channel of one receiver, loading its service's library on the first receiver of
 * that type. Errors (rejections) name the receiver, never its secrets.
 */
export async function createChannel(
  name: string,
  cfg: ReceiverConfig,
  deps: ChannelDeps = {},
): Promise<Channel> {
  return definitionOf(cfg).create(name, cfg, deps);
}

/** The places a receiver sends to one by one (each its own delivery), or `[undefined]` for one delivery. */
export function targetsOf(cfg: ReceiverConfig): (string | undefined)[] {
  const targets = definitionOf(cfg).targets?.(cfg);
  return targets && targets.length > 0 ? targets : [undefined];
}

/** The rate limits a delivery to this receiver and target keeps to: the receiver's `throttle`, else the service's. */
/** Whether a grouping route may tell this receiver its alerts in groups. */
export function groupsAt(cfg: ReceiverConfig | undefined): boolean {
  return cfg !== undefined && definitionOf(cfg).groups !== false;
}

export function throttleOf(cfg: ReceiverConfig, target: string | undefined): RateWindow[] {
  if (cfg.throttle === 'off') return [];
  if (cfg.throttle) return cfg.throttle;
  return definitionOf(cfg).throttle?.(cfg, target) ?? [];
}
