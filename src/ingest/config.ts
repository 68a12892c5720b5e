/**
 * The `server` section of the YAML config. Secrets (`token`, `password`) arrive already
 * substituted from `${ENV}` placeholders by the config loader.
 */
import { z } from 'zod';
import { sourceSchema } from '../model/inputs.js';
import { tryParseDuration } from '../model/duration.js';
import { parseByteSize } from './byte-size.js';
import { DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH, MIN_JSON_DEPTH } from './json.js';

const TOKEN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
/** A source name where `*` matches any run of characters and `?` any one. */
const SOURCE_PATTERN_RE = /^(?:\*|[A-Za-z0-9*?][A-Za-z0-9_.:@/*?-]*)$/;
export const MIN_SECRET_LENGTH = 16;

const duration = (what: string) =>
  z.union([z.number().int().positive(), z.string()]).transform((v, ctx): number => {
    if (typeof v === 'number') return v;
    const ms = tryParseDuration(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${what}: ${JSON.stringify(v)} is not a duration; write e.g. 1s, 500ms, 1m (or a number of ms)`,
      });
      return z.NEVER;
    }
    return ms;
  });

const byteSize = z.union([z.number().int().positive(), z.string()]).transform((v, ctx): number => {
  if (typeof v === 'number') return v;
  const n = parseByteSize(v);
  if (n === undefined || n <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v)} is not a size; write e.g. 1048576, 512kb or 1mib`,
    });
    return z.NEVER;
  }
  return n;
});

const secret = (what: string) =>
  z.string().min(MIN_SECRET_LENGTH, {
    error: `${what} must be at least ${MIN_SECRET_LENGTH} characters (generate one with: openssl rand -hex 24)`,
  });

export const tokenConfigSchema = z.strictObject({
  /** Names the token in logs, metrics and errors (the token itself never appears). */
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(TOKEN_NAME_RE, { error: 'token names use letters, digits and _ . : @ -' }),
  token: secret('token'),
  /** Sources this token may push: exact names or globs (`grid-*`, `*`). */
  sources: z
    .array(
      z
        .string()
        .max(128)
        .regex(SOURCE_PATTERN_RE, { error: 'a source name or glob (letters, digits, _ . : @ / - and * ?)' }),
    )
    .min(1, { error: 'list at least one source (or "*")' }),
  /** May use the admin API (alerts list, ack, silences). */
  admin: z.boolean().default(false),
});

export const alertmanagerConfigSchema = z
  .strictObject({
    /** `source` label of Alertmanager alerts that carry none. */
    source: sourceSchema.default('alertmanager'),
    username: z.string().min(1).optional(),
    password: secret('alertmanager.password').optional(),
    token: secret('alertmanager.token').optional(),
    /** `false` lets Alertmanager requests through without a valid credential. Default: `server.auth`. */
    auth: z.boolean().optional(),
  })
  .refine((a) => (a.username === undefined) === (a.password === undefined), {
    error: 'username and password go together',
  });

export const ingestConfigSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8080),
  /**
   * Klaxon's URL as the people it notifies reach it (behind a proxy, say): notifications link to
   * the alert there. Without it they carry no such link.
   */
  public_url: z
    .string()
    .trim()
    .refine((s) => /^https?:\/\/[^\s/]+/i.test(s), 'public_url must be an absolute http:// or https:// URL')
    .optional(),
  /**
   * Signs the "Acknowledge" links of notifications (`${KLAXON_LINK_SECRET}`): with it and
   * `public_url`, email and Discord messages of a firing alert carry a link that acknowledges it,
   * valid for 7 days. A secret: changing it voids the links already sent.
   */
  link_secret: secret('link_secret').optional(),
  /** Largest request body, bytes (or `512kb`, `1mib`). */
  body_limit: byteSize.default(1024 * 1024),
  /** Most items (snapshots, events, alerts) in one request. */
  max_batch: z.number().int().min(1).max(1_000_000).default(5000),
  /**
   * Deepest nesting of objects and arrays in a request body (the body itself is level 1). Checked
   * before the body is parsed. Alertmanager payloads need 4 levels (body, alerts, alert, labels).
   */
  max_json_depth: z.number().int().min(MIN_JSON_DEPTH).max(MAX_JSON_DEPTH).default(DEFAULT_MAX_JSON_DEPTH),
  /**
   * How far ahead of the server's clock a timestamp (`ts`, Alertmanager `startsAt`/`endsAt`) may
   * be, for clock differences. Later ones are refused; past ones are accepted (replays, backfills).
   */
  max_future_skew: duration('max_future_skew').default(5 * 60_000),
  /**
   * `false` turns authentication off (a local trial only): a request without a valid credential
   * is let through as `anonymous`, with every source and the admin routes. Valid tokens keep
   * their own limits.
   */
  auth: z.boolean().default(true),
  tokens: z
    .array(tokenConfigSchema)
    .default([])
    .superRefine((tokens, ctx) => {
      const names = new Set<string>();
      const values = new Set<string>();
      tokens.forEach((t, i) => {
        if (names.has(t.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate token name ${t.name}` });
        if (values.has(t.token))
          ctx.addIssue({
            code: 'custom',
            path: [i, 'token'],
            message: `token ${t.name} reuses another token's value`,
          });
        names.add(t.name);
        values.add(t.token);
      });
    }),
  alertmanager: alertmanagerConfigSchema.prefault({}),
  /** Per token (per client address without one). */
  rate_limit: z
    .strictObject({
      max: z.number().int().min(1).default(100),
      window: duration('rate_limit.window').default(1000),
    })
    .prefault({}),
  /** How long to wait for the queue before answering 503. */
  enqueue_timeout: duration('enqueue_timeout').default(10_000),
  /** Trust X-Forwarded-For (behind a reverse proxy), for per-address rate limits and logs. */
  trust_proxy: z.boolean().default(false),
  /** The web console at `/ui` (docs/web-console.md). */
  ui: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long a login lasts. */
      session_ttl: duration('ui.session_ttl').default(12 * 3_600_000),
      /** Where the built web console is (`npm run build` puts it in dist/ui); the default finds it. */
      dir: z.string().min(1).optional(),
    })
    .prefault({}),
});

export type IngestConfig = z.output<typeof ingestConfigSchema>;
export type IngestConfigInput = z.input<typeof ingestConfigSchema>;
export type TokenConfig = z.output<typeof tokenConfigSchema>;

/** Parses and validates the `server` section (throws a ZodError naming the bad path). */
export function parseIngestConfig(raw: unknown): IngestConfig {
  return ingestConfigSchema.parse(raw ?? {});
}
