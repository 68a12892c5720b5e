import { formatDuration } from './time-text.js';

/**
 * How a rule's values read to a person, in the bot's own units: `money` (account currency),
 * `percent` (the value is already in %: drawdown 12.5), `ratio` (0..1 shown as %: win rate 0.42),
 * `ms` and `s` (durations), `count`, or plain `number`.
 */
export const UNITS = ['number', 'money', 'percent', 'ratio', 'ms', 's', 'count'] as const;
export type Unit = (typeof UNITS)[number];

/** `4.1`, `1234.5`, `0.0123`: a few significant digits, no trailing zeros. */
export function formatNumber(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return String(Number(abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3)));
}

/** `-$520.00`, `$1,234.56`; another ISO 4217 code: `-€520.00`. */
export function formatMoney(v: number, currency = 'USD'): string {
  if (!Number.isFinite(v)) return String(v);
  try {
    return moneyFormat(currency).format(v);
  } catch {
    // An unknown currency code: the number with the code after it.
    return `${v.toFixed(2)} ${currency}`;
  }
}

/** One formatter per currency: building an Intl.NumberFormat costs far more than using one. */
const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string): Intl.NumberFormat {
  let f = moneyFormats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    moneyFormats.set(currency, f);
  }
  return f;
}

/** A ratio as a percentage: 1.04 -> `104%`, 0.4234 -> `42.3%`. */
export function formatRatio(v: number): string {
  return formatPercent(v * 100);
}

/** A value already in percent: 12.5 -> `12.5%`. */
export function formatPercent(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return `${Number(v.toFixed(Math.abs(v) >= 100 ? 0 : 1))}%`;
}

/** A value in its unit, for people: money, percentages, durations, counts. */
export function formatIn(unit: Unit | undefined, v: number): string {
  switch (unit) {
    case 'money':
      return formatMoney(v);
    case 'percent':
      return formatPercent(v);
    case 'ratio':
      return formatRatio(v);
    case 'ms':
      if (v < 1000) return `${formatNumber(v)} ms`;
      return v < 60_000 ? `${formatNumber(v / 1000)} s` : formatDuration(v);
    case 's':
      return v < 60 ? `${formatNumber(v)} s` : formatDuration(v * 1000);
    case 'count':
      return Number.isInteger(v) ? String(v) : formatNumber(v);
    default:
      return formatNumber(v);
  }
}
