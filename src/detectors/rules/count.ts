import type { BotEvent } from '../../model/batch.js';
import { labelsKey } from '../../model/fingerprint.js';
import { SEVERITIES, type Severity } from '../../model/severity.js';
import { compare, newBandState, updateBands, type BandState } from './bands.js';
import { emitVerdict, eventLabels, eventMatches, inputFilter } from './common.js';
import type { Bands, CountRule } from './schema.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

interface CountState {
  b: BandState;
  /** Times of the most recent events (or counter increases) still inside the longest window. */
  times: number[];
  /** Counter mode: the last counter value. */
  last?: number;
  labels: Record<string, string>;
}

interface Band {
  severity: Severity;
  value: number;
  window: number;
}

/**
 * Events of a type (or a counter's increase) within a window, compared with severity bands that
 * may each have their own window (`>= 5 in 1m` critical, `>= 10 in 1h` warning). Only as many
 * recent times are kept as the largest band needs, so state stays small however busy the source.
 */
export function countRule(rule: CountRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const accept = inputFilter(rule);
  const bands: Band[] = [];
  for (const s of SEVERITIES) {
    const b = rule.bands[s];
    if (b === undefined) continue;
    bands.push(
      typeof b === 'number' ? { severity: s, value: b, window: rule.window } : { severity: s, ...b },
    );
  }
  const longest = Math.max(...bands.map((b) => b.window));
  const keep = Math.max(...bands.map((b) => Math.ceil(b.value))) + 1;
  const forMs = rule.for ?? 0;

  /** Each band compares its own window's count with its value, so evaluate band by band. */
  function evaluate(ctx: RuleContext, key: string, state: CountState, t: number): void {
    while (state.times.length > 0 && (state.times[0] as number) <= t - longest) state.times.shift();
    let worst: { band: Band; count: number } | undefined;
    let pendingOrFiring = false;
    // A band holds when the count in its window passes its value; report the highest such band.
    let probe = 0;
    for (const band of bands) {
      let count = 0;
      for (let i = state.times.length - 1; i >= 0 && (state.times[i] as number) > t - band.window; i--)
        count++;
      const holds = compare(count, rule.op, band.value);
      if (holds) {
        pendingOrFiring = true;
        worst ??= { band, count };
      }
    }
    // Translate to one value the band machinery understands: the rank of the highest holding band
    // (so it passes exactly that band and those below it).
    if (worst) probe = rankProbe(bands, worst.band);
    const verdict = updateBands(
      state.b,
      pendingOrFiring ? probe : -1,
      t,
      { op: '>=', bands: probeBands(bands), forMs },
      undefined,
    );
    // Look again when the next time leaves a band's window (a short band's count drops first).
    let due: number | undefined;
    for (const band of bands) {
      const first = state.times.find((x) => x > t - band.window);
      if (first !== undefined && (due === undefined || first + band.window < due)) due = first + band.window;
    }
    ctx.timer(key, due ?? null);
    ctx.set(key, state.times.length > 0 || state.b.status || state.last !== undefined ? state : null);
    if (!verdict) return;
    const count = worst?.count ?? 0;
    const band = bands.find((b) => b.severity === verdict.severity) ?? bands[0]!;
    emitVerdict(
      ctx,
      rule,
      alert,
      verdict,
      {
        labels: state.labels,
        value: count,
        ts: t,
        vars: {
          value: count,
          threshold: band.value,
          window: formatWindow(band.window),
          what: rule.event ?? rule.metric,
          source: state.labels.source,
        },
      },
      {
        firing: '{{value}} {{what}} within {{window}} on {{source}}',
        resolved: '{{what}} back to normal on {{source}}',
      },
    );
  }

  const base = {
    name: rule.name,
    alert,
    onTick(ctx: RuleContext, key: string, now: number) {
      const state = ctx.get<CountState>(key);
      if (state) evaluate(ctx, key, state, now);
      else ctx.timer(key, null);
    },
  };

  if (rule.event !== undefined) {
    const type = rule.event;
    return {
      ...base,
      events: [type],
      keyForEvent: (e: BotEvent) => {
        if ((type !== '*' && e.type !== type) || !eventMatches(e, rule.data)) return undefined;
        const labels = eventLabels(e, rule.by);
        return accept(e.source, labels) ? `${rule.name}|${e.source}|${labelsKey(labels)}` : undefined;
      },
      onEvent(ctx: RuleContext, key: string, e: BotEvent) {
        const state = ctx.get<CountState>(key) ?? {
          b: newBandState(),
          times: [],
          labels: eventLabels(e, rule.by),
        };
        pushTime(state.times, e.ts, keep);
        evaluate(ctx, key, state, e.ts);
      },
    };
  }
  const metric = rule.metric as string;
  return {
    ...base,
    metrics: [metric],
    keyForSample: (s: Sample) =>
      accept(s.source, s.labels) ? `${rule.name}|${s.source}|${metric}|${labelsKey(s.labels)}` : undefined,
    onSample(ctx: RuleContext, key: string, s: Sample) {
      const state = ctx.get<CountState>(key) ?? {
        b: newBandState(),
        times: [],
        labels: { source: s.source, metric, ...s.labels },
      };
      // A counter's increase: a drop means the counter restarted, and its new value is the increase.
      const inc = state.last === undefined ? 0 : s.value >= state.last ? s.value - state.last : s.value;
      state.last = s.value;
      for (let i = 0; i < Math.min(Math.round(inc), keep); i++) pushTime(state.times, s.ts, keep);
      evaluate(ctx, key, state, s.ts);
    },
  };
}

function pushTime(times: number[], t: number, keep: number): void {
  // Inputs may arrive slightly out of order; keep the list sorted.
  let i = times.length;
  while (i > 0 && (times[i - 1] as number) > t) i--;
  times.splice(i, 0, t);
  if (times.length > keep) times.splice(0, times.length - keep);
}

/** Bands numbered 1..n from the lowest severity up, so "band k holds" is "probe >= k". */
function probeBands(bands: Band[]): Bands<number> {
  const out: Bands<number> = {};
  bands.forEach((b, i) => (out[b.severity] = bands.length - i));
  return out;
}

function rankProbe(bands: Band[], band: Band): number {
  return bands.length - bands.indexOf(band);
}

function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
