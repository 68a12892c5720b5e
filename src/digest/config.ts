import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { positiveDurationSchema } from '../model/duration.js';
import { DEFAULT_RECORD_BOUNDS } from '../state/shard-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
function validCron(pattern: string): boolean {
  const fields = pattern.trim().split(/\s+/).length;
  if (pattern.trim() === '' || fields < 5 || fields > 6) return false;
  try {
    CronExpressionParser.parse(pattern, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

/** The `digest` section: when the daily digest goes out, to whom, and what it keeps for it. */
export const digestConfigSchema = z
  .strictObject({
    /** Receivers that get the digest: email the whole report, chat receivers a short version. None: no scheduled digest. */
    receivers: z.array(z.string().min(1)).default([]),
    /** Cron pattern (minute hour day-of-month month day-of-week), in `time_zone`. */
    schedule: z
      .string()
      .refine(validCron, {
        error:
          'a cron pattern of five fields (minute hour day month weekday), e.g. "0 6 * * *" for 06:00 every day',
      })
      .default('0 6 * * *'),
    /** IANA time zone of the schedule and of the times the digest shows. */
    time_zone: z
      .string()
      .refine(validTimeZone, { error: 'an IANA time zone, e.g. UTC or Europe/London' })
      .default('UTC'),
    /** The window a digest covers, ending at its scheduled time. */
    lookback: positiveDurationSchema.default(DAY),
    /** A digest sent later than this after its scheduled time says it is late. */
    late_after: positiveDurationSchema.default(10 * 60_000),
    /** How long what the digest reads is kept in Redis. */
    retention: positiveDurationSchema.default(DEFAULT_RECORD_BOUNDS.retentionSec * 1000),
    /** Bounds of one source's day; once reached, later entries are counted, not kept. */
    max_per_day: z
      .strictObject({
        points: z.int().min(100).default(DEFAULT_RECORD_BOUNDS.points),
        trades: z.int().min(10).default(DEFAULT_RECORD_BOUNDS.trades),
        alerts: z.int().min(10).default(DEFAULT_RECORD_BOUNDS.alerts),
      })
      .prefault({}),
    /** A silence between heartbeats longer than this counts as a gap. */
    heartbeat_gap: positiveDurationSchema.default(5 * 60_000),
    /** How many rules "noisiest rules" lists. */
    noisiest: z.int().min(1).max(50).default(5),
    /** Currency of the money figures (ISO 4217). */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
      .default('USD'),
  })
  .prefault({});

export type DigestConfig = z.output<typeof digestConfigSchema>;

/** The record bounds the commit script applies, from the section. */
export function recordBounds(c: DigestConfig): {
  retentionSec: number;
  points: number;
  trades: number;
  alerts: number;
} {
  return { retentionSec: Math.ceil(c.retention / 1000), ...c.max_per_day };
}
