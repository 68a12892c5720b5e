import type { BotEvent } from '../../src/model/batch.js';
import type { AlertSignal } from '../../src/model/signal.js';
import { RuleEngine, type EvalResult } from '../../src/detectors/rules/engine.js';
import { ruleSchema } from '../../src/detectors/rules/schema.js';

/** 2024-01-01T00:00:00Z: a whole hour, so buckets and windows line up. */
export const T0 = Date.UTC(2024, 0, 1);
export const SEC = 1_000;
export const MIN = 60_000;
export const HOUR = 3_600_000;

/** `status:severity` of each signal, the part a user notices. */
export function brief(signals: readonly AlertSignal[]): string[] {
  return signals.map((s) => `${s.status}:${s.severity}`);
}

/**
 * Drives a RuleEngine the way the pipeline does: states in a Map, timers kept and run when due.
 * With `roundTrip`, states go through JSON between calls, as they do through Redis.
 */
export class Harness {
  readonly engine: RuleEngine;
  states = new Map<string, unknown>();
  readonly timers = new Map<string, number>();

  constructor(
    rules: unknown[],
    private readonly roundTrip = false,
  ) {
    this.engine = new RuleEngine(rules.map((r) => ruleSchema.parse(r)));
  }

  snap(
    source: string,
    ts: number,
    metrics: Record<string, number>,
    labels: Record<string, string> = {},
    now = ts,
  ): AlertSignal[] {
    return this.run({ snapshots: [{ source, ts, metrics, labels }], events: [], alerts: [] }, now);
  }

  event(e: Partial<BotEvent> & { source: string; ts: number; type: string }, now = e.ts): AlertSignal[] {
    return this.run({ snapshots: [], events: [{ data: {}, ...e }], alerts: [] }, now);
  }

  run(input: Parameters<RuleEngine['evaluate']>[0], now: number): AlertSignal[] {
    const keys = this.engine.keysFor(input);
    const loaded = new Map<string, unknown>();
    for (const k of keys) if (this.states.has(k)) loaded.set(k, this.load(k));
    const r = this.engine.evaluate(input, loaded, now);
    return this.store(r);
  }

  /** Runs every timer due at `now` (and seeds expected sources that have no state). */
  tick(now: number): AlertSignal[] {
    const missing = this.engine.expected().filter((e) => !this.states.has(e.key));
    const out: AlertSignal[] = [];
    if (missing.length > 0) out.push(...this.store(this.engine.seed(missing, new Map(), now)));
    const due = [...this.timers].filter(([, t]) => t <= now).map(([k]) => k);
    if (due.length === 0) return out;
    const loaded = new Map<string, unknown>();
    for (const k of due) if (this.states.has(k)) loaded.set(k, this.load(k));
    out.push(...this.store(this.engine.tick(due, loaded, now)));
    return out;
  }

  /** When the timer of the only key with one is due. */
  nextTimer(): number | undefined {
    const all = [...this.timers.values()].sort((a, b) => a - b);
    return all[0];
  }

  private load(k: string): unknown {
    const s = this.states.get(k);
    return this.roundTrip ? JSON.parse(JSON.stringify(s)) : s;
  }

  private store(r: EvalResult): AlertSignal[] {
    for (const [k, v] of r.writes) {
      if (v === null) this.states.delete(k);
      else this.states.set(k, this.roundTrip ? JSON.parse(JSON.stringify(v)) : v);
    }
    for (const [k, t] of r.timers) {
      if (t === null) this.timers.delete(k);
      else this.timers.set(k, t);
    }
    return r.signals;
  }
}
