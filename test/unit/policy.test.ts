import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../../src/detectors/rules/schema.js';
import { policyFor, type PolicyDefaults } from '../../src/routing/policy.js';
import { HOUR, MIN } from './helpers.js';

const D: PolicyDefaults = {
  dedup: { windowMs: 5 * MIN, max: 3 },
  repeatMs: 4 * HOUR,
  resolveAfterMs: HOUR,
  flap: { windowMs: 10 * MIN, max: 6 },
};

const rule = (r: Record<string, unknown>) =>
  ruleSchema.parse({ name: 'r', kind: 'threshold', metric: 'm', bands: { warning: 1 }, ...r });

describe('policyFor', () => {
  it('no rule (direct and Alertmanager alerts): the defaults', () => {
    expect(policyFor(undefined, D)).toEqual({
      dedup: D.dedup,
      repeatMs: 4 * HOUR,
      resolveAfterMs: HOUR,
      flap: D.flap,
    });
  });

  it('a rule dedup window and cap, repeat and receivers', () => {
    expect(
      policyFor(rule({ dedup: { window: '60m', max: 2 }, repeat: '30m', receivers: ['tg'] }), D),
    ).toEqual({
      dedup: { windowMs: HOUR, max: 2 },
      repeatMs: 30 * MIN,
      resolveAfterMs: HOUR,
      flap: D.flap,
      receivers: ['tg'],
    });
  });

  it('dedup: none and repeat: never', () => {
    const p = policyFor(rule({ dedup: 'none', repeat: 'never' }), D);
    expect(p.dedup).toBeUndefined();
    expect(p.repeatMs).toBeUndefined();
  });

  it('occurrence alerts live at least as long as their dedup window; event rules may set resolve_after', () => {
    expect(policyFor(rule({ dedup: { window: '2h', max: 1 } }), D).resolveAfterMs).toBe(2 * HOUR);
    const ev = ruleSchema.parse({ name: 'e', kind: 'event', event: 'x', resolve_after: '10m' });
    expect(policyFor(ev, D).resolveAfterMs).toBe(10 * MIN);
  });
});
