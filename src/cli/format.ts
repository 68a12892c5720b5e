/**
 * What the operator commands print, as pure functions of the data and the time (`now`, ms):
 * tables of alerts and silences, one alert with its history. Text that came from senders passes
 * through `printable` first, so an alert cannot write control sequences to the terminal.
 */
import { alertTitle } from '../channels/content.js';
import type { Silence } from '../ingest/alert-api.js';
import type { Alert } from '../model/alert.js';
import { formatAgo, isoTime } from '../model/time-text.js';
import { formatIn } from '../model/format.js';
import type { HistoryEntry } from '../model/history.js';
import { alertView } from '../routing/notify.js';

/** Control characters (C0, DEL, C1) and line or paragraph separators become one space each. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

/** `2026-11-21T10:00:00.000Z (5m ago)` */
export function when(t: number, now: number): string {
  return `${isoTime(t)} (${formatAgo(t, now)})`;
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => printable(c)));
  const width = (s: string) => Array.from(s).length;
  const widths = header.map((_, i) => Math.max(...cells.map((r) => width(r[i] ?? ''))));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

/** Who acknowledged it, as the list shows it: `alice`, `alice (lapsed)`, or `-`. */
function acknowledgedBy(a: Alert, now: number): string {
  const ack = a.acknowledged;
  if (!ack) return '-';
  return ack.until !== undefined && ack.until <= now ? `${ack.by} (lapsed)` : ack.by;
}

/** `klaxon alerts`: one row per alert. */
export function alertsTable(alerts: readonly Alert[], now: number): string {
  if (alerts.length === 0) return 'no alerts\n';
  return table(
    ['FINGERPRINT', 'STATE', 'SEVERITY', 'NAME', 'SOURCE', 'SINCE', 'ACKNOWLEDGED BY'],
    alerts.map((a) => [
      a.fingerprint,
      a.flapping ? `${a.status} (flapping)` : a.status,
      a.severity,
      a.name,
      a.labels.source ?? '-',
      formatAgo(a.firingAt ?? a.startsAt, now),
      acknowledgedBy(a, now),
    ]),
  );
}

const HOLDS: Record<string, string> = {
  silence: 'a silence',
  inhibited: 'an inhibition',
  dedup: 'the dedup cap',
};

/** One line of an alert's history, without its time. */
export function historyLine(e: HistoryEntry): string {
  switch (e.type as string) {
    case 'transition':
      return `${e.status ?? 'changed'}${e.quiet ? ' (expired; nobody was told)' : ''} [${e.severity}]`;
    case 'notification':
      return `told ${e.receiver ?? 'a receiver'}: ${e.kind ?? 'notification'}`;
    case 'held':
      return `held back by ${HOLDS[e.hold ?? ''] ?? 'a hold'}: owed, told once the hold ends if it still fires`;
    case 'escalated':
      return `escalated${e.receiver ? ` to ${e.receiver}` : ''}: nobody acknowledged it in time`;
    case 'acknowledged':
      return `acknowledged by ${e.by ?? 'someone'}${e.comment ? `: ${e.comment}` : ''}${e.via ? ` (via ${e.via})` : ''}`;
    default: {
      const {
        t: _t,
        type,
        fp: _fp,
        name: _name,
        severity: _severity,
        ...rest
      } = e as HistoryEntry & Record<string, unknown>;
      const extra = Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      return extra ? `${String(type)}: ${extra}` : String(type);
    }
  }
}

/**
 * `klaxon alert FINGERPRINT`: the alert's facts, then its history oldest first (`history` comes
 * newest first, as the API gives it). `alert` is absent once the alert is forgotten.
 */
export function alertDetail(
  fp: string,
  alert: Alert | undefined,
  history: readonly HistoryEntry[],
  now: number,
): string {
  const lines: string[] = [];
  if (alert) {
    const a = alert;
    lines.push(
      `${a.status === 'resolved' ? 'RESOLVED' : a.severity.toUpperCase()} ${alertTitle(alertView(a))}`,
    );
    const facts: [string, string][] = [
      ['fingerprint', a.fingerprint],
      ['name', a.name],
      ['status', a.flapping ? `${a.status} (flapping)` : a.status],
      ['severity', a.severity],
      ['source', a.labels.source ?? '-'],
    ];
    const labels = Object.keys(a.labels)
      .filter((k) => k !== 'source')
      .sort()
      .map((k) => `${k}=${a.labels[k] ?? ''}`);
    if (labels.length > 0) facts.push(['labels', labels.join(', ')]);
    if (a.value !== undefined) {
      const threshold =
        a.threshold !== undefined
          ? ` (threshold ${a.op ? `${a.op} ` : ''}${formatIn(a.unit, a.threshold)})`
          : '';
      facts.push(['value', formatIn(a.unit, a.value) + threshold]);
    }
    facts.push(['started', when(a.startsAt, now)]);
    if (a.firingAt !== undefined) facts.push(['firing since', when(a.firingAt, now)]);
    facts.push(['last seen', when(a.lastSeenAt, now)]);
    if (a.status === 'resolved' && a.endsAt !== undefined) facts.push(['resolved', when(a.endsAt, now)]);
    if (a.occurrences > 1) facts.push(['occurrences', String(a.occurrences)]);
    facts.push(['told', a.notified.length > 0 ? a.notified.join(', ') : '-']);
    if (a.acknowledged) {
      const k = a.acknowledged;
      const until =
        k.until === undefined
          ? ''
          : k.until <= now
            ? `, lapsed ${formatAgo(k.until, now)}`
            : `, until ${when(k.until, now)}`;
      facts.push([
        'acknowledged',
        `by ${k.by} ${when(k.at, now)}${until}${k.comment ? `: ${k.comment}` : ''}`,
      ]);
    }
    if (a.owed)
      facts.push([
        'owed',
        `held back by ${HOLDS[a.owed.hold] ?? a.owed.hold} ${formatAgo(a.owed.since, now)} (${a.owed.severity})`,
      ]);
    const w = Math.max(...facts.map(([k]) => k.length));
    for (const [k, v] of facts) lines.push(`  ${k.padEnd(w)}  ${v}`);
  } else {
    lines.push(`alert ${fp} is no longer kept (resolved and forgotten); its history remains`);
  }
  lines.push('');
  if (history.length === 0) lines.push('history: nothing recorded yet');
  else {
    lines.push('history (oldest first):');
    for (const e of [...history].reverse()) lines.push(`  ${when(e.t, now)}  ${historyLine(e)}`);
  }
  return lines.map((l) => printable(l) + '\n').join('');
}

/** A matcher as amtool writes it: `name="value"`, `name=~"regex"`. */
export function matcherText(m: { name: string; op: string; value: string }): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/** `klaxon silence list`: one row per silence. */
export function silencesTable(silences: readonly Silence[], now: number): string {
  if (silences.length === 0) return 'no silences\n';
  return table(
    ['ID', 'MATCHERS', 'STATE', 'ENDS', 'CREATED BY', 'COMMENT'],
    silences.map((s) => [
      s.id,
      s.matchers.map(matcherText).join(' '),
      s.startsAt > now ? `starts ${formatAgo(s.startsAt, now)}` : 'active',
      when(s.endsAt, now),
      s.createdBy,
      s.comment || '-',
    ]),
  );
}
