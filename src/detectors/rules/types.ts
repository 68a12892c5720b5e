import type { BotEvent } from '../../model/batch.js';
import type { Severity } from '../../model/severity.js';
import type { AlertSignal } from '../../model/signal.js';

/** One value of one series: (source, metric, labels) at a time. */
export interface Sample {
  source: string;
  metric: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
  /** `labelsKey(labels)`, computed once per snapshot when the engine made the sample. */
  labelsKey?: string;
}

/**
 * What a rule sees while it evaluates: the states it asked for (loaded before, saved after), a
 * way to ask for a later look without input (timers), and where its signals go.
 */
export interface RuleContext {
  /** Processing time (ms): when the input was accepted, or the tick's time. */
  readonly now: number;
  /** The state under `key`, or undefined the first time. */
  get<S>(key: string): S | undefined;
  /** Stores `state` under `key` (`null` forgets it). */
  set(key: string, state: unknown): void;
  /** Asks for `tick(key)` at `dueAt` (ms), or cancels with `null`. */
  timer(key: string, dueAt: number | null): void;
  emit(signal: AlertSignal): void;
}

/** A rule compiled from config: it declares the state keys an input touches, then evaluates. */
export interface CompiledRule {
  readonly name: string;
  readonly alert: string;
  /** The metric names it reads (for indexing), if it reads samples. */
  readonly metrics?: readonly string[];
  /** The event types it reads, if it reads events; `*` for every event. */
  readonly events?: readonly string[];
  /** Absence rules look at every input of a source. */
  readonly watchesSources?: boolean;
  /**
   * The state key a sample would use, or undefined when the rule ignores it. It may depend only
   * on the sample's source, metric and labels: the engine computes it once per source and labels
   * of a batch.
   */
  keyForSample?(s: Sample): string | undefined;
  /** The state key an event would use, or undefined when the rule ignores it. */
  keyForEvent?(e: BotEvent): string | undefined;
  keyForSource?(source: string): string | undefined;
  onSample?(ctx: RuleContext, key: string, s: Sample): void;
  onEvent?(ctx: RuleContext, key: string, e: BotEvent): void;
  /** A sign of life from a source (at `ctx.now`). */
  onSource?(ctx: RuleContext, key: string, source: string): void;
  /** A timer it set is due. */
  onTick?(ctx: RuleContext, key: string, now: number): void;
  /** Sources that must be watched before they ever report (absence `expect`), with their keys. */
  expectedKeys?(): { key: string; source: string }[];
}

export interface SignalParts {
  status: AlertSignal['status'];
  severity: Severity;
  labels: Record<string, string>;
  value?: number;
  ts: number;
  /** Template variables: `{{value}}`, `{{threshold}}`, `{{source}}`… */
  vars: Record<string, string | number | undefined>;
  /** The event's own fields, for `{{data.x}}`. */
  data?: Record<string, unknown>;
}
