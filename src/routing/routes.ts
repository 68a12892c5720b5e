import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { severityRank, SEVERITIES, type Severity } from '../model/severity.js';
import { compileMatchers, matchersSchema, type CompiledMatcher } from './matchers.js';

export interface RouteConfig {
  match?: z.output<typeof matchersSchema>;
  /** Only alerts at least this severe. */
  severity_min?: Severity;
  receivers?: string[];
  continue?: boolean;
  routes?: RouteConfig[];
}

export const routeSchema: z.ZodType<RouteConfig, unknown> = z.lazy(() =>
  z.strictObject({
    match: matchersSchema.optional(),
    severity_min: z.enum(SEVERITIES).optional(),
    receivers: z.array(z.string()).optional(),
    continue: z.boolean().optional(),
    routes: z.array(routeSchema).optional(),
  }),
);

interface Node {
  matches: CompiledMatcher;
  minRank: number;
  receivers: string[];
  cont: boolean;
  children: Node[];
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
    const labels = { ...alert.labels, alertname: alert.name, severity: alert.severity };
    const found = walk(this.root, labels, severityRank(alert.severity));
    return [...new Set(found ?? this.root.receivers)];
  }

  /** Every receiver name the tree mentions (to check them against the configured receivers). */
  static receiverNames(config: RouteConfig): string[] {
    return [...(config.receivers ?? []), ...(config.routes ?? []).flatMap((r) => RouteTree.receiverNames(r))];
  }
}

/** A route without receivers of its own uses its parent's, as in Alertmanager. */
function compile(c: RouteConfig, inherited: string[] = []): Node {
  const receivers = c.receivers ?? inherited;
  return {
    matches: compileMatchers(c.match ?? []),
    minRank: c.severity_min ? severityRank(c.severity_min) : 0,
    receivers,
    cont: c.continue ?? false,
    children: (c.routes ?? []).map((child) => compile(child, receivers)),
  };
}

/** Receivers of the deepest matching routes below `node`, or undefined when no child matches. */
function walk(node: Node, labels: Record<string, string>, rank: number): string[] | undefined {
  let out: string[] | undefined;
  for (const child of node.children) {
    if (rank < child.minRank || !child.matches(labels)) continue;
    const below = walk(child, labels, rank) ?? child.receivers;
    out = [...(out ?? []), ...below];
    if (!child.cont) break;
  }
  return out;
}
