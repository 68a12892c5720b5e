import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../src/channels/content.js';
import {
  actionFor,
  cut,
  dedupKeyOf,
  eventBytes,
  EVENT_MAX_BYTES,
  renderEvents,
  SUMMARY_MAX,
  testDedupKey,
  type PagerDutyEvent,
} from '../../src/channels/pagerduty/render-event.js';
import type { AlertView } from '../../src/model/alert.js';
import type { Notification, NotificationKind } from '../../src/model/notification.js';
import { alertView, delivery, notification, T0 } from './helpers.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SETTINGS = { routingKey: KEY, client: 'Klaxon' };

function render(n: Notification, over: Partial<MessageContent> = {}, publicUrl?: string): PagerDutyEvent[] {
  return renderEvents(n, { ...delivery(n, { publicUrl }).content, ...over }, SETTINGS);
}

function only(events: PagerDutyEvent[]): PagerDutyEvent {
  expect(events).toHaveLength(1);
  return events[0]!;
}

describe('renderEvents: one alert', () => {
  it('lays a firing alert out as a trigger event, exactly', () => {
    const n = notification();
    const events = renderEvents(n, delivery(n, { publicUrl: 'https://klaxon.example.com/' }).content, {
      ...SETTINGS,
      clientUrl: 'https://klaxon.example.com/',
    });
    expect(events).toEqual([
      {
        routing_key: KEY,
        event_action: 'trigger',
        dedup_key: 'fp-0123456789abcdef',
        payload: {
          summary: 'CRITICAL Drawdown above 5% on BTCUSDT',
          source: 'bot-eu-1',
          severity: 'critical',
          timestamp: '2026-01-15T09:30:00.000Z',
          component: 'BTCUSDT',
          group: 'bot-eu-1',
          class: 'DrawdownHigh',
          custom_details: {
            description: 'Equity fell 6.2% from the session high.',
            facts: {
              Value: '6.2',
              Severity: 'critical',
              Source: 'bot-eu-1',
              Symbol: 'BTCUSDT',
              'Firing for': '1m',
              Since: '2026-01-15T09:30:00.000Z',
              Occurrences: '3',
            },
            notification: { id: 'n-1', kind: 'firing' },
          },
        },
        links: [
          { href: 'https://klaxon.example.com/v1/alerts/fp-0123456789abcdef', text: 'Alert in Klaxon' },
        ],
        client: 'Klaxon',
        client_url: 'https://klaxon.example.com/',
      },
    ]);
    // Field order as sent (JSON keeps insertion order).
    expect(Object.keys(events[0]!)).toEqual([
      'routing_key',
      'event_action',
      'dedup_key',
      'payload',
      'links',
      'client',
      'client_url',
    ]);
  });

  it('lays a resolve out with the resolve content, exactly', () => {
    const n = notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 12 * 60_000 });
    expect(render(n)).toEqual([
      {
        routing_key: KEY,
        event_action: 'resolve',
        dedup_key: 'fp-0123456789abcdef',
        payload: {
          summary: 'RESOLVED Drawdown above 5% on BTCUSDT',
          source: 'bot-eu-1',
          severity: 'critical',
          timestamp: '2026-01-15T09:42:00.000Z',
          component: 'BTCUSDT',
          group: 'bot-eu-1',
          class: 'DrawdownHigh',
          custom_details: {
            notes: ['Resolved after 12m (was CRITICAL).'],
            description: 'Equity fell 6.2% from the session high.',
            facts: {
              'Value at resolve': '6.2',
              Severity: 'critical',
              Source: 'bot-eu-1',
              Symbol: 'BTCUSDT',
              Lasted: '12m',
              'Resolved at': '2026-01-15T09:42:00.000Z',
              Occurrences: '3',
            },
            notification: { id: 'n-1', kind: 'resolved' },
          },
        },
        client: 'Klaxon',
      },
    ]);
  });

  it.each<[NotificationKind, AlertView['status'], string]>([
    ['firing', 'firing', 'trigger'],
    ['repeat', 'firing', 'trigger'],
    ['escalated', 'firing', 'trigger'],
    ['flapping', 'firing', 'trigger'],
    ['acknowledged', 'firing', 'acknowledge'],
    ['resolved', 'resolved', 'resolve'],
    ['resolved', 'firing', 'resolve'],
  ])('kind %s (alert %s) sends %s under the thread key', (kind, status, action) => {
    const ev = only(render(notification({ kind }, { status })));
    expect(ev.event_action).toBe(action);
    expect(ev.dedup_key).toBe('fp-0123456789abcdef');
    expect(actionFor(kind, status)).toBe(action);
  });

  it('a severity rise is a trigger at the new severity, saying so', () => {
    const ev = only(render(notification({ raisedFrom: 'warning' })));
    expect(ev.event_action).toBe('trigger');
    expect(ev.payload.severity).toBe('critical');
    expect(ev.payload.custom_details.notes).toEqual(['Severity rose from WARNING to CRITICAL.']);
  });

  it.each([
    ['critical', 'critical'],
    ['high', 'error'],
    ['warning', 'warning'],
    ['info', 'info'],
  ] as const)('severity %s becomes PagerDuty %s', (ours, theirs) => {
    expect(only(render(notification({}, { severity: ours }))).payload.severity).toBe(theirs);
  });

  it('acknowledge carries who acknowledged, in notes and facts', () => {
    const n = notification(
      { kind: 'acknowledged' },
      { acknowledged: { by: 'alice', at: T0, comment: 'on it' } },
    );
    const ev = only(render(n));
    expect(ev.event_action).toBe('acknowledge');
    expect(ev.payload.summary).toBe('ACKNOWLEDGED Drawdown above 5% on BTCUSDT');
    expect(ev.payload.custom_details.notes).toEqual(['Acknowledged by alice.']);
    expect(ev.payload.custom_details.facts['Acknowledged by']).toBe('alice: on it');
  });

  it('without source or symbol labels: source klaxon, no component or group; other labels kept', () => {
    const n = notification({}, { labels: { env: 'prod', region: 'eu' } });
    const ev = only(render(n));
    expect(ev.payload.source).toBe('klaxon');
    expect(ev.payload).not.toHaveProperty('component');
    expect(ev.payload).not.toHaveProperty('group');
    expect(ev.payload.custom_details.labels).toEqual({ env: 'prod', region: 'eu' });
  });

  it('keeps a label called __proto__ as a plain key', () => {
    const labels = JSON.parse('{"__proto__":"x","env":"prod"}') as Record<string, string>;
    const ev = only(render(notification({}, { labels })));
    const sent = JSON.parse(JSON.stringify(ev)) as PagerDutyEvent;
    expect(Object.keys(sent.payload.custom_details.labels ?? {})).toEqual(['__proto__', 'env']);
  });

  it('keeps facts with the same label apart', () => {
    const n = notification();
    const c = delivery(n).content;
    const ev = only(
      renderEvents(
        n,
        { ...c, facts: [...c.facts, { label: 'Severity', value: 'from annotation' }] },
        SETTINGS,
      ),
    );
    expect(ev.payload.custom_details.facts.Severity).toBe('critical');
    expect(ev.payload.custom_details.facts['Severity (2)']).toBe('from annotation');
  });

  it('sends only http(s) links', () => {
    const n = notification();
    const ev = only(
      render(n, {
        links: [
          { href: 'javascript:alert(1)', text: 'evil' },
          { href: 'https://grafana.example/d/1', text: 'Dashboard' },
          { href: 'ftp://x', text: 'ftp' },
        ],
      }),
    );
    expect(ev.links).toEqual([{ href: 'https://grafana.example/d/1', text: 'Dashboard' }]);
  });

  it('omits the timestamp when the time is not valid', () => {
    expect(only(render(notification(), { at: Number.NaN })).payload).not.toHaveProperty('timestamp');
  });

  it('arrives inert: markup, mentions and Markdown pass as plain text, unchanged', () => {
    const nasty = '<script>alert(1)</script> @everyone <@&123> <b>x</b> *_[]()~`>#+-=|{}.! & "q"';
    const n = notification({}, { annotations: { summary: nasty, description: `${nasty}\nline 2` } });
    const ev = only(render(n));
    expect(ev.payload.summary).toBe(`CRITICAL ${nasty}`);
    expect(ev.payload.custom_details.description).toBe(`${nasty}\nline 2`);
    // JSON is the only encoding: what PagerDuty parses is exactly the text.
    expect((JSON.parse(JSON.stringify(ev)) as PagerDutyEvent).payload.summary).toBe(`CRITICAL ${nasty}`);
  });
});

describe('renderEvents: limits', () => {
  it('cuts the summary to 1024 characters and keeps the whole headline in the details', () => {
    const headline = `CRITICAL ${'x'.repeat(1020)}😀${'y'.repeat(500)}`;
    const ev = only(render(notification(), { headline }));
    expect(ev.payload.summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(ev.payload.summary.endsWith('…')).toBe(true);
    expect(ev.payload.summary).not.toMatch(/[\ud800-\udbff]…$/); // never half a surrogate pair
    expect(ev.payload.custom_details.headline).toBe(headline);
  });

  it('does not add the headline when the summary is whole', () => {
    expect(only(render(notification())).payload.custom_details).not.toHaveProperty('headline');
  });

  it('cut() counts UTF-16 units and never splits a pair', () => {
    expect(cut('abc', 3)).toBe('abc');
    expect(cut('abcd', 3)).toBe('ab…');
    expect(cut('a😀b', 3)).toBe('a…');
    expect(cut('😀😀😀', 5)).toBe('😀😀…');
  });

  it('uses the thread as dedup_key, hashing one longer than 255', () => {
    expect(dedupKeyOf('fp-1')).toBe('fp-1');
    const long = 't'.repeat(300);
    expect(dedupKeyOf(long)).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(dedupKeyOf(long)).toBe(dedupKeyOf(long));
    const ev = only(render(notification({ thread: long })));
    expect(ev.dedup_key).toBe(dedupKeyOf(long));
  });

  it('keeps an event with a huge description under 512 KB, summary untouched', () => {
    const description = 'd'.repeat(2_000_000);
    const ev = only(render(notification({}, { annotations: { summary: 'big', description } })));
    expect(eventBytes(ev)).toBeLessThan(EVENT_MAX_BYTES);
    expect(ev.payload.summary).toBe('CRITICAL big');
    expect(ev.payload.custom_details.trimmed).toBe(true);
    expect(ev.payload.custom_details.description?.startsWith('ddd')).toBe(true);
    expect(ev.payload.custom_details.facts.Value).toBe('6.2');
  });

  it('drops the details, then the links, when halving texts is not enough', () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 15_000; i++) labels[`label_${i}`] = 'v'.repeat(30); // ~700 KB
    const links = Array.from({ length: 20_000 }, (_, i) => ({
      href: `https://x.example/${i}`,
      text: 'l'.repeat(30),
    }));
    const ev = only(render(notification({}, { labels }), { links }));
    expect(eventBytes(ev)).toBeLessThan(EVENT_MAX_BYTES);
    expect(ev.payload.custom_details).toEqual({
      facts: {},
      notification: { id: 'n-1', kind: 'firing' },
      trimmed: true,
    });
    expect(ev).not.toHaveProperty('links');
    expect(ev.payload.summary).toBe('CRITICAL Drawdown above 5% on BTCUSDT');
  });

  it('cuts long identifying fields to 255', () => {
    const ev = only(render(notification({}, { name: 'N'.repeat(400), labels: { source: 's'.repeat(400) } })));
    expect(ev.payload.class).toHaveLength(255);
    expect(ev.payload.source).toHaveLength(255);
    expect(ev.payload.group).toHaveLength(255);
  });
});

describe('renderEvents: groups and tests', () => {
  const second = alertView({
    fingerprint: 'fp-2',
    name: 'Lag',
    severity: 'warning',
    status: 'resolved',
    labels: {},
    annotations: {},
    endsAt: T0 + 5000,
  });

  it('a summary sends one event per alert, each keyed and acted on by its own status, exactly', () => {
    const n = notification({ kind: 'summary', alerts: [alertView(), second], thread: 'group-1' });
    const held =
      'These alerts were held back by the rate limit; each is listed with its state when it was held.';
    expect(render(n)).toEqual([
      {
        routing_key: KEY,
        event_action: 'trigger',
        dedup_key: 'fp-0123456789abcdef',
        payload: {
          summary: 'CRITICAL Drawdown above 5% on BTCUSDT',
          source: 'bot-eu-1',
          severity: 'critical',
          timestamp: '2026-01-15T09:30:00.000Z',
          component: 'BTCUSDT',
          group: 'bot-eu-1',
          class: 'DrawdownHigh',
          custom_details: {
            notes: [held],
            description: 'Equity fell 6.2% from the session high.',
            facts: {
              Value: '6.2',
              Severity: 'critical',
              Source: 'bot-eu-1',
              Symbol: 'BTCUSDT',
              'Firing for': '1m',
              Since: '2026-01-15T09:30:00.000Z',
              Occurrences: '3',
            },
            notification: { id: 'n-1', kind: 'summary' },
          },
        },
        client: 'Klaxon',
      },
      {
        routing_key: KEY,
        event_action: 'resolve',
        dedup_key: 'fp-2',
        payload: {
          summary: 'RESOLVED Lag',
          source: 'klaxon',
          severity: 'warning',
          timestamp: '2026-01-15T09:30:05.000Z',
          class: 'Lag',
          custom_details: {
            notes: [held, 'Resolved after 5s (was WARNING).'],
            facts: {
              'Value at resolve': '6.2',
              Severity: 'warning',
              Lasted: '5s',
              'Resolved at': '2026-01-15T09:30:05.000Z',
              Occurrences: '3',
            },
            notification: { id: 'n-1', kind: 'summary' },
          },
        },
        client: 'Klaxon',
      },
    ]);
  });

  it('a group beyond the listed ten still sends every alert', () => {
    const alerts = Array.from({ length: 12 }, (_, i) => alertView({ fingerprint: `fp-${i}`, name: `A${i}` }));
    const events = render(notification({ kind: 'summary', alerts, total: 40, thread: 'g' }));
    expect(events.map((e) => e.dedup_key)).toEqual(alerts.map((a) => a.fingerprint));
    expect(events.map((e) => e.payload.summary)).toEqual(
      alerts.map((a) => `CRITICAL ${a.annotations.summary}`),
    );
    expect(new Set(events.map((e) => e.event_action))).toEqual(new Set(['trigger']));
  });

  it('a resolved group resolves each alert; an acknowledged group acknowledges each', () => {
    const a = alertView({ fingerprint: 'fp-a', status: 'resolved', endsAt: T0 + 1000 });
    const b = alertView({ fingerprint: 'fp-b', status: 'resolved', endsAt: T0 + 2000 });
    const resolved = render(notification({ kind: 'resolved', alerts: [a, b], thread: 'g' }));
    expect(resolved.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['resolve', 'fp-a'],
      ['resolve', 'fp-b'],
    ]);
    const acked = render(
      notification({
        kind: 'acknowledged',
        alerts: [alertView({ fingerprint: 'fp-c' }), alertView()],
        thread: 'g',
      }),
    );
    expect(acked.map((e) => e.event_action)).toEqual(['acknowledge', 'acknowledge']);
    expect(acked[0]!.payload.summary).toBe('ACKNOWLEDGED Drawdown above 5% on BTCUSDT');
  });

  it('a test is a trigger under a key of its own, then its resolve', () => {
    const n = notification(
      { id: 'test.1768469400000', kind: 'test', thread: 'test' },
      { fingerprint: 'test' },
    );
    const [trigger, resolve, ...rest] = render(n);
    expect(rest).toEqual([]);
    expect(trigger!.event_action).toBe('trigger');
    expect(trigger!.dedup_key).toBe('klaxon-test-test.1768469400000');
    expect(testDedupKey(n)).toBe(trigger!.dedup_key);
    expect(trigger!.payload.summary).toBe('TEST Drawdown above 5% on BTCUSDT');
    expect(resolve).toEqual({ ...trigger, event_action: 'resolve' });
  });
});
