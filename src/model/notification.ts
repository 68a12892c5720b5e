import type { AlertView } from './alert.js';

/**
 * One message to one receiver. `firing`, `repeat`, `escalation` and `flapping` speak of an
 * alert that fires, `resolved` of one that stopped, `summary` folds notifications that a rate
 * limit held back into one "N more alerts" message.
 */
export interface Notification {
  /** Deterministic: the same decision always yields the same id (safe to enqueue twice). */
  id: string;
  receiver: string;
  kind: 'firing' | 'repeat' | 'escalation' | 'flapping' | 'resolved' | 'summary';
  alert: AlertView;
  /** For `summary`: the alerts held back (the first few in full) and how many in all. */
  summary?: { total: number; alerts: AlertView[] };
  createdAt: number;
  /** Follows an input from the HTTP request to the delivery, for logs. */
  correlationId?: string;
}
