import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BotEvent, Snapshot } from '../model/batch.js';
import { normaliseDirectAlerts, normaliseEvents, normaliseSnapshots, parseIsoTime } from '../model/inputs.js';
import type { AlertSignal } from '../model/signal.js';

/** One recorded input, in file order. */
export type Recorded =
  { ts: number; snapshot: Snapshot } | { ts: number; event: BotEvent } | { ts: number; alert: AlertSignal };

export class ReplayInputError extends Error {}

/**
 * Reads recorded data: JSONL of snapshots (`metrics`), events (`type`) and alerts (`name` and
 * `title`), validated exactly as the HTTP API would; or a CSV `timestamp,value` series, which
 * becomes snapshots of one metric (`metric`, default `value`) from one source (the file's name).
 */
export function readRecording(file: string, opts: { source?: string; metric?: string } = {}): Recorded[] {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.csv')
    ? readCsv(text, opts.source ?? path.basename(file, '.csv'), opts.metric ?? 'value')
    : readJsonl(text);
}

function readJsonl(text: string): Recorded[] {
  const out: Recorded[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `line ${i + 1}`;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ReplayInputError(`${where}: not JSON`);
    }
    const ctx = { receivedAt: 0 };
    if ('metrics' in obj) {
      const r = normaliseSnapshots(obj, ctx);
      if (!r.ok)
        throw new ReplayInputError(`${where}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
      for (const s of r.value) out.push({ ts: s.ts, snapshot: s });
    } else if ('type' in obj) {
      const r = normaliseEvents(obj, ctx);
      if (!r.ok)
        throw new ReplayInputError(`${where}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
      for (const e of r.value) out.push({ ts: e.ts, event: e });
    } else if ('name' in obj) {
      const r = normaliseDirectAlerts(obj, ctx);
      if (!r.ok)
        throw new ReplayInputError(`${where}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
      for (const a of r.value) out.push({ ts: a.ts, alert: a });
    } else {
      throw new ReplayInputError(
        `${where}: neither a snapshot (metrics), an event (type) nor an alert (name)`,
      );
    }
  });
  return out;
}

function readCsv(text: string, source: string, metric: string): Recorded[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.trim();
  if (header !== 'timestamp,value')
    throw new ReplayInputError('a CSV series needs the header timestamp,value');
  return lines.map((line, i) => {
    const [t = '', v = ''] = line.split(',');
    const ts = /^\d+(\.\d+)?$/.test(t)
      ? Number(t) * (Number(t) < 1e11 ? 1000 : 1)
      : parseIsoTime(t.replace(' ', 'T'));
    const value = Number(v);
    if (ts === undefined || !Number.isFinite(ts))
      throw new ReplayInputError(`line ${i + 2}: bad timestamp ${JSON.stringify(t)}`);
    if (v.trim() === '' || !Number.isFinite(value))
      throw new ReplayInputError(`line ${i + 2}: bad value ${JSON.stringify(v)}`);
    return { ts, snapshot: { source, ts, metrics: { [metric]: value }, labels: {} } };
  });
}
