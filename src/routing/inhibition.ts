import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import type { Severity } from '../model/severity.js';
import { compileMatchers, matchersSchema, type CompiledMatcher } from './matchers.js';

/**
 * Alertmanager's inhibition: while an alert matching `source_matchers` fires, alerts matching
 * `target_matchers` with the same values of the `equal` labels are muted (recorded, and owed if
 * they still fire when it resolves). Matchers see the labels plus `alertname` and `severity`.
 */
export const inhibitRuleSchema = z.strictObject({
  name: z.string().min(1).optional(),
  source_matchers: matchersSchema,
  target_matchers: matchersSchema,
  equal: z.array(z.string().min(1)).default([]),
});
export type InhibitRuleConfig = z.output<typeof inhibitRuleSchema>;

/** A firing alert that may mute others: what inhibition needs of it. */
export interface Inhibitor {
  fingerprint: string;
  name: string;
  severity: Severity;
  labels: Record<string, string>;
}

export interface InhibitRule {
  name: string;
  source: CompiledMatcher;
  target: CompiledMatcher;
  equal: string[];
}

export function compileInhibitRules(rules: readonly InhibitRuleConfig[]): InhibitRule[] {
  return rules.map((r, i) => ({
    name: r.name ?? `inhibit_rules[${i}]`,
    source: compileMatchers(r.source_matchers),
    target: compileMatchers(r.target_matchers),
    equal: r.equal,
  }));
}

type Labelled = Pick<Alert, 'name' | 'severity' | 'labels'>;

function allLabels(a: Labelled): Record<string, string> {
  return { ...a.labels, alertname: a.name, severity: a.severity };
}

/** Whether `alert` fires in a way that may inhibit others (it matches some rule's source). */
export function isInhibitor(rules: readonly InhibitRule[], alert: Labelled): boolean {
  if (rules.length === 0) return false;
  const l = allLabels(alert);
  return rules.some((r) => r.source(l));
}

/** The firing alert that mutes `alert` now, or undefined. An alert never mutes itself. */
export function inhibitedBy(
  rules: readonly InhibitRule[],
  alert: Labelled & { fingerprint?: string },
  inhibitors: Iterable<Inhibitor>,
): Inhibitor | undefined {
  if (rules.length === 0) return undefined;
  const target = allLabels(alert);
  const applicable = rules.filter((r) => r.target(target));
  if (applicable.length === 0) return undefined;
  for (const src of inhibitors) {
    if (src.fingerprint === alert.fingerprint) continue;
    const sl = allLabels(src);
    for (const r of applicable) {
      if (r.source(sl) && r.equal.every((k) => (sl[k] ?? '') === (target[k] ?? ''))) return src;
    }
  }
  return undefined;
}
