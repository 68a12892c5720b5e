import { describe, expect, it } from 'vitest';
import { brief, Harness, T0 } from './helpers.js';

describe('event rule', () => {
  it('every matching event is one occurrence at the rule severity', () => {
    const h = new Harness([
      { name: 'circuit_breaker', kind: 'event', event: 'circuit_breaker_triggered', severity: 'critical' },
    ]);
    const [sig] = h.event({
      source: 'bot',
      ts: T0,
      type: 'circuit_breaker_triggered',
      severity: 'info',
      data: { rule: 'max_dd' },
    });
    expect(sig).toMatchObject({
      name: 'circuit_breaker',
      kind: 'occurrence',
      status: 'firing',
      severity: 'critical',
      labels: { source: 'bot' },
      ts: T0,
      annotations: { title: 'circuit_breaker_triggered on bot' },
    });
    expect(h.event({ source: 'bot', ts: T0 + 1, type: 'circuit_breaker_triggered' })).toHaveLength(1);
    expect(h.event({ source: 'bot', ts: T0 + 2, type: 'heartbeat' })).toHaveLength(0);
    expect(h.states.size).toBe(0);
  });

  it('without a rule severity, the event severity is used, else warning', () => {
    const h = new Harness([{ name: 'api_errors', kind: 'event', event: ['api_error', 'order_rejected'] }]);
    expect(brief(h.event({ source: 'bot', ts: T0, type: 'api_error', severity: 'high' }))).toEqual([
      'firing:high',
    ]);
    expect(brief(h.event({ source: 'bot', ts: T0, type: 'order_rejected' }))).toEqual(['firing:warning']);
  });

  it('`by: [symbol]` gives one alert per symbol; the title names it', () => {
    const h = new Harness([
      {
        name: 'stop_loss_hit',
        kind: 'event',
        event: 'position_stop_loss_hit',
        severity: 'critical',
        by: ['symbol'],
        dedup: 'none',
      },
    ]);
    const [btc] = h.event({ source: 'bot', ts: T0, type: 'position_stop_loss_hit', symbol: 'BTC' });
    const [eth] = h.event({ source: 'bot', ts: T0, type: 'position_stop_loss_hit', symbol: 'ETH' });
    expect(btc?.labels).toEqual({ source: 'bot', symbol: 'BTC' });
    expect(eth?.labels).toEqual({ source: 'bot', symbol: 'ETH' });
    expect(btc?.annotations.title).toBe('position_stop_loss_hit on bot (BTC)');
    expect(btc?.force).toBe(true);
  });

  it('`by` may name a data field; `data` filters', () => {
    const h = new Harness([
      { name: 'guards', kind: 'event', event: 'guard_triggered', by: ['guard'], data: { action: 'halt' } },
    ]);
    expect(
      h.event({ source: 'b', ts: T0, type: 'guard_triggered', data: { guard: 'g', action: 'log' } }),
    ).toEqual([]);
    const [sig] = h.event({
      source: 'b',
      ts: T0,
      type: 'guard_triggered',
      data: { guard: 'daily_loss', action: 'halt', reason: 'limit hit' },
    });
    expect(sig?.labels).toEqual({ source: 'b', guard: 'daily_loss' });
  });

  it('annotations can use the reason', () => {
    const h = new Harness([
      {
        name: 'auth_failed',
        kind: 'event',
        event: 'api_authentication_failed',
        annotations: { message: '{{reason}}' },
      },
    ]);
    const [sig] = h.event({
      source: 'b',
      ts: T0,
      type: 'api_authentication_failed',
      data: { reason: 'bad key' },
    });
    expect(sig?.annotations.message).toBe('bad key');
  });
});
