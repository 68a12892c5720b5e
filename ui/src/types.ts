/**
 * The shapes the web console reads from Klaxon's API: the server's own types where it has them
 * (type imports, erased from the bundle; only the severities' list is a value), and the few
 * answers that have none.
 */
import type { ListedAlert as Alert } from '../../src/ingest/alert-api';
import type { DeadLetter } from '../../src/model/notification';

export { SEVERITIES, type Severity } from '../../src/model/severity';
export type { Unit } from '../../src/model/format';
export type { HistoryEntry } from '../../src/model/history';
export type { DeadLetter } from '../../src/model/notification';
export type {
  ListedAlert as Alert,
  AlertHistory,
  AlertPage,
  MatcherOp,
  Silence,
  SilenceMatcher as Matcher,
} from '../../src/ingest/alert-api';
export type { Session, SourceSummary as SourceInfo } from '../../src/ingest/ui-api';

export type AlertStatus = Alert['status'];
export type Acknowledged = NonNullable<Alert['acknowledged']>;

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

export interface DeadLetters {
  count: number;
  deadLetters: DeadLetter[];
}
