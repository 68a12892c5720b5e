/**
 * Anomaly detector registry: `createDetector(spec)` builds a detector from a (YAML) spec that
 * `detectorSpecSchema` validates.
 */
import { z } from 'zod';
import { createCusum } from './cusum.js';
import { createDefault } from './default.js';
import { createEwma } from './ewma.js';
import { withGates } from './gate.js';
import { createLikelihood } from './likelihood.js';
import { createRange } from './range.js';
import { createRobustZ } from './robust-z.js';
import type { TransformState } from './common.js';
import type { Detector } from './types.js';
import { createZScore } from './zscore.js';

export type { Detector, Direction, CommonDetectorOptions, Expectation } from './types.js';
export { expectInMetricUnit, withGates, type PersistSpec } from './gate.js';
export { deviationToScore, scoreToDeviation } from './common.js';

export const DETECTOR_TYPES = [
  'zscore',
  'robust_z',
  'ewma',
  'cusum',
  'range',
  'likelihood',
  'default',
] as const;
export type DetectorType = (typeof DETECTOR_TYPES)[number];

const COMMON_KEYS = [
  'type',
  'window',
  'threshold',
  'direction',
  'warmup',
  'diff',
  'log',
  'persist',
  'min_delta',
] as const;

/** Options each detector accepts beyond the common ones. */
export const DETECTOR_OPTIONS: Record<DetectorType, readonly string[]> = {
  zscore: [],
  robust_z: [],
  ewma: ['alpha'],
  cusum: ['drift'],
  range: [],
  likelihood: ['shortWindow', 'longWindow'],
  default: ['shortWindow', 'cooldown'],
};

const ALL_KEYS = [...new Set([...COMMON_KEYS, ...Object.values(DETECTOR_OPTIONS).flat()])];

const positiveInt = z.number().int().min(1);

/** `persist: {k, n}`: alert only when k of the last n samples scored at or above the threshold. */
const persistSchema = z
  .strictObject({ k: positiveInt.max(1000), n: positiveInt.max(1000) })
  .refine((p) => p.k <= p.n, { message: 'persist.k must be at most persist.n (k of the last n samples)' });

export const detectorSpecSchema = z
  .strictObject(
    {
      /** Which detector; absent means `default`. */
      type: z.enum(DETECTOR_TYPES).optional(),
      window: positiveInt.max(1_000_000).optional(),
      threshold: z.number().min(0).optional(),
      direction: z.enum(['up', 'down', 'both']).optional(),
      warmup: z.number().int().min(0).optional(),
      diff: z.boolean().optional(),
      log: z.boolean().optional(),
      persist: persistSchema.optional(),
      /** Deviations from the expected value below this (scored unit) score 0. */
      min_delta: z.number().min(0).optional(),
      alpha: z.number().gt(0).max(1).optional(),
      drift: z.number().min(0).optional(),
      shortWindow: positiveInt.max(100_000).optional(),
      longWindow: positiveInt.optional(),
      cooldown: z.number().int().min(0).optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown detector option(s): ${iss.keys.join(', ')} (allowed: ${ALL_KEYS.join(', ')})`
          : undefined,
    },
  )
  .superRefine((spec, ctx) => {
    const type = spec.type ?? 'default';
    const allowed = new Set<string>([...COMMON_KEYS, ...DETECTOR_OPTIONS[type]]);
    for (const key of Object.keys(spec)) {
      if (!allowed.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `option ${key} does not apply to detector ${type} (it takes: ${[...allowed].join(', ')})`,
        });
      }
    }
  });

/** A detector spec as written in the config (every field optional; `type` defaults to `default`). */
export type DetectorSpec = z.output<typeof detectorSpecSchema>;
export type DetectorSpecInput = z.input<typeof detectorSpecSchema>;

/** Validates a spec, throwing a readable error. */
export function parseDetectorSpec(spec: unknown = {}): DetectorSpec {
  const r = detectorSpecSchema.safeParse(spec ?? {});
  if (!r.success) {
    throw new Error(`invalid anomaly detector spec: ${z.prettifyError(r.error)}`);
  }
  return r.data;
}

/**
 * Builds a detector from a spec (validated with `detectorSpecSchema`; `type` defaults to
 * `default`). The state it works on is plain JSON.
 */
export function createDetector(spec: DetectorSpecInput = {}): Detector<unknown> {
  const s = parseDetectorSpec(spec);
  const { type = 'default', persist, min_delta, ...opts } = s;
  const inner = createInner(type, opts);
  return withGates(inner as Detector<{ tf: TransformState }>, {
    ...opts,
    persist,
    min_delta,
  }) as Detector<unknown>;
}

function createInner(
  type: DetectorType,
  opts: Omit<DetectorSpec, 'type' | 'persist' | 'min_delta'>,
): Detector<unknown> {
  switch (type) {
    case 'zscore':
      return createZScore(opts) as Detector<unknown>;
    case 'robust_z':
      return createRobustZ(opts) as Detector<unknown>;
    case 'ewma':
      return createEwma(opts) as Detector<unknown>;
    case 'cusum':
      return createCusum(opts) as Detector<unknown>;
    case 'range':
      return createRange(opts) as Detector<unknown>;
    case 'likelihood':
      return createLikelihood(opts) as Detector<unknown>;
    case 'default':
      return createDefault(opts) as Detector<unknown>;
  }
}

export { createCusum, createDefault, createEwma, createLikelihood, createRange, createRobustZ, createZScore };
