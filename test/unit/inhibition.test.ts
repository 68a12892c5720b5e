import { describe, expect, it } from 'vitest';
import {
  compileInhibitRules,
  inhibitedBy,
  inhibitRuleSchema,
  isInhibitor,
} from '../../src/routing/inhibition.js';

const rules = compileInhibitRules([
  inhibitRuleSchema.parse({
    source_matchers: { alertname: 'bot_down' },
    target_matchers: { alertname: '~api_latency|.*_anomaly' },
    equal: ['source'],
  }),
]);
const down = {
  fingerprint: 'd1',
  name: 'bot_down',
  severity: 'critical' as const,
  labels: { source: 'grid-1' },
};

describe('inhibition', () => {
  it("mutes the down bot's latency and anomalies, not another bot's, nor other alerts", () => {
    const target = (name: string, source: string) => ({
      name,
      severity: 'warning' as const,
      labels: { source },
    });
    expect(inhibitedBy(rules, target('api_latency', 'grid-1'), [down])).toEqual(down);
    expect(inhibitedBy(rules, target('pnl_anomaly', 'grid-1'), [down])).toEqual(down);
    expect(inhibitedBy(rules, target('api_latency', 'grid-2'), [down])).toBeUndefined();
    expect(inhibitedBy(rules, target('daily_loss_limit', 'grid-1'), [down])).toBeUndefined();
  });

  it('an alert never mutes itself, and only sources count as inhibitors', () => {
    const both = compileInhibitRules([
      inhibitRuleSchema.parse({
        source_matchers: { severity: 'critical' },
        target_matchers: { severity: '~critical|warning' },
      }),
    ]);
    expect(inhibitedBy(both, { ...down }, [down])).toBeUndefined();
    expect(isInhibitor(rules, down)).toBe(true);
    expect(isInhibitor(rules, { ...down, name: 'api_latency' })).toBe(false);
  });

  it('refuses a regex RE2 cannot run, naming the matcher', () => {
    const r = inhibitRuleSchema.safeParse({
      source_matchers: { alertname: '~(?=x)' },
      target_matchers: { a: 'b' },
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('alertname');
  });
});
