import { CronExpressionParser } from 'cron-parser';
import { localDate } from './zoned-time.js';

/**
 * When digests are due, from the `digest.schedule` cron pattern in `digest.time_zone` (pure: every
 * time comes from the caller). A slot is one scheduled time; its digest covers the lookback
 * window that ends at the slot.
 */

/** The latest scheduled time at or before `t` (ms), or undefined when the pattern never fired before. */
export function slotAtOrBefore(pattern: string, timeZone: string, t: number): number | undefined {
  const it = CronExpressionParser.parse(pattern, { tz: timeZone, currentDate: new Date(t + 1) });
  return it.hasPrev() ? it.prev().getTime() : undefined;
}

/** Whether `date` is a calendar date written `YYYY-MM-DD` (2026-02-30 is not). */
export function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === date;
}

/** The first scheduled time on a calendar date (`YYYY-MM-DD`) in the time zone, if the pattern has one that day. */
export function slotOnDate(pattern: string, timeZone: string, date: string): number | undefined {
  const noon = Date.parse(`${date}T12:00:00Z`);
  if (Number.isNaN(noon)) return undefined;
  // Every time zone's midnight of that date lies within 14 hours of its UTC noon: start well before.
  const it = CronExpressionParser.parse(pattern, {
    tz: timeZone,
    currentDate: new Date(noon - 26 * 3_600_000),
  });
  for (let i = 0; i < 10_000 && it.hasNext(); i++) {
    const t = it.next().getTime();
    const d = localDate(t, timeZone);
    if (d === date) return t;
    if (d > date) return undefined;
  }
  return undefined;
}

/** The window a slot's digest covers: the lookback before it. */
export function windowEndingAt(end: number, lookbackMs: number): { start: number; end: number } {
  return { start: end - lookbackMs, end };
}
