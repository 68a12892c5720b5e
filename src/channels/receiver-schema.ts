import { z } from 'zod';
import { positiveDurationSchema } from '../model/duration.js';
import type { Channel } from './channel.js';

/**
 * What every channel type declares, in its own folder's `index.ts`: the schema of its receivers
 * in the config, how to build one, and what the delivery layer must know about its service.
 * Adding a channel type is a folder of its own plus one line in `registry.ts`.
 *
 * `index.ts` is loaded with every config (the registry needs each schema), so it imports no
 * service library: a channel whose library is heavy (discord.js, telegraf, nodemailer, the
 * PagerDuty client) keeps its sending code in a module of its own that `create` loads with
 * `await import()`. A service pays for a library only when it has a receiver of that type.
 */
export interface ChannelDefinition<S extends z.ZodType = z.ZodType> {
  schema: S;
  create(name: string, cfg: z.output<S>, deps: ChannelDeps): Channel | Promise<Channel>;
  /**
   * Places the receiver sends to one by one (Telegram chat ids): each gets a delivery of its own,
   * retried, rate limited and threaded on its own. Omitted: one delivery per notification.
   */
  targets?(cfg: z.output<S>): string[];
  /** The service's own rate limits for one target (or the receiver): what exceeds them waits. */
  throttle?(cfg: z.output<S>, target: string | undefined): RateWindow[];
  /**
   * `false`: the service keeps one conversation per alert (PagerDuty pairs trigger, acknowledge
   * and resolve by the alert's `dedup_key`), so a grouping route tells it each alert on its own.
   */
  groups?: boolean;
}

export interface RateWindow {
  max: number;
  /** Window length (ms). */
  per: number;
}

export interface ChannelDeps {
  /** Where console receivers write (process.stderr by default, so stdout stays JSON logs). */
  stderr?: NodeJS.WritableStream;
  /** For tests: the fetch and clock HTTP channels use. */
  fetch?: typeof fetch;
  now?: () => number;
}

const rateWindowSchema = (what: string) =>
  z.strictObject(
    {
      max: z.number().int(`${what}.max must be a whole number`).positive(`${what}.max must be at least 1`),
      per: positiveDurationSchema,
    },
    { error: unknownKeysError(what, ['max', 'per']) },
  );

/** Fields every receiver may have; the delivery layer enforces them. */
const commonFields = {
  /** At most `max` notifications per `per` to this receiver; the rest fold into a summary. */
  rate_limit: rateWindowSchema('rate_limit').optional(),
  /**
   * Replaces the service's own rate limits that Klaxon keeps to (e.g. Telegram's 1 message per
   * second per chat): what exceeds them waits. `off` sends as fast as the service answers.
   */
  throttle: z
    .union([z.literal('off'), z.array(rateWindowSchema('throttle[]'))], {
      error: (iss) =>
        Array.isArray(iss.input)
          ? undefined
          : "throttle is 'off' or a list of {max, per}, e.g. [{max: 1, per: 1s}]",
    })
    .optional(),
  /** Tell this receiver when an alert resolves (default true). */
  send_resolved: z.boolean().default(true),
};

/** A strict object schema for one receiver type, with the common fields and a clear unknown-key message. */
export function receiverObject<T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) {
  const full = { type: z.literal(type), ...shape, ...commonFields };
  return z.strictObject(full, { error: unknownKeysError(`a ${type} receiver`, Object.keys(full)) });
}

export function unknownKeysError(what: string, allowed: string[]) {
  return (iss: z.core.$ZodRawIssue): string | undefined => {
    if (iss.code !== 'unrecognized_keys') return undefined;
    const keys = (iss as { keys?: string[] }).keys ?? [];
    const list = keys.map((k) => `"${k}"`).join(', ');
    return `unknown ${keys.length === 1 ? 'key' : 'keys'} ${list} for ${what}; allowed: ${allowed.join(', ')}`;
  };
}

/**
 * Text that may come as a number: `${SMTP_PASSWORD}` holding only digits is made a number by the
 * placeholder substitution (for ports and counts); a text field takes it back as text.
 */
export function asText<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (typeof v === 'number' ? String(v) : v), schema);
}

/** A required, non-empty secret (token, key, URL). Messages never quote the value. */
export function secretSchema(what: string, hint: string) {
  return asText(
    z
      .string({ error: `${what} is required: ${hint}` })
      .trim()
      .min(1, `${what} must not be empty: ${hint}`),
  );
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** An absolute http(s) URL (messages never quote it: URLs may carry credentials). */
export function httpUrlSchema(what: string, hint: string) {
  return z
    .string({ error: `${what} is required: ${hint}` })
    .trim()
    .refine(isHttpUrl, { message: `${what} must be an absolute http:// or https:// URL`, abort: true });
}
