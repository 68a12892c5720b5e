import { describe, expect, it } from 'vitest';
import { parseMatcher } from '../../src/cli/silence.js';
import { UsageError } from '../../src/cli/command.js';
import {
  alertDetail,
  alertsTable,
  historyLine,
  matcherText,
  printable,
  silencesTable,
  table,
} from '../../src/cli/format.js';
import type { Alert } from '../../src/model/alert.js';
import { formatAgo as ago } from '../../src/model/time-text.js';
import type { HistoryEntry } from '../../src/model/history.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const M = 60_000;

function alert(over: Partial<Alert> = {}): Alert {
  return {
    fingerprint: '3f2a4b5c6d7e8f9012345678',
    name: 'api_latency',
    kind: 'state',
    status: 'firing',
    severity: 'critical',
    labels: { source: 'grid-1', symbol: 'ETHUSDT' },
    annotations: { title: 'API latency 1.2 s on grid-1' },
    origin: 'rule',
    value: 1200,
    threshold: 1000,
    op: '>=',
    unit: 'ms',
    startsAt: NOW - 12 * M,
    firingAt: NOW - 10 * M,
    lastSeenAt: NOW - M,
    occurrences: 3,
    notified: ['hook', 'pager'],
    windowCount: 1,
    transitions: [],
    flapping: false,
    version: 4,
    ...over,
  };
}

describe('times for people', () => {
  it('ago: the two largest units, past and future', () => {
    expect(ago(NOW - 500, NOW)).toBe('just now');
    expect(ago(NOW - 45_000, NOW)).toBe('45s ago');
    expect(ago(NOW - 5 * M - 30_000, NOW)).toBe('5m 30s ago');
    expect(ago(NOW - 65 * M - 59_000, NOW)).toBe('1h 5m ago');
    expect(ago(NOW - 50 * 60 * M - 7 * M, NOW)).toBe('2d 2h ago');
    expect(ago(NOW + 2 * 60 * M, NOW)).toBe('in 2h');
  });
});

describe('tables', () => {
  it('pads every column but the last, and neutralises control characters', () => {
    expect(
      table(
        ['A', 'LONG HEADER', 'C'],
        [
          ['xyz', 'b', 'c\u001b[31mred'],
          ['1', '2', ''],
        ],
      ),
    ).toBe('A    LONG HEADER  C\n' + 'xyz  b            c [31mred\n' + '1    2\n');
    expect(printable('a\u009b2Jb\u2028c\r\nd')).toBe('a 2Jb c  d');
  });

  it('klaxon alerts: state, severity, name, source, since, who acknowledged', () => {
    const out = alertsTable(
      [
        alert(),
        alert({
          fingerprint: 'aa11',
          status: 'resolved',
          severity: 'warning',
          name: 'bot_down',
          labels: { source: 'dca-2' },
          firingAt: NOW - 3 * 3_600_000,
          acknowledged: { by: 'alice', at: NOW - M, until: NOW - 1 },
        }),
        alert({ fingerprint: 'bb22', flapping: true, acknowledged: { by: 'bob', at: NOW - M } }),
      ],
      NOW,
    );
    expect(out.split('\n')).toEqual([
      'FINGERPRINT               STATE              SEVERITY  NAME         SOURCE  SINCE    ACKNOWLEDGED BY',
      '3f2a4b5c6d7e8f9012345678  firing             critical  api_latency  grid-1  10m ago  -',
      'aa11                      resolved           warning   bot_down     dca-2   3h ago   alice (lapsed)',
      'bb22                      firing (flapping)  critical  api_latency  grid-1  10m ago  bob',
      '',
    ]);
    expect(alertsTable([], NOW)).toBe('no alerts\n');
  });

  it('klaxon silence list: matchers as amtool writes them, whether it holds, when it ends', () => {
    const out = silencesTable(
      [
        {
          id: 's-1',
          matchers: [
            { name: 'source', op: '=', value: 'grid-1' },
            { name: 'alertname', op: '=~', value: 'api_.*' },
          ],
          startsAt: NOW - M,
          endsAt: NOW + 2 * 3_600_000,
          createdBy: 'alice',
          comment: 'broker maintenance',
        },
        {
          id: 's-2',
          matchers: [{ name: 'severity', op: '!=', value: 'critical' }],
          startsAt: NOW + 30 * M,
          endsAt: NOW + 90 * M,
          createdBy: 'bob',
          comment: '',
        },
      ],
      NOW,
    );
    expect(out).toContain('source="grid-1" alertname=~"api_.*"');
    expect(out).toContain('2026-11-21T14:00:00.000Z (in 2h)');
    expect(out).toMatch(/s-2 +severity!="critical" +starts in 30m/);
    expect(out.split('\n')[0]).toMatch(/^ID +MATCHERS +STATE +ENDS +CREATED BY +COMMENT$/);
    expect(silencesTable([], NOW)).toBe('no silences\n');
    expect(matcherText({ name: 'title', op: '=', value: 'a "b"' })).toBe('title="a \\"b\\""');
  });
});

describe('klaxon alert FINGERPRINT', () => {
  const fp = '3f2a4b5c6d7e8f9012345678';
  const base = { fp, name: 'api_latency', severity: 'critical' };
  // As the API gives it: newest first.
  const history: HistoryEntry[] = [
    { ...base, t: NOW - 2 * M, type: 'acknowledged', by: 'alice', comment: 'on it', via: 'cli' },
    { ...base, t: NOW - 9 * M, type: 'held', hold: 'silence' },
    { ...base, t: NOW - 10 * M + 20, type: 'notification', kind: 'firing', receiver: 'pager' },
    { ...base, t: NOW - 10 * M, type: 'transition', status: 'firing' },
  ];

  it('the facts, then the history oldest first, each time in ISO and how long ago', () => {
    const out = alertDetail(
      fp,
      alert({ acknowledged: { by: 'alice', at: NOW - 2 * M, comment: 'on it' } }),
      history,
      NOW,
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('CRITICAL API latency 1.2 s on grid-1');
    expect(out).toContain('  fingerprint   3f2a4b5c6d7e8f9012345678\n');
    expect(out).toContain('  labels        symbol=ETHUSDT\n');
    expect(out).toContain('  value         1.2 s (threshold >= 1 s)\n');
    expect(out).toContain('  firing since  2026-11-21T11:50:00.000Z (10m ago)\n');
    expect(out).toContain('  told          hook, pager\n');
    expect(out).toContain('  acknowledged  by alice 2026-11-21T11:58:00.000Z (2m ago): on it\n');
    const h = lines.slice(lines.indexOf('history (oldest first):') + 1).filter(Boolean);
    expect(h).toEqual([
      '  2026-11-21T11:50:00.000Z (10m ago)  firing [critical]',
      '  2026-11-21T11:50:00.020Z (9m 59s ago)  told pager: firing',
      '  2026-11-21T11:51:00.000Z (9m ago)  held back by a silence: owed, told once the hold ends if it still fires',
      '  2026-11-21T11:58:00.000Z (2m ago)  acknowledged by alice: on it (via cli)',
    ]);
  });

  it('a forgotten alert still shows its history; an unknown kind of entry is shown as it is', () => {
    const out = alertDetail(fp, undefined, history.slice(0, 1), NOW);
    expect(out).toMatch(/^alert 3f2a4b5c6d7e8f9012345678 is no longer kept/);
    expect(out).toContain('acknowledged by alice');
    expect(alertDetail(fp, alert(), [], NOW)).toContain('history: nothing recorded yet');
    const odd = { ...base, t: NOW, type: 'escalated', receiver: 'oncall' } as unknown as HistoryEntry;
    expect(historyLine(odd)).toBe('escalated to oncall: nobody acknowledged it in time');
    const unknown = { ...base, t: NOW, type: 'rerouted', to: 'x' } as unknown as HistoryEntry;
    expect(historyLine(unknown)).toBe('rerouted: to=x');
  });

  it('text from senders cannot drive the terminal', () => {
    const out = alertDetail(fp, alert({ annotations: { title: 'evil\u001b]0;pwned\u0007 title' } }), [], NOW);
    expect([...out].filter((ch) => ch === '\u001b' || ch === '\u0007')).toEqual([]);
  });
});

describe('matchers as amtool writes them', () => {
  it('the four operators, quoted values, and a bare first word as the alert name', () => {
    expect(parseMatcher('source=grid-1', false)).toEqual({ name: 'source', op: '=', value: 'grid-1' });
    expect(parseMatcher('severity!=info', false)).toEqual({ name: 'severity', op: '!=', value: 'info' });
    expect(parseMatcher('alertname=~api_.*', false)).toEqual({
      name: 'alertname',
      op: '=~',
      value: 'api_.*',
    });
    expect(parseMatcher('symbol!~BTC.*', false)).toEqual({ name: 'symbol', op: '!~', value: 'BTC.*' });
    expect(parseMatcher('title="disk = full"', false)).toEqual({
      name: 'title',
      op: '=',
      value: 'disk = full',
    });
    expect(parseMatcher('env=', false)).toEqual({ name: 'env', op: '=', value: '' });
    expect(parseMatcher('a==b', false)).toEqual({ name: 'a', op: '=', value: '=b' });
    expect(parseMatcher('api_latency', true)).toEqual({ name: 'alertname', op: '=', value: 'api_latency' });
  });

  it('refuses what is not a matcher, and a regex RE2 cannot take, naming it', () => {
    for (const bad of ['api_latency', '=x', '1abc=x', 'a b=c']) {
      expect(() => parseMatcher(bad, false), bad).toThrow(UsageError);
      expect(() => parseMatcher(bad, false), bad).toThrow(/is not a matcher/);
    }
    expect(() => parseMatcher('a=~(', false)).toThrow(/"a=~\(": the value is not a valid regular expression/);
    expect(() => parseMatcher('a=~(?=x)', false)).toThrow(UsageError);
    expect(() => parseMatcher('t="unterminated\\"', false)).toThrow(/quoted value/);
  });
});
