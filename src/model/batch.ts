import type { Severity } from './severity.js';
import type { AlertSignal } from './signal.js';

/** A bot's metric snapshot, normalised: `ts` in ms since epoch, labels always present. */
export interface Snapshot {
  source: string;
  ts: number;
  metrics: Record<string, number>;
  labels: Record<string, string>;
}

/** A bot's event, normalised. `heartbeat` is an event like any other. */
export interface BotEvent {
  source: string;
  ts: number;
  type: string;
  severity?: Severity;
  symbol?: string;
  data: Record<string, unknown>;
  /** The sender's idempotency key: a repeat with the same id (and source) is evaluated once. */
  id?: string;
}

/** Somebody took an alert: an input of the alert's lane like any other. */
export interface AckInput {
  fingerprint: string;
  by: string;
  comment?: string;
  /** When it was acknowledged (ms, the accepting server's clock). */
  at: number;
  /** The acknowledgement lapses then (ms); the alert is reminded and escalated again if it still fires. */
  until?: number;
  /** Where it came from: `api`, `telegram`, `link`, `cli`. */
  via?: string;
}

/**
 * Everything one accepted request carried: what goes into the ingest queue as one job (or one
 * job per shard when a request spans sources of several shards).
 */
export interface IngestBatch {
  /** Unique per request (also the correlation id unless the client sent one). */
  id: string;
  correlationId: string;
  receivedAt: number;
  snapshots: Snapshot[];
  events: BotEvent[];
  alerts: AlertSignal[];
  /** Acknowledgements (always of alerts of this batch's lane). */
  acks?: AckInput[];
}
