import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EmailChannel } from '../../src/channels/email/email-channel.js';
import { emailChannel, emailReceiverSchema } from '../../src/channels/email/index.js';
import { createChannel, receiverConfigSchema } from '../../src/channels/registry.js';

const PASS = 'pa55-w0rd-very-secret';

function errorOf(input: unknown): string {
  const r = emailReceiverSchema.safeParse(input);
  if (r.success) throw new Error('expected a validation error');
  return z.prettifyError(r.error);
}

const base = {
  type: 'email',
  to: ['oncall@example.com'],
  from: 'klaxon@example.com',
  smtp: { host: 'smtp.example.com' },
};

describe('email receiver config', () => {
  it('applies the defaults', () => {
    expect(emailReceiverSchema.parse(base)).toEqual({
      type: 'email',
      to: ['oncall@example.com'],
      from: 'klaxon@example.com',
      smtp: {
        host: 'smtp.example.com',
        port: 587,
        secure: false,
        require_tls: true,
        pool: true,
        tls: { reject_unauthorized: true },
      },
      send_resolved: true,
    });
  });

  it('takes every key, a display name in from, and port 465 by default with secure: true', () => {
    const cfg = emailReceiverSchema.parse({
      ...base,
      to: [' a@example.com ', 'b.c+alerts@sub.example.co.uk'],
      from: 'Klaxon <klaxon@example.com>',
      smtp: {
        host: 'smtp.example.com',
        secure: true,
        require_tls: false,
        user: 'alerts@example.com',
        pass: PASS,
        pool: false,
        tls: { reject_unauthorized: false },
      },
      rate_limit: { max: 10, per: '1m' },
      send_resolved: false,
    });
    expect(cfg).toEqual({
      type: 'email',
      to: ['a@example.com', 'b.c+alerts@sub.example.co.uk'],
      from: 'Klaxon <klaxon@example.com>',
      smtp: {
        host: 'smtp.example.com',
        port: 465,
        secure: true,
        require_tls: false,
        user: 'alerts@example.com',
        pass: PASS,
        pool: false,
        tls: { reject_unauthorized: false },
      },
      rate_limit: { max: 10, per: 60_000 },
      send_resolved: false,
    });
    expect(
      emailReceiverSchema.parse({ ...base, smtp: { host: 'h', secure: true, port: 2465 } }).smtp.port,
    ).toBe(2465);
    expect(emailReceiverSchema.parse({ ...base, from: '"Klaxon, prod" <k@example.com>' }).from).toBe(
      '"Klaxon, prod" <k@example.com>',
    );
  });

  it('names the field and the fix for bad addresses', () => {
    expect(errorOf({ ...base, to: ['oncall@example.com', 'bob@'] })).toContain(
      'to: "bob@" is not an email address: write name@domain (e.g. oncall@example.com)',
    );
    expect(errorOf({ ...base, to: ['Bob <bob@example.com>'] })).toContain(
      'to: "Bob <bob@example.com>" is not an email address',
    );
    expect(errorOf({ ...base, to: ['a@example.com, b@example.com'] })).toContain('one address per entry');
    expect(errorOf({ ...base, to: 'oncall@example.com' })).toContain(
      'to must be a list of email addresses, e.g. [oncall@example.com, ops@example.com]',
    );
    expect(errorOf({ ...base, to: [] })).toContain('to must list at least one email address');
    expect(errorOf({ ...base, to: ['a@example.com', 'A@example.com'] })).toContain(
      'to lists "A@example.com" twice',
    );
    expect(errorOf({ ...base, to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) })).toContain(
      'send to a mailing list instead',
    );
    expect(errorOf({ ...base, from: 'Klaxon' })).toContain(
      'from: "Klaxon" is not a sender address: write klaxon@example.com or Klaxon <klaxon@example.com>',
    );
    expect(errorOf({ ...base, from: 'Klaxon <klaxon@example.com>\r\nBcc: x@evil.test' })).toContain(
      'is not a sender address',
    );
    const { from: _from, ...noFrom } = base;
    expect(errorOf(noFrom)).toContain('from is required');
  });

  it('explains smtp mistakes', () => {
    const { smtp: _smtp, ...noSmtp } = base;
    expect(errorOf(noSmtp)).toContain('smtp is required: { host: smtp.example.com, port: 587, user, pass }');
    expect(errorOf({ ...base, smtp: {} })).toContain('smtp.host is required');
    expect(errorOf({ ...base, smtp: { host: 'smtp://smtp.example.com:587' } })).toContain(
      'smtp.host "smtp://smtp.example.com:587" is not a host name or IP address: write it without smtp://',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', port: 70000 } })).toContain(
      'smtp.port must be between 1 and 65535',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', port: '587' } })).toContain(
      'smtp.port must be a port number',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', secure: 'yes' } })).toContain(
      'smtp.secure must be true or false',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', user: 'alerts' } })).toContain(
      'smtp.pass is required when smtp.user is set',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', pass: PASS } })).toContain(
      'smtp.user is required when smtp.pass is set',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', user: 'a', pass: '' } })).toContain(
      'smtp.pass must not be empty',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', password: PASS } })).toContain(
      'unknown key "password" for smtp; allowed: host, port, secure, require_tls, user, pass, pool, tls',
    );
    expect(errorOf({ ...base, smtp: { host: 'h', tls: { rejectUnauthorized: false } } })).toContain(
      'unknown key "rejectUnauthorized" for smtp.tls; allowed: reject_unauthorized',
    );
    expect(errorOf({ ...base, cc: ['x@example.com'] })).toContain('unknown key "cc" for a email receiver');
  });

  it('never quotes the password in a message', () => {
    const bad = [
      { ...base, to: ['bad'], smtp: { host: 'h', user: 'alerts', pass: PASS, port: 0 } },
      { ...base, smtp: { host: 'h', pass: PASS } },
      { ...base, smtp: { host: 'h', user: 'alerts', pass: PASS, tls: { x: PASS } } },
    ];
    for (const input of bad) {
      const text = errorOf(input);
      expect(text).not.toContain(PASS);
    }
  });

  it('is the email entry of the registry, and builds an EmailChannel', async () => {
    const cfg = receiverConfigSchema.parse(base);
    const channel = await createChannel('ops', cfg);
    expect(channel).toBeInstanceOf(EmailChannel);
    expect(channel.type).toBe('email');
    expect(channel.name).toBe('ops');
    expect(emailChannel.targets).toBeUndefined();
    await channel.close?.();
  });
});
