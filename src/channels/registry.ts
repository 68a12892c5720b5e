import { z } from 'zod';
import { positiveDurationSchema } from '../model/duration.js';
import type { Channel } from './channel.js';
import { ConsoleChannel } from './console/console-channel.js';
import { FileChannel } from './file/file-channel.js';
import { WebhookChannel } from './webhook/webhook-channel.js';

/**
 * Schemas of the `receivers` section of the config: a discriminated union on `type`. To add a
 * channel type: write its schema with `receiverObject`, add it to RECEIVER_SCHEMAS, and add a
 * case to createChannel (TypeScript reports the missing case).
 */

/** Fields every receiver may have; the delivery layer enforces them. */
const commonFields = {
  /** At most `max` notifications per `per` to this receiver; the rest fold into a summary. */
  rate_limit: z
    .strictObject(
      {
        max: z
          .number()
          .int('rate_limit.max must be a whole number')
          .positive('rate_limit.max must be at least 1'),
        per: positiveDurationSchema,
      },
      { error: unknownKeysError('rate_limit', ['max', 'per']) },
    )
    .optional(),
  /** Tell this receiver when an alert resolves (default true). */
  send_resolved: z.boolean().default(true),
};

/** A strict object schema for one receiver type, with the common fields and a clear unknown-key message. */
function receiverObject<T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) {
  const full = { type: z.literal(type), ...shape, ...commonFields };
  return z.strictObject(full, { error: unknownKeysError(`a ${type} receiver`, Object.keys(full)) });
}

function unknownKeysError(what: string, allowed: string[]) {
  return (iss: z.core.$ZodRawIssue): string | undefined => {
    if (iss.code !== 'unrecognized_keys') return undefined;
    const keys = (iss as { keys?: string[] }).keys ?? [];
    const list = keys.map((k) => `"${k}"`).join(', ');
    return `unknown ${keys.length === 1 ? 'key' : 'keys'} ${list} for ${what}; allowed: ${allowed.join(', ')}`;
  };
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const consoleReceiverSchema = receiverObject('console', {});

export const fileReceiverSchema = receiverObject('file', {
  path: z
    .string({ error: 'path is required: the file to append JSON lines to' })
    .trim()
    .min(1, 'path must not be empty'),
});

export const webhookReceiverSchema = receiverObject('webhook', {
  // Messages never quote the value: the URL is a credential.
  url: z
    .string({ error: 'url is required: the http(s) URL to POST to' })
    .trim()
    .refine(isHttpUrl, { message: 'url must be an absolute http:// or https:// URL', abort: true }),
  format: z.enum(['json', 'slack'], { error: "format must be 'json' or 'slack'" }).default('json'),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, "header names may only use letters, digits and !#$%&'*+-.^_`|~"),
      z
        .string({ error: 'header values must be strings' })
        .refine((v) => !/[\r\n\0]/.test(v), 'header values must not contain line breaks or NUL'),
    )
    .optional(),
  timeout_ms: z
    .number({ error: 'timeout_ms must be a number of milliseconds' })
    .int('timeout_ms must be a whole number of milliseconds')
    .positive('timeout_ms must be greater than 0')
    .max(300_000, 'timeout_ms must be at most 300000 (5 minutes)')
    .optional(),
});

export const RECEIVER_SCHEMAS = [consoleReceiverSchema, fileReceiverSchema, webhookReceiverSchema] as const;
export const RECEIVER_TYPES = RECEIVER_SCHEMAS.map((s) => s.shape.type.value);

export const receiverConfigSchema = z.discriminatedUnion('type', RECEIVER_SCHEMAS, {
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

export interface ChannelDeps {
  /** Where console receivers write (process.stdout by default). */
  stdout?: NodeJS.WritableStream;
  /** For tests: the fetch and clock HTTP channels use. */
  fetch?: typeof fetch;
  now?: () => number;
}

/** Builds the channel of one receiver. Errors name the receiver, never its secrets. */
export function createChannel(name: string, cfg: ReceiverConfig, deps: ChannelDeps = {}): Channel {
  switch (cfg.type) {
    case 'console':
      return new ConsoleChannel(name, { stream: deps.stdout });
    case 'file':
      return new FileChannel(name, { path: cfg.path });
    case 'webhook':
      return new WebhookChannel(name, {
        url: cfg.url,
        format: cfg.format,
        headers: cfg.headers,
        timeoutMs: cfg.timeout_ms,
        fetch: deps.fetch,
        now: deps.now,
      });
    default: {
      const never: never = cfg;
      throw new Error(`unknown receiver type ${JSON.stringify((never as { type?: unknown }).type)}`);
    }
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
