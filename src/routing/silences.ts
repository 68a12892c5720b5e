import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { compileMatchers, matcherSchema, type Matcher } from './matchers.js';

/**
 * A silence mutes notifications of the alerts its matchers select until `endsAt` (times in ms
 * since the epoch). Made by the API (`createdAt` set, a comment always) or read from the config.
 */
export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
  createdAt?: number;
}

/** Silences written in the config file (they hold from start-up until `ends_at`). */
export const configSilenceSchema = z.strictObject({
  matchers: z.array(matcherSchema).min(1),
  ends_at: z.iso.datetime({ offset: true }),
  comment: z.string().optional(),
});

/** The config file's silences as silences: they hold from start-up until `ends_at`. */
export function configSilences(list: readonly z.output<typeof configSilenceSchema>[]): Silence[] {
  return list.map((s, i) => {
    const silence: Silence = {
      id: `config-${i}`,
      matchers: s.matchers,
      startsAt: 0,
      endsAt: Date.parse(s.ends_at),
      createdBy: 'config',
    };
    if (s.comment !== undefined) silence.comment = s.comment;
    return silence;
  });
}

/**
 * The silences that hold at `now`, each compiled once: a function giving those of them that
 * apply to an alert (one decision asks it for every alert it touches).
 */
export function silencesAt(
  silences: readonly Silence[],
  now: number,
): (alert: Pick<Alert, 'name' | 'severity' | 'labels'>) => Silence[] {
  const active = silences
    .filter((s) => s.startsAt <= now && now < s.endsAt)
    .map((s) => ({ s, matches: compileMatchers(s.matchers) }));
  return (alert) => {
    if (active.length === 0) return [];
    const labels = { ...alert.labels, alertname: alert.name, severity: alert.severity };
    return active.filter((a) => a.matches(labels)).map((a) => a.s);
  };
}

/** The silences that apply to `alert` at `now`. */
export function silencesFor(
  alert: Pick<Alert, 'name' | 'severity' | 'labels'>,
  silences: readonly Silence[],
  now: number,
): Silence[] {
  return silencesAt(silences, now)(alert);
}
