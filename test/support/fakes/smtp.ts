import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import { testTls } from '../tls.js';

/**
 * A local SMTP server for tests, wrapping `smtp-server` (the real SMTP protocol, the same author
 * as nodemailer). It records every message (raw bytes, the envelope, and the message parsed back
 * by `mailparser` with `keepCidLinks: true`), every login attempt and every connection, and can be
 * scripted per stage of the SMTP dialogue to answer with a given code N times, hang, or drop the
 * connection. Reusable by any test that needs a mail server, e.g. end-to-end through the app:
 *
 * ```ts
 * const smtp = new FakeSmtp({ tls: 'starttls', auth: { user: 'alerts', pass: 's3cret-pass' } });
 * await smtp.start();                    // 127.0.0.1, a free port: smtp.host, smtp.port
 * smtp.rejectRecipient('gone@example.com');   // 550 for that address, until reset()
 * smtp.fail('rcpt', 451, 'Greylisted', 2);    // the next 2 RCPT TO answer 451
 * smtp.hang('data');                     // the next DATA never gets an answer
 * smtp.acceptThenDrop();                 // keeps the next message, then cuts the line before 250
 * … send …
 * smtp.messages[0].parsed.subject; smtp.messages[0].envelope.rcptTo; smtp.auths;
 * await smtp.close();
 * ```
 *
 * TLS uses `testTls()` (trusted by every test process through NODE_EXTRA_CA_CERTS) unless `cert`
 * gives another one, e.g. an untrusted self-signed certificate.
 */

/** The stages of an SMTP transaction that can be scripted. */
export type SmtpStage = 'connect' | 'auth' | 'mail' | 'rcpt' | 'data';

export interface FakeSmtpOptions {
  /**
   * `none` (default): plain, STARTTLS not offered; `starttls`: plain, STARTTLS offered;
   * `implicit`: TLS from the first byte (like port 465).
   */
  tls?: 'none' | 'starttls' | 'implicit';
  /** The certificate to present instead of testTls(). */
  cert?: { key: string; cert: string };
  /** Require this login. Without it AUTH is not offered and mail is taken from anyone. */
  auth?: { user: string; pass: string };
  /** Allow AUTH before TLS (default true: a loopback fake; set false to test a strict server). */
  allowInsecureAuth?: boolean;
}

/** A mail as the server got it. */
export interface ReceivedMessage {
  /** The message exactly as transmitted after DATA (dot-unstuffed). */
  raw: Buffer;
  parsed: ParsedMail;
  envelope: { mailFrom: string; rcptTo: string[] };
  /** The login of the session, when it logged in. */
  user?: string;
  /** Whether the session was encrypted (implicit TLS or STARTTLS). */
  secure: boolean;
  /** smtp-server's session id: equal for messages sent over one connection (pooling). */
  sessionId: string;
}

export interface AuthAttempt {
  user: string;
  method: string;
  ok: boolean;
  secure: boolean;
}

export interface ConnectionRecord {
  sessionId: string;
  remotePort: number;
  /** Set when the connection has ended. */
  closed: boolean;
}

/** The parts of mailparser's ParsedMail the tests read (mailparser ships no types). */
export interface ParsedMail {
  subject?: string;
  text?: string;
  html?: string | false;
  messageId?: string;
  inReplyTo?: string;
  references?: string | string[];
  date?: Date;
  from?: AddressObject;
  to?: AddressObject | AddressObject[];
  /** Header names in lower case. Address headers are objects, `date` a Date, most others strings. */
  headers: Map<string, unknown>;
  /** Every header line as sent, `{ key, line }`. */
  headerLines: { key: string; line: string }[];
  attachments: { filename?: string; contentType: string; cid?: string; content: Buffer }[];
}

export interface AddressObject {
  value: { address?: string; name: string }[];
  text: string;
}

type Action =
  | { kind: 'reply'; code: number; message: string }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'acceptThenDrop' };

interface Scripted {
  action: Action;
  remaining: number;
}

const requireCjs = createRequire(import.meta.url);
const { simpleParser } = requireCjs('mailparser') as {
  simpleParser(input: Buffer, options: { keepCidLinks: boolean }): Promise<ParsedMail>;
};

export class FakeSmtp {
  readonly messages: ReceivedMessage[] = [];
  readonly auths: AuthAttempt[] = [];
  readonly connections: ConnectionRecord[] = [];
  /** Errors the server reported (TLS handshakes that failed, sockets reset…), for debugging. */
  readonly errors: Error[] = [];
  readonly host = '127.0.0.1';
  #port = 0;
  readonly #opts: FakeSmtpOptions;
  readonly #server: SMTPServer;
  readonly #sockets = new Map<number, Socket>();
  readonly #script = new Map<SmtpStage, Scripted[]>();
  readonly #rejected = new Map<string, { code: number; message: string }>();
  readonly #waiters: (() => void)[] = [];

  constructor(opts: FakeSmtpOptions = {}) {
    this.#opts = opts;
    const tls = opts.tls ?? 'none';
    const pems = tls === 'none' ? undefined : (opts.cert ?? testTls());
    this.#server = new SMTPServer({
      secure: tls === 'implicit',
      ...(pems ? { key: pems.key, cert: pems.cert } : {}),
      disabledCommands: [...(tls === 'none' ? ['STARTTLS'] : []), ...(opts.auth ? [] : ['AUTH'])],
      authOptional: !opts.auth,
      allowInsecureAuth: opts.allowInsecureAuth ?? true,
      logger: false,
      closeTimeout: 50,
      onConnect: (session, cb) => this.#onConnect(session, cb),
      onAuth: (auth, session, cb) => this.#onAuth(auth, session, cb),
      onMailFrom: (_addr, session, cb) => this.#step('mail', session, cb),
      onRcptTo: (addr, session, cb) => this.#onRcptTo(addr, session, cb),
      onData: (stream, session, cb) => this.#onData(stream, session, cb),
      onClose: (session) => {
        const c = this.connections.find((x) => x.sessionId === session.id);
        if (c) c.closed = true;
      },
    });
    this.#server.on('error', (err: Error) => this.errors.push(err));
  }

  async start(): Promise<this> {
    this.#server.server.on('connection', (socket: Socket) => {
      const port = socket.remotePort ?? 0;
      this.#sockets.set(port, socket);
      socket.once('close', () => this.#sockets.delete(port));
    });
    await new Promise<void>((resolve) => this.#server.listen(0, this.host, resolve));
    this.#port = (this.#server.server.address() as AddressInfo).port;
    return this;
  }

  /** The same list as `messages`, under the name the HTTP fakes use. */
  get requests(): ReceivedMessage[] {
    return this.messages;
  }

  get port(): number {
    return this.#port;
  }

  /** `smtp://127.0.0.1:PORT` (or `smtps://` for implicit TLS). */
  get url(): string {
    return `${this.#opts.tls === 'implicit' ? 'smtps' : 'smtp'}://${this.host}:${this.#port}`;
  }

  /** Answers `code message` at `stage` for the next `times` commands of that stage. */
  fail(stage: SmtpStage, code: number, message = 'Try again later', times = 1): this {
    return this.#add(stage, { kind: 'reply', code, message }, times);
  }

  /** Never answers at `stage` (`connect`: no greeting) for the next `times` times. */
  hang(stage: SmtpStage, times = 1): this {
    return this.#add(stage, { kind: 'hang' }, times);
  }

  /** Cuts the connection at `stage` without an answer, the next `times` times. */
  drop(stage: SmtpStage, times = 1): this {
    return this.#add(stage, { kind: 'drop' }, times);
  }

  /**
   * Records the next `times` messages, then cuts the connection before answering 250: the client
   * sees a failure although the message arrived (a "lost answer").
   */
  acceptThenDrop(times = 1): this {
    return this.#add('data', { kind: 'acceptThenDrop' }, times);
  }

  /** Refuses this recipient in RCPT TO (case-insensitive) until reset(). */
  rejectRecipient(
    address: string,
    code = 550,
    message = `5.1.1 <${address}>: Recipient address rejected: User unknown`,
  ): this {
    this.#rejected.set(address.toLowerCase(), { code, message });
    return this;
  }

  /** Forgets the scripts and everything recorded. */
  reset(): void {
    this.#script.clear();
    this.#rejected.clear();
    this.messages.length = 0;
    this.auths.length = 0;
    this.connections.length = 0;
    this.errors.length = 0;
  }

  /** Resolves once `n` messages are recorded (rejects after `timeoutMs`). */
  async waitForMessages(n: number, timeoutMs = 5_000): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (Date.now() > deadline)
        throw new Error(`FakeSmtp: ${this.messages.length} of ${n} messages after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 25);
      });
    }
    return this.messages.slice(0, n);
  }

  /** Cuts every connection (hanging ones too) and stops listening. */
  async close(): Promise<void> {
    for (const s of this.#sockets.values()) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #add(stage: SmtpStage, action: Action, times: number): this {
    const list = this.#script.get(stage) ?? [];
    list.push({ action, remaining: times });
    this.#script.set(stage, list);
    return this;
  }

  #take(stage: SmtpStage): Action | undefined {
    const list = this.#script.get(stage);
    const first = list?.[0];
    if (!list || !first) return undefined;
    first.remaining -= 1;
    if (first.remaining <= 0) list.shift();
    return first.action;
  }

  /** Runs the scripted action of `stage`, if any; true when it answered (or chose not to). */
  #act(action: Action | undefined, session: SMTPServerSession, cb: (err?: Error | null) => void): boolean {
    if (!action) return false;
    switch (action.kind) {
      case 'reply':
        cb(smtpError(action.code, action.message));
        return true;
      case 'hang':
        return true;
      case 'drop':
      case 'acceptThenDrop':
        this.#socketOf(session)?.destroy();
        return true;
    }
  }

  #step(stage: SmtpStage, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    if (!this.#act(this.#take(stage), session, cb)) cb();
  }

  #onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    this.connections.push({ sessionId: session.id, remotePort: session.remotePort, closed: false });
    this.#step('connect', session, cb);
  }

  #onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    cb: (err: Error | null | undefined, response?: { user?: unknown }) => void,
  ): void {
    const user = auth.username ?? '';
    if (this.#act(this.#take('auth'), session, (err) => cb(err))) {
      this.auths.push({ user, method: auth.method, ok: false, secure: session.secure });
      return;
    }
    const want = this.#opts.auth;
    const ok = want !== undefined && user === want.user && auth.password === want.pass;
    this.auths.push({ user, method: auth.method, ok, secure: session.secure });
    if (ok) cb(null, { user });
    else cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
  }

  #onRcptTo(addr: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const refused = this.#rejected.get(addr.address.toLowerCase());
    if (refused) return cb(smtpError(refused.code, refused.message));
    this.#step('rcpt', session, cb);
  }

  #onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const action = this.#take('data');
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (action?.kind === 'hang') return;
      if (action?.kind === 'drop') return void this.#socketOf(session)?.destroy();
      if (action?.kind === 'reply') return cb(smtpError(action.code, action.message));
      const raw = Buffer.concat(chunks);
      void simpleParser(raw, { keepCidLinks: true }).then(
        (parsed) => {
          this.messages.push({
            raw,
            parsed,
            envelope: {
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
            },
            user: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
            sessionId: session.id,
          });
          for (const w of this.#waiters.splice(0)) w();
          if (action?.kind === 'acceptThenDrop') this.#socketOf(session)?.destroy();
          else cb();
        },
        (err: Error) => cb(smtpError(554, `5.6.0 unparseable message: ${err.message}`)),
      );
    });
  }

  #socketOf(session: SMTPServerSession): Socket | undefined {
    return this.#sockets.get(session.remotePort);
  }
}

/** An error smtp-server turns into the reply `code message`. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}
