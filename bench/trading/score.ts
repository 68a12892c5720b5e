/**
 * How `npm run bench:trading` counts: which incidents were caught, how late, and which
 * notifications were false. Pure functions over the ground truth and the notifications a replay
 * decided, so the counting is tested on hand-made cases (test/bench/trading-scenario.test.ts).
 */
import type { Incident } from './scenario.js';

/** One notification a replay decided (a subset of `ReplayNotification`). */
export interface Told {
  t: number;
  alert: string;
  kind: string;
}

export interface IncidentOutcome {
  incident: Incident;
  /** Expected rule -> delay (ms) from the incident's onset to that rule's first notification. */
  caughtBy: Record<string, number>;
  /** Any expected rule told within the window. */
  caught: boolean;
  /** Delay (ms) of the first expected rule told; undefined when missed. */
  delay?: number;
}

export interface BotScore {
  bot: string;
  healthy: boolean;
  incidents: IncidentOutcome[];
  /** Alerting notifications per alert name: all, and those outside every incident window. */
  alerts: Record<string, { total: number; false: number }>;
}

/** Notifications that tell of trouble; a resolve or an acknowledgement is no alert. */
export function isAlerting(kind: string): boolean {
  return kind !== 'resolved' && kind !== 'acknowledged';
}

/**
 * Scores one bot's replay. An incident's window is [start, end + grace]: an expected rule told
 * inside it catches the incident; any alerting notification outside every window of the bot is
 * false. `told` must be this bot's notifications only (one per message: the bench routes every
 * alert to one receiver).
 */
export function scoreBot(
  bot: { name: string; healthy: boolean; incidents: readonly Incident[] },
  told: readonly Told[],
  graceMs: number,
): BotScore {
  const alerting = told.filter((n) => isAlerting(n.kind)).sort((a, b) => a.t - b.t);
  const inside = (i: Incident, t: number) => t >= i.start && t <= i.end + graceMs;
  const incidents = bot.incidents.map((incident): IncidentOutcome => {
    const caughtBy: Record<string, number> = {};
    for (const rule of incident.rules) {
      const first = alerting.find((n) => n.alert === rule && inside(incident, n.t));
      if (first) caughtBy[rule] = first.t - incident.onset;
    }
    const delays = Object.values(caughtBy);
    return {
      incident,
      caughtBy,
      caught: delays.length > 0,
      ...(delays.length > 0 ? { delay: Math.min(...delays) } : {}),
    };
  });
  const alerts: BotScore['alerts'] = {};
  for (const n of alerting) {
    const a = (alerts[n.alert] ??= { total: 0, false: 0 });
    a.total++;
    if (!bot.incidents.some((i) => inside(i, n.t))) a.false++;
  }
  return { bot: bot.name, healthy: bot.healthy, incidents, alerts };
}

export interface RuleSummary {
  rule: string;
  anomaly: boolean;
  /** Incidents this rule is expected to catch, and caught by it. */
  expected: number;
  caught: number;
  delays: number[];
  total: number;
  false: number;
  falseHealthy: number;
}

/** Sums bot scores (of any number of seeds) per rule. `rules` lists every rule (alert name). */
export function summarise(
  scores: readonly BotScore[],
  rules: readonly { name: string; anomaly: boolean }[],
): RuleSummary[] {
  return rules.map(({ name, anomaly }) => {
    const s: RuleSummary = {
      rule: name,
      anomaly,
      expected: 0,
      caught: 0,
      delays: [],
      total: 0,
      false: 0,
      falseHealthy: 0,
    };
    for (const b of scores) {
      for (const o of b.incidents) {
        if (!o.incident.rules.includes(name)) continue;
        s.expected++;
        const d = o.caughtBy[name];
        if (d !== undefined) {
          s.caught++;
          s.delays.push(d);
        }
      }
      const a = b.alerts[name];
      if (!a) continue;
      s.total += a.total;
      s.false += a.false;
      if (b.healthy) s.falseHealthy += a.false;
    }
    return s;
  });
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}
