/**
 * What the admin routes need from the alert life cycle and the silences. Implemented elsewhere
 * (src/routing, on Redis); ingest only validates the request and calls it.
 */
import type { Alert } from '../model/alert.js';
import type { HistoryEntry } from '../model/history.js';
import type { Matcher } from '../routing/matchers.js';
import type { Silence } from '../routing/silences.js';

/** A silence's label matcher (`alertname` is the alert's name): the one type routing uses. */
export type SilenceMatcher = Matcher;
export type MatcherOp = Matcher['op'];

/** A silence as the API creates it: times in ms since epoch. */
export type SilenceInput = Omit<Silence, 'id' | 'createdAt' | 'comment'> & { comment: string };

export type { Silence };

export interface Acknowledgement {
  by: string;
  comment?: string;
  /** ms since epoch (the server's clock). */
  at: number;
  /** The acknowledgement lapses then (ms since epoch). */
  until?: number;
  /** Where it came from: `api`, `cli`, `ui` (the web console), `telegram`, `link`. */
  via?: string;
}

/**
 * What became of an acknowledgement: `accepted` (queued in the alert's lane, where the life cycle
 * applies it like any input and tells the receivers), `unknown` (no such alert: 404), `not-firing`
 * (nothing to take: 409).
 */
export interface AckResult {
  outcome: 'accepted' | 'unknown' | 'not-firing';
  alert?: Alert;
}

/** Filters and a page of `GET /v1/alerts`. */
export interface AlertQuery {
  status?: Alert['status'];
  severity?: Alert['severity'];
  source?: string;
  /** Alerts this receiver was told of. */
  receiver?: string;
  limit: number;
  /** Opaque: where the previous page stopped. */
  cursor?: string;
}

/** An alert as the admin API answers it: as stored, and what holds it now. */
export interface ListedAlert extends Alert {
  /** The silences that hold it now (ids); absent when none does, and on a resolved alert. */
  silencedBy?: string[];
}

export interface AlertPage {
  alerts: ListedAlert[];
  /** Cursor of the next page; absent on the last. */
  next?: string;
}

/** An alert and its log: `GET /v1/alerts/:fingerprint/history`. */
export interface AlertHistory {
  /** Absent once the alert is forgotten while its log is still kept. */
  alert?: ListedAlert;
  /** Transitions, notifications, holds and acknowledgements, newest first. */
  history: HistoryEntry[];
}

export interface AlertApi {
  /**
   * A page of the alerts the life cycle knows and has not forgotten, newest `lastSeenAt` first.
   * A page may hold fewer than `limit` alerts when filters skip many: follow `next` until it is
   * absent. The route has checked that `cursor` decodes (src/state/alert-pages.ts).
   */
  listAlerts(query: AlertQuery): Promise<AlertPage>;
  /** One alert; undefined when no alert has this fingerprint (404). */
  getAlert(fingerprint: string): Promise<ListedAlert | undefined>;
  /** The alert and its log; undefined when there is neither (404). */
  alertHistory(fingerprint: string): Promise<AlertHistory | undefined>;
  /** Acknowledges an alert: an input of its lane, applied by the worker. */
  acknowledge(fingerprint: string, ack: Acknowledgement): Promise<AckResult>;
  /** Silences not yet expired (active and scheduled). */
  listSilences(): Promise<Silence[]>;
  createSilence(input: SilenceInput): Promise<Silence>;
  /** Expires a silence; false when there is none with this id (404). */
  deleteSilence(id: string): Promise<boolean>;
}
