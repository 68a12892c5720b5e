import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { healthEvents, MAX_CHECKS_CHARS } from '../../src/scrape/health.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/scrape/${name}`, import.meta.url), 'utf8');
const T0 = Date.parse('2026-11-20T09:00:00Z');
const bot = { name: 'gpt-health', source: 'gpt-1', heartbeat: true };

describe('a /health answer as events', () => {
  it('healthy: a heartbeat only', () => {
    const v = healthEvents({ status: 200, body: fixture('gpt_trader_health_healthy.json') }, bot, T0);
    expect(v).toEqual({
      ok: true,
      status: 'healthy',
      events: [{ source: 'gpt-1', ts: T0, type: 'heartbeat', data: { scrape: 'gpt-health' } }],
    });
  });

  it('degraded: a bot_degraded warning with the reason and checks, and the heartbeat', () => {
    const v = healthEvents({ status: 200, body: fixture('gpt_trader_health_degraded.json') }, bot, T0);
    if (!v.ok) throw new Error('expected ok');
    expect(v.status).toBe('degraded');
    expect(v.events.map((e) => e.type)).toEqual(['heartbeat', 'bot_degraded']);
    expect(v.events[1]).toMatchObject({
      severity: 'warning',
      data: {
        status: 'degraded',
        http_status: 200,
        reason: 'websocket_stale',
        checks: { websocket: { status: 'degraded', details: { reconnect_count: 4 } } },
      },
    });
  });

  it('unhealthy (GPT-Trader answers 503): a bot_unhealthy event, severity high', () => {
    const v = healthEvents({ status: 503, body: fixture('gpt_trader_health_unhealthy.json') }, bot, T0);
    if (!v.ok) throw new Error('expected ok');
    expect(v.events[1]).toEqual({
      source: 'gpt-1',
      ts: T0,
      type: 'bot_unhealthy',
      severity: 'high',
      data: {
        scrape: 'gpt-health',
        status: 'unhealthy',
        http_status: 503,
        reason: 'broker_unreachable',
        checks: {
          broker: { status: 'unhealthy', details: { error: 'timeout' } },
          websocket: { status: 'healthy' },
        },
      },
    });
  });

  it('HTTP 503 is unhealthy whatever the body says, JSON or not; `starting` keeps its word', () => {
    for (const body of ['Service Unavailable', '{"status":"starting","reason":"warming_up"}']) {
      const v = healthEvents({ status: 503, body }, bot, T0);
      expect(v.ok && v.status).toBe('unhealthy');
    }
    const starting = healthEvents({ status: 503, body: '{"status":"starting"}' }, bot, T0);
    expect(starting.ok && starting.events[1]?.data.status).toBe('starting');
  });

  it('other words: ok/pass are healthy, fail is unhealthy, an unknown word at 200 is degraded; no body at 200 is healthy', () => {
    const status = (code: number, body: string) => {
      const v = healthEvents({ status: code, body }, bot, T0);
      return v.ok ? v.status : v.reason;
    };
    expect(status(200, '{"status":"pass"}')).toBe('healthy');
    expect(status(200, '{"status":"OK"}')).toBe('healthy');
    expect(status(200, '{"status":"fail"}')).toBe('unhealthy');
    expect(status(200, '{"status":"maintenance"}')).toBe('degraded');
    expect(status(204, '')).toBe('healthy');
    expect(status(200, 'OK')).toBe('healthy');
  });

  it('any other status code is a failed scrape: nothing to push', () => {
    expect(healthEvents({ status: 404, body: '{"error":"not found"}' }, bot, T0)).toEqual({
      ok: false,
      reason: 'HTTP 404',
    });
    expect(healthEvents({ status: 500, body: '' }, bot, T0).ok).toBe(false);
  });

  it('large checks are cut down to each check status; heartbeat: false leaves the heartbeat out', () => {
    const checks = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`check_${i}`, { status: 'healthy', details: 'x'.repeat(200) }]),
    );
    const v = healthEvents(
      { status: 503, body: JSON.stringify({ status: 'unhealthy', checks }) },
      { ...bot, heartbeat: false },
      T0,
    );
    if (!v.ok) throw new Error('expected ok');
    expect(v.events.map((e) => e.type)).toEqual(['bot_unhealthy']);
    const got = v.events[0]?.data.checks as Record<string, unknown>;
    expect(got.check_7).toBe('healthy');
    expect(JSON.stringify(got).length).toBeLessThanOrEqual(MAX_CHECKS_CHARS);
  });
});
