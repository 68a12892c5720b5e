/** The metric maps of `scrape:` targets: a bot's metric name -> a standard name, or an entry. */
import { z } from 'zod';
import { eventTypeSchema, metricNameSchema } from '../model/inputs.js';
import { isMetricName } from './exposition.js';

/** How a mapped metric's value is read. */
export const MAP_AS = ['rate', 'increase', 'gauge', 'share'] as const;
export type MapAs = (typeof MAP_AS)[number];

export const labelName = z
  .string()
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    'a Prometheus label name (letters, digits, _; not starting with a digit)',
  );

/** A label's wanted value, or several; each may be a glob (`*`, `?`). */
const labelMatch = z.union([z.string(), z.array(z.string()).min(1)], {
  error: 'a label value (a glob like "fail*" is fine) or a list of them',
});

/** One entry of a map, in its long form. */
export const mapEntrySchema = z
  .strictObject({
    /** The standard metric name the value is pushed as (`equity`, `api_latency_ms`...). */
    name: metricNameSchema.optional(),
    /** Or: an event type; each unit of the counter's increase since the last scrape is one event. */
    event: eventTypeSchema.optional(),
    /**
     * `gauge`: the value as it is; `rate`: per-second increase since the last scrape; `increase`:
     * the increase; `share`: the increase of the series `match` picks over that of all the
     * family's series (failed orders / all orders). Default: `rate` for counters, `gauge` otherwise.
     */
    as: z.enum(MAP_AS, { error: `as is one of ${MAP_AS.join(', ')}` }).optional(),
    /** Multiplies the value (unit changes: 1000 for seconds to ms, -1 for a loss to a PnL). */
    scale: z
      .number()
      .refine((v) => Number.isFinite(v) && v !== 0, 'a finite number other than 0')
      .default(1),
    /** For a histogram or a summary: this quantile (0.95) over the interval; default the mean. */
    quantile: z.number().min(0).max(1).optional(),
    /** Keep these labels and add up the series that differ only in the others (`[]`: one series). */
    by: z.array(labelName).optional(),
    /** Only the series whose labels have these values (for `share`: the numerator's series). */
    match: z.record(labelName, labelMatch).optional(),
  })
  .refine((e) => (e.name === undefined) !== (e.event === undefined), {
    message: 'give either `name` (a metric) or `event` (an event type), not both',
  })
  .refine((e) => e.event === undefined || e.as === undefined || e.as === 'increase', {
    message: 'an `event` entry counts the increase: leave `as` out',
    path: ['as'],
  })
  .refine((e) => e.as !== 'share' || e.match !== undefined, {
    message: '`as: share` needs `match`: which series are the numerator',
    path: ['match'],
  });

export type MapEntry = z.output<typeof mapEntrySchema>;
export type MetricMap = Record<string, MapEntry>;

/** Issues of a nested parse, re-raised under `path` (unknown keys worded as the loader words them). */
export function reraise(
  ctx: z.RefinementCtx,
  path: PropertyKey[],
  issues: readonly z.core.$ZodIssue[],
): void {
  for (const iss of issues)
    ctx.addIssue({
      code: 'custom',
      path: [...path, ...iss.path],
      message:
        iss.code === 'unrecognized_keys'
          ? `unknown key(s) ${iss.keys.join(', ')}: check the spelling (see docs/scrape.md)`
          : iss.message,
    });
}

/**
 * A map: bot metric name -> a standard name (short form) or an entry. Each value is read by the
 * schema its form calls for, so a problem is told in the words of that form (not of a union).
 */
export const metricMapSchema = z
  .record(z.string(), z.unknown(), {
    error: 'a map: {bot_metric: standard_name, or {name, as, scale, quantile, by, match}}',
  })
  .transform((m, ctx): MetricMap => {
    const out: MetricMap = {};
    for (const [key, v] of Object.entries(m)) {
      if (!isMetricName(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${JSON.stringify(key)} is not a Prometheus metric name`,
        });
        continue;
      }
      if (typeof v === 'string') {
        const r = metricNameSchema.safeParse(v);
        if (r.success) out[key] = { name: r.data, scale: 1 };
        else reraise(ctx, [key], r.error.issues);
        continue;
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'a standard metric name or an entry {name | event, as, scale, quantile, by, match}',
        });
        continue;
      }
      const r = mapEntrySchema.safeParse(v);
      if (r.success) out[key] = r.data;
      else reraise(ctx, [key], r.error.issues);
    }
    return out;
  });
