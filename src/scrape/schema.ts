/**
 * The `scrape:` section: targets Klaxon fetches on a schedule (a bot's Prometheus `/metrics`, or
 * its JSON `/health`), and how their metrics map onto Klaxon's standard names. See
 * docs/scrape.md.
 */
import { z } from 'zod';
import { positiveDurationSchema } from '../model/duration.js';
import { LIMITS, formatPath, sourceSchema } from '../model/inputs.js';
import { labelName, metricMapSchema, reraise, type MetricMap } from './map-schema.js';
import { mapPresets, MAP_PRESETS_FILE } from './maps.js';

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name');

/** `map:` as a list of its parts: names of shipped maps, and maps written in place. */
const mapFieldSchema = z.unknown().transform((v, ctx): (string | MetricMap)[] => {
  const list = Array.isArray(v);
  const parts: unknown[] = list ? v : [v];
  if (list && parts.length === 0)
    ctx.addIssue({ code: 'custom', message: 'an empty list: name a map or leave map out' });
  const out: (string | MetricMap)[] = [];
  parts.forEach((part, i) => {
    const at = list ? [i] : [];
    if (typeof part === 'string') out.push(part);
    else if (part !== null && typeof part === 'object' && !Array.isArray(part)) {
      const r = metricMapSchema.safeParse(part);
      if (r.success) out.push(r.data);
      else reraise(ctx, at, r.error.issues);
    } else
      ctx.addIssue({
        code: 'custom',
        path: at,
        message: 'a map name (coinbase_trader), a map ({bot_metric: standard_name}), or a list of them',
      });
  });
  return out;
});

const targetSchema = z.strictObject({
  /** The target's name: its scheduler, its metrics label, its logs. Letters, digits, _ . - */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (at most 64)'),
  url: z
    .string()
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'an http:// or https:// URL'),
  format: z.enum(['prometheus', 'health'], { error: 'format is prometheus or health' }).default('prometheus'),
  interval: positiveDurationSchema.default(15_000),
  timeout: positiveDurationSchema.default(5_000),
  /** Sent with every request (an auth header); use `${ENV}` placeholders for secrets. Never logged. */
  headers: z.record(headerName, z.string()).default({}),
  /** The source the inputs get; default: the target's name. */
  source: sourceSchema.optional(),
  /** Or: the source is this label of each sample (one exporter for several bots). */
  source_label: labelName.optional(),
  /** Labels added to every snapshot (they win over the bot's own). */
  labels: z.record(labelName, z.string().max(LIMITS.labelValue)).default({}),
  /** A shipped map by name (config/presets/scrape-maps.yaml), a map of your own, or a list of both (later wins). */
  map: mapFieldSchema.optional(),
  /** Globs of the metric names to push; default: the mapped ones. Unmapped ones keep their name. */
  include: z.array(z.string().min(1)).optional(),
  /** A scrape that answered counts as the source's heartbeat (set false for an exporter that outlives its bot). */
  heartbeat: z.boolean().default(true),
});

type TargetOutput = z.output<typeof targetSchema>;

/** A target as the scraper uses it: maps resolved, source decided. */
export interface ScrapeTarget extends Omit<TargetOutput, 'map' | 'source'> {
  /** Undefined when the source comes from `source_label`. */
  source?: string;
  map: MetricMap;
}

export const scrapeSchema = z
  .array(targetSchema)
  .superRefine((targets, ctx) => {
    const seen = new Map<string, number>();
    targets.forEach((t, i) => {
      const before = seen.get(t.name);
      if (before !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `target name ${t.name} is used twice (also ${formatPath(['scrape', before, 'name'])})`,
        });
      seen.set(t.name, i);
      if (t.source !== undefined && t.source_label !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'source_label'],
          message: 'give `source` or `source_label`, not both',
        });
      if (t.timeout > t.interval)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'timeout'],
          message: `must not be longer than the interval (${t.interval} ms): scrapes of a target never overlap`,
        });
      if (t.format === 'health')
        for (const key of ['map', 'include', 'source_label'] as const)
          if (t[key] !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: [i, key],
              message: `${key} is for prometheus targets; a health target reads only {status, reason, checks}`,
            });
      for (const [k, v] of Object.entries(t.headers))
        if (/[\r\n]/.test(v))
          ctx.addIssue({ code: 'custom', path: [i, 'headers', k], message: 'must not hold a line break' });
      const parts = t.map ?? [];
      parts.forEach((name, j) => {
        if (typeof name !== 'string') return;
        const path = parts.length > 1 ? [i, 'map', j] : [i, 'map'];
        const presets = mapPresets();
        if ('error' in presets)
          ctx.addIssue({
            code: 'custom',
            path,
            message: `cannot read ${MAP_PRESETS_FILE}: ${presets.error}`,
          });
        else if (!Object.hasOwn(presets.maps, name))
          ctx.addIssue({
            code: 'custom',
            path,
            message: `no map ${JSON.stringify(name)}; shipped maps: ${Object.keys(presets.maps).join(', ')} (${MAP_PRESETS_FILE})`,
          });
      });
    });
  })
  .transform((targets): ScrapeTarget[] => targets.map(resolveTarget));

function resolveTarget(t: TargetOutput): ScrapeTarget {
  const { map, source, ...rest } = t;
  const parts = map ?? [];
  const presets = mapPresets();
  const resolved: MetricMap = {};
  for (const part of parts) {
    const m =
      typeof part === 'string'
        ? 'maps' in presets && Object.hasOwn(presets.maps, part)
          ? presets.maps[part]
          : undefined
        : part;
    Object.assign(resolved, m ?? {});
  }
  const out: ScrapeTarget = { ...rest, map: resolved };
  if (t.source_label === undefined) out.source = source ?? t.name;
  return out;
}

/** The sources a target names for sure (not those `source_label` finds). */
export function fixedSources(targets: readonly ScrapeTarget[]): string[] {
  return [...new Set(targets.flatMap((t) => (t.source === undefined ? [] : [t.source])))];
}
