import pino from 'pino';
import type { KlaxonConfig } from '../config/schema.js';
import type { IngestBatch } from '../model/batch.js';
import type { HistoryEntry } from '../model/history.js';
import { configSilences } from '../routing/silences.js';
import { MemoryLane } from '../state/memory-lane.js';
import { Pipeline } from '../worker/pipeline.js';
import type { Recorded } from './read.js';

/** One line of what a replay saw: an alert changing state, with what routing would have sent. */
export interface ReplayEvent {
  t: number;
  alert: string;
  /**
   * `expired`: an occurrence alert (event, anomaly) forgotten quietly after it stopped recurring;
   * `held`: a notification kept back by a silence, an inhibition or the dedup cap (owed).
   */
  status:
    | 'firing'
    | 'resolved'
    | 'expired'
    | 'raised'
    | 'repeat'
    | 'flapping'
    | 'escalated'
    | 'acknowledged'
    | 'held';
  severity: string;
  labels: Record<string, string>;
  title: string;
  /** Receivers that would have been told. */
  receivers: string[];
  /** `held`: what held it. */
  hold?: string;
}

/** One notification the pipeline decided on: what live would have delivered. */
export interface ReplayNotification {
  t: number;
  fingerprint: string;
  alert: string;
  kind: string;
  severity: string;
  receiver: string;
}

export interface ReplayResult {
  events: ReplayEvent[];
  /** Every notification decided, in order. */
  told: ReplayNotification[];
  /** Notifications routing would have sent, per receiver. */
  notifications: Record<string, number>;
  inputs: number;
  from?: number;
  to?: number;
}

/**
 * Runs recorded inputs through the very pipeline the service runs (rules, detectors, `decide()`,
 * routing), on lanes kept in memory, with the inputs' own timestamps as the clock, sending
 * nothing. Timers (absence, reminders, expiry, escalation, what holds kept back) run every
 * `queue.sweep_every` of recorded time, as the live scheduler does; the config's silences hold.
 */
export async function replay(config: KlaxonConfig, records: readonly Recorded[]): Promise<ReplayResult> {
  const store = new MemoryLane(config.queue.shards);
  const silences = configSilences(config.silences);
  const pipeline = new Pipeline({
    config,
    store,
    silences: async () => silences,
    deliver: async () => undefined,
    logger: pino({ level: 'silent' }),
  });
  const result: ReplayResult = { events: [], told: [], notifications: {}, inputs: records.length };
  const every = config.queue.sweep_every;
  let nextSweep: number | undefined;
  for (const [i, rec] of records.entries()) {
    const now = rec.ts;
    result.from ??= now;
    result.to = now;
    nextSweep ??= Math.ceil(now / every) * every;
    for (; nextSweep <= now; nextSweep += every)
      for (let shard = 0; shard < store.shards; shard++)
        await pipeline.processTick(shard, `tick.${shard}.${nextSweep}`, nextSweep);
    const batch: IngestBatch = {
      id: `r${i}`,
      correlationId: `r${i}`,
      receivedAt: now,
      snapshots: [],
      events: [],
      alerts: [],
    };
    let source: string;
    if ('snapshot' in rec) {
      batch.snapshots.push(rec.snapshot);
      source = rec.snapshot.source;
    } else if ('event' in rec) {
      batch.events.push(rec.event);
      source = rec.event.source;
    } else {
      batch.alerts.push(rec.alert);
      source = rec.alert.labels.source ?? '';
    }
    await pipeline.processBatch(store.shardOf(source), batch.id, batch);
  }
  result.events = storyOf(store.history);
  for (const h of store.history) {
    if (h.type !== 'notification' || !h.receiver || !h.kind) continue;
    result.notifications[h.receiver] = (result.notifications[h.receiver] ?? 0) + 1;
    result.told.push({
      t: h.t,
      fingerprint: h.fp,
      alert: h.name,
      kind: h.kind,
      severity: h.severity,
      receiver: h.receiver,
    });
  }
  return result;
}

/**
 * The history as state changes: a transition with the receivers told of it; a notification that
 * is no transition (a reminder, a rise, an escalation) on its own line; what a hold kept back.
 */
function storyOf(history: readonly HistoryEntry[]): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  let current: { t: number; fp: string; event?: ReplayEvent } | undefined;
  for (const h of history) {
    if (!current || current.t !== h.t || current.fp !== h.fp) current = { t: h.t, fp: h.fp };
    const base = {
      t: h.t,
      alert: h.name,
      severity: h.severity,
      labels: h.labels ?? {},
      title: h.title ?? h.name,
      receivers: [] as string[],
    };
    if (h.type === 'transition' && (h.status === 'firing' || h.status === 'resolved')) {
      current.event = { ...base, status: h.quiet ? 'expired' : h.status };
      events.push(current.event);
    } else if (h.type === 'held') {
      events.push({ ...base, status: 'held', hold: h.hold ?? '' });
    } else if (h.type === 'notification' && h.receiver) {
      const kind = h.kind === 'firing' && h.from ? 'raised' : (h.kind as ReplayEvent['status']);
      const ev = current.event;
      if (ev && (ev.status === kind || (ev.status === 'firing' && kind === 'flapping'))) {
        ev.receivers.push(h.receiver);
      } else {
        current.event = { ...base, status: kind, receivers: [h.receiver] };
        events.push(current.event);
      }
    }
  }
  return events;
}

/** The replay as text: one line per state change, then the totals. */
export function formatReplay(r: ReplayResult): string {
  const lines = r.events.map((e) => {
    const labels = Object.entries(e.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const to =
      e.status === 'held'
        ? ` (held: ${e.hold})`
        : e.receivers.length > 0
          ? ` -> ${e.receivers.join(', ')}`
          : ' (nobody told)';
    return `${new Date(e.t).toISOString()}  ${e.status.toUpperCase().padEnd(9)} ${e.severity.padEnd(8)} ${e.alert} {${labels}}  ${e.title}${to}`;
  });
  const fired = r.events.filter((e) => e.status === 'firing').length;
  const resolved = r.events.filter((e) => e.status === 'resolved').length;
  const expired = r.events.filter((e) => e.status === 'expired').length;
  const span =
    r.from !== undefined && r.to !== undefined
      ? ` from ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}`
      : '';
  lines.push(
    '',
    `${r.inputs} inputs${span}: ${fired} fired, ${resolved} resolved, ${expired} expired`,
    `notifications that would have been sent: ${
      Object.entries(r.notifications)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    } (nothing was sent)`,
  );
  return lines.join('\n') + '\n';
}
