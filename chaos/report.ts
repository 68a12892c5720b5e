/** Plain-text reports of chaos results: a block per scenario and a closing table. */
import type { ScenarioResult } from './scenarios.js';

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line with the counts, for logs and assertion messages. */
export function oneLine(r: ScenarioResult): string {
  const t = r.tally;
  return (
    `${r.id}: accepted ${r.load.accepted}/${r.load.inputs}, owed ${t.owed}, delivered ${t.delivered}, ` +
    `duplicated ${t.duplicated} (same id), lost ${t.lost}, other id ${t.otherIdBug} ` +
    `(+${t.otherIdRetried} after a retried 503), evaluated twice ${t.appliedTwice}, dead letters ${r.deadLetters}` +
    (r.problems.length > 0 ? `; problems: ${r.problems.join('; ')}` : '') +
    (r.dir ? `; logs in ${r.dir}` : '')
  );
}

export function formatResult(r: ScenarioResult, n: number): string {
  const t = r.tally;
  const out: string[] = [];
  out.push(`[${n}] ${r.id}: ${r.title}`);
  for (const line of r.setup) out.push(`    ${line}`);
  const statuses = Object.entries(r.load.statuses)
    .sort((a, b) => b[1] - a[1])
    .map(([s, c]) => `${s}×${c}`)
    .join(' ');
  out.push(
    `    inputs: ${r.load.inputs} sent in ${r.load.requests} requests, ${r.load.accepted} accepted (202), ` +
      `${r.load.gaveUp} given up, ${r.load.rejected} refused (4xx); ${r.load.retriedRequests} requests retried; answers: ${statuses}`,
  );
  out.push(
    `    notifications: owed ${t.owed}, delivered ${t.delivered}, duplicated ${t.duplicated} (same id), ` +
      `lost ${t.lost}, under another id ${t.otherIdBug} (+${t.otherIdRetried} for pushes retried after an ambiguous 503)` +
      `, evaluated twice ${t.appliedTwice}` +
      (t.unowed > 0 ? `, for inputs never accepted ${t.unowed}` : ''),
  );
  for (const d of t.duplicates.slice(0, 10)) {
    const ms = d.nearest?.afterFirstMs ?? 0;
    const when = ms < 0 ? `${-ms} ms before` : `${ms} ms after`;
    const near = d.nearest ? `; ${d.nearest.what} ${when} the first copy was answered` : '';
    out.push(`      duplicate ${d.id} ×${d.copies} at ${d.at.map(s1).join(', ')}${near}`);
  }
  if (t.duplicates.length > 10) out.push(`      … and ${t.duplicates.length - 10} more`);
  const ev = r.events.filter((e) => !e.what.startsWith('round '));
  if (ev.length > 0) out.push(`    chaos: ${ev.map((e) => `${s1(e.atMs)} ${e.what}`).join('; ')}`);
  out.push(
    `    receiver refused ${r.receiver.refused} requests; dead letters ${r.deadLetters}; failed jobs ` +
      `${r.failedJobs.ingest} ingest, ${r.failedJobs.deliver} delivery; unexpected exits ${r.unexpectedExits.length}`,
  );
  out.push(
    `    time: setup ${s1(r.timings.setupMs)}, load and chaos ${s1(r.timings.loadMs)}, ` +
      `drain ${s1(r.timings.drainMs)}, total ${s1(r.timings.totalMs)}`,
  );
  if (r.logLines.length > 0) {
    out.push('    process logs (warnings and errors):');
    for (const l of r.logLines) out.push(`      ${String(l.count).padStart(6)}× ${l.line.slice(0, 150)}`);
  }
  for (const note of r.notes) out.push(`    note: ${note}`);
  out.push(r.problems.length === 0 ? '    OK' : `    PROBLEMS: ${r.problems.join('; ')}`);
  if (r.dir) out.push(`    logs kept in ${r.dir}`);
  return out.join('\n');
}

export function formatTable(results: ScenarioResult[]): string {
  const head = [
    'scenario',
    'accepted',
    'owed',
    'delivered',
    'duplicated',
    'lost',
    'other id',
    'twice',
    'verdict',
  ];
  const rows = results.map((r) => [
    r.id,
    String(r.load.accepted),
    String(r.tally.owed),
    String(r.tally.delivered),
    String(r.tally.duplicated),
    String(r.tally.lost),
    String(r.tally.otherIdBug + r.tally.otherIdRetried),
    String(r.tally.appliedTwice),
    r.problems.length === 0 ? 'ok' : 'PROBLEM',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const fmt = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [fmt(head), ...rows.map(fmt)].join('\n');
}
