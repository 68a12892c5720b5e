/** Formatting for people: durations, ages, values in their units. The only place that does it. */

import type { Unit } from './types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `45s`, `12m`, `2h 5m`, `3d 4h`: the two largest parts of a duration. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 0) ms = 0;
  if (ms < MINUTE) return `${Math.floor(ms / 1000)}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const m = Math.floor((ms % HOUR) / MINUTE);
    return m > 0 ? `${h}h ${m}m` : `${h}h`;
  }
  const d = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  return h > 0 ? `${d}d ${h}h` : `${d}d`;
}

/** `just now`, `40 s ago`, `3 min ago`, `2h 5m ago`; a time ahead: `in 1h 30m`. */
export function age(t: number, now = Date.now()): string {
  const d = now - t;
  if (d < 0) return `in ${duration(-d)}`;
  if (d < 5_000) return 'just now';
  if (d < MINUTE) return `${Math.floor(d / 1000)} s ago`;
  if (d < HOUR) return `${Math.floor(d / MINUTE)} min ago`;
  return `${duration(d)} ago`;
}

/** The absolute time, for `title`s: `2026-03-12T13:42:00.000Z`. */
export function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** `4.1`, `1234.5`, `0.0123`: a few significant digits. */
export function num(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return String(Number(abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3)));
}

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

function percent(v: number): string {
  return `${Number(v.toFixed(Math.abs(v) >= 100 ? 0 : 1))}%`;
}

/** A value in its unit, as src/model/format.ts writes it for receivers. */
export function inUnit(v: number, unit?: Unit): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'money':
      return money.format(v);
    case 'percent':
      return percent(v);
    case 'ratio':
      return percent(v * 100);
    case 'ms':
      return v < 1000 ? `${num(v)} ms` : v < MINUTE ? `${num(v / 1000)} s` : duration(v);
    case 's':
      return v < 60 ? `${num(v)} s` : duration(v * 1000);
    default:
      return num(v);
  }
}

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
