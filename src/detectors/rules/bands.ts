import { SEVERITIES, type Severity } from '../../model/severity.js';
import type { Bands, Comparison } from './schema.js';

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/**
 * What a condition rule remembers between samples: since when each band has held, and what it
 * last reported (so it reports changes only).
 */
export interface BandState {
  since: Partial<Record<Severity, number>>;
  /** `firing` or `pending` with its severity, or nothing while the condition does not hold. */
  status?: 'pending' | 'firing';
  severity?: Severity;
}

export interface BandVerdict {
  status: 'pending' | 'firing' | 'resolved';
  severity: Severity;
  /** The threshold of the band that decided. */
  threshold: number;
}

export interface BandOptions {
  op: Comparison;
  bands: Bands<number>;
  forMs: number;
  /** Hysteresis: while firing, the lowest band holds until the value no longer passes this. */
  recovery?: number;
}

/** Bands ordered from the highest severity down, those configured only. */
export function orderedBands(bands: Bands<number>): { severity: Severity; threshold: number }[] {
  const out: { severity: Severity; threshold: number }[] = [];
  for (const s of SEVERITIES) {
    const t = bands[s];
    if (t !== undefined) out.push({ severity: s, threshold: t });
  }
  return out;
}

/**
 * Folds one observation into the band state and says what changed, or `undefined` when the
 * reported status and severity stay as they were.
 *
 * A band holds from the first observation that passes its threshold; once it has held for
 * `forMs`, the alert fires at the highest such band. While it fires, the lowest band keeps holding
 * until the value no longer passes `recovery` (when given).
 */
export function updateBands(
  state: BandState,
  value: number,
  t: number,
  opts: BandOptions,
  ordered = orderedBands(opts.bands),
): BandVerdict | undefined {
  const lowest = ordered[ordered.length - 1];
  let firing: { severity: Severity; threshold: number } | undefined;
  let pending: { severity: Severity; threshold: number } | undefined;
  for (const band of ordered) {
    let holds = compare(value, opts.op, band.threshold);
    if (!holds && band === lowest && state.status === 'firing' && opts.recovery !== undefined) {
      holds = compare(value, opts.op, opts.recovery);
    }
    if (!holds) {
      delete state.since[band.severity];
      continue;
    }
    const since = (state.since[band.severity] ??= t);
    if (t - since >= opts.forMs) firing ??= band;
    else pending ??= band;
  }
  let verdict: BandVerdict | undefined;
  if (firing) verdict = { status: 'firing', ...firing };
  else if (pending) verdict = { status: 'pending', ...pending };

  if (!verdict) {
    if (state.status === undefined) return undefined;
    const severity = state.severity ?? lowest?.severity ?? 'warning';
    state.status = undefined;
    state.severity = undefined;
    return { status: 'resolved', severity, threshold: lowest?.threshold ?? 0 };
  }
  if (verdict.status === state.status && verdict.severity === state.severity) return undefined;
  // A firing alert whose higher band is still pending keeps firing at its current severity.
  if (state.status === 'firing' && verdict.status === 'pending') return undefined;
  state.status = verdict.status as 'pending' | 'firing';
  state.severity = verdict.severity;
  return verdict;
}

export function newBandState(): BandState {
  return { since: {} };
}
