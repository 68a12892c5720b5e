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
  /** First time the condition was seen in this episode (ms). */
  startsAt: number;
  /** When it started firing (ms), if it did. */
  firingAt?: number;
  lastSeenAt: number;
  endsAt?: number;
  /** Signals seen in this episode (firing or occurrence). */
  occurrences: number;
  /** Receivers told that it fires; they are told when it resolves. */
  notified: string[];
  /** Start of the current dedup window and notifications sent in it. */
  windowStart?: number;
  windowCount: number;
  lastNotifiedAt?: number;
  /** Severity last told to receivers; an escalation above it is told. */
  notifiedSeverity?: Severity;
  acknowledged?: { by: string; at: number; comment?: string };
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
  value?: number;
  startsAt: number;
  endsAt?: number;
  occurrences: number;
  flapping?: boolean;
  acknowledged?: boolean;
}
