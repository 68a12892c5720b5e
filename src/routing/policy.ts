import type { RuleConfig } from '../detectors/rules/schema.js';
import type { Hold } from '../model/alert.js';
import type { EscalationStep } from './routes.js';

/** How the life cycle treats one alert: dedup window and cap, reminders, expiry, flapping. */
export interface AlertPolicy {
  /** `undefined`: no dedup (every occurrence is told). */
  dedup?: { windowMs: number; max: number };
  /** Remind while firing this often; undefined: never. */
  repeatMs?: number;
  /** Occurrence alerts are forgotten this long after their last occurrence. */
  resolveAfterMs: number;
  flap: { windowMs: number; max: number };
  /** Named receivers instead of the route tree. */
  receivers?: string[];
  /**
   * What keeps firing-side notifications back now (a silence, an inhibiting alert): they are owed
   * and told once the hold ends. Resolves are never held.
   */
  hold?: Exclude<Hold, 'dedup'>;
  /** When that hold is known to end (a silence's end), if it is. */
  holdUntil?: number;
  /** The silences that hold it (ids), for its history. */
  silencedBy?: string[];
  /** Escalation steps for the alert (only for alerts severe enough), from its route. */
  escalate?: EscalationStep[];
  /** How often an owed alert whose hold has no known end is looked at again (ms). */
  recheckMs?: number;
}

export interface PolicyDefaults {
  dedup: { windowMs: number; max: number };
  repeatMs?: number;
  resolveAfterMs: number;
  flap: { windowMs: number; max: number };
}

export function policyFor(rule: RuleConfig | undefined, d: PolicyDefaults): AlertPolicy {
  if (!rule) return { dedup: d.dedup, repeatMs: d.repeatMs, resolveAfterMs: d.resolveAfterMs, flap: d.flap };
  const dedup =
    rule.dedup === 'none'
      ? undefined
      : rule.dedup
        ? { windowMs: rule.dedup.window, max: rule.dedup.max }
        : d.dedup;
  const repeatMs = rule.repeat === 'never' ? undefined : (rule.repeat ?? d.repeatMs);
  const resolveAfterMs =
    (rule.kind === 'event' || rule.kind === 'anomaly' ? rule.resolve_after : undefined) ??
    Math.max(d.resolveAfterMs, dedup?.windowMs ?? 0);
  return { dedup, repeatMs, resolveAfterMs, flap: d.flap, receivers: rule.receivers };
}
