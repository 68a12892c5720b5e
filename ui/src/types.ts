/**
 * The shapes the console reads from Klaxon's API. They mirror src/model/alert.ts and
 * src/model/history.ts (plus what the routes add), written out here so the browser bundle does
 * not depend on server code.
 */

export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AlertStatus = 'pending' | 'firing' | 'resolved';

/** How a value reads: see src/model/format.ts. */
export type Unit = 'number' | 'money' | 'percent' | 'ratio' | 'ms' | 's' | 'count';

export interface Acknowledged {
  by: string;
  at: number;
  comment?: string;
  /** It lapses then (ms). */
  until?: number;
  via?: string;
}

export interface Alert {
  fingerprint: string;
  name: string;
  kind?: 'state' | 'occurrence';
  status: AlertStatus;
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links?: { href: string; text: string }[];
  rule?: string;
  value?: number;
  threshold?: number;
  op?: string;
  unit?: Unit;
  startsAt: number;
  firingAt?: number;
  lastSeenAt: number;
  endsAt?: number;
  occurrences: number;
  /** Receivers told that it fires. */
  notified: string[];
  acknowledged?: Acknowledged;
  flapping?: boolean;
}

export interface AlertPage {
  alerts: Alert[];
  next?: string;
}

export interface HistoryEntry {
  t: number;
  type: 'transition' | 'notification' | 'held' | 'acknowledged';
  fp: string;
  name: string;
  severity: string;
  source?: string;
  labels?: Record<string, string>;
  title?: string;
  status?: string;
  quiet?: boolean;
  kind?: string;
  receiver?: string;
  /** A firing told at a higher severity: the severity told before. */
  from?: string;
  hold?: 'silence' | 'inhibited' | 'dedup';
  by?: string;
  comment?: string;
  via?: string;
  value?: number;
  /** On notifications (added by the route): the notification id, its target, how delivery went. */
  id?: string;
  target?: string;
  delivery?: 'sent' | 'dead' | 'pending';
  /** On holds by silences: the silences' ids. */
  silences?: string[];
}

export interface AlertHistory {
  alert?: Alert;
  history: HistoryEntry[];
}

export type MatcherOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  value: string;
  op: MatcherOp;
}

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
  createdAt?: number;
}

export interface SourceInfo {
  source: string;
  lastInputAt?: number;
  lastHeartbeatAt?: number;
  lastSnapshotAt?: number;
  firing: number;
  series: string[];
}

export interface Series {
  source: string;
  metric: string;
  points: [number, number][];
}

export interface QueueCounts {
  wait: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface ReceiverHealth {
  state?: 'ok' | 'failing' | 'broken';
  queue?: QueueCounts;
  lastSuccess?: string;
  lastFailure?: string;
  lastError?: string;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  redis: { ok: boolean; error?: string };
  queues?: { ingest?: QueueCounts };
  receivers?: Record<string, ReceiverHealth>;
  deadLetters?: { count: number };
  workers?: { count: number };
}

export interface DeadLetter {
  at: number;
  receiver: string;
  target?: string;
  reason: string;
  attempts: number;
  notification: {
    id: string;
    kind: string;
    alerts: { name: string; severity: Severity; labels: Record<string, string>; fingerprint: string }[];
  };
}

export interface DeadLetters {
  count: number;
  deadLetters: DeadLetter[];
}

export interface Session {
  name: string;
  csrf: string;
}
