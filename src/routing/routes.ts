import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { positiveDurationSchema } from '../model/duration.js';
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
  routes?: RouteConfig[];
}

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
    routes: z.array(routeSchema).optional(),
  }),
);

interface Node {
  matches: CompiledMatcher;
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

/** Where the route tree sends an alert. */
export interface Destination {
  receivers: string[];
  fallback?: Fallback;
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
    const fallbacks = found.flatMap((n) => (n.fallback ? [n.fallback] : []));
    if (fallbacks.length === 0) return { receivers };
    return {
      receivers,
      fallback: {
        receivers: [...new Set(fallbacks.flatMap((f) => f.receivers))],
        afterMs: Math.min(...fallbacks.map((f) => f.afterMs)),
      },
    };
  }

  /** Every receiver name the tree mentions (to check them against the configured receivers). */
  static receiverNames(config: RouteConfig): string[] {
    return [
      ...(config.receivers ?? []),
      ...(config.fallback ?? []),
      ...(config.routes ?? []).flatMap((r) => RouteTree.receiverNames(r)),
    ];
  }
}

/** A route without receivers (or fallback) of its own uses its parent's, as in Alertmanager. */
function compile(c: RouteConfig, inherited: string[] = [], inheritedFallback?: Fallback): Node {
  const receivers = c.receivers ?? inherited;
  const fallbackReceivers = c.fallback ?? inheritedFallback?.receivers;
  const fallback = fallbackReceivers && {
    receivers: fallbackReceivers,
    afterMs: c.fallback_after ?? inheritedFallback?.afterMs ?? DEFAULT_FALLBACK_AFTER,
  };
  return {
    matches: compileMatchers(c.match ?? []),
    minRank: c.severity_min ? severityRank(c.severity_min) : 0,
    receivers,
    fallback,
    cont: c.continue ?? false,
    children: (c.routes ?? []).map((child) => compile(child, receivers, fallback)),
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
