import { newBandState, orderedBands, updateBands, type BandState } from './bands.js';
import { emitVerdict, inputFilter, seriesKey } from './common.js';
import type { ChangeRule } from './schema.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

/** The window is kept as this many buckets of highest/lowest value, so state stays small. */
const BUCKETS = 60;

interface ChangeState {
  b: BandState;
  /** Per bucket: [bucket start, highest, lowest], oldest first. */
  buckets: [number, number, number][];
}

/**
 * Relative change over a window: `down` compares the value with the window's highest value
 * (equity 5 % below its high of the last hour), `up` with its lowest, `both` with either.
 * Resolution is one sixtieth of the window.
 */
export function changeRule(rule: ChangeRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const ordered = orderedBands(rule.bands);
  const opts = { op: '>=' as const, bands: rule.bands, forMs: rule.for ?? 0 };
  const width = Math.max(1, Math.floor(rule.window / BUCKETS));
  return {
    name: rule.name,
    alert,
    metrics: [rule.metric],
    keyForSample: (s) => (accept(s.source, s.labels) ? seriesKey(rule.name, s) : undefined),
    onSample(ctx: RuleContext, key: string, s: Sample) {
      const state = ctx.get<ChangeState>(key) ?? { b: newBandState(), buckets: [] };
      const buckets = state.buckets;
      while (buckets.length > 0 && (buckets[0] as [number, number, number])[0] + width <= s.ts - rule.window)
        buckets.shift();
      let high = -Infinity;
      let low = Infinity;
      for (const [, hi, lo] of buckets) {
        if (hi > high) high = hi;
        if (lo < low) low = lo;
      }
      const start = s.ts - (s.ts % width);
      const last = buckets[buckets.length - 1];
      if (last && last[0] === start) {
        if (s.value > last[1]) last[1] = s.value;
        if (s.value < last[2]) last[2] = s.value;
      } else if (!last || last[0] < start) {
        buckets.push([start, s.value, s.value]);
      }
      ctx.set(key, state);
      if (buckets.length === 1 && high === -Infinity) return;
      const drop = high > 0 && s.value < high ? (high - s.value) / high : 0;
      const rise = low > 0 && s.value > low ? (s.value - low) / low : 0;
      const change = rule.direction === 'down' ? drop : rule.direction === 'up' ? rise : Math.max(drop, rise);
      const verdict = updateBands(state.b, change, s.ts, opts, ordered);
      if (!verdict) return;
      const signed = rule.direction === 'up' || (rule.direction === 'both' && rise > drop) ? change : -change;
      emitVerdict(
        ctx,
        rule,
        alert,
        verdict,
        {
          labels: { source: s.source, metric: s.metric, ...s.labels },
          value: signed,
          ts: s.ts,
          vars: {
            value: s.value,
            change: signed,
            reference: signed < 0 ? high : low,
            metric: s.metric,
            source: s.source,
            window: rule.window / 60_000 + 'm',
          },
        },
        {
          firing:
            '{{metric}} changed {{percent change}} within {{window}} (from {{reference}} to {{value}}) on {{source}}',
          resolved: '{{metric}} recovered to {{value}} on {{source}}',
        },
      );
    },
  };
}
