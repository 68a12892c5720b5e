import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig, type ConfigProblem } from '../../src/config/load.js';

/**
 * The `digest:` section as an operator writes it: what a wrong value is told as (the path and
 * what to write instead), and what a section left mostly empty means.
 */
const ROUTING_KEY = 'c0ffee00deadbeef5ec2e7a1b2c3d4e5';
const DAY = 86_400_000;

/** A config with a webhook, an email and a PagerDuty receiver, and the given `digest` section. */
function raw(digest?: Record<string, unknown>): Record<string, unknown> {
  return {
    redis: { url: 'redis://127.0.0.1:6379', prefix: 'digest-config-test' },
    receivers: {
      hook: { type: 'webhook', url: 'https://hooks.example.test/klaxon' },
      mail: {
        type: 'email',
        to: ['desk@example.test'],
        from: 'klaxon@example.test',
        smtp: { host: 'smtp.example.test', port: 587 },
      },
      pager: { type: 'pagerduty', routing_key: ROUTING_KEY },
    },
    routes: { receivers: ['hook'] },
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The problems validateConfig reports (none: []). */
function problems(digest?: Record<string, unknown>): ConfigProblem[] {
  try {
    validateConfig(raw(digest), 'klaxon.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** The only problem reported; fails when there are none or several. */
function onlyProblem(digest: Record<string, unknown>): ConfigProblem {
  const found = problems(digest);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  return found[0]!;
}

function parsed(digest?: Record<string, unknown>) {
  return validateConfig(raw(digest), 'klaxon.yaml', {}).config.digest;
}

describe('digest config: problems name the path', () => {
  it('a digest receiver that is not configured', () => {
    const p = onlyProblem({ receivers: ['hook', 'ops-chat'] });
    expect(p.path).toMatch(/^digest\.receivers(\.1|\[1\])$/);
    expect(p.message).toContain('"ops-chat"');
    expect(p.message).toContain('not configured under receivers');
    expect(p.message).toContain('configured: hook, mail, pager');
  });

  it('a PagerDuty receiver as a digest receiver', () => {
    const p = onlyProblem({ receivers: ['pager'] });
    expect(p.path).toMatch(/^digest\.receivers(\.0|\[0\])$/);
    expect(p.message).toContain('"pager"');
    expect(p.message).toMatch(/PagerDuty/);
    expect(p.message).toMatch(/email, chat or a webhook/);
  });

  it('every bad receiver is reported, each at its own index', () => {
    const found = problems({ receivers: ['nobody', 'mail', 'pager'] });
    expect(found.map((p) => p.path.replace(/\[(\d+)\]/, '.$1'))).toEqual([
      'digest.receivers.0',
      'digest.receivers.2',
    ]);
  });

  it.each(['every day at six', '0 25 * * *', '61 6 * * *', '0 6 * * monday-ish'])(
    'a schedule that is not a cron pattern: %j',
    (schedule) => {
      const p = onlyProblem({ schedule });
      expect(p.path).toBe('digest.schedule');
      expect(p.message).toContain('cron pattern');
      expect(p.message).toContain('0 6 * * *');
    },
  );

  // Fewer than five fields must not pass: an empty value (an unset `${DIGEST_SCHEDULE}`) or a
  // lone hour would otherwise mean a digest every minute.
  it.each(['', '*', '6', '0 6'])('a schedule with fewer than five fields: %j', (schedule) => {
    const p = onlyProblem({ schedule });
    expect(p.path).toBe('digest.schedule');
    expect(p.message).toContain('cron pattern');
  });

  it('a schedule of six fields (seconds first) is a cron pattern too', () => {
    expect(parsed({ schedule: '*/30 0 6 * * *' }).schedule).toBe('*/30 0 6 * * *');
  });

  it.each(['Mars/Olympus_Mons', 'CET+1', 'Europe/Londn', ''])(
    'a time zone that is not IANA: %j',
    (time_zone) => {
      const p = onlyProblem({ time_zone });
      expect(p.path).toBe('digest.time_zone');
      expect(p.message).toContain('IANA time zone');
    },
  );

  it.each(['usd', 'US$', 'EURO', 'E', ''])('a currency that is not ISO 4217: %j', (currency) => {
    const p = onlyProblem({ currency });
    expect(p.path).toBe('digest.currency');
    expect(p.message).toContain('ISO 4217');
  });

  it('an unknown key in the section', () => {
    const p = onlyProblem({ recievers: ['hook'] });
    expect(p.path).toBe('digest');
    expect(p.message).toContain('recievers');
  });

  it('several problems at once are all reported, each at its path', () => {
    const found = problems({
      receivers: ['pager'],
      schedule: 'daily',
      time_zone: 'Nowhere/Town',
      currency: 'usd',
    });
    // Shape problems stop validation before the cross-checks: the receivers come after a fix.
    expect(found.map((p) => p.path).sort()).toEqual([
      'digest.currency',
      'digest.schedule',
      'digest.time_zone',
    ]);
  });
});

describe('digest config: a good section', () => {
  it('parses with the defaults', () => {
    expect(parsed({ receivers: ['hook', 'mail'] })).toEqual({
      receivers: ['hook', 'mail'],
      schedule: '0 6 * * *',
      time_zone: 'UTC',
      lookback: DAY,
      late_after: 10 * 60_000,
      retention: 35 * DAY,
      max_per_day: { points: 50_000, trades: 20_000, alerts: 20_000 },
      heartbeat_gap: 5 * 60_000,
      noisiest: 5,
      currency: 'USD',
    });
  });

  it('no section: no receivers, the same defaults', () => {
    const d = parsed();
    expect(d.receivers).toEqual([]);
    expect(d).toMatchObject({ schedule: '0 6 * * *', time_zone: 'UTC', lookback: DAY, retention: 35 * DAY });
  });

  it('reads a schedule, a zone, durations and a currency as written', () => {
    expect(
      parsed({
        receivers: ['mail'],
        schedule: '30 7 * * 1-5',
        time_zone: 'America/New_York',
        lookback: '12h',
        retention: '7d',
        currency: 'EUR',
      }),
    ).toMatchObject({
      receivers: ['mail'],
      schedule: '30 7 * * 1-5',
      time_zone: 'America/New_York',
      lookback: 12 * 3_600_000,
      retention: 7 * DAY,
      currency: 'EUR',
    });
  });
});

describe('digest config: one way to write a path', () => {
  // The schema spells a list entry `digest.receivers[0]`; the receiver cross-check should too.
  it('a digest receiver problem spells its index as the schema does', () => {
    const schema = onlyProblem({ receivers: [''] });
    expect(schema.path).toBe('digest.receivers[0]');
    expect(onlyProblem({ receivers: ['pager'] }).path).toBe('digest.receivers[0]');
  });
});
