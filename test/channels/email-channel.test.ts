import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendError, type SendOutcome } from '../../src/channels/channel.js';
import { classifySmtpError, smtpSecrets } from '../../src/channels/email/classify.js';
import { EmailChannel, SMTP_TIMEOUTS, transportOptions } from '../../src/channels/email/email-channel.js';
import { buildEmail } from '../../src/channels/email/message.js';
import { renderHtml } from '../../src/channels/email/render-html.js';
import { emailReceiverSchema } from '../../src/channels/email/schema.js';
import type { MessageRef, Notification } from '../../src/model/notification.js';
import { FakeSmtp, type FakeSmtpOptions, type ParsedMail } from '../support/fakes/smtp.js';
import { makeLocalhostCert } from '../support/tls.js';
import { alertView, delivery, notification, T0, unicodeLongDescription } from './helpers.js';

const USER = 'alerts-bot@example.com';
const PASS = 'sm7p-pa55word-s3cret';
const AUTH_B64 = Buffer.from(`\u0000${USER}\u0000${PASS}`).toString('base64');
const TO = ['oncall@example.com', 'ops@example.com'];
const FROM = 'Klaxon <klaxon@example.com>';
const INJECT = `<script>alert(1)</script><img src=x onerror=alert(2)>`;

const servers: FakeSmtp[] = [];
const channels: EmailChannel[] = [];
/** Every SendError message any test saw: none may hold a credential (checked at the end). */
const seen: string[] = [];
let untrusted: { key: string; cert: string };

async function fake(opts: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const f = await new FakeSmtp(opts).start();
  servers.push(f);
  return f;
}

function channel(f: FakeSmtp, smtp: Record<string, unknown> = {}, to: string[] = TO): EmailChannel {
  const cfg = emailReceiverSchema.parse({
    type: 'email',
    to,
    from: FROM,
    smtp: { host: '127.0.0.1', port: f.port, require_tls: false, ...smtp },
  });
  const ch = new EmailChannel('ops', cfg);
  channels.push(ch);
  return ch;
}

async function failure(p: Promise<unknown>): Promise<SendError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SendError);
    seen.push((err as SendError).message);
    return err as SendError;
  }
  throw new Error('expected the send to fail');
}

function header(m: ParsedMail, name: string): unknown {
  return m.headers.get(name);
}

beforeAll(async () => {
  untrusted = await makeLocalhostCert(1);
});

afterAll(async () => {
  await Promise.all(channels.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  for (const m of seen) {
    for (const secret of [PASS, USER, AUTH_B64, Buffer.from(PASS).toString('base64')])
      expect(m).not.toContain(secret);
  }
});

describe('transportOptions', () => {
  it('pools, times out early, never retries inside nodemailer and refuses file/URL content', () => {
    const cfg = emailReceiverSchema.parse({
      type: 'email',
      to: TO,
      from: FROM,
      smtp: { host: 'smtp.example.com', user: USER, pass: PASS },
    });
    const { normalizeHeaderKey, ...rest } = transportOptions(cfg.smtp);
    expect(rest).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      auth: { user: USER, pass: PASS },
      forceAuth: true,
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      pool: true,
      maxRequeues: 0,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      dnsTimeout: 10_000,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      debug: false,
    });
    expect(SMTP_TIMEOUTS).toEqual({
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    expect(normalizeHeaderKey?.('X-Klaxon-Notification-ID', '')).toBe('X-Klaxon-Notification-Id');
    expect(normalizeHeaderKey?.('Content-Type', '')).toBe('Content-Type');
    const implicit = emailReceiverSchema.parse({
      type: 'email',
      to: TO,
      from: FROM,
      smtp: { host: 'h', secure: true, pool: false, tls: { reject_unauthorized: false } },
    });
    expect(transportOptions(implicit.smtp)).toMatchObject({
      port: 465,
      secure: true,
      requireTLS: false,
      auth: undefined,
      forceAuth: false,
      pool: false,
      tls: { rejectUnauthorized: false },
    });
  });
});

describe('sending', () => {
  let smtp: FakeSmtp;
  beforeAll(async () => {
    smtp = await fake();
  });

  it('sends one message to every recipient, with exact headers, a text part and an HTML part', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const d = delivery(notification({ id: 'n-100' }));
    const out = await ch.send(d);
    expect(out).toEqual({
      ref: { id: '<klaxon.n-100@example.com>', sentAt: T0 + 60_000, thread: ['<klaxon.n-100@example.com>'] },
      detail: 'SMTP 250 OK: message queued',
    });
    expect(smtp.messages).toHaveLength(1);
    const m = smtp.messages[0]!;
    expect(m.envelope).toEqual({ mailFrom: 'klaxon@example.com', rcptTo: TO });
    const p = m.parsed;
    expect(p.headerLines.map((h) => h.key)).toEqual([
      'x-klaxon-notification-id',
      'x-klaxon-severity',
      'auto-submitted',
      'x-auto-response-suppress',
      'from',
      'to',
      'subject',
      'message-id',
      'date',
      'mime-version',
      'content-type',
    ]);
    expect(p.headerLines.slice(0, 10).map((h) => h.line)).toEqual([
      'X-Klaxon-Notification-Id: n-100',
      'X-Klaxon-Severity: critical',
      'Auto-Submitted: auto-generated',
      'X-Auto-Response-Suppress: All',
      'From: Klaxon <klaxon@example.com>',
      'To: oncall@example.com, ops@example.com',
      'Subject: [CRITICAL] Drawdown above 5% on BTCUSDT',
      'Message-ID: <klaxon.n-100@example.com>',
      'Date: Thu, 15 Jan 2026 09:31:00 +0000',
      'MIME-Version: 1.0',
    ]);
    expect(p.headerLines[10]!.line).toMatch(/^Content-Type: multipart\/alternative;\s+boundary="[^"]+"$/);
    expect(p.subject).toBe(d.content.subject);
    expect(p.messageId).toBe('<klaxon.n-100@example.com>');
    expect(p.date).toEqual(new Date(T0 + 60_000));
    expect(p.inReplyTo).toBeUndefined();
    expect(p.references).toBeUndefined();
    expect(p.from?.value).toEqual([{ address: 'klaxon@example.com', name: 'Klaxon' }]);
    expect(p.attachments).toEqual([]);
    // The parts, exactly as rendered.
    const mail = buildEmail(d, { name: 'Klaxon', address: 'klaxon@example.com' }, TO);
    expect(p.text).toBe(mail.text);
    expect(p.html).toBe(mail.html);
    expect(p.html).toBe(renderHtml(d.content));
    const raw = m.raw.toString('utf8');
    expect(raw).toMatch(
      /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable/,
    );
    expect(raw).toMatch(
      /Content-Type: text\/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable/,
    );
    expect(raw.indexOf('text/plain')).toBeLessThan(raw.indexOf('text/html'));
  });

  it('threads every message of an alert: In-Reply-To the last, References the chain', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const fp = 'fp-thread-1';
    const kinds: [Notification['kind'], Partial<Notification>][] = [
      ['firing', {}],
      ['repeat', {}],
      ['firing', { raisedFrom: 'warning' }],
      ['escalated', {}],
      ['acknowledged', {}],
      ['flapping', {}],
      ['resolved', {}],
    ];
    let previous: MessageRef | undefined;
    const ids: string[] = [];
    for (const [i, [kind, over]] of kinds.entries()) {
      const n = notification({ id: `t-${i + 1}`, kind, thread: fp, ...over }, { fingerprint: fp });
      const out: SendOutcome = await ch.send(delivery(n, { previous }));
      const id = `<klaxon.t-${i + 1}@example.com>`;
      const p = smtp.messages[i]!.parsed;
      expect(p.messageId).toBe(id);
      if (i === 0) {
        expect(p.inReplyTo).toBeUndefined();
        expect(p.references).toBeUndefined();
      } else {
        expect(p.inReplyTo).toBe(ids[i - 1]);
        expect(p.references).toEqual(i === 1 ? ids[0] : ids);
        expect(p.headerLines.find((h) => h.key === 'in-reply-to')?.line).toBe(`In-Reply-To: ${ids[i - 1]}`);
      }
      ids.push(id);
      expect(out.ref).toEqual({ id: ids[0], sentAt: T0 + 60_000, thread: ids });
      previous = out.ref;
    }
    expect(smtp.messages.map((m) => m.parsed.subject)).toEqual([
      '[CRITICAL] Drawdown above 5% on BTCUSDT',
      '[CRITICAL] Drawdown above 5% on BTCUSDT',
      '[CRITICAL] Drawdown above 5% on BTCUSDT',
      '[CRITICAL] Drawdown above 5% on BTCUSDT',
      '[ACKNOWLEDGED] Drawdown above 5% on BTCUSDT',
      '[CRITICAL] Drawdown above 5% on BTCUSDT',
      '[RESOLVED] Drawdown above 5% on BTCUSDT',
    ]);
    expect(smtp.messages.map((m) => header(m.parsed, 'x-klaxon-severity'))).toEqual(
      Array(7).fill('critical'),
    );

    // A summary and a test stand alone: no threading headers, the ref is kept.
    const group = notification({
      id: 's-1',
      kind: 'summary',
      thread: fp,
      alerts: [alertView(), alertView({ fingerprint: 'fp-2', severity: 'warning' })],
      total: 5,
    });
    const summary = await ch.send(delivery(group, { previous }));
    expect(summary.ref).toBeUndefined();
    const test = await ch.send(delivery(notification({ id: 'x-1', kind: 'test', thread: fp }), { previous }));
    expect(test.ref).toBeUndefined();
    for (const m of smtp.messages.slice(7)) {
      expect(m.parsed.inReplyTo).toBeUndefined();
      expect(m.parsed.references).toBeUndefined();
    }
    expect(smtp.messages[7]!.parsed.subject).toBe('[CRITICAL] 5 more alerts held back by the rate limit');
    expect(smtp.messages[8]!.parsed.subject).toBe('[TEST] Drawdown above 5% on BTCUSDT');
  });

  it('caps References at the root plus the last 20', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const long = Array.from({ length: 25 }, (_, k) => `<klaxon.old-${k}@example.com>`);
    const out = await ch.send(
      delivery(notification({ id: 'r-26', kind: 'repeat' }), {
        previous: { id: long[0]!, sentAt: 1, thread: long },
      }),
    );
    const p = smtp.messages[0]!.parsed;
    expect(p.inReplyTo).toBe(long[24]);
    expect(p.references).toEqual([long[0], ...long.slice(5)]);
    expect(out.ref?.thread).toEqual([long[0], ...long.slice(6), '<klaxon.r-26@example.com>']);
  });

  it('carries the same Message-ID when a send is retried after a lost answer', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const d = delivery(notification({ id: 'lost-1' }));
    smtp.acceptThenDrop();
    const err = await failure(ch.send(d));
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^email receiver "ops": ECONNECTION: /);
    expect(smtp.messages).toHaveLength(1);
    const out = await ch.send(d);
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.messages.map((m) => m.parsed.messageId)).toEqual([
      '<klaxon.lost-1@example.com>',
      '<klaxon.lost-1@example.com>',
    ]);
    expect(
      smtp.messages[0]!.raw.toString().replace(/boundary="?[^"\r\n]+"?|--_NmP-[0-9a-f]+-Part_1/g, ''),
    ).toBe(smtp.messages[1]!.raw.toString().replace(/boundary="?[^"\r\n]+"?|--_NmP-[0-9a-f]+-Part_1/g, ''));
    expect(out.ref?.id).toBe('<klaxon.lost-1@example.com>');
  });

  it('returns the refused recipients of a partial rejection, and sends to the rest', async () => {
    smtp.reset();
    smtp.rejectRecipient('gone@example.com');
    smtp.rejectRecipient('full@example.com', 452, '4.2.2 Mailbox full');
    const ch = channel(smtp, {}, ['oncall@example.com', 'gone@example.com', 'full@example.com']);
    const out = await ch.send(delivery(notification({ id: 'p-1' })));
    expect(out).toEqual({
      ref: { id: '<klaxon.p-1@example.com>', sentAt: T0 + 60_000, thread: ['<klaxon.p-1@example.com>'] },
      detail: 'SMTP 250 OK: message queued; 1 of 3 recipients accepted',
      rejected: [
        {
          target: 'gone@example.com',
          reason: '550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown',
        },
        { target: 'full@example.com', reason: '452 4.2.2 Mailbox full' },
      ],
    });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.envelope.rcptTo).toEqual(['oncall@example.com']);
    // The header still names everyone the message was addressed to.
    expect(smtp.messages[0]!.parsed.headerLines.find((h) => h.key === 'to')?.line).toBe(
      'To: oncall@example.com, gone@example.com, full@example.com',
    );
  });

  it('fails permanently when every recipient is refused with 5xx, retryably when one was 4xx', async () => {
    smtp.reset();
    smtp.rejectRecipient('oncall@example.com');
    smtp.rejectRecipient('ops@example.com', 553, '5.7.1 Relaying denied');
    const ch = channel(smtp);
    const all5 = await failure(ch.send(delivery(notification({ id: 'a-1' }))));
    expect(all5.retryable).toBe(false);
    expect(all5.status).toBe(553);
    expect(all5.message).toBe(
      'email receiver "ops": all recipients were rejected: oncall@example.com: 550 5.1.1 <oncall@example.com>: Recipient address rejected: User unknown; ops@example.com: 553 5.7.1 Relaying denied (permanent: check the addresses in to)',
    );
    smtp.rejectRecipient('ops@example.com', 451, '4.7.1 Greylisted, try again later');
    const mixed = await failure(ch.send(delivery(notification({ id: 'a-2' }))));
    expect(mixed.retryable).toBe(true);
    expect(mixed.message).toContain('ops@example.com: 451 4.7.1 Greylisted, try again later');
    expect(smtp.messages).toHaveLength(0);
  });

  it('classifies SMTP replies: 4xx retryable, 5xx permanent with the server text', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const send = (id: string) => ch.send(delivery(notification({ id })));
    const cases: [() => void, boolean, number, string][] = [
      [() => smtp.fail('rcpt', 451, '4.7.1 Try again later', 2), true, 451, 'all recipients were rejected'],
      [() => smtp.fail('mail', 451, '4.3.0 Greylisted'), true, 451, 'SMTP 451 4.3.0 Greylisted (MAIL FROM)'],
      [
        () => smtp.fail('mail', 550, '5.7.1 Sender not allowed'),
        false,
        550,
        'SMTP 550 5.7.1 Sender not allowed (MAIL FROM)',
      ],
      [
        () => smtp.fail('data', 452, '4.3.1 Insufficient system storage'),
        true,
        452,
        'SMTP 452 4.3.1 Insufficient system storage (DATA)',
      ],
      [
        () => smtp.fail('data', 554, '5.7.1 Message rejected as spam'),
        false,
        554,
        'SMTP 554 5.7.1 Message rejected as spam (DATA)',
      ],
    ];
    for (const [script, retryable, status, text] of cases) {
      script();
      const err = await failure(send(`c-${status}`));
      expect({ retryable: err.retryable, status: err.status }, text).toEqual({ retryable, status });
      expect(err.message).toContain(text);
    }
    expect(smtp.messages).toHaveLength(0);
    await send('c-ok');
    expect(smtp.messages).toHaveLength(1);
  });

  it('answers 421 N times, then delivers: each try is one connection, nodemailer never retries', async () => {
    const busy = await fake();
    busy.fail('connect', 421, '4.3.2 Service not available', 2);
    const ch = channel(busy);
    const d = delivery(notification({ id: 'busy-1' }));
    for (let i = 0; i < 2; i++) {
      const err = await failure(ch.send(d));
      expect(err).toMatchObject({
        retryable: true,
        status: 421,
        message: 'email receiver "ops": SMTP 421 4.3.2 Service not available (CONN)',
      });
    }
    await ch.send(d);
    expect(busy.connections).toHaveLength(3);
    expect(busy.messages).toHaveLength(1);
  });

  it('fails retryably, once, when the connection drops during DATA', async () => {
    const flaky = await fake();
    flaky.drop('data');
    const ch = channel(flaky);
    const err = await failure(ch.send(delivery(notification({ id: 'drop-1' }))));
    expect(err.retryable).toBe(true);
    expect(err.status).toBe('ECONNECTION');
    await new Promise((r) => setTimeout(r, 100));
    // maxRequeues: 0: the pool did not put the message back for another connection.
    expect(flaky.connections).toHaveLength(1);
    expect(flaky.messages).toHaveLength(0);
  });

  it('rejects at once, retryably, when the signal aborts while the server hangs', async () => {
    for (const stage of ['data', 'connect', 'rcpt'] as const) {
      const slow = await fake();
      slow.hang(stage);
      const ch = channel(slow);
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 50);
      const err = await failure(
        ch.send(delivery(notification({ id: `hang-${stage}` }), { signal: ac.signal })),
      );
      expect(Date.now() - started, stage).toBeLessThan(1_000);
      expect(err).toMatchObject({
        retryable: true,
        status: 'aborted',
        message: 'email receiver "ops": send aborted',
      });
    }
    const ok = await fake();
    const ch = channel(ok);
    const ac = new AbortController();
    ac.abort();
    expect((await failure(ch.send(delivery(notification(), { signal: ac.signal })))).status).toBe('aborted');
    expect(ok.connections).toHaveLength(0);
  });

  it('fails retryably when the connection is refused', async () => {
    const gone = await new FakeSmtp().start();
    const port = gone.port;
    await gone.close();
    const cfg = emailReceiverSchema.parse({
      type: 'email',
      to: TO,
      from: FROM,
      smtp: { host: '127.0.0.1', port, require_tls: false },
    });
    const ch = new EmailChannel('ops', cfg);
    channels.push(ch);
    const err = await failure(ch.send(delivery(notification())));
    expect(err.retryable).toBe(true);
    expect(err.status).toBe('ESOCKET');
    expect(err.message).toBe(
      `email receiver "ops": ESOCKET/ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('keeps one pooled connection for many messages; pool: false connects for each', async () => {
    const pooled = await fake();
    const ch = channel(pooled);
    for (let i = 0; i < 3; i++) await ch.send(delivery(notification({ id: `pool-${i}` })));
    expect(new Set(pooled.messages.map((m) => m.sessionId)).size).toBe(1);
    expect(pooled.connections).toHaveLength(1);

    const single = await fake();
    const ch2 = channel(single, { pool: false });
    for (let i = 0; i < 2; i++) await ch2.send(delivery(notification({ id: `single-${i}` })));
    expect(new Set(single.messages.map((m) => m.sessionId)).size).toBe(2);
  });

  it('closes its connections in close(), and refuses to send after', async () => {
    const s = await fake();
    const ch = channel(s);
    await ch.send(delivery(notification()));
    await ch.close();
    await ch.close();
    for (let i = 0; i < 40 && !s.connections[0]!.closed; i++) await new Promise((r) => setTimeout(r, 25));
    expect(s.connections[0]!.closed).toBe(true);
    const err = await failure(ch.send(delivery(notification())));
    expect(err).toMatchObject({
      retryable: true,
      status: 'closed',
      message: 'email receiver "ops": channel closed',
    });
  });

  it('delivers alert text inert: escaped in the HTML part, plain in the text part', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const d = delivery(
      notification(
        { id: 'inj-1' },
        {
          labels: { source: INJECT, team: '@everyone <@&123> *_[]()~`>#+-=|{}.!' },
          annotations: { summary: `${INJECT} **bold**`, description: `<b>not bold</b>\n${INJECT}` },
          links: [
            { href: 'javascript:alert(3)', text: 'evil' },
            { href: 'https://ok.example.com/?q="><script>alert(4)</script>', text: INJECT },
          ],
        },
      ),
    );
    await ch.send(d);
    const p = smtp.messages[0]!.parsed;
    const html = p.html as string;
    expect(html).not.toMatch(/<script|<img|<b>|javascript:/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; **bold**</h1>',
    );
    expect(html).toContain('&lt;b&gt;not bold&lt;/b&gt;<br>&lt;script&gt;');
    expect(html).toContain(
      '<a href="https://ok.example.com/?q=&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;"',
    );
    expect(html).toContain('team=@everyone &lt;@&amp;123&gt; *_[]()~`&gt;#+-=|{}.!</span>');
    expect(p.subject).toBe(`[CRITICAL] ${INJECT} **bold**`);
    expect(p.text).toContain(`<b>not bold</b>\n${INJECT}`);
  });

  it('carries non-ASCII text in the subject and both parts', async () => {
    smtp.reset();
    const ch = channel(smtp);
    const { description, labels } = unicodeLongDescription();
    const d = delivery(
      notification(
        { id: 'u-1' },
        { labels, annotations: { summary: 'Просадка 6% на BTCUSDT 📉 — 損失', description } },
      ),
    );
    await ch.send(d);
    const p = smtp.messages[0]!.parsed;
    expect(p.subject).toBe('[CRITICAL] Просадка 6% на BTCUSDT 📉 — 損失');
    expect(p.headerLines.find((h) => h.key === 'subject')?.line).toMatch(/^Subject: =\?UTF-8\?/);
    expect(p.text).toBe(buildEmail(d, { address: 'klaxon@example.com' }, TO).text);
    expect(p.html).toBe(renderHtml(d.content));
  });
});

describe('TLS and login', () => {
  it('upgrades with STARTTLS, trusts the test CA, logs in, and says so in verify()', async () => {
    const s = await fake({ tls: 'starttls', auth: { user: USER, pass: PASS }, allowInsecureAuth: false });
    const ch = channel(s, { host: 'localhost', require_tls: true, user: USER, pass: PASS });
    expect(await ch.verify(AbortSignal.timeout(5_000))).toBe(
      `localhost:${s.port} accepted the connection, STARTTLS and login`,
    );
    await ch.send(delivery(notification({ id: 'tls-1' })));
    expect(s.messages[0]).toMatchObject({ secure: true, user: USER });
    expect(s.auths).toEqual([
      { user: USER, method: 'PLAIN', ok: true, secure: true },
      { user: USER, method: 'PLAIN', ok: true, secure: true },
    ]);
  });

  it('sends nothing in clear when require_tls is set and the server has no STARTTLS (permanent)', async () => {
    const s = await fake({ auth: { user: USER, pass: PASS } });
    const ch = channel(s, { require_tls: true, user: USER, pass: PASS });
    const err = await failure(ch.send(delivery(notification())));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(500);
    expect(err.message).toBe(
      `email receiver "ops": SMTP 500 Error: command not recognized (STARTTLS): 127.0.0.1:${s.port} does not upgrade to TLS and smtp.require_tls is true, so nothing was sent in clear; use the server's TLS port (secure: true, usually 465), or set require_tls: false only on a trusted network`,
    );
    expect(s.auths).toEqual([]);
    expect(s.messages).toEqual([]);
    const v = await failure(ch.verify(AbortSignal.timeout(5_000)));
    expect(v.retryable).toBe(false);
  });

  it('goes on in clear with require_tls: false, and still upgrades when the server offers STARTTLS', async () => {
    const plain = await fake();
    await channel(plain).send(delivery(notification()));
    expect(plain.messages[0]!.secure).toBe(false);
    const tls = await fake({ tls: 'starttls' });
    const ch = channel(tls, { host: 'localhost' });
    expect(await ch.verify(AbortSignal.timeout(5_000))).toBe(`localhost:${tls.port} accepted the connection`);
    await ch.send(delivery(notification()));
    expect(tls.messages[0]!.secure).toBe(true);
  });

  it('speaks TLS from the first byte with secure: true', async () => {
    const s = await fake({ tls: 'implicit', auth: { user: USER, pass: PASS } });
    const ch = channel(s, { host: 'localhost', secure: true, user: USER, pass: PASS });
    expect(await ch.verify(AbortSignal.timeout(5_000))).toBe(
      `localhost:${s.port} accepted the TLS connection and login`,
    );
    await ch.send(delivery(notification()));
    expect(s.messages[0]).toMatchObject({ secure: true, user: USER });
  });

  it('fails permanently on secure: true against a plain port', async () => {
    const plain = await fake();
    const err = await failure(channel(plain, { secure: true }).send(delivery(notification())));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe('ERR_SSL_WRONG_VERSION_NUMBER');
    expect(err.message).toBe(
      `email receiver "ops": TLS handshake with 127.0.0.1:${plain.port} failed (ERR_SSL_WRONG_VERSION_NUMBER): check smtp.secure (true for implicit TLS, usually port 465; false for STARTTLS, usually port 587)`,
    );
  });

  it('refuses an untrusted certificate unless reject_unauthorized is false', async () => {
    const s = await fake({ tls: 'starttls', cert: untrusted });
    const strict = channel(s, { host: 'localhost', require_tls: true });
    const err = await failure(strict.send(delivery(notification())));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(err.message).toContain(
      `TLS certificate of localhost:${s.port} not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)`,
    );
    expect((await failure(strict.verify(AbortSignal.timeout(5_000)))).retryable).toBe(false);
    expect(s.messages).toEqual([]);
    const lax = channel(s, { host: 'localhost', require_tls: true, tls: { reject_unauthorized: false } });
    await lax.send(delivery(notification()));
    expect(s.messages[0]!.secure).toBe(true);
  });

  it('fails permanently on a wrong password, with the server text and no credential', async () => {
    const s = await fake({ tls: 'starttls', auth: { user: USER, pass: PASS } });
    const ch = channel(s, { host: 'localhost', require_tls: true, user: USER, pass: 'wrong-password-123' });
    const err = await failure(ch.send(delivery(notification())));
    expect(err).toMatchObject({ retryable: false, status: 535 });
    expect(err.message).toBe(
      'email receiver "ops": SMTP 535 5.7.8 Authentication credentials invalid (AUTH PLAIN): check smtp.user and smtp.pass',
    );
    const v = await failure(ch.verify(AbortSignal.timeout(5_000)));
    expect(v).toMatchObject({ retryable: false, status: 535 });
    expect(s.auths.map((a) => a.ok)).toEqual([false, false]);
  });

  it('scrubs a server reply that echoes the credentials', async () => {
    const s = await fake({ tls: 'starttls', auth: { user: USER, pass: PASS } });
    s.fail('auth', 535, `5.7.8 rejected ${USER} (${AUTH_B64}) password ${PASS}`);
    const err = await failure(
      channel(s, { host: 'localhost', user: USER, pass: PASS }).send(delivery(notification())),
    );
    expect(err.message).toBe(
      'email receiver "ops": SMTP 535 5.7.8 rejected [secret] ([secret]) password [secret] (AUTH PLAIN): check smtp.user and smtp.pass',
    );
    s.fail('auth', 454, '4.7.0 Temporary authentication failure');
    const temp = await failure(
      channel(s, { host: 'localhost', user: USER, pass: PASS }).send(delivery(notification())),
    );
    expect(temp).toMatchObject({ retryable: true, status: 454 });
  });

  it('never sends unauthenticated when a login is configured and the server offers none', async () => {
    const s = await fake();
    const err = await failure(channel(s, { user: USER, pass: PASS }).send(delivery(notification())));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('(AUTH PLAIN): check smtp.user and smtp.pass');
    expect(s.messages).toEqual([]);
  });

  it('explains a server that wants a login the receiver does not have', async () => {
    const s = await fake({ auth: { user: USER, pass: PASS } });
    const err = await failure(channel(s).send(delivery(notification())));
    expect(err).toMatchObject({ retryable: false, status: 530 });
    expect(err.message).toBe(
      'email receiver "ops": SMTP 530 Error: authentication Required (MAIL FROM): the server wants a login: set smtp.user and smtp.pass',
    );
  });
});

describe('verify', () => {
  it('rejects at once when the signal aborts, and retryably when the server is down', async () => {
    const s = await fake();
    s.hang('connect');
    const ch = channel(s);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    const err = await failure(ch.verify(ac.signal));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err).toMatchObject({
      retryable: true,
      status: 'aborted',
      message: 'email receiver "ops": verify aborted',
    });
    s.fail('connect', 421, '4.3.2 Maintenance');
    const busy = await failure(ch.verify(AbortSignal.timeout(5_000)));
    expect(busy).toMatchObject({ retryable: true, status: 421 });
    expect(await ch.verify(AbortSignal.timeout(5_000))).toBe(`127.0.0.1:${s.port} accepted the connection`);
    expect(s.messages).toEqual([]);
  });
});

describe('classifySmtpError', () => {
  const ctx = {
    where: 'email receiver "ops"',
    server: 'smtp.example.com:587',
    secrets: smtpSecrets(USER, PASS),
  };
  const classify = (e: object) => {
    const err = classifySmtpError(
      Object.assign(new Error((e as { message?: string }).message ?? 'x'), e),
      ctx,
    );
    seen.push(err.message);
    return err;
  };

  it('retries what waiting can fix and stops on what it cannot', () => {
    const cases: [object, boolean, number | string][] = [
      [
        { code: 'EDNS', message: 'getaddrinfo ENOTFOUND smtp.example.com', originalCode: 'ENOTFOUND' },
        true,
        'EDNS',
      ],
      [
        { code: 'ETIMEDOUT', message: 'Greeting never received', timeoutType: 'GREETING_TIMEOUT' },
        true,
        'timeout',
      ],
      [{ code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, true, 'ECONNECTION'],
      [{ code: 'ESOCKET', message: 'read ECONNRESET', originalCode: 'ECONNRESET' }, true, 'ESOCKET'],
      [
        { code: 'EPROTOCOL', message: 'Invalid greeting', responseCode: 421, response: '421 busy' },
        true,
        421,
      ],
      [{ code: 'EENVELOPE', responseCode: 503, response: '503 Bad sequence', permanent: false }, true, 503],
      [{ code: 'EAUTH', responseCode: 454, response: '454 4.7.0 Try later' }, true, 454],
      [{ code: 'EAUTH', message: 'Missing credentials for "PLAIN"' }, false, 'EAUTH'],
      [{ code: 'ECONFIG', message: 'Invalid option' }, false, 'ECONFIG'],
      [{ code: 'ETLS', message: 'Error initiating TLS' }, false, 'ETLS'],
      [
        { code: 'ESOCKET', message: 'certificate has expired', originalCode: 'CERT_HAS_EXPIRED' },
        false,
        'CERT_HAS_EXPIRED',
      ],
      [
        {
          code: 'ESOCKET',
          message: "Hostname/IP does not match certificate's altnames",
          originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
        },
        false,
        'ERR_TLS_CERT_ALTNAME_INVALID',
      ],
      [{ code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 Message too big' }, false, 552],
      [{ code: 'EABORT', name: 'AbortError', message: 'Message sending aborted' }, true, 'aborted'],
      [{ message: 'something odd' }, true, 'EUNKNOWN'],
    ];
    for (const [e, retryable, status] of cases) {
      const err = classify(e);
      expect({ retryable: err.retryable, status: err.status }, JSON.stringify(e)).toEqual({
        retryable,
        status,
      });
      expect(err.message.startsWith('email receiver "ops": ')).toBe(true);
    }
    expect(
      classify({ code: 'ETIMEDOUT', message: 'Greeting never received', timeoutType: 'GREETING_TIMEOUT' })
        .message,
    ).toBe(
      'email receiver "ops": no answer from smtp.example.com:587 in time (GREETING_TIMEOUT): Greeting never received',
    );
  });

  it('removes the password, the login and their base64 forms, a short password too', () => {
    const err = classify({
      code: 'EAUTH',
      responseCode: 535,
      response: `535 ${USER} ${PASS} ${AUTH_B64} ${Buffer.from(PASS).toString('base64')}`,
    });
    expect(err.message).toBe(
      'email receiver "ops": SMTP 535 [secret] [secret] [secret] [secret]: check smtp.user and smtp.pass',
    );
    const short = classifySmtpError(
      Object.assign(new Error('x'), { code: 'EAUTH', responseCode: 535, response: '535 bad pw abc1 for u' }),
      { ...ctx, secrets: smtpSecrets('u', 'abc1') },
    );
    expect(short.message).toBe(
      'email receiver "ops": SMTP 535 bad pw [secret] for u: check smtp.user and smtp.pass',
    );
  });
});
