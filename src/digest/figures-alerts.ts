import { median } from 'simple-statistics';
import { isSeverity, SEVERITIES, severityRank, type Severity } from '../model/severity.js';
import type { AlertFigures, AlertRecord } from './types.js';
import { compareText, groupBy, HOUR_MS, largest, windowHours, type Window } from './figures-common.js';

/** An alert record with the source it was recorded for (its `source` label may be missing). */
export interface SourcedAlert {
  record: AlertRecord;
  source: string;
}

type RuleCount = AlertFigures['byRule'][number];
type OpenAlert = AlertFigures['open'][number];

/**
 * Alert figures of records within the window: fired by severity, per hour and per rule, the
 * noisiest rules, time to acknowledge and to resolve, and the alerts still open at the end.
 */
export function alertFigures(alerts: readonly SourcedAlert[], w: Window, noisiest: number): AlertFigures {
  const sorted = [...alerts].sort((a, b) => a.record.t - b.record.t);
  const records = sorted.map((a) => a.record);
  const fired = records.filter((r) => r.type === 'fired');
  const byRule = ruleCounts(records);
  return {
    fired: fired.length,
    bySeverity: severityCounts(fired),
    byRule,
    noisiest: byRule.filter((r) => r.notifications > 0 || r.fired > 0).slice(0, Math.max(0, noisiest)),
    timeToAck: durations(firstAcknowledgements(records).map((r) => r.t - r.since!)),
    timeToResolve: durations(
      records.filter((r) => r.type === 'resolved' && r.since !== undefined).map((r) => r.t - r.since!),
    ),
    open: openAlerts(sorted),
    perHour: Array.from({ length: windowHours(w) }, (_, k) => {
      const start = w.start + k * HOUR_MS;
      return { start, counts: severityCounts(fired.filter((r) => r.t >= start && r.t < start + HOUR_MS)) };
    }),
  };
}

/** Counts by severity, every severity present. */
function severityCounts(records: readonly AlertRecord[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of records) if (isSeverity(r.severity)) counts[r.severity] += 1;
  return counts;
}

/** Per rule name: fired and notifications; most notifications first, then most fired, then by name. */
function ruleCounts(records: readonly AlertRecord[]): RuleCount[] {
  const rows = [...groupBy(records, (r) => r.name)].map(([name, of]) => ({
    name,
    fired: of.filter((r) => r.type === 'fired').length,
    notifications: of.filter((r) => r.type === 'notified').length,
  }));
  return rows.sort(
    (a, b) => b.notifications - a.notifications || b.fired - a.fired || compareText(a.name, b.name),
  );
}

/** The first acknowledgement of each firing (fingerprint and start), in time order. */
function firstAcknowledgements(records: readonly AlertRecord[]): (AlertRecord & { since: number })[] {
  const seen = new Set<string>();
  const first: (AlertRecord & { since: number })[] = [];
  for (const r of records) {
    if (r.type !== 'acknowledged' || r.since === undefined) continue;
    const key = JSON.stringify([r.fp, r.since]);
    if (seen.has(key)) continue;
    seen.add(key);
    first.push({ ...r, since: r.since });
  }
  return first;
}

function durations(ms: readonly number[]): AlertFigures['timeToAck'] {
  if (ms.length === 0) return { count: 0, medianMs: null, maxMs: null };
  return { count: ms.length, medianMs: median([...ms]), maxMs: largest(ms) };
}

/**
 * Alerts whose last fired/resolved/acknowledged record in the window is not `resolved`, the most
 * severe first, then the longest firing.
 */
function openAlerts(sorted: readonly SourcedAlert[]): OpenAlert[] {
  const lifecycle = sorted.filter((a) => a.record.type !== 'notified');
  const open: OpenAlert[] = [];
  for (const [fp, steps] of groupBy(lifecycle, (a) => a.record.fp)) {
    const last = steps.at(-1)!;
    if (last.record.type === 'resolved') continue;
    const lastFired = steps.findLastIndex((a) => a.record.type === 'fired');
    const firedRecord = steps[lastFired]?.record;
    const title = last.record.title ?? firedRecord?.title;
    open.push({
      fp,
      name: last.record.name,
      severity: last.record.severity,
      source: last.record.labels.source ?? last.source,
      since: last.record.since ?? firedRecord?.t ?? last.record.t,
      acknowledged: steps.slice(lastFired + 1).some((a) => a.record.type === 'acknowledged'),
      ...(title === undefined ? {} : { title }),
    });
  }
  return open.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) || a.since - b.since || compareText(a.fp, b.fp),
  );
}
