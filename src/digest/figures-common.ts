import type { Maybe } from './types.js';

/** The span a digest covers: records with `start <= t < end` count. */
export interface Window {
  start: number;
  end: number;
}

/** A series point or a per-minute count: [time, value]. */
export type Point = [t: number, value: number];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Whether a time falls within the window (its end excluded). */
export function inWindow(t: number, w: Window): boolean {
  return t >= w.start && t < w.end;
}

/** The window's length in whole hours, rounded up: the hourly marks and the per-hour counts. */
export function windowHours(w: Window): number {
  return Math.max(0, Math.ceil((w.end - w.start) / HOUR_MS));
}

/** The UTC day a time falls on, as days since the epoch. */
export function utcDayNumber(t: number): number {
  return Math.floor(t / DAY_MS);
}

/** A figure as the report carries it: null instead of NaN or Infinity, and 0 instead of -0. */
export function figure(v: number): Maybe {
  return Number.isFinite(v) ? v + 0 : null;
}

/** The sum of numbers (0 for none). */
export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The largest of numbers (-Infinity for none; no argument spreading, so any count is fine). */
export function largest(values: readonly number[]): number {
  return values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

/** The sum of the figures that exist; null when none does. */
export function sumMaybe(values: readonly Maybe[]): Maybe {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : figure(sum(present));
}

/** The largest of the figures that exist; null when none does. */
export function maxMaybe(values: readonly Maybe[]): Maybe {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : largest(present);
}

/** Orders text by code unit, the same whatever the host's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Items grouped by a key, groups in the order their first item came. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
