/**
 * Formatting for people, as receivers and the CLI write it: durations, ages and values in their
 * units come from the server's own formatters (src/model/time-text.ts, src/model/format.ts), which
 * import nothing, so the bundle takes them as they are. What is the console's own is below.
 */

import { formatIn, formatNumber, type Unit } from '../../src/model/format';
import { formatAgo, formatDurationShort, isoTime } from '../../src/model/time-text';

/** `45s`, `12m 5s`, `2h 5m`, `3d 4h`: the two largest parts of a duration. */
export const duration = formatDurationShort;

/** `just now`, `40s ago`, `2h 5m ago`; a time ahead: `in 1h 30m`. */
export const age = (t: number, now = Date.now()): string => formatAgo(t, now);

/** The absolute time, for `title`s: `2026-03-12T13:42:00.000Z`. */
export const iso = isoTime;

/** `4.1`, `1234.5`, `0.0123`: a few significant digits. */
export const num = (v: number): string => formatNumber(v);

/** A value in its unit, as receivers show it. */
export const inUnit = (v: number, unit?: Unit): string => formatIn(unit, v);

const OPS: Record<string, string> = { '>=': '≥', '<=': '≤', '!=': '≠', '==': '=' };

type Valued = { value?: number; threshold?: number; op?: string; unit?: Unit };

/** `threshold ≤ -$500.00`, or `` when the alert has no threshold. */
export function thresholdText(a: Valued): string {
  if (a.threshold === undefined) return '';
  return `threshold ${a.op ? `${OPS[a.op] ?? a.op} ` : ''}${inUnit(a.threshold, a.unit)}`;
}

/** `-$520.00 (threshold ≤ -$500.00)`, or `` when the alert has no value. */
export function valueText(a: Valued): string {
  if (a.value === undefined) return '';
  const th = thresholdText(a);
  return th ? `${inUnit(a.value, a.unit)} (${th})` : inUnit(a.value, a.unit);
}

/** The alert's one-line title, as receivers show it. */
export function titleOf(a: { annotations?: Record<string, string> }): string {
  return a.annotations?.title ?? a.annotations?.summary ?? '';
}
