import type { BotEvent } from '../../model/batch.js';
import { globMatcher } from '../../model/glob.js';
import { labelsKey } from '../../model/fingerprint.js';
import type { Unit } from '../../model/format.js';
import type { AlertSignal } from '../../model/signal.js';
import { fillTemplate } from './template.js';
import type { RuleConfig } from './schema.js';
import type { BandVerdict } from './bands.js';
import type { RuleContext, Sample, SignalParts } from './types.js';

/** The rule's `match` filter as a predicate on (source, labels). */
export function inputFilter(rule: RuleConfig): (source: string, labels: Record<string, string>) => boolean {
  const m = rule.match;
  if (!m) return () => true;
  const src = m.source === undefined ? () => true : globMatcher(m.source);
  const want = Object.entries(m.labels ?? {});
  return (source, labels) => src(source) && want.every(([k, v]) => labels[k] === v);
}

export function seriesKey(rule: string, s: Sample): string {
  return `${rule}|${s.source}|${s.metric}|${s.labelsKey ?? labelsKey(s.labels)}`;
}

/** Labels of an event that a rule groups by (`by: [symbol]`); `symbol` comes from the event itself. */
export function eventLabels(e: BotEvent, by: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = { source: e.source };
  for (const k of by ?? []) {
    const v = k === 'symbol' ? e.symbol : e.data[k];
    if (v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}

export function eventMatches(
  e: BotEvent,
  data: Record<string, string | number | boolean> | undefined,
): boolean {
  if (!data) return true;
  for (const [k, v] of Object.entries(data)) {
    const actual = k === 'symbol' ? e.symbol : e.data[k];
    if (actual !== v) return false;
  }
  return true;
}

/** What a rule kind's values are in when the rule does not say. */
const DEFAULT_UNITS: Partial<Record<RuleConfig['kind'], Unit>> = {
  ratio: 'ratio',
  change: 'ratio',
  count: 'count',
  absence: 's',
};

/** Builds a signal of a rule, with its annotations filled in from the rule's templates or defaults. */
export function ruleSignal(
  rule: RuleConfig,
  alert: string,
  kind: AlertSignal['kind'],
  parts: SignalParts,
  defaultTitle: string,
): AlertSignal {
  const labels = rule.labels ? { ...parts.labels, ...rule.labels } : parts.labels;
  const vars = { ...parts.vars, severity: parts.severity, rule: rule.name, alert, labels, data: parts.data };
  const annotations: Record<string, string> = {};
  const templates = rule.annotations ?? {};
  annotations.title = fillTemplate(templates.title ?? defaultTitle, vars);
  for (const [k, t] of Object.entries(templates)) if (k !== 'title') annotations[k] = fillTemplate(t, vars);
  if (rule.description && !annotations.message) annotations.message = rule.description;
  const signal: AlertSignal = {
    name: alert,
    kind,
    status: parts.status,
    severity: parts.severity,
    labels,
    annotations,
    ts: parts.ts,
    rule: rule.name,
    origin: 'rule',
  };
  if (parts.value !== undefined) signal.value = parts.value;
  const threshold = parts.vars.threshold;
  if (typeof threshold === 'number') signal.threshold = threshold;
  if ('op' in rule && typeof rule.op === 'string') signal.op = rule.op;
  const unit = rule.unit ?? DEFAULT_UNITS[rule.kind];
  if (unit) signal.unit = unit;
  if (rule.dedup === 'none') signal.force = true;
  return signal;
}

/** Emits what a condition rule's bands decided, titled by the rule's templates or these defaults. */
export function emitVerdict(
  ctx: RuleContext,
  rule: RuleConfig,
  alert: string,
  verdict: BandVerdict,
  parts: Omit<SignalParts, 'status' | 'severity'>,
  titles: { firing: string; resolved: string },
): void {
  ctx.emit(
    ruleSignal(
      rule,
      alert,
      'state',
      { status: verdict.status, severity: verdict.severity, ...parts },
      verdict.status === 'resolved' ? titles.resolved : titles.firing,
    ),
  );
}
