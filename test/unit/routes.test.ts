import { describe, expect, it } from 'vitest';
import type { Severity } from '../../src/model/severity.js';
import { compileMatchers, matchersSchema } from '../../src/routing/matchers.js';
import { RouteTree, routeSchema, type RouteConfig } from '../../src/routing/routes.js';

const alert = (name: string, severity: Severity, labels: Record<string, string> = {}) => ({
  name,
  severity,
  labels: { source: 'bot-a', ...labels },
});

const tree = (c: unknown) => new RouteTree(routeSchema.parse(c));

describe('matchers', () => {
  it('= and != compare exactly; a missing label is the empty string', () => {
    const m = compileMatchers([
      { name: 'env', op: '=', value: 'prod' },
      { name: 'team', op: '!=', value: 'ops' },
    ]);
    expect(m({ env: 'prod' })).toBe(true);
    expect(m({ env: 'prod', team: 'ops' })).toBe(false);
    expect(m({ env: 'production' })).toBe(false);
    expect(compileMatchers([{ name: 'x', op: '=', value: '' }])({})).toBe(true);
  });

  it('=~ and !~ are anchored regexes', () => {
    const m = compileMatchers([{ name: 'source', op: '=~', value: 'grid-.*' }]);
    expect(m({ source: 'grid-1' })).toBe(true);
    expect(m({ source: 'my-grid-1' })).toBe(false);
    const alt = compileMatchers([{ name: 'severity', op: '=~', value: 'critical|high' }]);
    expect(alt({ severity: 'high' })).toBe(true);
    expect(alt({ severity: 'highest' })).toBe(false);
    const not = compileMatchers([{ name: 'source', op: '!~', value: 'test-.*' }]);
    expect(not({ source: 'test-1' })).toBe(false);
    expect(not({ source: 'prod-1' })).toBe(true);
  });

  it('the map form: plain values are equality, `~` starts a regex; op defaults to =', () => {
    expect(matchersSchema.parse({ env: 'prod', severity: '~critical|high' })).toEqual([
      { name: 'env', op: '=', value: 'prod' },
      { name: 'severity', op: '=~', value: 'critical|high' },
    ]);
    expect(matchersSchema.parse([{ name: 'a', value: 'b' }])).toEqual([{ name: 'a', op: '=', value: 'b' }]);
  });
});

describe('route tree', () => {
  const config: RouteConfig = routeSchema.parse({
    receivers: ['default-mail'],
    routes: [
      { match: { severity: 'critical' }, receivers: ['pagerduty'], continue: true },
      { match: { alertname: 'bot_down' }, receivers: ['telegram-ops'] },
      { match: { source: '~grid-.*' }, receivers: ['telegram-grid'] },
      { severity_min: 'high', receivers: ['discord'] },
    ],
  });
  const t = new RouteTree(config);

  it('no matching route: the root receivers', () => {
    expect(t.receiversFor(alert('cpu', 'warning'))).toEqual(['default-mail']);
  });

  it('first match wins', () => {
    expect(t.receiversFor(alert('bot_down', 'warning', { source: 'grid-1' }))).toEqual(['telegram-ops']);
    expect(t.receiversFor(alert('cpu', 'warning', { source: 'grid-1' }))).toEqual(['telegram-grid']);
  });

  it('`continue` goes on to the next routes', () => {
    expect(t.receiversFor(alert('bot_down', 'critical'))).toEqual(['pagerduty', 'telegram-ops']);
    expect(t.receiversFor(alert('cpu', 'critical'))).toEqual(['pagerduty', 'discord']);
  });

  it('severity_min selects at least that severe', () => {
    expect(t.receiversFor(alert('cpu', 'high'))).toEqual(['discord']);
    expect(t.receiversFor(alert('cpu', 'info'))).toEqual(['default-mail']);
  });

  it('nested routes: the deepest match, else the matching parent', () => {
    const n = tree({
      receivers: ['root'],
      routes: [
        {
          match: { team: 'trading' },
          receivers: ['trading-mail'],
          routes: [
            { match: { severity: 'critical' }, receivers: ['trading-pager'] },
            { match: { alertname: '~equity_.*' }, receivers: ['trading-tg'], continue: true },
            { match: { symbol: 'BTC' }, receivers: ['btc-desk'] },
          ],
        },
        { receivers: ['catch-all'] },
      ],
    });
    expect(n.receiversFor(alert('x', 'warning', { team: 'trading' }))).toEqual(['trading-mail']);
    expect(n.receiversFor(alert('x', 'critical', { team: 'trading' }))).toEqual(['trading-pager']);
    expect(n.receiversFor(alert('equity_drop', 'warning', { team: 'trading', symbol: 'BTC' }))).toEqual([
      'trading-tg',
      'btc-desk',
    ]);
    expect(n.receiversFor(alert('x', 'warning', { team: 'infra' }))).toEqual(['catch-all']);
  });

  it('a receiver named by several routes is listed once', () => {
    const d = tree({
      receivers: ['root'],
      routes: [{ receivers: ['a', 'b'], continue: true }, { receivers: ['b', 'c'] }],
    });
    expect(d.receiversFor(alert('x', 'info'))).toEqual(['a', 'b', 'c']);
  });

  it('a matching route without receivers sends to nobody (it does not fall back to the root)', () => {
    const quiet = tree({ receivers: ['root'], routes: [{ match: { env: 'dev' }, receivers: [] }] });
    expect(quiet.receiversFor(alert('x', 'critical', { env: 'dev' }))).toEqual([]);
  });

  it('lists every receiver name it mentions', () => {
    expect(RouteTree.receiverNames(config)).toEqual([
      'default-mail',
      'pagerduty',
      'telegram-ops',
      'telegram-grid',
      'discord',
    ]);
  });

  it('the schema refuses unknown keys and severities', () => {
    expect(() => routeSchema.parse({ receiver: ['x'] })).toThrow();
    expect(() => routeSchema.parse({ severity_min: 'urgent' })).toThrow();
  });
});

describe('route inheritance', () => {
  it('a matching route without receivers uses its parent’s instead of telling nobody', () => {
    const t = tree({
      receivers: ['root'],
      routes: [{ match: { team: 'db' }, receivers: ['db'], routes: [{ match: { severity: 'critical' } }] }],
    });
    expect(t.receiversFor(alert('x', 'critical', { team: 'db' }))).toEqual(['db']);
    expect(t.receiversFor(alert('x', 'warning', { team: 'db' }))).toEqual(['db']);
  });
});
