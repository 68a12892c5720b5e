import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { durationSchema, positiveDurationSchema } from '../model/duration.js';
import { severityRank, SEVERITIES, type Severity } from '../model/severity.js';
import { compileMatchers, matchersSchema, type CompiledMatcher } from './matchers.js';

export interface RouteConfig {
  match?: z.output<typeof matchersSchema>;
  /** Only alerts at least this severe. */
  severity_min?: Severity;
  receivers?: string[];
  /** Receivers that take over when one of this route's receivers fails for good or stays down. */
  fallback?: string[];
  /** How long a receiver may keep failing before the fallback is told too (ms). */
  fallback_after?: number;
  continue?: boolean;
  /**
   * Labels that make a group: alerts of this route with the same values are told together, one
   * message per group per receiver. `alertname` is the alert's name. Absent: inherited; `[]`: no grouping.
   */
  group_by?: string[];
  /** How long a new group waits for more alerts before its first message (ms). */
  group_wait?: number;
  /** How long a group waits after a message before telling what changed since (ms). */
  group_interval?: number;
  /** How often a group that still has firing alerts is told again when nothing changed (ms). */
  repeat_interval?: number;
  /** Steps that pass an unacknowledged alert on to further receivers. */
  escalate?: EscalationStepConfig[];
  routes?: RouteConfig[];
}

export interface EscalationStepConfig {
  /** How long after the alert started firing, unacknowledged (ms). */
  after: number;
  receivers: string[];
}

/** Grouping defaults when a route sets `group_by` but not the times. */
export const DEFAULT_GROUP_WAIT = 10_000;
export const DEFAULT_GROUP_INTERVAL = 60_000;

/** Only alerts at least this severe are escalated. */
export const ESCALATE_SEVERITY: Severity = 'critical';

/** Default `fallback_after`: a receiver down this long is treated as gone for the notification. */
export const DEFAULT_FALLBACK_AFTER = 10 * 60_000;

export const routeSchema: z.ZodType<RouteConfig, unknown> = z.lazy(() =>
  z.strictObject({
    match: matchersSchema.optional(),
    severity_min: z.enum(SEVERITIES).optional(),
    receivers: z.array(z.string()).optional(),
    fallback: z.array(z.string()).optional(),
    fallback_after: positiveDurationSchema.optional(),
    continue: z.boolean().optional(),
    group_by: z.array(z.string().min(1)).optional(),
    group_wait: durationSchema.optional(),
    group_interval: positiveDurationSchema.optional(),
    repeat_interval: positiveDurationSchema.optional(),
    escalate: z
      .array(z.strictObject({ after: positiveDurationSchema, receivers: z.array(z.string()).min(1) }))
      .min(1)
      .optional(),
    routes: z.array(routeSchema).optional(),
  }),
);

interface Node {
  /** The route's place in the tree (`0`, `0.2`, ...): part of its groups' keys. */
  path: string;
  matches: CompiledMatcher;
  grouping: Grouping | undefined;
  escalate: EscalationStep[] | undefined;
  minRank: number;
  receivers: string[];
  fallback: Fallback | undefined;
  cont: boolean;
  children: Node[];
}

/** Who takes over from a failing receiver, and after how long a receiver counts as down. */
export interface Fallback {
  receivers: string[];
  afterMs: number;
}

/** How a route groups its alerts. */
export interface Grouping {
  /** The route's place in the tree, so that two routes grouping by the same labels keep apart. */
  route: string;
  by: string[];
  waitMs: number;
  intervalMs: number;
  repeatMs?: number;
}

export interface EscalationStep {
  afterMs: number;
  receivers: string[];
}

/** Where the route tree sends an alert. */
export interface Destination {
  receivers: string[];
  fallback?: Fallback;
  /** Receivers reached through a grouping route, with that route's grouping. */
  grouping?: Record<string, Grouping>;
  /** The grouping of the first matching route that groups: for receivers a rule names itself. */
  routeGrouping?: Grouping;
  /** Escalation steps of the matching routes (the first route that has them). */
  escalate?: EscalationStep[];
}

/**
 * The route tree: the root's receivers are the default; child routes are tried in order and the
 * first that matches wins, unless it says `continue`, in which case the next ones are tried too.
 * A matching route hands over to its own children the same way and uses its receivers when none
 * of them match. Matchers see the alert's labels plus `alertname` and `severity`.
 */
export class RouteTree {
  private readonly root: Node;

  constructor(config: RouteConfig) {
    this.root = compile(config);
  }

  receiversFor(alert: Pick<Alert, 'name' | 'severity' | 'labels'>): string[] {
    return this.destinationOf(alert).receivers;
  }

  /** The receivers of the deepest matching routes, and the fallback of those routes (merged). */
  destinationOf(alert: Pick<Alert, 'name' | 'severity' | 'labels'>): Destination {
    const labels = { ...alert.labels, alertname: alert.name, severity: alert.severity };
    const found = walk(this.root, labels, severityRank(alert.severity)) ?? [this.root];
    const receivers = [...new Set(found.flatMap((n) => n.receivers))];
    const out: Destination = { receivers };
    const fallbacks = found.flatMap((n) => (n.fallback ? [n.fallback] : []));
    if (fallbacks.length > 0)
      out.fallback = {
        receivers: [...new Set(fallbacks.flatMap((f) => f.receivers))],
        afterMs: Math.min(...fallbacks.map((f) => f.afterMs)),
      };
    for (const n of found) {
      if (!n.grouping) continue;
      out.routeGrouping ??= n.grouping;
      for (const r of n.receivers) {
        out.grouping ??= {};
        out.grouping[r] ??= n.grouping;
      }
    }
    const escalate = found.find((n) => n.escalate)?.escalate;
    if (escalate) out.escalate = escalate;
    return out;
  }

  /** Every receiver name the tree mentions (to check them against the configured receivers). */
  static receiverNames(config: RouteConfig): string[] {
    return [
      ...(config.receivers ?? []),
      ...(config.fallback ?? []),
      ...(config.escalate ?? []).flatMap((s) => s.receivers),
      ...(config.routes ?? []).flatMap((r) => RouteTree.receiverNames(r)),
    ];
  }
}

/**
 * A route without receivers, fallback, grouping or escalation of its own uses its parent's, as in
 * Alertmanager.
 */
function compile(
  c: RouteConfig,
  path = '0',
  inherited: string[] = [],
  inheritedFallback?: Fallback,
  inheritedGroup?: Omit<Grouping, 'route'>,
  inheritedEscalate?: EscalationStep[],
): Node {
  const receivers = c.receivers ?? inherited;
  const fallbackReceivers = c.fallback ?? inheritedFallback?.receivers;
  const fallback = fallbackReceivers && {
    receivers: fallbackReceivers,
    afterMs: c.fallback_after ?? inheritedFallback?.afterMs ?? DEFAULT_FALLBACK_AFTER,
  };
  const by = c.group_by ?? inheritedGroup?.by ?? [];
  const group: Omit<Grouping, 'route'> = {
    by,
    waitMs: c.group_wait ?? inheritedGroup?.waitMs ?? DEFAULT_GROUP_WAIT,
    intervalMs: c.group_interval ?? inheritedGroup?.intervalMs ?? DEFAULT_GROUP_INTERVAL,
  };
  const repeatMs = c.repeat_interval ?? inheritedGroup?.repeatMs;
  if (repeatMs !== undefined) group.repeatMs = repeatMs;
  const escalate =
    c.escalate?.map((s) => ({ afterMs: s.after, receivers: s.receivers })) ?? inheritedEscalate;
  return {
    path,
    matches: compileMatchers(c.match ?? []),
    grouping: by.length > 0 ? { route: path, ...group } : undefined,
    escalate,
    minRank: c.severity_min ? severityRank(c.severity_min) : 0,
    receivers,
    fallback,
    cont: c.continue ?? false,
    children: (c.routes ?? []).map((child, i) =>
      compile(child, `${path}.${i}`, receivers, fallback, group, escalate),
    ),
  };
}

/** The deepest matching routes below `node`, or undefined when no child matches. */
function walk(node: Node, labels: Record<string, string>, rank: number): Node[] | undefined {
  let out: Node[] | undefined;
  for (const child of node.children) {
    if (rank < child.minRank || !child.matches(labels)) continue;
    const below = walk(child, labels, rank) ?? [child];
    out = [...(out ?? []), ...below];
    if (!child.cont) break;
  }
  return out;
}
