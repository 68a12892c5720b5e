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
}
