import { newBandState, orderedBands, updateBands, type BandState } from './bands.js';
import { emitVerdict, inputFilter, seriesKey } from './common.js';
import type { ThresholdRule } from './schema.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

interface ThresholdState {
  b: BandState;
}

/** `metric op value`, with severity bands, `for` and a recovery level; one alert per series. */
export function thresholdRule(rule: ThresholdRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const ordered = orderedBands(rule.bands);
  const opts = { op: rule.op, bands: rule.bands, forMs: rule.for ?? 0, recovery: rule.recovery };
  return {
    name: rule.name,
    alert,
    metrics: [rule.metric],
    keyForSample: (s) => (accept(s.source, s.labels) ? seriesKey(rule.name, s) : undefined),
    onSample(ctx: RuleContext, key: string, s: Sample) {
      const state = ctx.get<ThresholdState>(key) ?? { b: newBandState() };
      const verdict = updateBands(state.b, s.value, s.ts, opts, ordered);
      ctx.set(key, state);
      if (!verdict) return;
      const labels = { source: s.source, metric: s.metric, ...s.labels };
      emitVerdict(
        ctx,
        rule,
        alert,
        verdict,
        {
          labels,
          value: s.value,
          ts: s.ts,
          vars: {
            value: s.value,
            threshold: verdict.threshold,
            metric: s.metric,
            source: s.source,
            op: rule.op,
          },
        },
        {
          firing: '{{metric}} is {{value}} ({{op}} {{threshold}}) on {{source}}',
          resolved: '{{metric}} back to {{value}} on {{source}}',
        },
      );
    },
  };
}
