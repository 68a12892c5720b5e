import { z } from 'zod';
import type { ChannelDefinition } from '../receiver-schema.js';
import { httpUrlSchema, receiverObject } from '../receiver-schema.js';
import { WebhookChannel } from './webhook-channel.js';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const webhookReceiverSchema = receiverObject('webhook', {
  // Messages never quote the value: the URL is a credential.
  url: httpUrlSchema('url', 'the http(s) URL to POST to'),
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

export const webhookChannel: ChannelDefinition<typeof webhookReceiverSchema> = {
  schema: webhookReceiverSchema,
  create: (name, cfg, deps) =>
    new WebhookChannel(name, {
      url: cfg.url,
      format: cfg.format,
      headers: cfg.headers,
      timeoutMs: cfg.timeout_ms,
      now: deps.now,
    }),
};
