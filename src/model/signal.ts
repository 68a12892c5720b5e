import type { Unit } from './format.js';
import type { Severity } from './severity.js';

/**
 * What evaluation says about one alert at one moment, before the life cycle decides whether
 * anybody hears of it.
 *
 * - `state` alerts follow a condition: `firing` while it holds, `pending` while it holds but its
 *   `for` has not yet elapsed, `resolved` once it stops holding (threshold rules, Alertmanager).
 * - `occurrence` alerts are things that happened (an event, a detector's anomaly, an alert a bot
 *   raises itself): every signal is one more occurrence; they expire quietly when they stop recurring.
 */
export interface AlertSignal {
  /** Alert name, e.g. `api_latency` or Alertmanager's `alertname`. */
  name: string;
  kind: 'state' | 'occurrence';
  status: 'firing' | 'pending' | 'resolved';
  severity: Severity;
  /** Identifying labels: they and the name make the fingerprint. Always includes `source`. */
  labels: Record<string, string>;
  /** Human text: `title`, `message`, `runbook_url`, ... Not part of the fingerprint. */
  annotations: Record<string, string>;
  /** The observed value that caused the signal, when there is one. */
  value?: number;
  /** The threshold it crossed, its comparison and the unit of both (from the rule). */
  threshold?: number;
  op?: string;
  unit?: Unit;
  /** When it was observed (ms since epoch). */
  ts: number;
  /** The rule that produced it (absent for direct and Alertmanager alerts). */
  rule?: string;
  /** Skip dedup windows and notification caps. */
  force?: boolean;
  /** Where it came from: `rule`, `direct`, `alertmanager`. */
  origin: 'rule' | 'direct' | 'alertmanager';
  /** Alertmanager's own start time, to tell a re-fired alert from a duplicate delivery. */
  startsAt?: number;
  /** The sender's idempotency key (direct alerts): a repeat with the same id is evaluated once. */
  id?: string;
  /** Alertmanager link back to the generator, dashboards, runbooks. */
  links?: { href: string; text: string }[];
}
