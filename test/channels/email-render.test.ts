import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/channels/content.js';
import { domainOf, isEmailAddress, parseMailbox } from '../../src/channels/email/address.js';
import { EMAIL_DESCRIPTION_MAX, buildEmail } from '../../src/channels/email/message.js';
import { EMAIL_COLORS, escapeHtml, renderHtml } from '../../src/channels/email/render-html.js';
import { capChain, messageIdFor, REFERENCES_MAX, threadHeaders } from '../../src/channels/email/threading.js';
import { renderBody } from '../../src/channels/render-text.js';
import type { Notification } from '../../src/model/notification.js';
import { alertView, delivery, notification, T0 } from './helpers.js';

const FROM = { name: 'Klaxon', address: 'klaxon@example.com' };
const INJECT = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`;
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;';

function content(over: Partial<MessageContent> = {}): MessageContent {
  return {
    kind: 'firing',
    severity: 'critical',
    resolved: false,
    tag: 'CRITICAL',
    title: 'daily loss 104% of limit on grid-1',
    headline: 'CRITICAL daily loss 104% of limit on grid-1',
    subject: '[CRITICAL] daily loss 104% of limit on grid-1',
    notes: [],
    facts: [{ label: 'Value', value: '-$520.00' }],
    labels: [],
    links: [],
    items: [],
    more: 0,
    footer: 'alert DailyLoss · fingerprint fp-1 · notification n-1',
    at: T0,
    ...over,
  };
}

/** Every tag in the HTML, by name. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
}

describe('renderHtml', () => {
  it('is a complete, email-safe document that loads nothing', () => {
    const html = renderHtml(
      content({
        notes: ['Severity rose from WARNING to CRITICAL.'],
        description: 'line 1\nline 2',
        labels: [['env', 'prod']],
        links: [{ text: 'Runbook', href: 'https://runbooks.example.com/x' }],
      }),
    );
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')).toBe(true);
    expect(html).toContain('<title>[CRITICAL] daily loss 104% of limit on grid-1</title>');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(new Set(tags(html))).toEqual(
      new Set([
        'html',
        'head',
        'meta',
        'title',
        'body',
        'div',
        'table',
        'tr',
        'td',
        'th',
        'span',
        'h1',
        'p',
        'br',
        'a',
      ]),
    );
    for (const banned of [
      '<script',
      '<img',
      '<link',
      '<style',
      '<iframe',
      '<form',
      'src=',
      'url(',
      '@import',
      'srcset',
    ])
      expect(html.toLowerCase()).not.toContain(banned);
    // The only URL is the alert's own link.
    expect([...html.matchAll(/https?:\/\/[^"\s<]+/g)].map((m) => m[0])).toEqual([
      'https://runbooks.example.com/x',
    ]);
    // Layout by tables with inline styles, a fixed 600 px card.
    expect(html).toContain('<table role="presentation" width="600"');
    expect(html).toContain('max-width:600px');
  });

  it('shows the severity as a coloured band and tag, green once resolved', () => {
    for (const severity of ['critical', 'high', 'warning', 'info'] as const) {
      const html = renderHtml(content({ severity, tag: severity.toUpperCase() }));
      expect(html).toContain(`<tr><td style="background-color:${EMAIL_COLORS[severity]};height:8px;`);
      expect(html).toMatch(
        new RegExp(
          `background-color:${EMAIL_COLORS[severity]};color:#[0-9a-f]{6};[^"]*">${severity.toUpperCase()}</span>`,
        ),
      );
    }
    const resolved = renderHtml(content({ resolved: true, tag: 'RESOLVED' }));
    expect(resolved).toContain(`<tr><td style="background-color:${EMAIL_COLORS.resolved};height:8px;`);
    expect(resolved).toContain('>RESOLVED</span>');
    expect(resolved).not.toContain(EMAIL_COLORS.critical);
    expect(EMAIL_COLORS.resolved).toBe('#2e7d32');
    // Dark text on amber, white elsewhere.
    expect(renderHtml(content({ severity: 'warning', tag: 'WARNING' }))).toContain(
      `background-color:${EMAIL_COLORS.warning};color:#1f2328;`,
    );
  });

  it('lays out headline, notes, description, facts, labels, links and footer in that order', () => {
    const html = renderHtml(
      content({
        notes: [
          'Reminder: this alert is still firing.',
          'Sent here because receiver tg could not be reached.',
        ],
        description: 'Equity fell 6.2%.\n\n  Orders paused.\r\nCheck the bot.',
        facts: [
          { label: 'Value', value: '-$520.00' },
          { label: 'Threshold', value: '<= -$500.00 (critical band)' },
        ],
        labels: [
          ['env', 'prod'],
          ['team', 'quant'],
        ],
        links: [
          { text: 'PnL dashboard', href: 'https://grafana.example.com/d/pnl?a=1&b=2' },
          { text: 'Runbook', href: 'http://runbooks.example.com/x' },
        ],
      }),
    );
    const order = [
      '>CRITICAL</span>',
      '<h1 ',
      '>daily loss 104% of limit on grid-1</h1>',
      '>Reminder: this alert is still firing.</p>',
      '>Sent here because receiver tg could not be reached.</p>',
      '>Equity fell 6.2%.<br><br>&nbsp;&nbsp;Orders paused.<br>Check the bot.</div>',
      '>Value</th>',
      '>-$520.00</td>',
      '>Threshold</th>',
      '>&lt;= -$500.00 (critical band)</td>',
      '>Labels</p>',
      '>env=prod</span>',
      '>team=quant</span>',
      '<a href="https://grafana.example.com/d/pnl?a=1&amp;b=2" target="_blank" rel="noopener noreferrer"',
      '>PnL dashboard</a>',
      '<a href="http://runbooks.example.com/x"',
      '>Runbook</a>',
      '>alert DailyLoss · fingerprint fp-1 · notification n-1</p>',
    ];
    let at = 0;
    for (const piece of order) {
      const i = html.indexOf(piece, at);
      expect(i, `"${piece}" after position ${at}`).toBeGreaterThan(-1);
      at = i + piece.length;
    }
    expect(html.match(/<h1 /g)).toHaveLength(1);
    expect(html.match(/<th scope="row"/g)).toHaveLength(2);
    // The preheader (inbox preview) is the first note, hidden in the message.
    expect(html).toContain(
      'mso-hide:all;font-size:1px;line-height:1px;color:#f3f4f6;">Reminder: this alert is still firing.</div>',
    );
  });

  it('lists the alerts of a group, each with its colour, and how many more there are', () => {
    const html = renderHtml(
      content({
        title: '14 alerts, 2 firing',
        facts: [{ label: 'Alerts', value: '14' }],
        items: [
          {
            severity: 'critical',
            resolved: false,
            headline: 'CRITICAL api latency on grid-1',
            detail: 'source=grid-1 · since 2026-01-15T09:30:00.000Z',
          },
          {
            severity: 'warning',
            resolved: true,
            headline: 'RESOLVED fill rate on grid-2',
            detail: 'source=grid-2 · since 2026-01-15T09:31:00.000Z',
          },
        ],
        more: 12,
      }),
    );
    expect(html).toContain('<ul style="list-style:none;margin:0;padding:0;">');
    expect(html.match(/<li /g)).toHaveLength(2);
    expect(html).toContain(`border-left:4px solid ${EMAIL_COLORS.critical};`);
    expect(html).toContain(`border-left:4px solid ${EMAIL_COLORS.resolved};`);
    expect(html).toContain('>CRITICAL api latency on grid-1</div>');
    expect(html).toContain('>source=grid-2 · since 2026-01-15T09:31:00.000Z</div>');
    expect(html).toContain('>… and 12 more</p>');
    expect(renderHtml(content({ items: [], more: 0 }))).not.toContain('<ul');
  });

  it('escapes every piece of alert text and keeps only http(s) links', () => {
    const html = renderHtml(
      content({
        tag: INJECT,
        title: INJECT,
        subject: INJECT,
        notes: [INJECT],
        description: `${INJECT}\n${INJECT}`,
        facts: [{ label: INJECT, value: INJECT }],
        labels: [[INJECT, INJECT]],
        links: [
          { text: INJECT, href: 'javascript:alert(3)' },
          { text: INJECT, href: 'data:text/html,<script>alert(4)</script>' },
          { text: INJECT, href: 'https://ok.example.com/"onmouseover="alert(5)' },
        ],
        items: [{ severity: 'info', resolved: false, headline: INJECT, detail: INJECT }],
        footer: INJECT,
      }),
    );
    expect(html).not.toMatch(/<script|<img|javascript:|data:text/i);
    // No tag carries an event handler attribute: `onerror=` appears only as escaped text.
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).not.toContain('"onmouseover');
    expect(html).toContain('<a href="https://ok.example.com/&quot;onmouseover=&quot;alert(5)"');
    expect(html.match(/<a /g)).toHaveLength(1);
    // tag, title, subject, note, description ×2, fact ×2, label ×2, link, item ×2, footer, preheader
    expect(html.split(ESCAPED).length - 1).toBe(15);
    expect(escapeHtml('a\u0000b\u0007c\td\ne')).toBe('abc\td\ne');
  });
});

describe('buildEmail', () => {
  it('makes subject, text and HTML parts, Klaxon headers and a deterministic Message-ID', () => {
    const d = delivery(notification({ id: 'n-7' }));
    const mail = buildEmail(d, FROM, ['a@example.com', 'b@example.com']);
    expect(mail).toEqual({
      from: FROM,
      to: ['a@example.com', 'b@example.com'],
      subject: '[CRITICAL] Drawdown above 5% on BTCUSDT',
      messageId: '<klaxon.n-7@example.com>',
      date: new Date(T0 + 60_000),
      text: `CRITICAL Drawdown above 5% on BTCUSDT\n\n${renderBody(d.content)}\n`,
      html: renderHtml(d.content),
      headers: {
        'X-Klaxon-Notification-Id': 'n-7',
        'X-Klaxon-Severity': 'critical',
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
      },
      ref: { id: '<klaxon.n-7@example.com>', sentAt: T0 + 60_000, thread: ['<klaxon.n-7@example.com>'] },
    });
    expect(buildEmail(d, FROM, ['a@example.com'])).toEqual({ ...mail, to: ['a@example.com'] });
    expect(mail.text).toBe(
      [
        'CRITICAL Drawdown above 5% on BTCUSDT',
        '',
        'Equity fell 6.2% from the session high.',
        '',
        'Value: 6.2',
        'Severity: critical',
        'Source: bot-eu-1',
        'Symbol: BTCUSDT',
        'Firing for: 1m',
        'Since: 2026-01-15T09:30:00.000Z',
        'Occurrences: 3',
        '',
        'alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-7',
        '',
      ].join('\n'),
    );
  });

  it('cuts a runaway description in both parts', () => {
    const d = delivery(notification({}, { annotations: { summary: 's', description: 'x'.repeat(100_000) } }));
    const mail = buildEmail(d, FROM, ['a@example.com']);
    expect(mail.text).toContain(`${'x'.repeat(EMAIL_DESCRIPTION_MAX - 1)}…`);
    expect(mail.text).not.toContain('x'.repeat(EMAIL_DESCRIPTION_MAX));
    expect(mail.html).toContain(`${'x'.repeat(EMAIL_DESCRIPTION_MAX - 1)}…`);
    expect(mail.html.length).toBeLessThan(40_000);
  });

  it('puts a severity rise and a resolve into the thread, and leaves summaries alone', () => {
    const first = buildEmail(delivery(notification({ id: 'n-1' })), FROM, ['a@example.com']);
    const rise = buildEmail(
      delivery(notification({ id: 'n-2', raisedFrom: 'warning' }), { previous: first.ref }),
      FROM,
      ['a@example.com'],
    );
    expect(rise.inReplyTo).toBe('<klaxon.n-1@example.com>');
    expect(rise.references).toEqual(['<klaxon.n-1@example.com>']);
    expect(rise.ref?.thread).toEqual(['<klaxon.n-1@example.com>', '<klaxon.n-2@example.com>']);
    const summary = buildEmail(
      delivery(
        notification({ id: 'n-3', kind: 'summary', alerts: [alertView(), alertView({ fingerprint: 'b' })] }),
        {
          previous: rise.ref,
        },
      ),
      FROM,
      ['a@example.com'],
    );
    expect(summary.inReplyTo).toBeUndefined();
    expect(summary.references).toBeUndefined();
    expect(summary.ref).toBeUndefined();
  });
});

describe('threading', () => {
  const id = (n: number) => `<klaxon.n-${n}@example.com>`;

  it('derives the Message-ID from the notification id and the sender domain', () => {
    expect(messageIdFor('n-1', 'example.com')).toBe('<klaxon.n-1@example.com>');
    expect(messageIdFor('3f2a:ops:firing:1', 'example.com')).toMatch(
      /^<klaxon\.h\.[0-9a-f]{40}@example\.com>$/,
    );
    expect(messageIdFor('3f2a:ops:firing:1', 'example.com')).toBe(
      messageIdFor('3f2a:ops:firing:1', 'example.com'),
    );
    expect(messageIdFor('a b', 'example.com')).not.toBe(messageIdFor('a_b', 'example.com'));
    expect(messageIdFor('x'.repeat(200), 'example.com')).toMatch(/^<klaxon\.h\.[0-9a-f]{40}@example\.com>$/);
    expect(messageIdFor('n>1\r\nBcc: x', 'example.com')).toMatch(/^<klaxon\.h\.[0-9a-f]+@example\.com>$/);
    expect(domainOf('Klaxon@Example.COM')).toBe('example.com');
    expect(domainOf('klaxon@bücher.example')).toBe('xn--bcher-kva.example');
  });

  it('starts a thread with a firing and answers the last message with every later kind', () => {
    const first = threadHeaders('firing', undefined, id(1), 1_000);
    expect(first).toEqual({ ref: { id: id(1), sentAt: 1_000, thread: [id(1)] } });
    let previous = first.ref;
    const kinds: Notification['kind'][] = [
      'repeat',
      'escalated',
      'acknowledged',
      'flapping',
      'resolved',
      'firing',
    ];
    kinds.forEach((kind, i) => {
      const n = i + 2;
      const h = threadHeaders(kind, previous, id(n), 1_000 + n);
      const chain = Array.from({ length: n - 1 }, (_, k) => id(k + 1));
      expect(h, kind).toEqual({
        inReplyTo: id(n - 1),
        references: chain,
        ref: { id: id(1), sentAt: 1_000, thread: [...chain, id(n)] },
      });
      previous = h.ref;
    });
  });

  it('sends summaries and tests on their own', () => {
    const previous = { id: id(1), sentAt: 1, thread: [id(1)] };
    expect(threadHeaders('summary', previous, id(2), 2)).toEqual({});
    expect(threadHeaders('test', previous, id(2), 2)).toEqual({});
    expect(threadHeaders('test', undefined, id(2), 2)).toEqual({});
  });

  it('answers a ref without a thread list, and brackets bare ids', () => {
    expect(threadHeaders('resolved', { id: 'klaxon.n-1@example.com', sentAt: 5 }, id(2), 9)).toEqual({
      inReplyTo: id(1),
      references: [id(1)],
      ref: { id: id(1), sentAt: 5, thread: [id(1), id(2)] },
    });
  });

  it('keeps the root and the last 20 in References and in the stored thread', () => {
    const long = Array.from({ length: 30 }, (_, k) => id(k + 1));
    const h = threadHeaders('repeat', { id: id(1), sentAt: 1, thread: long }, id(31), 2);
    expect(REFERENCES_MAX).toBe(20);
    expect(h.inReplyTo).toBe(id(30));
    expect(h.references).toEqual([id(1), ...long.slice(-20)]);
    expect(h.references).toHaveLength(21);
    expect(h.ref?.thread).toEqual([id(1), ...long.slice(-19), id(31)]);
    expect(capChain(long.slice(0, 21))).toEqual(long.slice(0, 21));
  });

  it('answers the same message again when a retried send finds itself in the thread already', () => {
    const previous = { id: id(1), sentAt: 1, thread: [id(1), id(2), id(3)] };
    expect(threadHeaders('repeat', previous, id(2), 9)).toEqual({
      inReplyTo: id(1),
      references: [id(1)],
      ref: { id: id(1), sentAt: 1, thread: [id(1), id(2)] },
    });
    // The root itself retried: a new root, no In-Reply-To.
    expect(threadHeaders('firing', previous, id(1), 9)).toEqual({
      ref: { id: id(1), sentAt: 9, thread: [id(1)] },
    });
  });
});

describe('addresses', () => {
  it('accepts plain addresses and names, and refuses what a relay would not take', () => {
    for (const ok of [
      'a@b',
      'oncall@example.com',
      'first.last+tag@sub.example.co.uk',
      "o'brien@example.ie",
      'x@bücher.example',
    ])
      expect(isEmailAddress(ok), ok).toBe(true);
    for (const bad of [
      '',
      'a',
      'a@',
      '@b',
      'a@@b',
      'a b@c',
      'a@b c',
      '.a@b',
      'a.@b',
      'a..b@c',
      'a@-b',
      'a@b..c',
      'a@b,c@d',
      `${'a'.repeat(65)}@b`,
      `a@${'b'.repeat(64)}`,
    ])
      expect(isEmailAddress(bad), bad).toBe(false);
    expect(parseMailbox('klaxon@example.com')).toEqual({ address: 'klaxon@example.com' });
    expect(parseMailbox('Klaxon <klaxon@example.com>')).toEqual({
      name: 'Klaxon',
      address: 'klaxon@example.com',
    });
    expect(parseMailbox(' "Klaxon, prod" <klaxon@example.com> ')).toEqual({
      name: 'Klaxon, prod',
      address: 'klaxon@example.com',
    });
    expect(parseMailbox('<klaxon@example.com>')).toEqual({ address: 'klaxon@example.com' });
    for (const bad of [
      'Klaxon',
      'Klaxon <>',
      'Kla<xon <k@example.com>',
      'K\r\nBcc: x@y <k@example.com>',
      'k@example.com\nBcc: x@y',
    ])
      expect(parseMailbox(bad), bad).toBeUndefined();
  });
});
