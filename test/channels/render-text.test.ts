import { describe, expect, it } from 'vitest';
import {
  describe as describeContent,
  GROUP_LIST_MAX,
  type MessageContent,
} from '../../src/channels/content.js';
import { LINE_DESCRIPTION_MAX, renderBody, renderLine, renderText } from '../../src/channels/render-text.js';
import { alertView, notification, T0, unicodeLongDescription } from './helpers.js';

/** A content with every part filled, to see the layout on its own. */
function fullContent(over: Partial<MessageContent> = {}): MessageContent {
  return {
    kind: 'firing',
    severity: 'high',
    resolved: false,
    tag: 'HIGH',
    title: 'api latency 1.2 s on grid-1',
    headline: 'HIGH api latency 1.2 s on grid-1',
    subject: '[HIGH] api latency 1.2 s on grid-1',
    notes: ['Severity rose from WARNING to HIGH.', 'Second note.'],
    description: 'first line\nsecond line',
    facts: [
      { label: 'Value', value: '1.2 s' },
      { label: 'Source', value: 'grid-1' },
    ],
    labels: [
      ['region', 'eu'],
      ['team', 'risk'],
    ],
    links: [
      { text: 'Dashboard', href: 'https://grafana.example/d/1' },
      { text: 'Runbook', href: 'https://runbooks.example/latency' },
    ],
    items: [],
    more: 0,
    footer: 'alert ApiLatency · fingerprint fp-1 · notification n-9',
    at: T0,
    ...over,
  };
}

describe('renderText / renderBody: layout', () => {
  it('titles with the subject and lays out notes, description, facts, labels, links and footer', () => {
    const r = renderText(fullContent());
    expect(r.title).toBe('[HIGH] api latency 1.2 s on grid-1');
    expect(r.text).toBe(
      [
        'Severity rose from WARNING to HIGH.',
        'Second note.',
        '',
        'first line',
        'second line',
        '',
        'Value: 1.2 s',
        'Source: grid-1',
        'Labels: region=eu, team=risk',
        'Links:',
        '  Dashboard: https://grafana.example/d/1',
        '  Runbook: https://runbooks.example/latency',
        '',
        'alert ApiLatency · fingerprint fp-1 · notification n-9',
      ].join('\n'),
    );
    expect(renderBody(fullContent())).toBe(r.text);
  });

  it('leaves out the parts a content does not have', () => {
    const text = renderBody(fullContent({ notes: [], description: undefined, labels: [], links: [] }));
    expect(text).toBe(
      ['Value: 1.2 s', 'Source: grid-1', '', 'alert ApiLatency · fingerprint fp-1 · notification n-9'].join(
        '\n',
      ),
    );
  });

  it('lists the items of a group and how many more there are', () => {
    const text = renderBody(
      fullContent({
        notes: ['Held back.'],
        description: undefined,
        facts: [{ label: 'Alerts', value: '12' }],
        labels: [],
        links: [],
        items: [
          { severity: 'high', resolved: false, headline: 'HIGH A', detail: 'source=x · since t1' },
          { severity: 'info', resolved: true, headline: 'RESOLVED B', detail: 'since t2' },
        ],
        more: 10,
        footer: 'notification n-9',
      }),
    );
    expect(text).toBe(
      [
        'Held back.',
        '',
        'Alerts: 12',
        '',
        '- HIGH A (source=x · since t1)',
        '- RESOLVED B (since t2)',
        '… and 10 more',
        '',
        'notification n-9',
      ].join('\n'),
    );
    expect(renderBody(fullContent({ items: [{ ...fullItem() }], more: 0 }))).not.toContain('… and');
  });
});

function fullItem() {
  return { severity: 'high' as const, resolved: false, headline: 'HIGH A', detail: 'since t1' };
}

describe('renderText of described notifications', () => {
  it('renders a firing alert: subject, description, every fact, links, footer', () => {
    const n = notification({}, { links: [{ href: 'https://grafana.example/d/1', text: 'Dashboard' }] });
    const r = renderText(describeContent(n));
    expect(r.title).toBe('[CRITICAL] Drawdown above 5% on BTCUSDT');
    expect(r.text).toBe(
      [
        'Equity fell 6.2% from the session high.',
        '',
        'Value: 6.2',
        'Severity: critical',
        'Source: bot-eu-1',
        'Symbol: BTCUSDT',
        'Firing for: 1m',
        'Since: 2026-01-15T09:30:00.000Z',
        'Occurrences: 3',
        'Links:',
        '  Dashboard: https://grafana.example/d/1',
        '',
        'alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1',
      ].join('\n'),
    );
  });

  it('says RESOLVED instead of the severity, and how long it lasted', () => {
    const n = notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 3_725_000 });
    const r = renderText(describeContent(n));
    expect(r.title).toBe('[RESOLVED] Drawdown above 5% on BTCUSDT');
    expect(r.text.split('\n')[0]).toBe('Resolved after 1h 2m 5s (was CRITICAL).');
    expect(r.text).toContain('Value at resolve: 6.2\n');
    expect(r.text).toContain('Lasted: 1h 2m 5s\nResolved at: 2026-01-15T10:32:05.000Z\n');
    expect(r.text).not.toContain('Firing for');
  });

  it('does not show an end for a firing alert even when endsAt is set', () => {
    const r = renderText(describeContent(notification({}, { endsAt: T0 + 1000 })));
    expect(r.text).not.toContain('Resolved at');
    expect(r.text).not.toContain('Lasted');
    expect(r.text).toContain('Firing for: 1m');
  });

  it('marks a repeat, an escalation, flapping and an acknowledgement in the first line of the body', () => {
    const first = (n: Parameters<typeof describeContent>[0]) =>
      renderText(describeContent(n)).text.split('\n')[0];
    expect(first(notification({ kind: 'repeat' }))).toBe('Reminder: this alert is still firing.');
    expect(first(notification({ kind: 'escalated' }))).toBe(
      'Escalated: nobody acknowledged this alert in time.',
    );
    expect(first(notification({ kind: 'firing', raisedFrom: 'warning' }, { severity: 'high' }))).toBe(
      'Severity rose from WARNING to HIGH.',
    );
    expect(first(notification({ kind: 'flapping' }, { flapping: true }))).toBe(
      'Flapping: this alert changes state too often; it is told again once it settles.',
    );
    const ack = renderText(
      describeContent(notification({ kind: 'acknowledged' }, { acknowledged: { by: 'bob', at: T0 } })),
    );
    expect(ack.title).toBe('[ACKNOWLEDGED] Drawdown above 5% on BTCUSDT');
    expect(ack.text.split('\n')[0]).toBe('Acknowledged by bob.');
    expect(ack.text).toContain('\nAcknowledged by: bob\n');
  });

  it('lists a summary: the first alerts, then how many more', () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alertView({
        name: `Alert${i}`,
        fingerprint: `fp${i}`,
        severity: i === 4 ? 'critical' : 'warning',
        annotations: { summary: `Problem ${i}` },
        labels: { source: `bot-${i}` },
      }),
    );
    const r = renderText(describeContent(notification({ kind: 'summary', alerts, total: 25 })));
    expect(r.title).toBe('[CRITICAL] 25 more alerts held back by the rate limit');
    const lines = r.text.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'These alerts were held back by the rate limit; each is listed with its state when it was held.',
      '',
      'Alerts: 25',
      '',
      '- WARNING Problem 0 (source=bot-0 · since 2026-01-15T09:30:00.000Z)',
    ]);
    expect(lines[8]).toBe('- CRITICAL Problem 4 (source=bot-4 · since 2026-01-15T09:30:00.000Z)');
    expect(lines.filter((l) => l.startsWith('- '))).toHaveLength(GROUP_LIST_MAX);
    expect(lines.slice(-3)).toEqual([`… and ${25 - GROUP_LIST_MAX} more`, '', 'notification n-1']);
  });
});

describe('renderText: unicode and long text', () => {
  const { description, labels } = unicodeLongDescription();
  const n = notification(
    {},
    { annotations: { summary: 'Ünïcödé 🔥 東京', description }, labels, severity: 'warning' },
  );

  it('keeps the description intact in the body (no mangling of emoji, RTL, combining marks)', () => {
    const r = renderText(describeContent(n));
    expect(description.length).toBeGreaterThan(6000);
    expect(r.text).toContain(description.replace(/\r\n?/g, '\n').trim());
    expect(r.text).toContain('Labels: alertname=UnicodeAndLongText, owner=Jürgen Müller, region=東京-1');
    expect(r.title).toBe('[WARNING] Ünïcödé 🔥 東京');
  });

  it('is deterministic', () => {
    expect(renderText(describeContent(n))).toEqual(renderText(describeContent(structuredClone(n))));
  });

  it('renders a one-line form with no line break of any kind, cut without splitting emoji', () => {
    const line = renderLine(describeContent(n), n.createdAt);
    expect(line).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
    expect(line.startsWith('2026-01-15T09:31:00.000Z [WARNING] Ünïcödé 🔥 東京 | [1] Ünïcödé check')).toBe(
      true,
    );
    const desc = line.split(' | ')[1] ?? '';
    expect(Array.from(desc)).toHaveLength(LINE_DESCRIPTION_MAX);
    expect(desc.endsWith('…')).toBe(true);
    expect(line).toContain(' | Value: 6.2 | Severity: warning | ');
    expect(line).toContain(
      ' | labels: alertname=UnicodeAndLongText, owner=Jürgen Müller, region=東京-1, service=Zahlungs-Dienst ✓, severity=warning | ',
    );
    expect(line.endsWith(' | alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1')).toBe(
      true,
    );
    expect(line).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
  });
});

describe('renderLine', () => {
  it('puts the time, the subject, the description, every fact and the footer on one line', () => {
    const n = notification({}, { labels: { source: 'bot-eu-1', team: 'risk' } });
    expect(renderLine(describeContent(n), n.createdAt)).toBe(
      '2026-01-15T09:31:00.000Z [CRITICAL] Drawdown above 5% on BTCUSDT | Equity fell 6.2% from the session high.' +
        ' | Value: 6.2 | Severity: critical | Source: bot-eu-1 | Firing for: 1m | Since: 2026-01-15T09:30:00.000Z' +
        ' | Occurrences: 3 | labels: team=risk' +
        ' | alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1',
    );
  });

  it('names the alerts of a group and the rest instead of the facts', () => {
    const c = fullContent({
      subject: '[HIGH] 5 alerts',
      items: [
        { ...fullItem(), headline: 'HIGH A' },
        { ...fullItem(), headline: 'INFO B' },
      ],
      more: 3,
      footer: 'notification n-9',
    });
    expect(renderLine(c, T0)).toBe(
      '2026-01-15T09:30:00.000Z [HIGH] 5 alerts | HIGH A; INFO B; 3 more | notification n-9',
    );
  });

  it('shows "unknown" instead of throwing on an invalid time', () => {
    expect(renderLine(fullContent({ description: undefined }), Number.NaN).startsWith('unknown [HIGH]')).toBe(
      true,
    );
    expect(renderText(describeContent(notification({}, { startsAt: Number.NaN }))).text).toContain(
      'Since: unknown',
    );
  });
});
