import { scrub, SendError } from '../channel.js';

/**
 * How an SMTP failure is classified (RFC 5321 §4.2.1 reply classes, and nodemailer's error codes):
 * - a 4xx reply (421 closing, 450/451/452 try later, 454 TLS or auth temporarily unavailable) is
 *   transient: retryable;
 * - a 5xx reply (550 no such user, 552/554 refused, 530/535 authentication) is permanent, with the
 *   server's own reply text. 503 "bad sequence" is the one exception nodemailer itself makes
 *   (`err.permanent === false`): a confused session, not a refused message;
 * - no reply at all: connection refused, reset, timed out, DNS (ECONNECTION, ETIMEDOUT, ESOCKET,
 *   EDNS) is retryable; a certificate the client does not trust, a TLS handshake that cannot work
 *   (`secure: true` against a plain port), a failed STARTTLS, missing credentials and a bad
 *   configuration (ETLS, EAUTH, ENOAUTH, ECONFIG…) are permanent: trying the same thing again
 *   minutes later meets the same certificate and the same config, and failing now hands the alert
 *   to the fallback receiver at once.
 * No message quotes the password or the login: see `smtpSecrets`.
 */

/** The fields nodemailer sets on its errors (a narrow view of its NodemailerError). */
export interface SmtpErrorLike {
  name?: string;
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  permanent?: boolean;
  originalCode?: string;
  timeoutType?: string;
  recipient?: string;
  rejected?: string[];
  rejectedErrors?: SmtpErrorLike[];
}

export interface ClassifyContext {
  /** `email receiver "ops"`: how every message starts. */
  where: string;
  /** `smtp.example.com:587`, for hints. */
  server: string;
  /** What `smtpSecrets` returned for the receiver. */
  secrets: SmtpSecrets;
}

/** Codes with no SMTP reply that say the configuration (not the moment) is wrong. */
const PERMANENT_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ETLS',
  'EREQUIRETLS',
  'ECONFIG',
  'EENVELOPE',
  'EMAXRECIPIENTS',
  'EFILEACCESS',
  'EURLACCESS',
  'EOTP',
]);

/** Node/OpenSSL codes of a certificate the client refused. */
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function classifySmtpError(raw: unknown, ctx: ClassifyContext): SendError {
  const err = (raw ?? {}) as SmtpErrorLike;
  const clean = (s: string) => scrubSecrets(s, ctx.secrets);
  const fail = (text: string, retryable: boolean, status: number | string | undefined) =>
    new SendError(`${ctx.where}: ${clean(text)}`, { retryable, status, cause: raw });

  if (err.code === 'EABORT' || err.name === 'AbortError') return fail('send aborted', true, 'aborted');

  // Every recipient refused: nodemailer throws one error listing each refusal.
  if (err.rejectedErrors && err.rejectedErrors.length > 0 && err.code === 'EENVELOPE') {
    const each = err.rejectedErrors.map((e, i) => {
      const who = e.recipient ?? err.rejected?.[i] ?? 'recipient';
      return `${who}: ${replyText(e)}`;
    });
    const retryable = err.rejectedErrors.some((e) => !isPermanentReply(e));
    return fail(
      `all recipients were rejected: ${each.join('; ')}${retryable ? '' : ' (permanent: check the addresses in to)'}`,
      retryable,
      err.responseCode ?? err.code,
    );
  }

  const rc = err.responseCode;
  if (rc !== undefined && rc >= 400 && rc <= 599) {
    const permanent = isPermanentReply(err);
    const during = err.command ? ` (${err.command})` : '';
    return fail(`SMTP ${replyText(err)}${during}${permanent ? hintFor(err, ctx) : ''}`, !permanent, rc);
  }

  const code = err.code ?? 'EUNKNOWN';
  const origin = err.originalCode;
  if ((origin && CERT_CODES.has(origin)) || CERT_CODES.has(code))
    return fail(
      `TLS certificate of ${ctx.server} not trusted (${origin ?? code}: ${err.message ?? ''}): install the CA that signed it (NODE_EXTRA_CA_CERTS), or set smtp.tls.reject_unauthorized: false only for a relay on a trusted network`,
      false,
      origin ?? code,
    );
  if (origin && /^ERR_SSL_/.test(origin))
    return fail(
      `TLS handshake with ${ctx.server} failed (${origin}): check smtp.secure (true for implicit TLS, usually port 465; false for STARTTLS, usually port 587)`,
      false,
      origin,
    );
  if (PERMANENT_CODES.has(code)) return fail(`${code}: ${err.message ?? 'failed'}`, false, code);
  if (code === 'ETIMEDOUT')
    return fail(
      `no answer from ${ctx.server} in time (${err.timeoutType ?? 'ETIMEDOUT'}): ${err.message ?? ''}`,
      true,
      'timeout',
    );
  return fail(`${code}${origin ? `/${origin}` : ''}: ${err.message ?? 'connection failed'}`, true, code);
}

/** A 5xx reply, except the ones nodemailer marks not permanent (503 bad sequence). */
export function isPermanentReply(e: SmtpErrorLike): boolean {
  if (e.responseCode === undefined) return false;
  if (e.permanent !== undefined) return e.permanent;
  return e.responseCode >= 500 && e.responseCode <= 599;
}

/** The server's own reply line (`550 5.1.1 No such user`), else what the client said. */
export function replyText(e: SmtpErrorLike): string {
  const r = e.response?.trim();
  if (r) return r.replace(/\s+/g, ' ');
  return e.responseCode !== undefined
    ? `${e.responseCode} ${e.message ?? ''}`.trim()
    : (e.message ?? 'rejected');
}

function hintFor(err: SmtpErrorLike, ctx: ClassifyContext): string {
  if (err.command === 'STARTTLS' || err.code === 'ETLS')
    return `: ${ctx.server} does not upgrade to TLS and smtp.require_tls is true, so nothing was sent in clear; use the server's TLS port (secure: true, usually 465), or set require_tls: false only on a trusted network`;
  if (err.code === 'EAUTH' || err.responseCode === 535) return ': check smtp.user and smtp.pass';
  if (err.responseCode === 530) return ': the server wants a login: set smtp.user and smtp.pass';
  return '';
}

/** What must never appear in a message, for `scrubSecrets`. */
export interface SmtpSecrets {
  /** The password and the login, also as the base64 the AUTH commands carry them in. */
  list: string[];
  /** The password again: removed even when shorter than `scrub` bothers with. */
  pass?: string;
}

export function smtpSecrets(user: string | undefined, pass: string | undefined): SmtpSecrets {
  const list: string[] = [];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  if (user !== undefined && pass !== undefined) list.push(b64(`\u0000${user}\u0000${pass}`));
  for (const s of [pass, user]) if (s) list.push(s, b64(s));
  return { list, pass };
}

/**
 * `scrub` from channel.ts (a server may echo an AUTH command back in its error), plus the
 * password whatever its length: a password is never an ordinary word worth keeping.
 */
export function scrubSecrets(text: string, secrets: SmtpSecrets): string {
  const out = scrub(text, secrets.list);
  return secrets.pass ? out.split(secrets.pass).join('[secret]') : out;
}
