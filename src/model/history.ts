import type { Hold } from './alert.js';

/**
 * One line of an alert's history, as the life cycle records it: in the alert's own log (for
 * `klaxon alert FP`), and as an alert record of the digest (src/digest/record.ts).
 *
 * - `transition`: its status changed (`status`; `quiet`: an occurrence alert expired untold);
 * - `notification`: a receiver was told (`kind`, `receiver`);
 * - `held`: a firing-side notification was kept back by a hold (`hold`) and is owed;
 * - `acknowledged`: somebody took it (`by`, `comment`, `via`).
 */
export interface HistoryEntry {
  t: number;
  type: 'transition' | 'notification' | 'held' | 'acknowledged';
  fp: string;
  name: string;
  severity: string;
  source?: string;
  /** The alert's labels and title (annotations.title or summary), as they were then. */
  labels?: Record<string, string>;
  title?: string;
  /** The alert's value then, if it has one. */
  value?: number;
  status?: string;
  quiet?: boolean;
  kind?: string;
  receiver?: string;
  /** A notification's id (its sent marker tells whether it went out). */
  id?: string;
  /** The silences that held it (ids). */
  silences?: string[];
  /**
   * Not stored: what became of a notification, read from its sent markers when the history is
   * read (`sent` to every target, `dead` on the dead-letter list, else `pending`).
   */
  delivery?: 'sent' | 'dead' | 'pending';
  /** A `firing` notification told at a higher severity than before: the severity told before. */
  from?: string;
  hold?: Hold;
  by?: string;
  comment?: string;
  via?: string;
}
