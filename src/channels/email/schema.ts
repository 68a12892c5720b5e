import { z } from 'zod';
import { asText, receiverObject, secretSchema, unknownKeysError } from '../receiver-schema.js';
import { ADDRESS_MAX, isEmailAddress, parseMailbox } from './address.js';

/** More recipients than this is a mailing list: use one, and give Klaxon its address. */
export const MAX_RECIPIENTS = 50;

/** Quotes what the config said (never a secret here), short and on one line. */
function shown(input: unknown): string {
  const s = typeof input === 'string' ? input : String(input);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 79)}…` : s);
}

/** Unknown keys listed with the allowed ones; anything but a map explained with an example. */
function objectError(what: string, keys: string[], notAnObject: string) {
  const unknownKeys = unknownKeysError(what, keys);
  return (iss: z.core.$ZodRawIssue): string | undefined =>
    iss.code === 'invalid_type' ? notAnObject : unknownKeys(iss);
}

const recipientSchema = z
  .string({ error: 'to entries must be email addresses, e.g. oncall@example.com' })
  .trim()
  .refine(isEmailAddress, {
    error: (iss) =>
      `to: ${shown(iss.input)} is not an email address: write name@domain (e.g. oncall@example.com), one address per entry, without a display name`,
  });

const tlsKeys = ['reject_unauthorized'];
const tlsSchema = z.strictObject(
  {
    /**
     * Check the server's certificate (default true). `false` accepts any certificate, which lets
     * anyone on the path read the password and the alerts: only for a relay on a trusted network.
     */
    reject_unauthorized: z
      .boolean({ error: 'smtp.tls.reject_unauthorized must be true or false' })
      .default(true),
  },
  { error: objectError('smtp.tls', tlsKeys, 'smtp.tls must be a map, e.g. { reject_unauthorized: true }') },
);

const smtpKeys = ['host', 'port', 'secure', 'require_tls', 'user', 'pass', 'pool', 'tls'];
const smtpSchema = z
  .strictObject(
    {
      host: z
        .string({ error: 'smtp.host is required: the SMTP server, e.g. smtp.example.com' })
        .trim()
        .min(1, 'smtp.host must not be empty: the SMTP server, e.g. smtp.example.com')
        .refine((h) => /^[A-Za-z0-9._:[\]-]+$/.test(h) && !h.includes('://'), {
          error: (iss) =>
            `smtp.host ${shown(iss.input)} is not a host name or IP address: write it without smtp://, a port or a path (the port goes in smtp.port)`,
        }),
      /** 587 (submission with STARTTLS), or 465 when `secure: true`. */
      port: z
        .number({ error: 'smtp.port must be a port number, e.g. 587 (STARTTLS) or 465 (secure: true)' })
        .int('smtp.port must be a whole number')
        .min(1, 'smtp.port must be between 1 and 65535')
        .max(65535, 'smtp.port must be between 1 and 65535')
        .optional(),
      /** TLS from the first byte (port 465). `false`: plain connect, then STARTTLS. */
      secure: z.boolean({ error: 'smtp.secure must be true or false' }).default(false),
      /** With `secure: false`: fail unless the server upgrades the connection with STARTTLS. */
      require_tls: z.boolean({ error: 'smtp.require_tls must be true or false' }).default(true),
      user: asText(
        z
          .string({ error: 'smtp.user must be a string (the SMTP login)' })
          .trim()
          .min(1, 'smtp.user must not be empty: remove it to send without logging in'),
      ).optional(),
      pass: secretSchema('smtp.pass', "the SMTP password, e.g. '${SMTP_PASSWORD}'").optional(),
      /** Keep connections open and reuse them (one pool per receiver). */
      pool: z.boolean({ error: 'smtp.pool must be true or false' }).default(true),
      tls: tlsSchema.prefault({}),
    },
    {
      error: objectError(
        'smtp',
        smtpKeys,
        'smtp is required: { host: smtp.example.com, port: 587, user, pass }',
      ),
    },
  )
  .superRefine((s, ctx) => {
    if (s.user !== undefined && s.pass === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['pass'],
        message: 'smtp.pass is required when smtp.user is set',
      });
    if (s.pass !== undefined && s.user === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['user'],
        message: 'smtp.user is required when smtp.pass is set',
      });
  })
  .transform((s) => ({ ...s, port: s.port ?? (s.secure ? 465 : 587) }));

export const emailReceiverSchema = receiverObject('email', {
  to: z
    .array(recipientSchema, {
      error: 'to must be a list of email addresses, e.g. [oncall@example.com, ops@example.com]',
    })
    .min(1, 'to must list at least one email address')
    .max(MAX_RECIPIENTS, `to lists more than ${MAX_RECIPIENTS} addresses: send to a mailing list instead`)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((a, i) => {
        const key = a.toLowerCase();
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `to lists ${shown(a)} twice` });
        seen.add(key);
      });
    }),
  from: z
    .string({
      error: 'from is required: the sender, e.g. klaxon@example.com or "Klaxon <klaxon@example.com>"',
    })
    .trim()
    .max(ADDRESS_MAX + 200, 'from is too long')
    .refine((s) => parseMailbox(s) !== undefined, {
      error: (iss) =>
        `from: ${shown(iss.input)} is not a sender address: write klaxon@example.com or Klaxon <klaxon@example.com>`,
    }),
  smtp: smtpSchema,
});

export type EmailReceiverConfig = z.output<typeof emailReceiverSchema>;
export type SmtpConfig = EmailReceiverConfig['smtp'];
