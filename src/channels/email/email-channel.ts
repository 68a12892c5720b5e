import nodemailer from 'nodemailer';
import type { SendMailOptions, SMTPPoolOptions, SMTPSentMessageInfo } from 'nodemailer';
import { raceAbort, SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import { parseMailbox, type Mailbox } from './address.js';
import {
  classifySmtpError,
  replyText,
  scrubSecrets,
  smtpSecrets,
  type ClassifyContext,
  type SmtpErrorLike,
} from './classify.js';
import { layoutEmail } from './message.js';
import type { EmailReceiverConfig, SmtpConfig } from './schema.js';

/**
 * Timeouts short enough for an alerting path (nodemailer's defaults are 2 min / 30 s / 10 min):
 * a dead relay must fail the delivery, so the worker can retry or hand it to the fallback.
 */
export const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
} as const;

/** The nodemailer options of a receiver's transporter. Exported for tests. */
export function transportOptions(smtp: SmtpConfig): SMTPPoolOptions {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // With secure: false nodemailer upgrades with STARTTLS when the server offers it; requireTLS
    // fails the send instead of going on in clear when it does not.
    requireTLS: !smtp.secure && smtp.require_tls,
    auth: smtp.user !== undefined ? { user: smtp.user, pass: smtp.pass } : undefined,
    // A configured login is always used: without this nodemailer silently skips AUTH when the
    // server does not advertise it, and verify() would report a login that never happened.
    forceAuth: smtp.user !== undefined,
    tls: { rejectUnauthorized: smtp.tls.reject_unauthorized, minVersion: 'TLSv1.2' },
    pool: smtp.pool,
    // No retries inside the library: the pool would otherwise re-queue a message up to 5 times
    // when its connection drops. Klaxon's worker decides when to try again.
    maxRequeues: 0,
    ...SMTP_TIMEOUTS,
    dnsTimeout: SMTP_TIMEOUTS.connectionTimeout,
    // Nothing in an alert email is loaded from a file or a URL; refuse it if it ever were.
    disableFileAccess: true,
    disableUrlAccess: true,
    // nodemailer writes `X-Klaxon-Notification-ID`; keep the spelling our docs and filters use.
    normalizeHeaderKey: (key: string) => HEADER_SPELLING.get(key.toLowerCase()) ?? key,
    logger: false,
    debug: false,
  };
}

/** Header names as Klaxon spells them (names are case-insensitive; people's filters may not be). */
const HEADER_SPELLING = new Map([['x-klaxon-notification-id', 'X-Klaxon-Notification-Id']]);

/** What the channel uses of a nodemailer transporter (pooled or not). */
interface SmtpTransporter {
  sendMail(mail: SendMailOptions): Promise<SMTPSentMessageInfo>;
  verify(): Promise<true>;
  close(): void;
}

/**
 * Sends alert emails over SMTP with nodemailer: one transporter (by default a pool of connections)
 * per receiver, created with the channel and closed by `close()`. One message per notification,
 * to all recipients at once; the recipients the server refuses while others take the message are
 * returned as `rejected` (each becomes a dead letter). Threading: see threading.ts.
 */
export class EmailChannel implements Channel {
  readonly type = 'email';
  readonly name: string;
  readonly #from: Mailbox;
  readonly #to: string[];
  readonly #smtp: SmtpConfig;
  readonly #transport: SmtpTransporter;
  readonly #ctx: ClassifyContext;
  #closed = false;

  constructor(name: string, cfg: Pick<EmailReceiverConfig, 'to' | 'from' | 'smtp'>) {
    this.name = name;
    const from = parseMailbox(cfg.from);
    if (!from) throw new Error(`email receiver "${name}": from is not an email address`);
    if (cfg.to.length === 0) throw new Error(`email receiver "${name}": to lists no address`);
    this.#from = from;
    this.#to = [...cfg.to];
    this.#smtp = cfg.smtp;
    const options = transportOptions(cfg.smtp);
    // The overloads of createTransport pick the pooled type on the literal `pool: true`.
    const transport = options.pool
      ? nodemailer.createTransport({ ...options, pool: true })
      : nodemailer.createTransport({ ...options, pool: false });
    // Failures reach us through sendMail/verify; an 'error' event without a listener would
    // crash the process instead (nodemailer re-emits transport errors on the Mail object).
    transport.on('error', () => undefined);
    this.#transport = transport;
    this.#ctx = {
      where: `email receiver "${name}"`,
      server: `${cfg.smtp.host}:${cfg.smtp.port}`,
      secrets: smtpSecrets(cfg.smtp.user, cfg.smtp.pass),
    };
  }

  async send(d: Delivery): Promise<SendOutcome> {
    const { where } = this.#ctx;
    if (this.#closed) throw new SendError(`${where}: channel closed`, { retryable: true, status: 'closed' });
    if (d.signal.aborted)
      throw new SendError(`${where}: send aborted`, { retryable: true, status: 'aborted' });
    const mail = await layoutEmail(d, this.#from, this.#to);

    let info: SMTPSentMessageInfo;
    try {
      info = await untilAborted(
        this.#transport.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          messageId: mail.messageId,
          date: mail.date,
          inReplyTo: mail.inReplyTo,
          references: mail.references,
          headers: mail.headers,
          text: mail.text,
          html: mail.html,
          ...(mail.attachments ? { attachments: mail.attachments } : {}),
          // nodemailer 10 takes the signal: it drops a queued message, or closes the pooled
          // connection that is sending it. If the server had already taken the final dot, the
          // message may still be delivered; its Message-ID is the one a retry will carry, so mail
          // clients fold the two.
          signal: d.signal,
        }),
        d.signal,
      );
    } catch (err) {
      throw classifySmtpError(err, this.#ctx);
    }

    const refused = refusals(info);
    const rejected = refused.map(({ target, reason }) => ({
      target,
      reason: scrubSecrets(reason, this.#ctx.secrets),
    }));
    const response = scrubSecrets(info.response?.trim() || 'accepted', this.#ctx.secrets);
    const detail =
      rejected.length > 0
        ? `SMTP ${response}; ${info.accepted.length} of ${this.#to.length} recipients accepted`
        : `SMTP ${response}`;
    return {
      ...(mail.ref ? { ref: mail.ref } : {}),
      detail,
      ...(rejected.length > 0 ? { rejected } : {}),
    };
  }

  /**
   * Connects, upgrades with STARTTLS when required and logs in, without sending anything. Rejects
   * with a SendError classified like a failed send.
   */
  async verify(signal: AbortSignal): Promise<string> {
    if (signal.aborted)
      throw new SendError(`${this.#ctx.where}: verify aborted`, { retryable: true, status: 'aborted' });
    try {
      // verify() takes no signal: on abort we stop waiting at once, and its connection ends by
      // itself within the timeouts above.
      await untilAborted(this.#transport.verify(), signal);
    } catch (err) {
      if (signal.aborted)
        throw new SendError(`${this.#ctx.where}: verify aborted`, { retryable: true, status: 'aborted' });
      throw classifySmtpError(err, this.#ctx);
    }
    const steps = [this.#smtp.secure ? 'the TLS connection' : 'the connection'];
    if (!this.#smtp.secure && this.#smtp.require_tls) steps.push('STARTTLS');
    if (this.#smtp.user !== undefined) steps.push('login');
    const said = steps.length > 1 ? `${steps.slice(0, -1).join(', ')} and ${steps.at(-1)}` : steps[0];
    return `${this.#ctx.server} accepted ${said}`;
  }

  /** Closes the pool: idle connections at once, one in the middle of a message once it is sent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }
}

/** The recipients the server refused while others took the message, with its reply to each. */
function refusals(info: SMTPSentMessageInfo): { target: string; reason: string }[] {
  const errors = ((info as { rejectedErrors?: SmtpErrorLike[] }).rejectedErrors ?? []).slice();
  return (info.rejected ?? []).map((address, i) => {
    const e = errors.find((x) => x.recipient === address) ?? errors[i];
    return { target: address, reason: e ? replyText(e) : 'refused by the server' };
  });
}

/** Settles like `p`, or rejects with an AbortError as soon as `signal` aborts, whichever is first. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return raceAbort(p, signal, () =>
    Object.assign(new Error('aborted'), { name: 'AbortError', code: 'EABORT' }),
  );
}
