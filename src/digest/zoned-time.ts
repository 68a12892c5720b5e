/** Instants shown in an IANA time zone: the digest's dates and times (Intl, no library). */

/** The date of a time in a time zone: `2025-10-22`. */
export function localDate(t: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(t);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * A time of day in a time zone with the zone's abbreviation: `14:32 UTC`, `10:32 EDT`,
 * `16:32 CEST` (a GMT offset where the zone has no abbreviation in English: `23:32 GMT+9`).
 */
export function clockTime(t: number, timeZone: string): string {
  const format = (locale: string) =>
    new Intl.DateTimeFormat(locale, {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }).format(t);
  const us = format('en-US');
  return /GMT[+-]/.test(us) ? format('en-GB') : us;
}

/** The date and time parts of an instant in an IANA time zone (24-hour clock). */
export interface ZonedParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock parts of `t` in `timeZone` (throws a RangeError for an unknown zone). */
export function zonedParts(t: number, timeZone: string): ZonedParts {
  let f = zoneFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    zoneFormats.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const { type, value } of f.formatToParts(t)) p[type] = value;
  return {
    year: p.year ?? '',
    month: p.month ?? '',
    day: p.day ?? '',
    hour: p.hour ?? '',
    minute: p.minute ?? '',
    second: p.second ?? '',
  };
}

/** `2026-12-02 14:05` (or `14:05:09` with seconds): an instant in the report's time zone. */
export function formatInZone(t: number, timeZone: string, seconds = false): string {
  const p = zonedParts(t, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}
