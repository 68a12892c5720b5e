import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** One or more `<integer><unit>` parts, largest first by convention: `250ms`, `30s`, `1h30m`. */
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d|w)/g;

export const DURATION_FORMAT_HELP =
  "a duration is a number of milliseconds or a string like '250ms', '30s', '5m', '1h', '1d', '1w' (parts may be combined: '1h30m')";

/**
 * Parses a duration into milliseconds. Accepts a non-negative number of milliseconds, or a string
 * of `<integer><unit>` parts with units `ms`, `s`, `m`, `h`, `d` (`'30s'`, `'1h30m'`). Throws a
 * `RangeError` that explains the format otherwise.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw new RangeError(`invalid duration: ${DURATION_FORMAT_HELP}`);
    }
    return input;
  }
  const s = input.trim().toLowerCase();
  if (!DURATION_RE.test(s)) {
    throw new RangeError(`invalid duration ${JSON.stringify(input)}: ${DURATION_FORMAT_HELP}`);
  }
  let ms = 0;
  for (const m of s.matchAll(PART_RE)) {
    ms += Number(m[1]) * UNIT_MS[m[2] as Unit];
  }
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(`duration ${JSON.stringify(input)} is too large`);
  }
  return ms;
}

/** Zod schema for a duration: a string like `'5m'` or a number of ms; the output is milliseconds. */
export const durationSchema = z
  .union([z.string(), z.number()], { error: () => DURATION_FORMAT_HELP })
  .transform((value, ctx): number => {
    try {
      return parseDuration(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `invalid duration: ${DURATION_FORMAT_HELP}`, input: value });
      return z.NEVER;
    }
  });

/** A duration that must be greater than zero. */
export const positiveDurationSchema = durationSchema.refine((ms) => ms > 0, {
  message: `must be longer than zero: ${DURATION_FORMAT_HELP}`,
});

/** Milliseconds in a duration string, or undefined when it is not one. */
export function tryParseDuration(input: string): number | undefined {
  try {
    return parseDuration(input);
  } catch {
    return undefined;
  }
}
