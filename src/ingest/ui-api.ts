/**
 * What the web console's routes need beyond the alert API: login sessions, the bots' freshness
 * and series, dead letters. Implemented on Redis elsewhere (src/state, src/worker); ingest only
 * validates the requests and calls these.
 */
import type { DeadLetter } from '../model/notification.js';

/** A web console login: who logged in, and the token its page sends with every change (CSRF). */
export interface Session {
  name: string;
  csrf: string;
}

export interface SessionStore {
  /** Starts a session for the principal `name`; returns its id (the cookie's value) and itself. */
  create(name: string): Promise<{ id: string; session: Session }>;
  /** The session of a cookie's value; undefined when unknown or expired. */
  get(id: string): Promise<Session | undefined>;
  delete(id: string): Promise<void>;
}

/** A bot as the web console lists it: when it was last heard of, and what it pushes. */
export interface SourceSummary {
  source: string;
  /** Its last input of any kind (ms). */
  lastInputAt: number;
  lastHeartbeatAt?: number;
  lastSnapshotAt?: number;
  /** Its alerts firing now. */
  firing: number;
  /** Recorded series it pushed today or yesterday (equity, daily_pnl, ...), with a chart. */
  series: string[];
}

export interface SourcesApi {
  list(): Promise<SourceSummary[]>;
  /**
   * One point a minute of a recorded series (or `heartbeats`: heartbeats a minute) over the
   * `hours` before now: `[t, value]`, oldest first, minutes without a value left out.
   */
  series(source: string, metric: string, hours: number): Promise<[number, number][]>;
}

export interface DeadLetterApi {
  /** The newest dead letters first, and how many there are. */
  list(limit: number): Promise<{ count: number; deadLetters: DeadLetter[] }>;
  /**
   * Queues a dead letter's notification again, as a new delivery job, and takes it off the
   * list: `retried`, `unknown` (no dead letter of that notification: 404), `no-receiver` (its
   * receiver is no longer configured: 409) or `partial` (only one recipient refused it, and a
   * retry would send it again to all: 409).
   */
  retry(notificationId: string): Promise<'retried' | 'unknown' | 'no-receiver' | 'partial'>;
}
