import { labelsKey } from '../../model/fingerprint.js';
import { newBandState, orderedBands, updateBands, type BandState } from './bands.js';
import { emitVerdict, inputFilter } from './common.js';
import type { RatioRule } from './schema.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

interface RatioState {
  b: BandState;
  /** Latest numerator and denominator seen. */
  n?: number;
  d?: number;
}

/**
 * `scale * metric / over`, where `over` is another metric of the same source and labels (its
 * latest value) or a constant: daily loss against its limit.
 */
export function ratioRule(rule: RatioRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const ordered = orderedBands(rule.bands);
  const opts = { op: rule.op, bands: rule.bands, forMs: rule.for ?? 0, recovery: rule.recovery };
  const overMetric = typeof rule.over === 'string' ? rule.over : undefined;
  const metrics = overMetric ? [rule.metric, overMetric] : [rule.metric];
  return {
    name: rule.name,
    alert,
    metrics,
    keyForSample: (s) =>
      accept(s.source, s.labels) ? `${rule.name}|${s.source}|${labelsKey(s.labels)}` : undefined,
    onSample(ctx: RuleContext, key: string, s: Sample) {
      const state = ctx.get<RatioState>(key) ?? { b: newBandState() };
      if (s.metric === rule.metric) state.n = s.value;
      if (s.metric === overMetric) state.d = s.value;
      const den = overMetric ? state.d : (rule.over as number);
      ctx.set(key, state);
      if (state.n === undefined || den === undefined || den === 0) return;
      const value = (rule.scale * state.n) / Math.abs(den);
      const verdict = updateBands(state.b, value, s.ts, opts, ordered);
      if (!verdict) return;
      const labels = { source: s.source, metric: rule.metric, ...s.labels };
      emitVerdict(
        ctx,
        rule,
        alert,
        verdict,
        {
          labels,
          value,
          ts: s.ts,
          vars: {
            value,
            numerator: state.n,
            denominator: den,
            threshold: verdict.threshold,
            metric: rule.metric,
            over: rule.over,
            source: s.source,
          },
        },
        {
          firing: '{{metric}} / {{over}} at {{percent value}} on {{source}}',
          resolved: '{{metric}} / {{over}} back to {{percent value}} on {{source}}',
        },
      );
    },
  };
}
