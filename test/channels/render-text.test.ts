import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  renderLine,
  renderText,
  renderTitle,
  SUMMARY_LIST_MAX,
  TITLE_MAX,
  truncate,
} from '../../src/channels/render-text.js';
import { alertView, notification, T0, unicodeLongDescription } from './helpers.js';

describe('renderText: firing', () => {
  it('renders the subject line and every fact of a firing alert', () => {
    const n = notification({}, { links: [{ href: 'https://grafana.example/d/1', text: 'Dashboard' }] });
    const r = renderText(n);
    expect(r.title).toBe('[CRITICAL] Drawdown above 5% on BTCUSDT');
    expect(r.text).toBe(
      [
        'Equity fell 6.2% from the session high.',
        '',
        'Alert: DrawdownHigh',
        'Severity: critical',
        'Status: firing',
        'Value: 6.2',
        'Started: 2026-01-15T09:30:00.000Z',
        'Occurrences: 3',
        'Labels: source=bot-eu-1, symbol=BTCUSDT',
        'Links:',
        '  Dashboard: https://grafana.example/d/1',
        'Fingerprint: fp-0123456789abcdef',
      ].join('\n'),
    );
  });

  it('takes the title from annotations.title, then summary, then the alert name', () => {
    expect(renderTitle(notification({}, { annotations: { title: 'T', summary: 'S' } }))).toBe('[CRITICAL] T');
    expect(renderTitle(notification({}, { annotations: { summary: 'S' } }))).toBe('[CRITICAL] S');
    expect(renderTitle(notification({}, { annotations: {}, severity: 'warning' }))).toBe(
      '[WARNING] DrawdownHigh',
    );
    expect(renderTitle(notification({}, { annotations: { title: '   ' }, severity: 'info' }))).toBe(
      '[INFO] DrawdownHigh',
    );
  });

  it('shows the summary in the body when the title came from annotations.title', () => {
    const r = renderText(
      notification({}, { annotations: { title: 'T', summary: 'the summary', message: 'msg' } }),
    );
    expect(r.text.startsWith('the summary\n\nmsg\n\nAlert: DrawdownHigh')).toBe(true);
  });

  it('marks repeat, escalation, flapping and acknowledged in title and body', () => {
    const repeat = renderText(notification({ kind: 'repeat' }));
    expect(repeat.title).toBe('[CRITICAL] (repeat) Drawdown above 5% on BTCUSDT');
    expect(repeat.text.split('\n')[0]).toBe('Repeat notification: this alert is still firing.');

    const esc = renderText(notification({ kind: 'escalation' }, { severity: 'high' }));
    expect(esc.title).toBe('[HIGH] (escalated) Drawdown above 5% on BTCUSDT');
    expect(esc.text).toContain('Escalated: severity is now HIGH.');

    const flap = renderText(notification({ kind: 'flapping' }, { flapping: true }));
    expect(flap.title).toBe('[CRITICAL] (flapping) Drawdown above 5% on BTCUSDT');
    expect(flap.text).toContain('Flapping: this alert changes state often.');

    const ack = renderText(notification({ kind: 'repeat' }, { acknowledged: true }));
    expect(ack.title).toBe('[CRITICAL] (repeat) (acknowledged) Drawdown above 5% on BTCUSDT');
    expect(ack.text).toContain('Acknowledged');
  });

  it('lists extra annotations and the runbook link, sorted and on single lines', () => {
    const r = renderText(
      notification(
        {},
        {
          annotations: {
            summary: 'S',
            runbook_url: 'https://runbooks.example/drawdown',
            zeta: 'last',
            alpha: 'first\nline',
          },
          value: 0.123456789,
          labels: { z: '1', a: '2' },
        },
      ),
    );
    expect(r.text).toContain('Value: 0.123457');
    expect(r.text).toContain('Labels: a=2, z=1');
    expect(r.text).toContain('Annotations:\n  alpha: first line\n  zeta: last\n');
    expect(r.text).toContain('Links:\n  Runbook: https://runbooks.example/drawdown\n');
  });
});

describe('renderText: resolved', () => {
  it('says RESOLVED instead of the severity and shows end time and duration', () => {
    const n = notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 3_725_000 });
    const r = renderText(n);
    expect(r.title).toBe('[RESOLVED] Drawdown above 5% on BTCUSDT');
    expect(r.text.split('\n')[0]).toBe('Resolved (was CRITICAL).');
    expect(r.text).toContain('Status: resolved');
    expect(r.text).toContain(
      'Started: 2026-01-15T09:30:00.000Z\nEnded: 2026-01-15T10:32:05.000Z\nDuration: 1h 2m 5s',
    );
  });

  it('does not show an end time for a firing alert even when endsAt is set', () => {
    const r = renderText(notification({}, { endsAt: T0 + 1000 }));
    expect(r.text).not.toContain('Ended:');
  });
});

describe('renderText: summary', () => {
  it('lists the first alerts and counts the rest', () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alertView({
        name: `Alert${i}`,
        fingerprint: `fp${i}`,
        severity: i === 4 ? 'critical' : 'warning',
        annotations: { summary: `Problem ${i}` },
        labels: { source: `bot-${i}` },
      }),
    );
    const n = notification({ kind: 'summary', summary: { total: 25, alerts } }, { severity: 'warning' });
    const r = renderText(n);
    expect(r.title).toBe('[CRITICAL] 25 more alerts');
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('25 more alerts were held back by the rate limit:');
    expect(lines[2]).toBe('- [WARNING] Problem 0 (Alert0; source=bot-0) since 2026-01-15T09:30:00.000Z');
    expect(lines[6]).toBe('- [CRITICAL] Problem 4 (Alert4; source=bot-4) since 2026-01-15T09:30:00.000Z');
    expect(lines.filter((l) => l.startsWith('- '))).toHaveLength(SUMMARY_LIST_MAX);
    expect(lines.at(-1)).toBe(`… and ${25 - SUMMARY_LIST_MAX} more`);
  });

  it('uses the singular for one alert and lists no remainder when all are shown', () => {
    const n = notification({ kind: 'summary', summary: { total: 1, alerts: [alertView()] } });
    const r = renderText(n);
    expect(r.title).toBe('[CRITICAL] 1 more alert');
    expect(r.text).not.toContain('… and');
  });
});

describe('renderText: unicode and long text', () => {
  const { description, labels } = unicodeLongDescription();
  const n = notification(
    {},
    { annotations: { summary: 'Ünïcödé 🔥 東京', description }, labels, severity: 'warning' },
  );

  it('keeps the description intact in the body (no mangling of emoji, RTL, combining marks)', () => {
    const r = renderText(n);
    expect(description.length).toBeGreaterThan(6000);
    expect(r.text).toContain(description.trim());
    expect(r.text).toContain('Labels: alertname=UnicodeAndLongText, owner=Jürgen Müller, region=東京-1');
    expect(r.title).toBe('[WARNING] Ünïcödé 🔥 東京');
  });

  it('is deterministic', () => {
    expect(renderText(n)).toEqual(renderText(structuredClone(n)));
  });

  it('renders a one-line form with no line break of any kind, cut without splitting emoji', () => {
    const line = renderLine(n);
    expect(line).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(line.startsWith('2026-01-15T09:31:00.000Z [WARNING] Ünïcödé 🔥 東京 | [1] Ünïcödé check')).toBe(
      true,
    );
    expect(line).toContain('| value=6.2 | labels: alertname=UnicodeAndLongText');
    expect(line).toContain('| fp=fp-0123456789abcdef');
    expect(line).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
  });

  it('cuts very long titles to TITLE_MAX code points on one line', () => {
    const title = renderTitle(
      notification({}, { annotations: { title: '🔥'.repeat(400) + '\nsecond line' } }),
    );
    expect(Array.from(title)).toHaveLength(TITLE_MAX);
    expect(title.endsWith('🔥…')).toBe(true);
    expect(title).not.toContain('\n');
  });
});

describe('helpers', () => {
  it('truncate counts code points', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
  });

  it('formatDuration', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_999)).toBe('59s');
    expect(formatDuration(90_061_000)).toBe('1d 1h 1m 1s');
    expect(formatDuration(3_600_000)).toBe('1h');
  });

  it('shows "unknown" instead of throwing on an invalid time', () => {
    expect(renderText(notification({}, { startsAt: Number.NaN })).text).toContain('Started: unknown');
  });
});
