/** Alert severities, highest first. */
export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<Severity, number> = { critical: 4, high: 3, warning: 2, info: 1 };

/** Words senders use for a severity, mapped onto ours (case-insensitive, Python logging names too). */
const ALIASES: Record<string, Severity> = {
  critical: 'critical',
  crit: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  alert: 'critical',
  page: 'critical',
  high: 'high',
  error: 'high',
  err: 'high',
  major: 'high',
  warning: 'warning',
  warn: 'warning',
  medium: 'warning',
  minor: 'warning',
  info: 'info',
  informational: 'info',
  notice: 'info',
  low: 'info',
  debug: 'info',
  none: 'info',
};

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Parses a severity word or alias; undefined when the word is unknown. */
export function parseSeverity(word: string): Severity | undefined {
  return ALIASES[word.trim().toLowerCase()];
}

export function isSeverity(word: string): word is Severity {
  return (SEVERITIES as readonly string[]).includes(word);
}

/** PagerDuty Events v2 severity for ours. */
export function pagerDutySeverity(s: Severity): 'critical' | 'error' | 'warning' | 'info' {
  return s === 'high' ? 'error' : s;
}
