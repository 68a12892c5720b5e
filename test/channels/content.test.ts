import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  alertTitle,
  describe as describeContent,
  GROUP_LIST_MAX,
  isoTime,
  oneLine,
  TITLE_MAX,
  truncate,
  type Fact,
  type MessageContent,
} from '../../src/channels/content.js';
import type { AlertView } from '../../src/model/alert.js';
import type { Notification } from '../../src/model/notification.js';
import { alertView, notification, T0 } from './helpers.js';

const DAILY_LOSS_TITLE = 'daily loss 104% of limit on grid-1: -$520.00 of -$500.00';

/** The daily-loss alert of a grid bot: a ratio of the loss limit, critical at 100 %. */
function dailyLoss(over: Partial<AlertView> = {}): Partial<AlertView> {
  return {
    fingerprint: 'fp-daily-loss-grid-1',
    name: 'DailyLossLimit',
    rule: 'daily-loss',
    severity: 'critical',
    unit: 'ratio',
    value: 1.04,
    threshold: 1.0,
    op: '>=',
    labels: { source: 'grid-1' },
    annotations: { title: DAILY_LOSS_TITLE },
    startsAt: T0,
    firingAt: T0,
    occurrences: 1,
    ...over,
  };
}

function factsOf(c: MessageContent): Record<string, string> {
  return Object.fromEntries(c.facts.map((f: Fact) => [f.label, f.value]));
}

function fact(c: MessageContent, label: string): string | undefined {
  return c.facts.find((f) => f.label === label)?.value;
}

describe('describe: one firing alert', () => {
  it('says what the daily-loss alert is in its headline, subject and facts', () => {
    const n = notification({ createdAt: T0 + 60_000 }, dailyLoss());
    const c = describeContent(n);
    expect(c.kind).toBe('firing');
    expect(c.severity).toBe('critical');
    expect(c.resolved).toBe(false);
    expect(c.tag).toBe('CRITICAL');
    expect(c.title).toBe(DAILY_LOSS_TITLE);
    expect(c.headline).toBe(`CRITICAL ${DAILY_LOSS_TITLE}`);
    expect(c.subject).toBe(`[CRITICAL] ${DAILY_LOSS_TITLE}`);
    expect(c.notes).toEqual([]);
    expect(c.description).toBeUndefined();
    expect(c.facts).toEqual([
      { label: 'Value', value: '104%' },
      { label: 'Threshold', value: '>= 100% (critical band)' },
      { label: 'Severity', value: 'critical' },
      { label: 'Source', value: 'grid-1' },
      { label: 'Firing for', value: '1m' },
      { label: 'Since', value: '2026-01-15T09:30:00.000Z' },
    ]);
    expect(c.labels).toEqual([]);
    expect(c.links).toEqual([]);
    expect(c.items).toEqual([]);
    expect(c.more).toBe(0);
    expect(c.footer).toBe('alert DailyLossLimit · fingerprint fp-daily-loss-grid-1 · notification n-1');
    expect(c.at).toBe(T0);
  });

  it('counts the firing time from when it started firing, not from when it was first seen', () => {
    const n = notification(
      { createdAt: T0 + 5 * 60_000 + 30_000 },
      dailyLoss({ startsAt: T0, firingAt: T0 + 2 * 60_000 }),
    );
    const c = describeContent(n);
    expect(fact(c, 'Firing for')).toBe('3m 30s');
    expect(fact(c, 'Since')).toBe('2026-01-15T09:32:00.000Z');
    expect(c.at).toBe(T0 + 2 * 60_000);
  });

  it('uses the severity of the alert as tag and in the threshold band', () => {
    const c = describeContent(notification({}, dailyLoss({ severity: 'warning', threshold: 0.8 })));
    expect(c.tag).toBe('WARNING');
    expect(c.subject).toBe(`[WARNING] ${DAILY_LOSS_TITLE}`);
    expect(fact(c, 'Threshold')).toBe('>= 80% (warning band)');
    expect(fact(c, 'Severity')).toBe('warning');
  });

  it('shows a threshold without an operator, and no value or threshold facts when there are none', () => {
    const c = describeContent(notification({}, dailyLoss({ op: undefined })));
    expect(fact(c, 'Threshold')).toBe('100% (critical band)');

    const bare = describeContent(notification({}, { value: undefined, threshold: undefined }));
    expect(bare.facts.map((f) => f.label)).toEqual([
      'Severity',
      'Source',
      'Symbol',
      'Firing for',
      'Since',
      'Occurrences',
    ]);
  });

  it('shows occurrences only when there was more than one', () => {
    expect(fact(describeContent(notification({}, { occurrences: 1 })), 'Occurrences')).toBeUndefined();
    expect(fact(describeContent(notification({}, { occurrences: 7 })), 'Occurrences')).toBe('7');
  });

  it('shows source and symbol as facts and the other labels sorted, on one line each', () => {
    const c = describeContent(
      notification({}, { labels: { zone: 'eu', source: 'bot-1', team: 'risk\nops', symbol: '', app: 'x' } }),
    );
    expect(fact(c, 'Source')).toBe('bot-1');
    expect(fact(c, 'Symbol')).toBeUndefined(); // empty: nothing to show
    expect(c.labels).toEqual([
      ['app', 'x'],
      ['team', 'risk ops'],
      ['zone', 'eu'],
    ]);
  });

  it('lists the other annotations as facts, sorted, on one line, without the ones shown elsewhere', () => {
    const c = describeContent(
      notification(
        {},
        {
          annotations: {
            title: 'T',
            summary: 'S',
            description: 'D',
            runbook_url: 'https://runbooks.example/x',
            zeta: 'last',
            alpha: 'first\nline',
            blank: '  ',
          },
        },
      ),
    );
    const labels = c.facts.map((f) => f.label);
    expect(labels.slice(-2)).toEqual(['alpha', 'zeta']);
    expect(fact(c, 'alpha')).toBe('first line');
    for (const shown of ['title', 'summary', 'description', 'runbook_url', 'blank'])
      expect(labels).not.toContain(shown);
  });
});

describe('describe: title and description', () => {
  it('takes the title from annotations.title, then summary, then the alert name', () => {
    const title = (annotations: Record<string, string>) =>
      describeContent(notification({}, { annotations })).title;
    expect(title({ title: 'T', summary: 'S' })).toBe('T');
    expect(title({ summary: 'S' })).toBe('S');
    expect(title({})).toBe('DrawdownHigh');
    expect(title({ title: '   ', summary: '' })).toBe('DrawdownHigh');
    expect(title({ title: 'two\r\nlines\u2028here' })).toBe('two lines here');
  });

  it('cuts very long titles to TITLE_MAX code points without splitting an emoji', () => {
    const c = describeContent(notification({}, { annotations: { title: '🔥'.repeat(400) + '\nsecond' } }));
    expect(Array.from(c.title)).toHaveLength(TITLE_MAX);
    expect(c.title.endsWith('🔥…')).toBe(true);
    expect(c.subject).toBe(`[CRITICAL] ${c.title}`);
  });

  it('keeps the description with its line breaks, and adds the summary when the title came from annotations.title', () => {
    expect(
      describeContent(notification({}, { annotations: { description: '  line 1\r\nline 2\rline 3  ' } }))
        .description,
    ).toBe('line 1\nline 2\nline 3');
    expect(
      describeContent(
        notification({}, { annotations: { title: 'T', summary: 'the summary', message: 'msg' } }),
      ).description,
    ).toBe('the summary\n\nmsg');
    // The summary is the title here: not repeated.
    expect(
      describeContent(notification({}, { annotations: { summary: 'the summary', message: 'msg' } }))
        .description,
    ).toBe('msg');
    expect(describeContent(notification({}, { annotations: { summary: 'S' } })).description).toBeUndefined();
  });
});

describe('describe: resolved', () => {
  const resolved = (over: Partial<AlertView> = {}, n: Partial<Notification> = {}) =>
    describeContent(
      notification(
        { kind: 'resolved', createdAt: T0 + 13 * 60_000, ...n },
        dailyLoss({ status: 'resolved', value: 0.8, endsAt: T0 + 12 * 60_000, ...over }),
      ),
    );

  it('is visibly different from the firing: RESOLVED, how long it lasted, the value it resolved at', () => {
    const firing = describeContent(notification({}, dailyLoss()));
    const c = resolved();
    expect(c.resolved).toBe(true);
    expect(c.tag).toBe('RESOLVED');
    expect(c.headline).toBe(`RESOLVED ${DAILY_LOSS_TITLE}`);
    expect(c.subject).toBe(`[RESOLVED] ${DAILY_LOSS_TITLE}`);
    expect(c.subject).not.toBe(firing.subject);
    expect(c.severity).toBe('critical');
    expect(c.notes).toEqual(['Resolved after 12m (was CRITICAL).']);
    expect(c.facts).toEqual([
      { label: 'Value at resolve', value: '80%' },
      { label: 'Threshold', value: '>= 100% (critical band)' },
      { label: 'Severity', value: 'critical' },
      { label: 'Source', value: 'grid-1' },
      { label: 'Lasted', value: '12m' },
      { label: 'Resolved at', value: '2026-01-15T09:42:00.000Z' },
    ]);
    expect(c.at).toBe(T0 + 12 * 60_000);
  });

  it('measures how long it lasted from when it started firing', () => {
    const c = resolved({ startsAt: T0, firingAt: T0 + 2 * 60_000, endsAt: T0 + 3 * 3_600_000 + 5_000 });
    expect(fact(c, 'Lasted')).toBe('2h 58m 5s');
    expect(c.notes).toEqual(['Resolved after 2h 58m 5s (was CRITICAL).']);
  });

  it('is resolved when the alert is, whatever the kind, except an acknowledgement', () => {
    const c = describeContent(notification({ kind: 'repeat' }, { status: 'resolved', endsAt: T0 + 90_000 }));
    expect(c.tag).toBe('RESOLVED');
    expect(c.resolved).toBe(true);
    const ack = describeContent(
      notification({ kind: 'acknowledged' }, { status: 'resolved', endsAt: T0 + 90_000 }),
    );
    expect(ack.tag).toBe('ACKNOWLEDGED');
    expect(ack.resolved).toBe(false);
  });

  it('says only that it resolved when the end time is unknown', () => {
    const c = describeContent(notification({ kind: 'resolved' }, { status: 'resolved' }));
    expect(c.tag).toBe('RESOLVED');
    expect(c.notes).toEqual(['Resolved (was CRITICAL).']);
    expect(c.at).toBe(T0 + 60_000);
  });
});

describe('describe: what the notification is', () => {
  it('a firing at a higher severity says from which', () => {
    const c = describeContent(
      notification({ kind: 'firing', raisedFrom: 'warning' }, dailyLoss({ severity: 'critical' })),
    );
    expect(c.tag).toBe('CRITICAL');
    expect(c.notes).toEqual(['Severity rose from WARNING to CRITICAL.']);
  });

  it.each([
    ['repeat', 'CRITICAL', 'Reminder: this alert is still firing.'],
    ['escalated', 'CRITICAL', 'Escalated: nobody acknowledged this alert in time.'],
    [
      'flapping',
      'CRITICAL',
      'Flapping: this alert changes state too often; it is told again once it settles.',
    ],
    ['test', 'TEST', 'A test notification from Klaxon: this receiver works.'],
    ['acknowledged', 'ACKNOWLEDGED', 'Acknowledged: someone is on it.'],
  ] as const)('%s: tag %s and its note', (kind, tag, note) => {
    const c = describeContent(notification({ kind }, dailyLoss()));
    expect(c.kind).toBe(kind);
    expect(c.tag).toBe(tag);
    expect(c.subject).toBe(`[${tag}] ${DAILY_LOSS_TITLE}`);
    expect(c.notes).toEqual([note]);
  });

  it('an acknowledgement names who took it, with the comment among the facts', () => {
    const c = describeContent(
      notification(
        { kind: 'acknowledged', createdAt: T0 + 120_000 },
        dailyLoss({ acknowledged: { by: 'alice\n', at: T0 + 100_000, comment: 'closing\nthe grid' } }),
      ),
    );
    expect(c.tag).toBe('ACKNOWLEDGED');
    expect(c.headline).toBe(`ACKNOWLEDGED ${DAILY_LOSS_TITLE}`);
    expect(c.notes).toEqual(['Acknowledged by alice.']);
    expect(fact(c, 'Acknowledged by')).toBe('alice: closing the grid');
    expect(c.at).toBe(T0 + 120_000);
  });

  it('a firing with no severity change has no note, and the raise is not told on other kinds', () => {
    expect(describeContent(notification({}, dailyLoss())).notes).toEqual([]);
    expect(
      describeContent(notification({ kind: 'repeat', raisedFrom: 'warning' }, dailyLoss())).notes,
    ).toEqual(['Reminder: this alert is still firing.']);
  });

  it('a fallback says which receiver could not be reached, before anything else', () => {
    const c = describeContent(notification({ fallbackFor: 'pager-main' }, dailyLoss()));
    expect(c.notes).toEqual(['Sent here because receiver pager-main could not be reached.']);
    const r = describeContent(
      notification(
        { kind: 'resolved', fallbackFor: 'pager-main' },
        dailyLoss({ status: 'resolved', endsAt: T0 + 45_000 }),
      ),
    );
    expect(r.notes).toEqual([
      'Sent here because receiver pager-main could not be reached.',
      'Resolved after 45s (was CRITICAL).',
    ]);
  });
});

describe('describe: links', () => {
  it('keeps the generator links and the runbook, http(s) only', () => {
    const c = describeContent(
      notification(
        {},
        {
          links: [
            { href: 'https://prometheus.example/graph?g0.expr=up', text: 'Source' },
            { href: 'javascript:alert(1)', text: 'Click me' },
            { href: 'ftp://files.example/x', text: 'FTP' },
            { href: 'HTTP://grafana.example/d/1', text: '' },
          ],
          annotations: { summary: 'S', runbook_url: 'https://runbooks.example/daily-loss' },
        },
      ),
    );
    expect(c.links).toEqual([
      { text: 'Source', href: 'https://prometheus.example/graph?g0.expr=up' },
      { text: 'HTTP://grafana.example/d/1', href: 'HTTP://grafana.example/d/1' },
      { text: 'Runbook', href: 'https://runbooks.example/daily-loss' },
    ]);
  });

  it('does not repeat a runbook that is already a link, and drops one that is not a URL', () => {
    const same = describeContent(
      notification(
        {},
        {
          links: [{ href: 'https://runbooks.example/x', text: 'Playbook' }],
          annotations: { runbook_url: ' https://runbooks.example/x ' },
        },
      ),
    );
    expect(same.links).toEqual([{ text: 'Playbook', href: 'https://runbooks.example/x' }]);
    const wiki = describeContent(notification({}, { annotations: { runbook_url: 'see the wiki' } }));
    expect(wiki.links).toEqual([]);
  });

  it('links to the alert in Klaxon when the public URL is known', () => {
    const n = notification(
      {},
      { fingerprint: 'fp/1 2', annotations: { runbook_url: 'https://rb.example/x' } },
    );
    expect(describeContent(n).links.map((l) => l.text)).toEqual(['Runbook']);
    const c = describeContent(n, { publicUrl: 'https://klaxon.example/base//' });
    expect(c.links).toEqual([
      { text: 'Runbook', href: 'https://rb.example/x' },
      { text: 'Alert in Klaxon', href: 'https://klaxon.example/base/v1/alerts/fp%2F1%202' },
    ]);
    // With the web console served, the link opens the alert's page there.
    const ui = describeContent(n, { publicUrl: 'https://klaxon.example/base', ui: true });
    expect(ui.links.at(-1)).toEqual({
      text: 'Alert in Klaxon',
      href: 'https://klaxon.example/base/ui/#/alerts/fp%2F1%202',
    });
  });
});

describe('describe: groups', () => {
  function many(count: number, over: (i: number) => Partial<AlertView> = () => ({})): AlertView[] {
    return Array.from({ length: count }, (_, i) =>
      alertView({
        name: `Alert${i}`,
        fingerprint: `fp${i}`,
        severity: 'warning',
        annotations: { summary: `Problem ${i}` },
        labels: { source: `bot-${i}` },
        ...over(i),
      }),
    );
  }

  it('a summary lists the first GROUP_LIST_MAX alerts and counts the rest', () => {
    const alerts = many(12, (i) =>
      i === 4
        ? { severity: 'critical' }
        : i === 5
          ? {
              status: 'resolved',
              endsAt: T0 + 1000,
              firingAt: T0 + 500,
              labels: { symbol: 'ETH', source: 'b' },
            }
          : {},
    );
    const c = describeContent(notification({ kind: 'summary', alerts, total: 25 }));
    expect(GROUP_LIST_MAX).toBe(10);
    expect(c.kind).toBe('summary');
    expect(c.severity).toBe('critical');
    expect(c.resolved).toBe(false);
    expect(c.tag).toBe('CRITICAL');
    expect(c.title).toBe('25 more alerts held back by the rate limit');
    expect(c.subject).toBe('[CRITICAL] 25 more alerts held back by the rate limit');
    expect(c.notes).toEqual([
      'These alerts were held back by the rate limit; each is listed with its state when it was held.',
    ]);
    expect(c.facts).toEqual([{ label: 'Alerts', value: '25' }]);
    expect(c.items).toHaveLength(GROUP_LIST_MAX);
    expect(c.more).toBe(25 - GROUP_LIST_MAX);
    expect(c.items[0]).toEqual({
      severity: 'warning',
      resolved: false,
      headline: 'WARNING Problem 0',
      detail: 'source=bot-0 · since 2026-01-15T09:30:00.000Z',
    });
    expect(c.items[4]?.headline).toBe('CRITICAL Problem 4');
    expect(c.items[5]).toEqual({
      severity: 'warning',
      resolved: true,
      headline: 'RESOLVED Problem 5',
      detail: 'source=b, symbol=ETH · since 2026-01-15T09:30:00.500Z',
    });
    expect(c.footer).toBe('notification n-1');
    expect(c.at).toBe(T0 + 60_000);
    expect(c.links).toEqual([]);
  });

  it('a summary of one alert uses the singular, is still a list, and has nothing more', () => {
    const c = describeContent(notification({ kind: 'summary', total: 1 }));
    expect(c.title).toBe('1 more alert held back by the rate limit');
    expect(c.items.map((i) => i.headline)).toEqual(['CRITICAL Drawdown above 5% on BTCUSDT']);
    expect(c.more).toBe(0);
  });

  it('counts the listed alerts when the total is not given, never fewer than listed', () => {
    expect(describeContent(notification({ kind: 'summary', alerts: many(3) })).title).toBe(
      '3 more alerts held back by the rate limit',
    );
    const c = describeContent(notification({ kind: 'summary', alerts: many(3), total: 2 }));
    expect(c.title).toBe('3 more alerts held back by the rate limit');
    expect(c.more).toBe(0);
  });

  it('a group says how many alerts fire and how many resolved, and is resolved once all are', () => {
    const mixed = many(3, (i) => (i === 1 ? { status: 'resolved', endsAt: T0 + 1000 } : {}));
    const c = describeContent(notification({ kind: 'firing', alerts: mixed }));
    expect(c.title).toBe('2 alerts firing, 1 resolved');
    expect(c.subject).toBe('[WARNING] 2 alerts firing, 1 resolved');
    expect(c.notes).toEqual([]);
    expect(c.items.map((i) => i.headline)).toEqual([
      'WARNING Problem 0',
      'RESOLVED Problem 1',
      'WARNING Problem 2',
    ]);
    expect(c.facts).toEqual([
      { label: 'Firing', value: '2' },
      { label: 'Resolved', value: '1' },
      { label: 'Since', value: '2026-01-15T09:30:00.000Z' },
    ]);

    const firing = describeContent(notification({ kind: 'firing', alerts: many(2) }));
    expect(firing.title).toBe('2 alerts firing');

    const done = describeContent(
      notification({ kind: 'resolved', alerts: many(2, () => ({ status: 'resolved', endsAt: T0 + 1000 })) }),
    );
    expect(done.resolved).toBe(true);
    expect(done.tag).toBe('RESOLVED');
    expect(done.subject).toBe('[RESOLVED] 2 alerts resolved');
  });

  it('a group names its alert and source when they share them, shows shared labels once, and lists every alert', () => {
    const alerts = many(40, (i) => ({
      name: 'api_latency',
      labels: { source: 'grid-1', env: 'prod', symbol: `SYM${i}` },
      ...(i === 0 ? { severity: 'critical' } : {}),
      ...(i === 39 ? { status: 'resolved', endsAt: T0 + 5000 } : {}),
    }));
    const c = describeContent(notification({ kind: 'firing', alerts }));
    expect(c.headline).toBe('CRITICAL 39 alerts firing, 1 resolved: api_latency on grid-1');
    expect(c.facts).toContainEqual({ label: 'Source', value: 'grid-1' });
    expect(c.labels).toEqual([['env', 'prod']]);
    expect(c.items).toHaveLength(40);
    expect(c.more).toBe(0);
    expect(c.items[1]?.detail).toBe('symbol=SYM1 · value 6.2 · since 2026-01-15T09:30:00.000Z');
    expect(c.items[39]?.detail).toBe('symbol=SYM39 · value 6.2 · resolved 2026-01-15T09:30:05.000Z');

    const reminder = describeContent(notification({ kind: 'repeat', alerts: alerts.slice(0, 3) }));
    expect(reminder.notes).toEqual(['Reminder: these alerts are still firing.']);
    expect(reminder.title).toBe('3 alerts firing: api_latency on grid-1');
  });
});

describe('describe: units, as the facts show them', () => {
  const shown = (unit: AlertView['unit'], value: number, threshold: number, op = '>=') =>
    factsOf(describeContent(notification({}, { unit, value, threshold, op, severity: 'high' })));

  it('money in dollars, sign first', () => {
    const f = shown('money', -520, -500, '<=');
    expect(f.Value).toBe('-$520.00');
    expect(f.Threshold).toBe('<= -$500.00 (high band)');
    expect(shown('money', 1234.5, 1000).Value).toBe('$1,234.50');
  });

  it('percent as given, ratio times 100', () => {
    const p = shown('percent', 6.2, 5, '>');
    expect(p.Value).toBe('6.2%');
    expect(p.Threshold).toBe('> 5% (high band)');
    expect(shown('percent', 25, 20).Value).toBe('25%');
    const r = shown('ratio', 0.35, 0.4, '<');
    expect(r.Value).toBe('35%');
    expect(r.Threshold).toBe('< 40% (high band)');
  });

  it('durations in ms and s: the unit below a second (a minute), a duration above', () => {
    const ms = shown('ms', 250, 200, '>');
    expect(ms.Value).toBe('250 ms');
    expect(ms.Threshold).toBe('> 200 ms (high band)');
    expect(shown('ms', 90_000, 60_000).Value).toBe('1m 30s');
    const s = shown('s', 42.5, 30);
    expect(s.Value).toBe('42.5 s');
    expect(s.Threshold).toBe('>= 30 s (high band)');
    expect(shown('s', 5400, 3600).Threshold).toBe('>= 1h (high band)');
  });

  it('counts and plain numbers with a few significant digits', () => {
    expect(shown('count', 3, 2).Value).toBe('3');
    expect(shown('number', 0.123456789, 0.1).Value).toBe('0.123');
    expect(shown(undefined, 1234.5678, 1000).Value).toBe('1234.6');
  });
});

describe('describe: pure', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes every time from the notification, never from the clock', () => {
    const n = notification({ kind: 'repeat' }, dailyLoss());
    vi.useFakeTimers();
    vi.setSystemTime(T0 + 86_400_000);
    const a = describeContent(n);
    vi.setSystemTime(T0 + 7 * 86_400_000);
    const b = describeContent(structuredClone(n));
    expect(b).toEqual(a);
    expect(fact(a, 'Firing for')).toBe('1m');
  });

  it('does not change the notification', () => {
    const n = notification({ kind: 'summary', alerts: [alertView(), alertView({ name: 'B' })], total: 30 });
    const copy = structuredClone(n);
    describeContent(n, { publicUrl: 'https://klaxon.example' });
    expect(n).toEqual(copy);
  });
});

describe('text helpers', () => {
  it('truncate counts code points and marks the cut', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
    expect(truncate('😀😀😀', 3)).toBe('😀😀😀'); // 6 UTF-16 units, 3 code points: not cut
  });

  it('oneLine turns every kind of line break into a space', () => {
    expect(oneLine(' a\nb\r\nc\u2028d\u2029e\u0085f\tg ')).toBe('a b c d e f g');
  });

  it('isoTime says unknown instead of throwing', () => {
    expect(isoTime(T0)).toBe('2026-01-15T09:30:00.000Z');
    expect(isoTime(Number.NaN)).toBe('unknown');
    const c = describeContent(notification({}, { startsAt: Number.NaN }));
    expect(fact(c, 'Since')).toBe('unknown');
    expect(fact(c, 'Firing for')).toBe('unknown');
  });

  it('alertTitle is the title a group lists the alert by', () => {
    expect(alertTitle(alertView({ annotations: { title: 'a\nb', summary: 'S' } }))).toBe('a b');
    expect(alertTitle(alertView({ annotations: {} }))).toBe('DrawdownHigh');
  });
});
