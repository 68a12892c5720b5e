/**
 * What the admin routes need from the alert life cycle and the silences. Implemented elsewhere
 * (src/routing, on Redis); ingest only validates the request and calls it.
 */
import type { Alert } from '../model/alert.js';

export type MatcherOp = '=' | '!=' | '=~' | '!~';

export interface SilenceMatcher {
  /** Label name (`alertname` is the alert's name). */
  name: string;
  value: string;
  op: MatcherOp;
}

/** A silence as the API creates it: times in ms since epoch. */
export interface SilenceInput {
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface Silence extends SilenceInput {
  id: string;
  createdAt?: number;
}

export interface Acknowledgement {
  by: string;
  comment?: string;
  /** ms since epoch (the server's clock). */
  at: number;
}

export interface AlertApi {
  /** Alerts the life cycle knows and has not forgotten, optionally only those in one status. */
  listAlerts(filter: { status?: Alert['status'] }): Promise<Alert[]>;
  /** One alert; undefined when no alert has this fingerprint (404). */
  getAlert(fingerprint: string): Promise<Alert | undefined>;
  /** Acknowledges an alert; undefined when no alert has this fingerprint (404). */
  acknowledge(fingerprint: string, ack: Acknowledgement): Promise<Alert | undefined>;
  /** Silences not yet expired (active and scheduled). */
  listSilences(): Promise<Silence[]>;
  createSilence(input: SilenceInput): Promise<Silence>;
  /** Expires a silence; false when there is none with this id (404). */
  deleteSilence(id: string): Promise<boolean>;
}
