import type { Unit } from './format.js';
import type { Severity } from './severity.js';

/** The stored state of one alert (one fingerprint), as the life cycle keeps it in Redis. */
export interface Alert {
  fingerprint: string;
  name: string;
  kind: 'state' | 'occurrence';
  status: 'pending' | 'firing' | 'resolved';
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links?: { href: string; text: string }[];
  origin: 'rule' | 'direct' | 'alertmanager';
  rule?: string;
  value?: number;
  /** The threshold the value crossed, how it compares (`>=`), and the unit both are in. */
  threshold?: number;
  op?: string;
  unit?: Unit;
  /** First time the condition was seen in this episode (ms). */
  startsAt: number;
  /** When it started firing (ms, the input's time), if it did. */
  firingAt?: number;
  lastSeenAt: number;
  endsAt?: number;
  /** Signals seen in this episode (firing or occurrence). */
  occurrences: number;
  /** Receivers told that it fires; they are told when it resolves. */
  notified: string[];
  /**
   * The latest notification routed to each receiver in this alert's life: the next one waits for
   * it, so a receiver's messages about the alert arrive in order (a resolve never overtakes its firing).
   */
  told?: Record<string, string>;
  /** Start of the current dedup window and notifications sent in it. */
  windowStart?: number;
  windowCount: number;
  lastNotifiedAt?: number;
  /** Severity last told to receivers; a rise above it is told. */
  notifiedSeverity?: Severity;
  acknowledged?: Acknowledged;
  /**
   * A firing-side notification that a hold (silence, inhibition, dedup cap) kept back: told once
   * the hold ends if the alert still fires. `severity`: the most severe level held back.
   */
  owed?: { since: number; severity: Severity; hold: Hold; checkAt: number };
  /** When this episode was first told (ms): escalation steps count from then. */
  toldAt?: number;
  /** Escalation steps already taken in this episode (absent: none). */
  escalated?: number;
  /** Status changes in the flapping window (ms timestamps). */
  transitions: number[];
  flapping: boolean;
  /** Alertmanager's startsAt, to tell a re-fire from a duplicate delivery. */
  amStartsAt?: number;
  /** Bumped on every stored change. */
  version: number;
}

/** What a receiver is told about an alert: a frozen copy of the parts that matter for rendering. */
export interface AlertView {
  fingerprint: string;
  name: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links?: { href: string; text: string }[];
  rule?: string;
  /** The latest value (at resolve: the value it resolved at), its threshold and their unit. */
  value?: number;
  threshold?: number;
  op?: string;
  unit?: Unit;
  startsAt: number;
  firingAt?: number;
  endsAt?: number;
  occurrences: number;
  flapping?: boolean;
  acknowledged?: Acknowledged;
}

export interface Acknowledged {
  by: string;
  at: number;
  comment?: string;
  /** It lapses then (ms). */
  until?: number;
  via?: string;
}

/** What can keep a firing-side notification back. */
export type Hold = 'silence' | 'inhibited' | 'dedup';
