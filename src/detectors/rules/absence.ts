import { newBandState, orderedBands, updateBands, type BandState } from './bands.js';
import { globMatcher } from '../../model/glob.js';
import { emitVerdict } from './common.js';
import type { AbsenceRule } from './schema.js';
import type { CompiledRule, RuleContext } from './types.js';

interface AbsenceState {
  b: BandState;
  /** When the source last showed a sign of life (ms). */
  last: number;
  source: string;
}

/**
 * Nothing (or no heartbeat) from a source for a while: the "bot crashed or stopped" alert. It
 * fires from a timer, since by definition no input arrives to trigger it.
 */
export function absenceRule(rule: AbsenceRule): CompiledRule {
  const alert = rule.alert ?? rule.name;
  const ordered = orderedBands(rule.bands);
  const opts = { op: '>=' as const, bands: rule.bands, forMs: 0 };
  const sourceOk = rule.match?.source === undefined ? () => true : globMatcher(rule.match.source);
  const key = (source: string) => `${rule.name}|${source}`;

  function evaluate(ctx: RuleContext, k: string, state: AbsenceState, now: number): void {
    const age = now - state.last;
    const verdict = updateBands(state.b, age, now, opts, ordered);
    // Look again when the next band would be reached.
    const next = ordered
      .map((b) => state.last + b.threshold)
      .filter((t) => t > now)
      .sort((a, b) => a - b)[0];
    ctx.timer(k, next ?? null);
    ctx.set(k, state);
    if (!verdict) return;
    emitVerdict(
      ctx,
      rule,
      alert,
      verdict,
      {
        labels: { source: state.source },
        value: Math.round(age / 1000),
        ts: now,
        vars: {
          source: state.source,
          value: Math.round(age / 1000),
          minutes: Math.round(age / 6000) / 10,
          what: rule.event ?? 'input',
        },
      },
      {
        firing: 'no {{what}} from {{source}} for {{minutes}} min',
        resolved: '{{source}} is reporting again',
      },
    );
  }

  /** Signs of life count at processing time: a bot's own clock may be off. */
  function alive(ctx: RuleContext, k: string, source: string): void {
    const state = ctx.get<AbsenceState>(k) ?? { b: newBandState(), last: ctx.now, source };
    state.last = Math.max(state.last, ctx.now);
    evaluate(ctx, k, state, ctx.now);
  }

  return {
    name: rule.name,
    alert,
    watchesSources: rule.event === undefined,
    events: rule.event === undefined ? undefined : [rule.event],
    keyForSource: (source) => (sourceOk(source) ? key(source) : undefined),
    keyForEvent: (e) => (sourceOk(e.source) ? key(e.source) : undefined),
    onSource(ctx, k, source) {
      alive(ctx, k, source);
    },
    onEvent(ctx, k, e) {
      // Only reached for the configured event type (the engine indexes rules by `events`).
      alive(ctx, k, e.source);
    },
    onTick(ctx, k, now) {
      const state = ctx.get<AbsenceState>(k);
      if (state) evaluate(ctx, k, state, now);
      else ctx.timer(k, null);
    },
    expectedKeys: () => (rule.expect ?? []).map((source) => ({ key: key(source), source })),
  };
}
