import { formatIn } from '../../model/format.js';
import { createDetector, expectInMetricUnit, type Detector, type Expectation } from '../anomaly/index.js';
import type { TransformState } from '../anomaly/common.js';
import { inputFilter, ruleSignal, seriesKey } from './common.js';
import type { AnomalyRule } from './schema.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

/** Annotations an anomaly signal carries so a notification says why (shown as facts). */
export const WHY_ANNOTATIONS = { expected: 'Expected', score: 'Score', history: 'History' } as const;

/** `lo to hi`, or one value when the interval is a point. */
function interval(unit: AnomalyRule['unit'], [lo, hi]: readonly [number, number]): string {
  return lo === hi ? formatIn(unit, lo) : `${formatIn(unit, lo)} to ${formatIn(unit, hi)}`;
}

/**
 * The facts behind an anomaly, in the metric's unit: the range of values the detector would not
 * have alerted on (for the z-scores mean ± threshold·sd, the centre in brackets), else the
 * expected value or range; the score against the alert score; the history length.
 */
export function whyAnnotations(
  unit: AnomalyRule['unit'],
  e: Expectation | undefined,
  score: number,
  alertAt: number,
): Record<string, string> {
  const out: Record<string, string> = {
    [WHY_ANNOTATIONS.score]: `${score.toFixed(4)} (alerts at ${alertAt.toFixed(4)})`,
  };
  if (!e) return out;
  out[WHY_ANNOTATIONS.expected] = e.band
    ? `${interval(unit, e.band)} (centre ${interval(unit, e.expected)})`
    : interval(unit, e.expected);
  out[WHY_ANNOTATIONS.history] = `${e.n} samples`;
  return out;
}

/**
 * A detector on a metric, per series. Every sample is scored against the detector's state from
 * strictly earlier samples; a score past the threshold is one occurrence of the anomaly alert.
 * Each occurrence carries why: the expected range, the score and the history length (annotations
 * `Expected`, `Score`, `History`, shown as facts; a rule's own annotation of the same name wins),
 * unless the rule sets `explain: false`. The expectation is read before `step` on every sample (it
 * must come from the earlier samples only): about 1 % of the samples benchmark's CPU with the
 * trading preset. The template variables `expected_low`, `expected_high` and `history` are there
 * for a rule's own annotations either way.
 */
export function anomalyRule(rule: AnomalyRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const detector = createDetector(rule.detector);
  const warnAt = detector.alertScore(rule.detector.threshold);
  const critAt =
    rule.critical_threshold === undefined ? Infinity : detector.alertScore(rule.critical_threshold);
  const unit = rule.unit;
  const explains =
    rule.explain || /expected_low|expected_high|history/.test(JSON.stringify(rule.annotations ?? {}));
  return {
    name: rule.name,
    alert,
    metrics: [rule.metric],
    keyForSample: (s) => (accept(s.source, s.labels) ? seriesKey(rule.name, s) : undefined),
    onSample(ctx: RuleContext, key: string, s: Sample) {
      const state = ctx.get<unknown>(key) ?? detector.init();
      // What the detector expects, from the earlier samples only (before `step` folds this one in),
      // read only when something says it: `explain`, or a template naming its variables.
      const e =
        explains && Number.isFinite(s.value)
          ? expectInMetricUnit(
              detector as Detector<{ tf: TransformState }>,
              rule.detector,
              state as { tf: TransformState },
              rule.detector.threshold,
            )
          : undefined;
      const score = detector.step(state, s.value, s.ts);
      ctx.set(key, state);
      if (score < warnAt) return;
      const signal = ruleSignal(
        rule,
        alert,
        'occurrence',
        {
          status: 'firing',
          severity: score >= critAt ? 'critical' : rule.severity,
          labels: { source: s.source, metric: s.metric, ...s.labels },
          value: s.value,
          ts: s.ts,
          vars: {
            value: s.value,
            score,
            metric: s.metric,
            source: s.source,
            detector: detector.type,
            expected_low: e?.band?.[0] ?? e?.expected[0],
            expected_high: e?.band?.[1] ?? e?.expected[1],
            history: e?.n,
          },
        },
        'unusual {{metric}} on {{source}}: {{value}} (score {{score}}, {{detector}})',
      );
      if (rule.explain)
        for (const [k, v] of Object.entries(whyAnnotations(unit, e, score, warnAt))) {
          if (signal.annotations[k] === undefined) signal.annotations[k] = v;
        }
      ctx.emit(signal);
    },
  };
}
