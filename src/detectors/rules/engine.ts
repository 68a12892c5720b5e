import type { BotEvent, IngestBatch } from '../../model/batch.js';
import { labelsKey } from '../../model/fingerprint.js';
import type { AlertSignal } from '../../model/signal.js';
import { absenceRule } from './absence.js';
import { anomalyRule } from './anomaly.js';
import { changeRule } from './change.js';
import { countRule } from './count.js';
import { eventRule } from './event.js';
import { ratioRule } from './ratio.js';
import type { RuleConfig } from './schema.js';
import { thresholdRule } from './threshold.js';
import type { CompiledRule, RuleContext, Sample } from './types.js';

export function compileRule(rule: RuleConfig): CompiledRule {
  switch (rule.kind) {
    case 'threshold':
      return thresholdRule(rule);
    case 'ratio':
      return ratioRule(rule);
    case 'count':
      return countRule(rule);
    case 'change':
      return changeRule(rule);
    case 'absence':
      return absenceRule(rule);
    case 'event':
      return eventRule(rule);
    case 'anomaly':
      return anomalyRule(rule);
  }
}

/** What evaluating a batch or a tick produced: signals, and the state and timers to store. */
export interface EvalResult {
  signals: AlertSignal[];
  /** Changed states by key (`null`: delete). */
  writes: Map<string, unknown>;
  /** Timers by key: when to tick it (`null`: cancel). */
  timers: Map<string, number | null>;
}

export type Evaluable = Pick<IngestBatch, 'snapshots' | 'events' | 'alerts'>;

/** One rule looking at one input (a sample, an event or a source's sign of life). */
interface Visit {
  rule: CompiledRule;
  key: string;
  sample?: Sample;
  event?: BotEvent;
  source?: string;
}

export interface Plan {
  visits: Visit[];
  /** The state keys the visits read. */
  keys: Set<string>;
}

/**
 * Runs every rule over inputs. Pure: states come in (loaded by the caller in one round trip, for
 * the keys `keysFor` named), changed states, timers and signals go out. Inputs are taken in order,
 * so a series sees its samples in the order they were accepted.
 */
export class RuleEngine {
  readonly rules: CompiledRule[];
  private readonly byMetric = new Map<string, CompiledRule[]>();
  private readonly byEvent = new Map<string, CompiledRule[]>();
  private readonly bySource: CompiledRule[] = [];
  private readonly byName = new Map<string, CompiledRule>();

  constructor(configs: readonly RuleConfig[]) {
    this.rules = configs.filter((r) => r.enabled !== false).map(compileRule);
    for (const r of this.rules) {
      this.byName.set(r.name, r);
      for (const m of r.metrics ?? []) push(this.byMetric, m, r);
      for (const e of r.events ?? []) push(this.byEvent, e, r);
      if (r.watchesSources) this.bySource.push(r);
    }
  }

  /**
   * Which rule looks at which input under which state key, in input order: computed once per
   * batch, then used to load the states and to run the rules (even when a run is retried).
   */
  plan(input: Evaluable): Plan {
    const visits: Visit[] = [];
    const keys = new Set<string>();
    this.visit(input, (rule, key, sample, event, source) => {
      visits.push({ rule, key, sample, event, source });
      keys.add(key);
    });
    return { visits, keys };
  }

  /**
   * Calls `fn` with each state key the inputs would touch, and the sample or event that touches
   * it: the plan's keys without building a plan (the ingest's check of limits).
   */
  eachKey(input: Evaluable, fn: (key: string, sample?: Sample, event?: BotEvent) => void): void {
    this.visit(input, (_rule, key, sample, event) => fn(key, sample, event));
  }

  /** Every state key the inputs will read. */
  keysFor(input: Evaluable): Set<string> {
    return this.plan(input).keys;
  }

  /** Evaluates the inputs against `states` (every key from `keysFor`, absent when never stored). */
  evaluate(input: Evaluable, states: Map<string, unknown>, now: number): EvalResult {
    return this.run(this.plan(input), states, now);
  }

  /** Runs a plan against `states` (every key of the plan, absent when never stored). */
  run(plan: Plan, states: Map<string, unknown>, now: number): EvalResult {
    const { ctx, result } = this.context(states, now);
    for (const { rule, key, sample, event, source } of plan.visits) {
      if (sample) rule.onSample?.(ctx, key, sample);
      else if (event) rule.onEvent?.(ctx, key, event);
      else if (source !== undefined) rule.onSource?.(ctx, key, source);
    }
    return result;
  }

  /** Runs due timers. `keys` are timer keys; their states must be in `states`. */
  tick(keys: readonly string[], states: Map<string, unknown>, now: number): EvalResult {
    const { ctx, result } = this.context(states, now);
    for (const key of keys) {
      const rule = this.byName.get(key.slice(0, key.indexOf('|')));
      if (rule?.onTick) rule.onTick(ctx, key, now);
      else result.timers.set(key, null);
    }
    return result;
  }

  /** Sources that absence rules expect before they first report: seeded on a tick. */
  expected(): { rule: string; key: string; source: string }[] {
    return this.rules.flatMap((r) => (r.expectedKeys?.() ?? []).map((e) => ({ rule: r.name, ...e })));
  }

  /** Starts watching expected sources that have no state yet. */
  seed(
    missing: readonly { rule: string; key: string; source: string }[],
    states: Map<string, unknown>,
    now: number,
  ) {
    const { ctx, result } = this.context(states, now);
    for (const m of missing) this.byName.get(m.rule)?.onSource?.(ctx, m.key, m.source);
    return result;
  }

  private context(states: Map<string, unknown>, now: number): { ctx: RuleContext; result: EvalResult } {
    const result: EvalResult = { signals: [], writes: new Map(), timers: new Map() };
    const ctx: RuleContext = {
      now,
      get: <S>(key: string) => states.get(key) as S | undefined,
      set: (key, state) => {
        if (state === null) states.delete(key);
        else states.set(key, state);
        result.writes.set(key, state);
      },
      timer: (key, dueAt) => result.timers.set(key, dueAt),
      emit: (signal) => result.signals.push(signal),
    };
    return { ctx, result };
  }

  private visit(
    input: Evaluable,
    fn: (rule: CompiledRule, key: string, sample?: Sample, event?: BotEvent, source?: string) => void,
  ): void {
    const sources = new Set<string>();
    // A sample's keys depend only on its source, metric and labels (see `keyForSample`): they are
    // built once per source and labels in the input, not once per snapshot.
    const keysByGroup = new Map<string, Map<string, (string | undefined)[]>>();
    for (const snap of input.snapshots) {
      sources.add(snap.source);
      let labels: string | undefined;
      let keys: Map<string, (string | undefined)[]> | undefined;
      for (const metric in snap.metrics) {
        const rules = this.byMetric.get(metric);
        if (!rules) continue;
        if (labels === undefined || keys === undefined) {
          labels = labelsKey(snap.labels);
          const group = `${snap.source}\n${labels}`;
          keys = keysByGroup.get(group);
          if (!keys) keysByGroup.set(group, (keys = new Map()));
        }
        const sample: Sample = {
          source: snap.source,
          metric,
          labels: snap.labels,
          value: snap.metrics[metric] as number,
          ts: snap.ts,
          labelsKey: labels,
        };
        let ruleKeys = keys.get(metric);
        if (!ruleKeys) keys.set(metric, (ruleKeys = rules.map((rule) => rule.keyForSample?.(sample))));
        for (let i = 0; i < rules.length; i++) {
          const key = ruleKeys[i];
          if (key !== undefined) fn(rules[i] as CompiledRule, key, sample);
        }
      }
    }
    for (const ev of input.events) {
      sources.add(ev.source);
      for (const rules of [this.byEvent.get(ev.type), this.byEvent.get('*')]) {
        for (const rule of rules ?? []) {
          const key = rule.keyForEvent?.(ev);
          if (key !== undefined) fn(rule, key, undefined, ev);
        }
      }
    }
    for (const a of input.alerts) if (a.labels.source) sources.add(a.labels.source);
    for (const source of sources) {
      for (const rule of this.bySource) {
        const key = rule.keyForSource?.(source);
        if (key !== undefined) fn(rule, key, undefined, undefined, source);
      }
    }
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
