import { z } from 'zod';
import { durationSchema } from '../../model/duration.js';
import { UNITS } from '../../model/format.js';
import { SEVERITIES } from '../../model/severity.js';
import { detectorSpecSchema } from '../anomaly/index.js';
import { templateProblem } from './template.js';

const unitSchema = z.enum(UNITS, { error: `unit is one of: ${UNITS.join(', ')}` });

const name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'use letters, digits, _ . - (starting with a letter or _)');

export const severitySchema = z.enum(SEVERITIES, {
  error: () => `a severity is one of ${SEVERITIES.join(', ')}`,
});

export const comparisonSchema = z.enum(['>', '>=', '<', '<=', '==', '!='], {
  error: () => "op is one of '>', '>=', '<', '<=', '==', '!='",
});
export type Comparison = z.infer<typeof comparisonSchema>;

/** Severity bands: the threshold at which each severity starts, e.g. `{warning: 500, critical: 1000}`. */
const bandsOf = <T extends z.ZodType>(value: T) =>
  z
    .strictObject({
      critical: value.optional(),
      high: value.optional(),
      warning: value.optional(),
      info: value.optional(),
    })
    .refine((b) => Object.values(b).some((v) => v !== undefined), {
      message: 'give at least one band, e.g. {warning: 500, critical: 1000}',
    });

const matchSchema = z.strictObject({
  /** Source name or glob (`grid-*`). */
  source: z.string().optional(),
  /** Labels the input must carry with these values. */
  labels: z.record(z.string(), z.string()).optional(),
});

/** `none` turns dedup off: every occurrence is told. */
const dedupSchema = z.union([
  z.literal('none'),
  z.strictObject({ window: durationSchema, max: z.int().min(1).max(1000) }),
]);

const common = {
  name,
  /** The alert's name when it differs from the rule's (several rules may raise one alert). */
  alert: name.optional(),
  description: z.string().optional(),
  match: matchSchema.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** Templates (see template.ts): `title`, `description`, `runbook_url`, or any other name. */
  annotations: z
    .record(
      z.string(),
      z.string().superRefine((t, ctx) => {
        const problem = templateProblem(t);
        if (problem) ctx.addIssue({ code: 'custom', message: `not a valid template: ${problem}` });
      }),
    )
    .optional(),
  /** What the rule's values are in, so notifications show them as money, %, ms… */
  unit: unitSchema.optional(),
  /** Receivers for this rule's alerts, in place of the route tree (those not configured are skipped). */
  receivers: z.array(z.string()).optional(),
  dedup: dedupSchema.optional(),
  /** Remind receivers of an alert still firing this often; `never` to stay quiet. */
  repeat: z.union([z.literal('never'), durationSchema]).optional(),
  enabled: z.boolean().optional(),
};

/** Condition rules keep an alert firing while their condition holds. */
const conditionCommon = {
  ...common,
  /** How long the condition must hold before the alert fires. */
  for: durationSchema.optional(),
};

export const thresholdRuleSchema = z.strictObject({
  ...conditionCommon,
  kind: z.literal('threshold'),
  metric: z.string(),
  op: comparisonSchema.default('>'),
  bands: bandsOf(z.number()),
  /** Once firing, the alert resolves only when the value no longer passes this level (hysteresis). */
  recovery: z.number().optional(),
});

export const ratioRuleSchema = z.strictObject({
  ...conditionCommon,
  kind: z.literal('ratio'),
  metric: z.string(),
  /** The denominator: another metric of the same source and labels, or a constant. */
  over: z.union([z.string(), z.number().refine((v) => v !== 0, 'cannot divide by 0')]),
  /** Multiplies the numerator first: -1 turns a PnL into a loss. */
  scale: z.number().default(1),
  op: comparisonSchema.default('>='),
  bands: bandsOf(z.number()),
  recovery: z.number().optional(),
});

const countBand = z.union([z.number(), z.strictObject({ value: z.number(), window: durationSchema })]);

export const countRuleSchema = z
  .strictObject({
    ...conditionCommon,
    kind: z.literal('count'),
    /** Count events of this type... */
    event: z.string().optional(),
    /** ...or the increase of this counter metric. */
    metric: z.string().optional(),
    /** Only count events whose data has these values (e.g. `{guard: slippage_guard}`). */
    data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    window: durationSchema,
    op: comparisonSchema.default('>='),
    /** A band is a count, or `{value, window}` when it has its own window. */
    bands: bandsOf(countBand),
    /** Labels of the event (`symbol`) that split the count into separate alerts. */
    by: z.array(z.string()).optional(),
  })
  .refine((r) => (r.event === undefined) !== (r.metric === undefined), {
    message: 'a count rule counts either an `event` type or the increase of a `metric`, not both',
  });

export const changeRuleSchema = z.strictObject({
  ...conditionCommon,
  kind: z.literal('change'),
  metric: z.string(),
  window: durationSchema,
  /** `down`: fall from the window's highest value; `up`: rise from its lowest. */
  direction: z.enum(['down', 'up', 'both']).default('down'),
  /** Bands as fractions of the reference value: 0.05 is 5 %. */
  bands: bandsOf(z.number().positive()),
});

export const absenceRuleSchema = z.strictObject({
  ...common,
  kind: z.literal('absence'),
  /** Only this event type counts as a sign of life (e.g. `heartbeat`); any input otherwise. */
  event: z.string().optional(),
  /** How long the silence lasts before each severity. */
  bands: bandsOf(durationSchema),
  /** Sources expected to report even before they first do. */
  expect: z.array(z.string()).optional(),
});

export const eventRuleSchema = z.strictObject({
  ...common,
  kind: z.literal('event'),
  /** The event type(s) that raise the alert. */
  event: z.union([z.string(), z.array(z.string()).min(1)]),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Defaults to the event's own severity, else warning. */
  severity: severitySchema.optional(),
  by: z.array(z.string()).optional(),
  /** The alert is forgotten (quietly) this long after its last occurrence. */
  resolve_after: durationSchema.optional(),
});

export const anomalyRuleSchema = z.strictObject({
  ...common,
  kind: z.literal('anomaly'),
  metric: z.string(),
  detector: detectorSpecSchema.default({}),
  severity: severitySchema.default('warning'),
  /** A second threshold (in the detector's unit) above which the anomaly is critical. */
  critical_threshold: z.number().optional(),
  resolve_after: durationSchema.optional(),
  /**
   * Each occurrence carries the expected range, the score and the history length as facts (on by
   * default; `false` leaves them out).
   */
  explain: z.boolean().default(true),
});

export const ruleSchema = z.discriminatedUnion('kind', [
  thresholdRuleSchema,
  ratioRuleSchema,
  countRuleSchema,
  changeRuleSchema,
  absenceRuleSchema,
  eventRuleSchema,
  anomalyRuleSchema,
]);

export type RuleConfig = z.infer<typeof ruleSchema>;
export type ThresholdRule = z.infer<typeof thresholdRuleSchema>;
export type RatioRule = z.infer<typeof ratioRuleSchema>;
export type CountRule = z.infer<typeof countRuleSchema>;
export type ChangeRule = z.infer<typeof changeRuleSchema>;
export type AbsenceRule = z.infer<typeof absenceRuleSchema>;
export type EventRule = z.infer<typeof eventRuleSchema>;
export type AnomalyRule = z.infer<typeof anomalyRuleSchema>;
export type Bands<T> = Partial<Record<'critical' | 'high' | 'warning' | 'info', T>>;
