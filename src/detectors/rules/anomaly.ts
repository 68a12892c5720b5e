import { createDetector } from '../anomaly/index.js';
import { inputFilter, ruleSignal, seriesKey } from './common.js';
import type { AnomalyRule } from './schema.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

/**
 * A detector on a metric, per series. Every sample is scored against the detector's state from
 * strictly earlier samples; a score past the threshold is one occurrence of the anomaly alert.
 */
export function anomalyRule(rule: AnomalyRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const detector = createDetector(rule.detector);
  const warnAt = detector.alertScore(rule.detector.threshold);
  const critAt =
    rule.critical_threshold === undefined ? Infinity : detector.alertScore(rule.critical_threshold);
  return {
    name: rule.name,
    alert,
    metrics: [rule.metric],
    keyForSample: (s) => (accept(s.source, s.labels) ? seriesKey(rule.name, s) : undefined),
    onSample(ctx: RuleContext, key: string, s: Sample) {
      const state = ctx.get<unknown>(key) ?? detector.init();
      const score = detector.step(state, s.value, s.ts);
      ctx.set(key, state);
      if (score < warnAt) return;
      ctx.emit(
        ruleSignal(
          rule,
          alert,
          'occurrence',
          {
            status: 'firing',
            severity: score >= critAt ? 'critical' : rule.severity,
            labels: { source: s.source, metric: s.metric, ...s.labels },
            value: s.value,
            ts: s.ts,
            vars: { value: s.value, score, metric: s.metric, source: s.source, detector: detector.type },
          },
          'unusual {{metric}} on {{source}}: {{value}} (score {{score}}, {{detector}})',
        ),
      );
    },
  };
}
